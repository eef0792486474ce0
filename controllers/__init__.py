"""kopf controllers (build, integration, release) driving Tekton.

Not built yet: see issue 6. Handlers will stay thin over pure reconcile functions.
"""
