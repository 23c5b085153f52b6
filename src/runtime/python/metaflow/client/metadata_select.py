"""`metadata`, `get_metadata`, `default_metadata`: which metadata the Client reads. The embedded
runtime provides Metaflow's `local` provider only: `local@<directory holding .metaflow>`."""

import os

from metaflow.exception import MetaflowException

DATASTORE_DIR = ".metaflow"


class _Selection(object):
    """The provider chosen with `metadata()`. Metaflow's choice is process-wide by its API
    contract, so this one holder is module state on purpose."""

    def __init__(self):
        self.info = None


_selection = _Selection()


def running_root():
    """The datastore of the flow this process runs a task of, or None outside a task."""
    from metaflow.current import current

    if not current.is_running_flow:
        return None
    return current.__dict__.get("_datastore_root") or current.get("datastore_root")


def _default_info():
    root = running_root()
    if root:
        return os.path.dirname(os.path.abspath(root))
    from .current_namespace import search_datastore_root

    found = search_datastore_root()
    if found is None:
        return "<No %s directory found in current working tree>" % DATASTORE_DIR
    return os.path.dirname(found)


def selected_root():
    """The `.metaflow` directory chosen with `metadata()`, or None to use the default search."""
    if _selection.info is None:
        return None
    return os.path.join(_selection.info, DATASTORE_DIR)


def get_metadata():
    """`local@<path>`: the provider the Client reads (the default unless `metadata()` chose one)."""
    return "local@%s" % (_selection.info if _selection.info is not None else _default_info())


def default_metadata():
    _selection.info = None
    return get_metadata()


def metadata(ms):
    """Select the metadata: a path (local), or `local@<path>`. A metadata service (`service@<url>`
    or a URL) needs a real Metaflow."""
    if "@" in ms:
        kind, info = ms.split("@", 1)
    elif ms.startswith(("http://", "https://")):
        kind, info = "service", ms
    else:
        kind, info = "local", ms
    if kind != "local":
        from metaflow.embedded_limits import missing_message

        raise MetaflowException(missing_message("The metadata provider '%s' (%s)" % (kind, ms)))
    path = os.path.realpath(info)
    if not os.path.isdir(os.path.join(path, DATASTORE_DIR)):
        raise MetaflowException("Could not find directory %s in directory %s" % (DATASTORE_DIR, info))
    _selection.info = info
    return get_metadata()
