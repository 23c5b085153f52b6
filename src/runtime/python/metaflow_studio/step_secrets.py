"""`@secrets` before the step runs: every source is fetched, its variables checked with Metaflow's
rules (names, no METAFLOW_ prefix, no two sources setting the same variable, no overriding an existing
one unless allow_override), then all are set in the task's environment at once.

The values also reach the step as `current.secrets` (ours; Metaflow has no such attribute): a read-only
mapping of the variables this step's `@secrets` set, so `current.secrets.get("DB_PASSWORD")` reads a
value without going through `os.environ`. Every value is reported to the output relay first, which
masks it (see secret_mask.py).
"""

import os
import re

from metaflow.current import current
from metaflow.exception import MetaflowException
from metaflow.plugins.secrets.secret_spec import parse_source
from metaflow.plugins.secrets.secrets_func import fetch

_ENV_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class TaskSecrets(object):
    """`current.secrets`: the variables the step's `@secrets` set, name -> value."""

    def __init__(self, report=None):
        self._values = {}
        self._report = report

    def _mask(self, env_vars):
        if self._report is not None:
            self._report([v for v in env_vars.values() if isinstance(v, str)])

    def _set(self, env_vars):
        self._values.update(env_vars)

    def get(self, name, default=None):
        return self._values.get(name, default)

    def __getitem__(self, name):
        return self._values[name]

    def __contains__(self, name):
        return name in self._values

    def __iter__(self):
        return iter(sorted(self._values))

    def __len__(self):
        return len(self._values)

    def keys(self):
        return sorted(self._values)

    def __repr__(self):
        # Names only: printing current.secrets must not print a value.
        return "<secrets %s>" % ", ".join(sorted(self._values))


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


def install_task_secrets(report):
    """Called by the worker before the task starts: `report` receives every secret value the task
    fetches before anything else sees it (the output relay masks them)."""
    current._update_env({"secrets": TaskSecrets(report)})


def apply_secrets(decorators, environ=os.environ):
    """Sets the variables of every `@secrets` source of the step; raises before setting any if one is wrong.
    Returns the names set."""
    task_secrets = current.get("secrets")
    if not isinstance(task_secrets, TaskSecrets):
        task_secrets = TaskSecrets()
        current._update_env({"secrets": task_secrets})
    deco = next((d for d in decorators if d.name == "secrets"), None)
    if deco is None:
        return []
    role = deco.attributes.get("role")
    sources = [parse_source(s, role=role, environ=environ) for s in (deco.attributes.get("sources") or [])]
    fetched = []
    for source in sources:
        env_vars = fetch(source)
        if not isinstance(env_vars, dict):
            raise MetaflowException("Invalid env vars from secret %s: the backend gave no variables" % source)
        task_secrets._mask(env_vars)
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
        task_secrets._set(env_vars)
    return sorted(set_by)
