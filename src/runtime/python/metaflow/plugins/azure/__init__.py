"""`metaflow.plugins.azure`: the credential flows use to reach Azure themselves (the seeds' sample code)."""

from metaflow_studio.azure_credential import create_azure_credential


def create_cacheable_azure_credential():
    return create_azure_credential()


__all__ = ["create_azure_credential", "create_cacheable_azure_credential"]
