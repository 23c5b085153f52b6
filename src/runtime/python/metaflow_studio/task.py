"""Execute one task (a step attempt, the `_parameters` task, or a resume clone) and describe its outcome."""

import sys

from .clone_task import run_clone
from .params_task import run_params
from .step_task import run_step
from .task_context import TaskContext, TaskFailure, check_user, exception_info, result


def run_task(spec, loaded):
    """Run the task described by `spec`; returns a TaskResult dict (never raises for task failures)."""
    kind = spec.get("kind", "step")
    try:
        check_user(spec.get("user_name"))
        ctx = TaskContext(spec, loaded)
        if kind == "params":
            return run_params(ctx)
        if kind == "clone":
            return run_clone(ctx)
        return run_step(ctx)
    except TaskFailure as e:
        sys.stderr.write("%s\n" % e.message)
        return result(False, exception=exception_info(e.kind, e.message), retry_allowed=e.retry_allowed)
