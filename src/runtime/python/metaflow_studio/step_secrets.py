"""`@secrets` before the step runs: each source's variables are checked and put in the task's
environment, with Metaflow's rules (names, no METAFLOW_ prefix, no two sources setting the same
variable, no overriding an existing one unless allow_override).

Only the `inline` provider (its variables written in the source itself) is fetched here; Key Vault
sources are left to the Azure secrets support.
"""

import os
import re

from metaflow.exception import MetaflowException

INLINE = "inline"
# Providers whose sources this module leaves alone (fetched by the Azure secrets support).
DEFERRED = ("az-key-vault", "azure-key-vault")
_ENV_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class SecretSource(object):
    def __init__(self, backend, secret_id, options):
        self.backend = backend
        self.secret_id = secret_id
        self.options = options

    def __str__(self):
        return "%s (%s)" % (self.secret_id, self.backend)


def default_backend():
    backend = os.environ.get("METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE")
    if not backend:
        raise MetaflowException(
            "@secrets: a source without a type needs a default secrets backend; set "
            "METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE or write the source as 'type.id'."
        )
    return backend


def parse_source(source):
    """A source is 'type.id', 'id' (the default backend) or a dict {type, id, options, role}."""
    if isinstance(source, str):
        backend, _, secret_id = source.partition(".")
        if not secret_id:
            return SecretSource(default_backend(), backend, {})
        return SecretSource(backend, secret_id, {})
    if isinstance(source, dict):
        backend = source["type"] if "type" in source else default_backend()
        if not isinstance(backend, str):
            raise MetaflowException("Bad @secrets specification - 'type' must be a string - found %s" % type(backend))
        secret_id = source.get("id")
        if not isinstance(secret_id, str):
            raise MetaflowException("Bad @secrets specification - 'id' must be a string - found %s" % type(secret_id))
        options = source.get("options", {})
        if not isinstance(options, dict):
            raise MetaflowException("Bad @secrets specification - 'option' must be a dict - found %s" % type(options))
        return SecretSource(backend, secret_id, options)
    raise MetaflowException("@secrets sources items must be either a string or a dict (got %r)" % (source,))


def check_variables(source, env_vars):
    for key, value in env_vars.items():
        if not isinstance(key, str):
            raise MetaflowException("Invalid env vars from secret %s: found non string key %s (%s)" % (source, key, type(key)))
        if not isinstance(value, str):
            # The value itself is secret: name only its type.
            raise MetaflowException("Invalid env vars from secret %s: the value of '%s' is a %s, not a string"
                                    % (source, key, type(value).__name__))
        if not _ENV_NAME.fullmatch(key):
            raise MetaflowException("Invalid env vars from secret %s: found invalid env var name '%s'." % (source, key))
        if key.startswith("METAFLOW_"):
            raise MetaflowException(
                "Invalid env vars from secret %s: found disallowed env var name '%s' (starts with 'METAFLOW_')."
                % (source, key)
            )


def fetch(source):
    if source.backend == INLINE:
        return dict(source.options.get("env_vars", {}))
    if source.backend in DEFERRED:
        return None
    raise MetaflowException(
        "Unknown secrets backend type %s in @secrets source %s (this runtime fetches: %s)"
        % (source.backend, source.secret_id, ", ".join((INLINE,) + DEFERRED))
    )


def apply_secrets(decorators, environ=os.environ):
    """Sets the variables of every `@secrets` source of the step; raises before setting any if one is wrong."""
    deco = next((d for d in decorators if d.name == "secrets"), None)
    if deco is None:
        return []
    sources = [parse_source(s) for s in (deco.attributes.get("sources") or [])]
    fetched = []
    for source in sources:
        env_vars = fetch(source)
        if env_vars is None:
            continue
        check_variables(source, env_vars)
        fetched.append((source, env_vars))
    set_by = {}
    for source, env_vars in fetched:
        for key in env_vars:
            if key in set_by:
                raise MetaflowException(
                    "Secret '%s' will inject '%s' as env var, and it is also added by '%s'" % (source, key, set_by[key])
                )
            set_by[key] = source
            if not deco.attributes.get("allow_override") and key in environ:
                raise MetaflowException("Secret '%s' will inject '%s' as env var, but it already exists in env" % (source, key))
    for _, env_vars in fetched:
        environ.update(env_vars)
    return sorted(set_by)
