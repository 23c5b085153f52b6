"""One `@secrets` source, read as Metaflow reads it: 'type.id' (split at the first '.'), a plain 'id'
for the default backend (METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE), or a dict {type, id, options, role}."""

import os

from metaflow.exception import MetaflowException


class SecretSpec(object):
    def __init__(self, backend, secret_id, options=None, role=None):
        self.backend = backend
        self.secret_id = secret_id
        self.options = options if options is not None else {}
        self.role = role

    def __str__(self):
        return "%s (%s)" % (self.secret_id, self.backend)


def default_backend(environ=os.environ):
    backend = environ.get("METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE")
    if not backend:
        raise MetaflowException(
            "No default secrets backend type configured, but needed by @secrets for a source without a type. "
            "Set METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE (e.g. az-key-vault) or write the source as 'type.id' "
            "(e.g. 'az-key-vault.my-secret')."
        )
    return backend


def default_role(role, environ=os.environ):
    """Role precedence: the source's, then the decorator's, then METAFLOW_DEFAULT_SECRETS_ROLE."""
    return role if role is not None else (environ.get("METAFLOW_DEFAULT_SECRETS_ROLE") or None)


def parse_source(source, role=None, environ=os.environ):
    role = default_role(role, environ)
    if isinstance(source, str):
        backend, dot, secret_id = source.partition(".")
        if not dot:
            return SecretSpec(default_backend(environ), source, {}, role)
        return SecretSpec(backend, secret_id, {}, role)
    if isinstance(source, dict):
        backend = source["type"] if "type" in source else default_backend(environ)
        if not isinstance(backend, str):
            raise MetaflowException("Bad @secrets specification - 'type' must be a string - found %s" % type(backend))
        secret_id = source.get("id")
        if not isinstance(secret_id, str):
            raise MetaflowException("Bad @secrets specification - 'id' must be a string - found %s" % type(secret_id))
        options = source.get("options", {})
        if not isinstance(options, dict):
            raise MetaflowException("Bad @secrets specification - 'option' must be a dict - found %s" % type(options))
        source_role = source.get("role")
        if source_role is not None:
            if not isinstance(source_role, str):
                raise MetaflowException(
                    "Bad @secrets specification - 'role' must be a str - found %s" % type(source_role)
                )
            role = source_role
        return SecretSpec(backend, secret_id, options, role)
    raise MetaflowException("@secrets sources items must be either a string or a dict (got %s)" % type(source).__name__)
