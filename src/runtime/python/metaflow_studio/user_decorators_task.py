"""The task side of user decorators and mutators: apply a flow's mutators in the task process
once its configs are known, and tell the scheduler the decorators that result.

The scheduler takes each step's policy (@retry, @catch, @timeout) from `src/flow`'s static view
of the source. A mutator may add or remove such decorators, which no static reading can see: the
`_parameters` task therefore reports, in its result's optional `effective_decorators` field, every
step's decorators after mutation (only for flows that have user decorators or mutators); the
`_graph_info` it stores lists them too, as Metaflow's does.
"""

import traceback

from metaflow.user_decorators.processing import (
    apply_mutators,
    describe_failure,
    effective_decorators,
    has_user_decorators,
    refresh_graph_decorators,
)

from .task_context import TaskFailure, exception_info, result


def _failure(ctx, error):
    return TaskFailure(
        "A mutator of flow %s failed while the embedded runtime applied it to step *%s*: %s\n%s"
        % (ctx.flow_name, ctx.step, describe_failure(error), traceback.format_exc()),
        retry_allowed=False,
        kind="%s.%s" % (type(error).__module__, type(error).__name__),
    )


def apply_user_decorators(ctx, configs):
    """Step tasks: mutate the flow class with the run's config values ({config name: value})."""
    try:
        changed = apply_mutators(ctx.flow_cls, configs)
    except Exception as e:
        raise _failure(ctx, e)
    if changed:
        refresh_graph_decorators(ctx.graph, ctx.flow_cls)


def apply_user_decorators_for_params(ctx, raw):
    """The `_parameters` task: evaluate the configs, then mutate the flow before its parameters are
    listed (a mutator may add or remove parameters). Returns a failed TaskResult or None."""
    if not has_user_decorators(ctx.flow_cls):
        return None
    from .params_task import given_value, parameter_context

    configs = {}
    try:
        for _, param in ctx.flow_cls._get_parameters():
            if param.IS_CONFIG_PARAMETER:
                pctx = parameter_context(ctx, configs)._replace(parameter_name=param.name)
                configs[param.name] = param.value_from(given_value(param, raw)[0], pctx)
        apply_user_decorators(ctx, configs)
    except TaskFailure as e:
        return _failed(e.message, e.kind)
    except Exception as e:
        message = "Config evaluation failed before the flow's mutators could run: %s" % describe_failure(e)
        return _failed(message, "MetaflowException")
    return None


def _failed(message, kind):
    import sys

    sys.stderr.write(message + "\n")
    return result(False, exception=exception_info(kind, message), retry_allowed=False)


def with_effective_decorators(ctx, outcome):
    if ctx.flow_cls.__dict__.get("_studio_mutated"):
        outcome["effective_decorators"] = effective_decorators(ctx.graph)
    return outcome
