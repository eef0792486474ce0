"""konflux.console: the read-only web console over the whole Konflux flow (issue 16).

`server.make_app` builds the aiohttp application; `access` is the only module that
talks to the Kubernetes API (and decides, per user, what may be shown); `views` turns
objects into what a page shows; `reports` and `catalogue` reuse the engine's report
model and policy loader. Nothing here is imported by `konflux --version`.
"""
