"""`metaflow.plugins.secrets`: the secrets backends `@secrets` and `get_secret` read from.

Backends: `inline` (variables written in the source itself, for tests) and Azure Key Vault, named
`az-key-vault` as Metaflow names it and also `azure-key-vault`, the spelling users' docs use.
"""

import abc


class SecretsProvider(abc.ABC):
    """A backend: turns one secret id into the environment variables it provides."""

    TYPE = None

    @abc.abstractmethod
    def get_secret_as_dict(self, secret_id, options=None, role=None):
        """The secret's variables, name -> string value."""


def get_secret(source, role=None):
    """The variables of one `@secrets` source (a 'type.id' string or a dict), without setting them."""
    from .secrets_func import get_secret as _get_secret

    return _get_secret(source, role=role)
