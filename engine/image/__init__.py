"""`validate image`: fetch, verify and evaluate images and Snapshots."""
