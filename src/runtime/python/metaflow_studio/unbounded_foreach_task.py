"""The control task of an unbounded foreach (spec `ubf_context: ubf_control`), as Metaflow's runtime has it.

A foreach over an `UnboundedForeachInput` is followed by one control task without a split index; in it
`self.input` is the whole input. In Metaflow the step's unbounded-foreach decorator replaces the step
function: the control task starts a mapper task per item and records their pathspecs as
`_control_mapper_tasks`. Here the scheduler starts the mapper tasks (`ubf_context: ubf_task`, task id
`<control task id>-<i>`) once the control task has said how many items there are, so the control task
only counts the items and records the same pathspecs. The Client then sees what Metaflow's run leaves:
the control task (system tag and `internal_task_type` metadata `control_task`) and one task per item.
"""

import sys

from metaflow.unbounded_foreach import CONTROL_TASK_TAG, UBF_CONTROL

from .task_context import TaskFailure

# Step decorators that implement an unbounded foreach (Metaflow's test decorator is the one it ships).
UNBOUNDED_FOREACH_DECORATORS = ("unbounded_test_foreach_internal",)


def is_control(ctx):
    return ctx.spec.get("ubf_context") == UBF_CONTROL


def control_task_metadata(ctx):
    """Marks the task as a control task before its `_self.json` is written (Metaflow tags it at creation)."""
    if not is_control(ctx):
        return []
    if CONTROL_TASK_TAG not in ctx.meta.system_tags:
        ctx.meta.system_tags.append(CONTROL_TASK_TAG)
    return [("internal_task_type", CONTROL_TASK_TAG, "internal_task_type", ["attempt_id:0"])]


def _no_mappers(ctx, node, hint=""):
    return TaskFailure(
        "Step *%s* has a control task which didn't specify the artifact *_control_mapper_tasks* for the "
        "subsequent *%s* step.%s" % (ctx.step, ", ".join(node.out_funcs), hint),
        retry_allowed=False,
    )


def run_control(ctx, flow, node, decorators):
    """In place of the step function: count the input's items and name a mapper task for each."""
    from metaflow.plugins.test_unbounded_foreach_decorator import InternalTestUnboundedForeachInput

    if not any(d.name in UNBOUNDED_FOREACH_DECORATORS for d in decorators):
        raise _no_mappers(ctx, node, " A foreach over an unbounded input needs a step decorator that implements it "
                                     "(@unbounded_test_foreach_internal).")
    items = flow.input
    if not isinstance(items, InternalTestUnboundedForeachInput):
        raise TaskFailure(
            "Expected type to be InternalTestUnboundedForeachInput. Found %s" % type(items),
            retry_allowed=False,
        )
    count = sum(1 for _ in items)
    sys.stdout.write("Simulating UnboundedForeach over value: %s num_splits: %d\n" % (items, count))
    flow._control_mapper_tasks = ["%s/%s/%s-%d" % (ctx.run_id, ctx.step, ctx.task_id, i) for i in range(count)]
    flow._transition = (list(node.out_funcs), None)
    if not flow._control_mapper_tasks:
        raise _no_mappers(ctx, node)


def mapper_count(ctx, values):
    """A finished control task's number of mapper tasks (None for any other task)."""
    if not is_control(ctx):
        return None
    return len(values.get("_control_mapper_tasks") or [])
