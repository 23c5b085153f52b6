"""`ForeachFrame`, pickled as `__main__.ForeachFrame` exactly as Metaflow does (`tuple_util.py`)."""

from collections import namedtuple


def namedtuple_with_defaults(typename, field_names, defaults=()):
    cls = namedtuple(typename, field_names)
    cls.__new__.__defaults__ = tuple(defaults)
    register_in_main(cls)
    return cls


def register_in_main(cls):
    """Pickle records the class as `__main__.<name>`; readers find it there."""
    import __main__

    setattr(__main__, cls.__name__, cls)
    cls.__module__ = "__main__"


ForeachFrame = namedtuple_with_defaults("ForeachFrame", ["step", "var", "num_splits", "index", "value"], (None,) * 5)
