"""The Client's namespace and datastore location (Metaflow semantics: one current namespace per process)."""

import os

from metaflow.exception import MetaflowUnknownUser

_UNSET = object()


class _Namespace(object):
    """The namespace the Client filters runs by. `namespace()` is process-wide by Metaflow's API
    contract, so this one holder is module state on purpose."""

    def __init__(self):
        self.value = _UNSET


_namespace = _Namespace()


def get_username():
    for var in ("METAFLOW_USER", "SUDO_USER", "USERNAME", "USER"):
        user = os.environ.get(var)
        if user and user != "root":
            return user
    return None


def default_namespace():
    token = os.environ.get("METAFLOW_PRODUCTION_TOKEN")
    if token:
        _namespace.value = "production:%s" % token
        return _namespace.value
    user = get_username()
    if not user:
        raise MetaflowUnknownUser()
    _namespace.value = "user:%s" % user
    return _namespace.value


def namespace(ns):
    _namespace.value = ns
    return ns


def get_namespace():
    if _namespace.value is _UNSET:
        return default_namespace()
    return _namespace.value


def search_datastore_root():
    """`.metaflow` from METAFLOW_DATASTORE_SYSROOT_LOCAL, else the nearest one up from the working
    directory; None when there is none."""
    sysroot = os.environ.get("METAFLOW_DATASTORE_SYSROOT_LOCAL")
    if sysroot:
        return os.path.join(os.path.abspath(sysroot), ".metaflow")
    path = os.getcwd()
    while True:
        candidate = os.path.join(path, ".metaflow")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def datastore_root():
    """The one `metadata()` chose, else (inside a task, as Metaflow's Client) the running flow's,
    else the one found from the environment and working directory."""
    from .metadata_select import running_root, selected_root

    return selected_root() or running_root() or search_datastore_root() or os.path.join(os.getcwd(), ".metaflow")
