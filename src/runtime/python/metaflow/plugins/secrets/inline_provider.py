from . import SecretsProvider


class InlineSecretsProvider(SecretsProvider):
    """The variables are written in the source's options (`{"env_vars": {...}}`): for tests."""

    TYPE = "inline"

    def get_secret_as_dict(self, secret_id, options=None, role=None):
        return dict((options or {}).get("env_vars", {}))
