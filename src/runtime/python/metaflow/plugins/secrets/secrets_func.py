"""`get_secret(source)`: one source's variables as a dict, nothing set in the environment."""

from metaflow.exception import MetaflowException

from .providers import provider_for
from .secret_spec import parse_source


def fetch(spec):
    """The variables of a parsed source; a backend failure names the secret, never a value."""
    provider = provider_for(spec.backend)
    try:
        return provider.get_secret_as_dict(spec.secret_id, options=spec.options, role=spec.role)
    except MetaflowException as e:
        raise MetaflowException("Failed to retrieve secret '%s': %s" % (spec.secret_id, e.message))
    except Exception as e:
        raise MetaflowException("Failed to retrieve secret '%s': %s" % (spec.secret_id, e))


def get_secret(source, role=None):
    if not isinstance(source, (str, dict)):
        raise MetaflowException("get_secrets sources items must be either a string or a dict")
    values = fetch(parse_source(source, role=role))
    # Inside a task, what the flow fetched itself is masked in its output as @secrets values are.
    from metaflow.current import current

    task_secrets = current.get("secrets")
    if task_secrets is not None and hasattr(task_secrets, "_mask"):
        task_secrets._mask(values)
    return values
