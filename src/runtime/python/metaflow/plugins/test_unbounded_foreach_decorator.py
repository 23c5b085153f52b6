"""The unbounded-foreach input Metaflow's own test suite uses (`InternalTestUnboundedForeachInput`)
and its step decorator `@unbounded_test_foreach_internal`.

A foreach over it runs as Metaflow runs it: one control task, then one mapper task per item (the
scheduler starts them; see metaflow_studio/unbounded_foreach_task.py).
"""

from metaflow.decorators import _step_decorator
from metaflow.unbounded_foreach import UnboundedForeachInput


class InternalTestUnboundedForeachInput(UnboundedForeachInput):
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
