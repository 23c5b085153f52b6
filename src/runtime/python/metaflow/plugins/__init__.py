"""`metaflow.plugins`: the parts of Metaflow's plugins flows import (cards, the catch and timeout
exceptions, the unbounded-foreach input used by Metaflow's test suite). Kept light: the worker
imports parts of it in every task."""

from metaflow.embedded_limits import missing_attribute

_LAZY = {
    "InternalTestUnboundedForeachInput": "metaflow.plugins.test_unbounded_foreach_decorator",
    "InternalTestUnboundedForeachDecorator": "metaflow.plugins.test_unbounded_foreach_decorator",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name.startswith("__"):
        raise AttributeError("module 'metaflow.plugins' has no attribute '%s'" % name)
    raise missing_attribute("metaflow.plugins", name)


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
