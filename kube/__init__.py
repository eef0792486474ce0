"""konflux.kube: the one Kubernetes layer every component uses.

- `resources`: the resource model (`Resource`) and every API resource we use.
- `names`: every label and annotation name, and their known values.
- `config`: finding and reading the cluster configuration (`load_config`,
  `find_config`, `ClusterConfig`): kubeconfig in every form kubectl accepts, or
  in-cluster.
- `kubeconfig`, `credentials`, `exec_plugin`, `tls`: the parts of that.
- `client`: `KubeClient`, the one async client (aiohttp).
- `login`: `KopfLogin`, kopf's login from the same configuration.
- `errors`: typed errors naming the verb, the resource and what to fix.

This package imports nothing heavy itself; import the module you need
(`from konflux.kube.client import KubeClient`).
"""
