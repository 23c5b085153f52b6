"""Tracebacks as a flow's author needs them: the frames of the embedded runtime (this package and the
embedded `metaflow`) are dropped, so a failing step shows its own code first. A traceback with no frame
outside the runtime is kept whole, since then the runtime itself is what failed."""

import os
import traceback

_RUNTIME_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_runtime_frame(frame):
    return os.path.abspath(frame.filename).startswith(_RUNTIME_ROOT)


def user_traceback(ex):
    """`traceback.format_exception(ex)` without the runtime's frames, for each exception of the chain."""
    head = traceback.TracebackException.from_exception(ex)
    seen = set()
    current = head
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kept = [f for f in current.stack if not _is_runtime_frame(f)]
        if kept:
            current.stack = traceback.StackSummary.from_list(kept)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "".join(head.format())
