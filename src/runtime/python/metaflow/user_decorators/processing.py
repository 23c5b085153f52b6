"""Applying a flow's mutators and wrapping its steps with user step decorators, in a task process.

Metaflow runs the mutators in every process that executes the flow, once the configs are known:
`pre_mutate` of each FlowMutator then of each StepMutator, then `mutate` of each. The embedded
runtime does the same in each task (the fork-server's children each mutate their own copy of the
flow class), so the decorators a task sees are the ones Metaflow would apply. A flow without user
decorators or mutators takes none of these paths.
"""

from metaflow.exception import MetaflowException

from .common import CONFIG_SCOPE
from .mutable_flow import MutableFlow
from .mutable_step import MutableStep
from .user_flow_decorator import flow_mutators
from .user_step_decorator import UserStepDecoratorBase


def step_functions(flow_cls):
    out = []
    for name in dir(flow_cls):
        if name.startswith("__"):
            continue
        func = getattr(flow_cls, name, None)
        if callable(func) and getattr(func, "is_step", False):
            out.append(func)
    return out


def has_user_decorators(flow_cls):
    if flow_mutators(flow_cls):
        return True
    return any(getattr(f, "wrappers", None) or getattr(f, "config_decorators", None) for f in step_functions(flow_cls))


class MutationProcessing(object):
    """The mutators being applied; the list is live so that a mutator added while mutators run
    also runs (as in Metaflow)."""

    def __init__(self, flow_cls):
        self.flow_cls = flow_cls
        self.flow_mutators = flow_mutators(flow_cls)

    def step_mutator_added(self, step, mutator):
        pass  # appended to the step's `config_decorators`, which the step loop walks live

    def remove_flow_mutators(self, mutators):
        self.flow_mutators[:] = [m for m in self.flow_mutators if m not in mutators]


def _inserted_by(deco):
    return [deco.decorator_name] + list(deco.inserted_by or [])


def apply_mutators(flow_cls, configs):
    """Run every flow and step mutator of `flow_cls` against the run's `configs` ({name: value});
    returns False when the flow has none (nothing was done)."""
    if flow_cls.__dict__.get("_studio_mutated") or not has_user_decorators(flow_cls):
        return False
    CONFIG_SCOPE.configs = dict(configs or {})
    state = MutationProcessing(flow_cls)
    for mutator in state.flow_mutators:
        mutator.external_init()
    index = 0
    while index < len(state.flow_mutators):
        mutator = state.flow_mutators[index]
        mutator.pre_mutate(MutableFlow(flow_cls, pre_mutate=True, statically_defined=mutator.statically_defined,
                                       inserted_by=_inserted_by(mutator), processing=state))
        index += 1
    steps = step_functions(flow_cls)
    for func in steps:
        for deco in func.config_decorators:
            deco.external_init()
    for func in steps:
        index = 0
        while index < len(func.config_decorators):
            deco = func.config_decorators[index]
            deco.pre_mutate(MutableStep(flow_cls, func, pre_mutate=True, statically_defined=deco.statically_defined,
                                        inserted_by=_inserted_by(deco), processing=state))
            index += 1
    for mutator in list(state.flow_mutators):
        mutator.mutate(MutableFlow(flow_cls, pre_mutate=False, statically_defined=mutator.statically_defined,
                                   inserted_by=_inserted_by(mutator), processing=state))
    for func in steps:
        for deco in list(func.config_decorators):
            if deco._mutate_called:
                continue
            deco._mutate_called = True
            deco.mutate(MutableStep(flow_cls, func, pre_mutate=False, statically_defined=deco.statically_defined,
                                    inserted_by=_inserted_by(deco), processing=state))
        owner = next((k for k in flow_cls.__mro__ if func.__name__ in k.__dict__), flow_cls)
        if isinstance(owner.__dict__.get(func.__name__), UserStepDecoratorBase):
            # The class attribute becomes the step function itself, as after Metaflow's processing.
            setattr(flow_cls, func.__name__, func)
    for func in steps:
        for deco in func.wrappers:
            deco.external_init()
    if "_studio_parameters" in flow_cls.__dict__:
        del flow_cls._studio_parameters
    flow_cls._studio_mutated = True
    return True


def refresh_graph_decorators(graph, flow_cls):
    """Graph nodes copy their step's decorator list when the graph is built: take the mutated one."""
    for node in graph:
        func = getattr(flow_cls, node.name, None)
        if func is not None and getattr(func, "is_step", False):
            node.decorators = list(getattr(func, "decorators", []))
            node.wrappers = list(getattr(func, "wrappers", []))
            node.config_decorators = list(getattr(func, "config_decorators", []))
            node.parallel_step = any(getattr(d, "IS_PARALLEL", False) for d in node.decorators)


def effective_decorators(graph):
    """{step: [{name, attributes}]} after mutation (what the scheduler's task policy reads)."""
    from metaflow_studio.graph import to_pod

    return dict((node.name, [{"name": d.name, "attributes": to_pod(d.attributes)} for d in node.decorators])
                for node in graph)


def describe_failure(error):
    if isinstance(error, MetaflowException):
        return "%s: %s" % (getattr(error, "headline", type(error).__name__), error)
    return "%s: %s" % (type(error).__name__, error)
