"""How Client objects pickle: in Metaflow's versioned state (`{"version": "2.12.27", "data": [pathspec,
attempt, "local@<directory holding .metaflow>", namespace, namespace_check]}`), so a `Task` or `Run`
kept as an artifact (`self.task_obj = current.task`) unpickles under a real Metaflow as well as here.

Only what names the object is kept, never its loaded data: unpickling reopens it from the datastore."""

import os

from metaflow.exception import MetaflowException

STATE_VERSION = "2.12.27"
# Metaflow's older states, still unpickled (data: [pathspec, attempt, namespace_check] and
# [pathspec, attempt, namespace, namespace_check]).
OLDER_VERSIONS = ("2.8.4", "2.12.4")
DATASTORE_DIR = ".metaflow"


def state_of(obj):
    """The state `obj.__getstate__` returns."""
    root = os.path.abspath(obj._root)
    info = os.path.dirname(root) if os.path.basename(root) == DATASTORE_DIR else root
    return {
        "version": STATE_VERSION,
        "data": [obj.pathspec, getattr(obj, "_attempt", None), "local@%s" % info,
                 obj._current_namespace, obj._namespace_check],
    }


def _root_of(metadata_str):
    kind, _, info = (metadata_str or "").partition("@")
    if kind != "local" or not info:
        from metaflow.embedded_limits import missing_message

        raise MetaflowException(
            "A pickled Client object reads its data through the metadata provider '%s': %s"
            % (metadata_str, missing_message("That provider")))
    return os.path.join(info, DATASTORE_DIR)


def fields_of(state):
    """(pathspec, attempt, root or None, namespace, namespace_check) of any state Metaflow writes."""
    if "version" in state and "data" in state:
        version, data = state["version"], list(state["data"])
        if version == STATE_VERSION and len(data) == 5:
            pathspec, attempt, md, ns, check = data
            return pathspec, attempt, _root_of(md), ns, check
        if version == "2.12.4" and len(data) == 4:
            pathspec, attempt, ns, check = data
            return pathspec, attempt, None, ns, check
        if version == "2.8.4" and len(data) == 3:
            pathspec, attempt, check = data
            return pathspec, attempt, None, None, check
        raise MetaflowException(
            "A pickled Client object has state version %s with %d fields, which this Client cannot read "
            "(it reads versions %s)." % (version, len(data), ", ".join(OLDER_VERSIONS + (STATE_VERSION,))))
    # Pickled before objects had a versioned state: nothing recorded the namespace, so it is not checked.
    return state.get("_pathspec") or state.get("pathspec"), state.get("_attempt"), state.get("_root"), None, False


def restore(obj, state):
    """Reopen `obj` (a fresh instance `__setstate__` fills) from a state."""
    pathspec, attempt, root, ns, check = fields_of(state)
    if pathspec is None:
        raise MetaflowException("A pickled Client object names no pathspec; it cannot be reopened.")
    kwargs = {"_namespace_check": False, "_root": root}
    if len(pathspec.split("/")) == 4:
        kwargs["attempt"] = attempt
    # The namespace was checked when the object was made; it keeps the one it was made in, as in Metaflow.
    obj.__init__(pathspec, **kwargs)
    obj._current_namespace = ns
    obj._namespace_check = check
