"""Which backend serves a source type."""

from metaflow.exception import MetaflowException

INLINE = "inline"
KEY_VAULT_TYPES = ("az-key-vault", "azure-key-vault")


def provider_for(backend):
    if backend == INLINE:
        from .inline_provider import InlineSecretsProvider

        return InlineSecretsProvider()
    if backend in KEY_VAULT_TYPES:
        from .az_key_vault import AzureKeyVaultSecretsProvider

        return AzureKeyVaultSecretsProvider()
    raise MetaflowException(
        "Unknown secrets backend type %s (available types: %s)" % (backend, ", ".join(KEY_VAULT_TYPES))
    )
