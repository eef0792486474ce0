"""The Chains-style signer: provenance and signatures made outside the tenant.

It watches finished Tekton runs, builds SLSA provenance from what Tekton recorded, signs
the type-hinted artifacts and attaches the provenance with a key only its namespace
holds (Tekton Chains' model; see docs/chains.md). Layered like the other controllers:

- `config`: the `chains-config` ConfigMap keys (formats, builder id, transparency);
- `artifacts`: Chains' type hinting over run results (pure);
- `record`: the run as Tekton recorded it at completion, and how it is stored (pure);
- `provenance`: SLSA v0.2 (`slsa/v1`) and v1.0 (`slsa/v2alpha3/4`) statements (pure);
- `state`: what to do next for a run, from the run and the signer's own state (pure);
- `signing`: idempotent signature and attestation pushes (registry I/O);
- `operator`: the kopf handlers and the Kubernetes edge.
"""
