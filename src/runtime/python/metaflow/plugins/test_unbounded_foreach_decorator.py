"""The unbounded-foreach input Metaflow's own test suite uses (`InternalTestUnboundedForeachInput`)
and its step decorator `@unbounded_test_foreach_internal`.

Metaflow runs such a foreach as one control task that launches a mapper task per item. The
embedded runtime's scheduler fans it out as an ordinary foreach over the input's items (one task
per item, no control task): the step's code sees the same `self.input` and `self.index`.
"""

from metaflow.decorators import _step_decorator


class InternalTestUnboundedForeachInput(object):
    """Wraps any sized iterable; a foreach over it gets one split per item."""

    NAME = "InternalTestUnboundedForeachInput"

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __getitem__(self, key):
        if key is None:
            return self
        return self.iterable[key]

    def __len__(self):
        return len(self.iterable)

    def __str__(self):
        return str(self.iterable)

    def __repr__(self):
        return "%s(%s)" % (self.NAME, self.iterable)


unbounded_test_foreach_internal = _step_decorator("unbounded_test_foreach_internal", {})
InternalTestUnboundedForeachDecorator = unbounded_test_foreach_internal.decorator_class
