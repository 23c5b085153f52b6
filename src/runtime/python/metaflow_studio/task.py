"""Execute one task (a step attempt, the `_parameters` task, or a resume clone) and describe its outcome."""

import sys

from .azure_errors import MetaflowAzurePackageError, MetaflowAzureStorageError, MetaflowAzureAuthenticationError, MetaflowAzureAuthorizationError, MetaflowAzureResourceError
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
    except AZURE_ERRORS as e:
        # The datastore could not be opened or written: a message with the fix, not an SDK traceback.
        sys.stderr.write("%s: %s\n" % (e.headline, e))
        kind = "metaflow.exception.%s" % type(e).__name__
        return result(False, exception=exception_info(kind, str(e)), retry_allowed=not isinstance(e, MetaflowAzurePackageError))


AZURE_ERRORS = (
    MetaflowAzurePackageError,
    MetaflowAzureStorageError,
    MetaflowAzureAuthenticationError,
    MetaflowAzureAuthorizationError,
    MetaflowAzureResourceError,
)
