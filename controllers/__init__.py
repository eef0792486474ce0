"""kopf controllers (integration, release, build) driving Tekton.

Layered like kopf: `constants` (every name), pure reconcile functions
(`integration`, `release`, `build` over `objects`), the Kubernetes edge
(`kube`), thin handlers (`operators`), and an in-memory API for tests and
`konflux dev simulate` (`emulator`, `simulate`). See docs/controllers.md.
"""
