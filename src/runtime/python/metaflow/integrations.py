"""`metaflow.integrations`: Metaflow's shortcuts to plugin classes user code imports."""

from metaflow.plugins.argo.argo_events import ArgoEvent

__all__ = ["ArgoEvent"]
