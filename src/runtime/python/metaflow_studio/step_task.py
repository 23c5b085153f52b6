"""One attempt of a step's user code (Metaflow's `MetaflowTask.run_step`): inputs opened lazily,
foreach/iteration stacks derived from them, parameters as read-only class properties, decorators
around the user code, and every attribute the step set persisted."""

import os
import sys
from types import FunctionType, MethodType

from metaflow.current import Parallel, current
from metaflow.exception import InvalidNextException, MetaflowExceptionWrapper
from metaflow.flowspec import Inputs
from metaflow.parameters import Parameter
from metaflow.plugins.catch_decorator import FailureHandledByCatch
from metaflow.plugins.timeout_decorator import StepAlarm
from metaflow.tuple_util import ForeachFrame
from metaflow.user_decorators.step_wrappers import run_with_wrappers

from .datastore import DataMissing, UnpicklableArtifact
from .params_task import configs_from, resolve_decorators
from .step_secrets import apply_secrets
from .tracebacks import user_traceback
from .task_context import MAX_FOREACH_PATH_LENGTH, TaskFailure, exception_info, new_flow, project_info, result
from .unbounded_foreach_task import control_task_metadata, is_control, mapper_count, run_control
from .user_decorators_task import apply_user_decorators


def clone_flow(ctx, reader):
    inp = ctx.flow_cls.__new__(ctx.flow_cls)
    inp.__dict__.update(_datastore=reader, _cached_input={}, _graph=ctx.graph, _steps=[])
    return inp


def install_parameters(ctx, flow, param_ds, writer, passdown):
    """Parameters and class constants become read-only properties loaded from the parameters data."""
    cls = ctx.flow_cls

    def refuse(_, __):
        raise AttributeError("Flow level attributes and Parameters are not modifiable")

    def as_property(name, getter):
        setattr(cls, name, property(fget=getter, fset=refuse))

    names = []
    param_names = []
    for var, param in cls._get_parameters():
        def getter(_, var=var, param=param):
            value = param.load_parameter(param_ds[var]) if var in param_ds else None
            as_property(var, lambda _, v=value: v)
            return value

        as_property(var, getter)
        names.append(var)
        param_names.append(var)
    for var in dir(cls):
        if var[0] == "_" or var in cls._NON_PARAMETERS or var in names:
            continue
        val = getattr(cls, var)
        if isinstance(val, (MethodType, FunctionType, property, type, Parameter)) or getattr(val, "is_step", False):
            continue
        as_property(var, lambda _, v=val: v)
        names.append(var)
    as_property("_graph_info", lambda _: param_ds["_graph_info"])
    names.append("_graph_info")
    if passdown:
        writer.passdown_partial(param_ds, names)
    return param_names


def init_foreach(ctx, flow, join_type, inputs):
    flow._foreach_var = None
    flow._foreach_num_splits = None
    step = ctx.step
    split_index = ctx.spec.get("split_index")
    parallel = ctx.spec.get("parallel")
    if step == ctx.graph.start_step:
        flow._foreach_stack = []
    elif join_type:
        def lineage(i):
            stack = i["_foreach_stack"]
            if join_type == "foreach":
                return [tuple(f) for f in stack[:-1]] + [(stack[-1].step, stack[-1].var, stack[-1].num_splits)]
            return [tuple(f) for f in stack]

        first = lineage(inputs[0])
        for i in inputs[1:]:
            if lineage(i) != first:
                raise TaskFailure(
                    "Join step *%s* got inputs whose foreach lineages do not match (%s and %s come from different "
                    "branches)." % (step, inputs[0].pathspec, i.pathspec),
                    retry_allowed=False,
                )
        for i in inputs:
            if not i.is_none("_foreach_var"):
                raise TaskFailure(
                    "Join step *%s* got the foreach split %s itself as an input; a foreach needs at least one step "
                    "between the split and the join." % (step, i.pathspec),
                    retry_allowed=False,
                )
        stack = inputs[0]["_foreach_stack"]
        if join_type == "foreach":
            expected = stack[-1].num_splits
            if expected and len(inputs) != expected:
                raise TaskFailure(
                    "Foreach join *%s* expected %d inputs (one per split) but got %d." % (step, expected, len(inputs)),
                    retry_allowed=False,
                )
            flow._foreach_stack = list(stack[:-1])
        else:
            flow._foreach_stack = list(stack)
    elif not inputs[0].is_none("_foreach_var"):
        if len(inputs) != 1:
            raise TaskFailure("Step *%s* follows a split step but got %d inputs." % (step, len(inputs)), retry_allowed=False)
        parent = inputs[0]
        if split_index is None and parallel is not None:
            split_index = parallel.get("node_index", 0)
        if split_index is None and not is_control(ctx):
            raise TaskFailure(
                "Step *%s* follows the foreach split %s but the task was given no split_index." % (step, parent.pathspec),
                retry_allowed=False,
            )
        values = None if parent.is_none("_foreach_values") else parent["_foreach_values"]
        num_splits = parent["_foreach_num_splits"]
        if values is not None and not (0 <= split_index < len(values)):
            raise TaskFailure(
                "Step *%s*: split_index %d is out of range for the foreach over *%s* (%d splits)."
                % (step, split_index, parent["_foreach_var"], len(values)),
                retry_allowed=False,
            )
        frame = ForeachFrame(step, parent["_foreach_var"], num_splits, split_index, values[split_index] if values is not None else None)
        flow._foreach_stack = list(parent["_foreach_stack"]) + [frame]
    elif "_foreach_stack" in inputs[0]:
        flow._foreach_stack = inputs[0]["_foreach_stack"]
    else:
        flow._foreach_stack = []


def init_iteration(ctx, flow, inputs):
    node = ctx.graph[ctx.step]
    if node.type == "split-switch" and ctx.step in node.out_funcs:
        if len(inputs) != 1:
            raise TaskFailure("Step *%s* is a recursive step but got %d inputs." % (ctx.step, len(inputs)), retry_allowed=False)
        inp = inputs[0]
        stack = list(inp["_iteration_stack"]) if "_iteration_stack" in inp and inp["_iteration_stack"] else []
        if stack and inp.step_name == ctx.step:
            stack[-1] += 1
        else:
            stack = [0]
        flow._iteration_stack = stack
    else:
        flow._iteration_stack = []


def foreach_metadata(ctx, stack):
    data = []
    formatted = []
    length = 0
    for frame in stack:
        if not (frame.var and frame.value):
            break
        item = "%s=%s" % (frame.var, frame.value)
        if length + len(item) > MAX_FOREACH_PATH_LENGTH:
            break
        length += len(item)
        formatted.append(item)
    if formatted:
        data.append(("foreach-stack", formatted, "foreach-stack", ctx.attempt_tags))
    path = ",".join("%s:%s" % (f.step, f.index) for f in stack)
    if path:
        data.append(("foreach-execution-path", path, "foreach-execution-path", ctx.attempt_tags))
    return data


def step_decorators(ctx):
    return list(getattr(getattr(ctx.flow_cls, ctx.step), "decorators", []))


def apply_environment(ctx, decorators):
    env = {}
    for deco in decorators:
        if deco.name == "environment":
            for key, value in (deco.attributes.get("vars") or {}).items():
                env[str(key)] = str(value)
    for key, value in (ctx.spec.get("env") or {}).items():
        env[str(key)] = str(value)
    os.environ.update(env)


def set_client_namespace(ctx):
    """The Client in a task reads the namespace of the task's identity (Metaflow's runtime passes
    `--namespace` to each task). Importing the Client costs milliseconds a task, so it is set here only
    when the flow already loaded it; `current.task`/`current.run` set it when they load it."""
    client = sys.modules.get("metaflow.client")
    if client is not None:
        client.namespace(ctx.namespace)


def step_alarm(ctx, decorators, max_retries):
    """`@timeout` is armed only while user code runs (not for @catch's fallback attempts)."""
    timeout = next((d for d in decorators if d.name == "timeout"), None)
    attributes = timeout.attributes if timeout is not None and ctx.attempt <= max_retries else {}
    return StepAlarm(ctx.step, attributes, lambda line: sys.stderr.write(line + "\n"))


def apply_parallel(ctx, flow):
    spec = ctx.spec.get("parallel")
    if not spec:
        return None
    par = Parallel(
        main_ip=spec.get("main_ip", "127.0.0.1"),
        num_nodes=int(spec.get("num_nodes", 1)),
        node_index=int(spec.get("node_index", 0)),
        control_task_id=str(spec.get("control_task_id", ctx.task_id)),
    )
    os.environ.update(
        MF_PARALLEL_MAIN_IP=par.main_ip,
        MF_PARALLEL_NUM_NODES=str(par.num_nodes),
        MF_PARALLEL_NODE_INDEX=str(par.node_index),
        MF_PARALLEL_CONTROL_TASK_ID=par.control_task_id,
    )
    current._update_env({"parallel": par, "is_parallel": True})
    data = [("parallel-world-size", par.num_nodes, "parallel-world-size", ["attempt_id:0"])]
    if par.node_index == 0:
        data.append(("internal_task_type", "control_task", "internal_task_type", ["attempt_id:0"]))
    ctx.meta.register_metadata(data)
    return par


IMMUTABLE = (bytes, str, int, float, bool, type(None), frozenset)


def persistable(flow):
    """Attributes to store. An inherited immutable value that was only read keeps its parent's sha
    (no second pickle of a large artifact); anything mutable is stored again, as Metaflow does."""
    out = []
    ephemeral = flow._EPHEMERAL
    loaded = flow.__dict__.get("_studio_loaded") or {}
    for var, val in list(flow.__dict__.items()):
        if var.startswith("__") or var in ephemeral:
            continue
        if isinstance(val, (MethodType, FunctionType, Parameter)):
            continue
        if var in loaded and loaded[var] is val and type(val) in IMMUTABLE:
            continue
        out.append((var, val))
    return out


def check_transition(ctx, flow):
    node = ctx.graph[ctx.step]
    transition = flow.__dict__.get("_transition")
    if ctx.step == ctx.graph.end_step:
        if transition is not None:
            raise TaskFailure("The end step *%s* must not call self.next()." % ctx.step, retry_allowed=False)
        return
    par = ctx.spec.get("parallel")
    if transition is None and par and int(par.get("node_index", 0)) != 0:
        # Metaflow checks the transition of the tasks its runtime schedules; the worker nodes of a
        # num_parallel fan-out are started by their control task and may return without self.next(),
        # so they follow the graph, as Metaflow's control task does for them.
        flow._transition = (list(node.out_funcs), None)
        return
    if transition is None:
        raise TaskFailure(
            "Step *%s* finished without calling self.next(); every step except the end step must end with "
            "self.next(...)." % ctx.step,
            retry_allowed=False,
        )
    targets, _ = transition
    if node.type == "split-switch":
        ok = len(targets) == 1 and targets[0] in node.out_funcs
    else:
        ok = list(targets) == list(node.out_funcs)
    if not ok:
        raise TaskFailure(
            "Step *%s* transitioned to %s, which does not match the flow's graph (%s); the last statement of the "
            "step decides its transition." % (ctx.step, ", ".join(targets) or "nothing", ", ".join(node.out_funcs)),
            retry_allowed=False,
        )


def run_step(ctx):
    spec = ctx.spec
    graph = ctx.graph
    if ctx.step not in graph:
        raise TaskFailure("Flow %s has no step named *%s*." % (ctx.flow_name, ctx.step), retry_allowed=False)
    node = graph[ctx.step]
    join_type = graph.join_type(ctx.step)
    input_paths = list(spec.get("input_paths") or [])
    if not input_paths:
        raise TaskFailure("Step *%s* was given no input paths." % ctx.step, retry_allowed=False)
    inputs = [ctx.reader(p) for p in input_paths]
    origin_run_id = spec.get("origin_run_id")
    flow = new_flow(ctx)
    flow.__dict__.update(_current_step=ctx.step, _success=False, _task_ok=None, _exception=None, _transition=None,
                         _configs_processed=True)
    metadata = []
    setup_error = None
    try:
        if join_type and join_type != "foreach":
            expected = len(graph[node.split_parents[-1]].out_funcs)
            if len(inputs) != expected:
                raise TaskFailure(
                    "Join *%s* expected %d inputs (one per branch of *%s*) but got %d: %s."
                    % (ctx.step, expected, node.split_parents[-1], len(inputs), ", ".join(input_paths)),
                    retry_allowed=False,
                )
        if not join_type and len(inputs) > 1:
            raise TaskFailure(
                "Step *%s* is not a join step but got %d inputs: %s." % (ctx.step, len(inputs), ", ".join(input_paths)),
                retry_allowed=False,
            )
        init_foreach(ctx, flow, join_type, inputs)
        init_iteration(ctx, flow, inputs)
        metadata = foreach_metadata(ctx, flow._foreach_stack) + control_task_metadata(ctx)
    except DataMissing as e:
        setup_error = TaskFailure("Step *%s*: %s" % (ctx.step, e))
    except TaskFailure as e:
        setup_error = e
    ctx.begin(origin_run_id, metadata)
    if setup_error is not None:
        finish_failed_setup(ctx, setup_error)
        raise setup_error

    # Mutators run before parameters are installed: they may add or remove parameters.
    configs = configs_from(ctx, inputs[0])
    try:
        apply_user_decorators(ctx, configs)
    except TaskFailure as e:
        finish_failed_setup(ctx, e)
        raise

    writer = ctx.writer
    if join_type:
        input_obj = Inputs(clone_flow(ctx, r) for r in inputs)
        flow._set_datastore(writer)
        param_names = install_parameters(ctx, flow, inputs[0], writer, passdown=True)
    else:
        flow._set_datastore(inputs[0])
        param_names = install_parameters(ctx, flow, inputs[0], writer, passdown=False)

    current._set_env(
        flow=flow, run_id=ctx.run_id, step_name=ctx.step, task_id=ctx.task_id, retry_count=ctx.attempt,
        origin_run_id=origin_run_id, namespace=ctx.namespace, username=ctx.user, is_running=True,
        tags=ctx.tags,
    )
    current._update_env({"parameter_names": param_names, "graph_info": None, "datastore_root": ctx.root})
    set_client_namespace(ctx)
    if ctx.project:
        current._update_env(ctx.project)
    writer.save_metadata(
        "task_begin",
        {
            "code_package_metadata": os.environ.get("METAFLOW_CODE_METADATA", ""),
            "code_package_sha": os.environ.get("METAFLOW_CODE_SHA"),
            "code_package_ds": os.environ.get("METAFLOW_CODE_DS"),
            "code_package_url": os.environ.get("METAFLOW_CODE_URL"),
            "retry_count": ctx.attempt,
        },
    )
    resolve_decorators(ctx, configs)
    if ctx.project is None:
        # A @project named by a config is known only now.
        try:
            ctx.project = project_info(ctx.flow_cls, ctx.flow_name, ctx.user)
        except TaskFailure as e:
            finish_failed_setup(ctx, e)
            raise
        if ctx.project:
            current._update_env(ctx.project)
    decorators = step_decorators(ctx)
    # Metaflow starts the task process with @environment's variables: the cards set up below read them too.
    apply_environment(ctx, decorators)
    cards = None
    card_decorators = [d for d in decorators if d.name == "card"]
    if card_decorators:
        from .cards_task import start_cards

        cards = start_cards(ctx, card_decorators, param_names)
    max_retries = int(spec.get("max_user_code_retries", 0))
    catch = next((d for d in decorators if d.name == "catch"), None)
    step_func = getattr(flow, ctx.step)
    outcome = None
    retry_allowed = True
    try:
        apply_secrets(decorators)
        apply_parallel(ctx, flow)
        if catch is not None and ctx.attempt > max_retries:
            raise FailureHandledByCatch(ctx.attempt)
        with step_alarm(ctx, decorators, max_retries):
            if is_control(ctx):
                run_control(ctx, flow, node, decorators)
            else:
                run_with_wrappers(flow, ctx.step, step_func, input_obj if join_type else None)
        check_transition(ctx, flow)
        if catch is not None and catch.attributes.get("var"):
            setattr(flow, catch.attributes["var"], None)
        flow._task_ok = True
        flow._success = True
    except Exception as ex:
        tb = user_traceback(ex)
        if isinstance(ex, TaskFailure):
            retry_allowed = ex.retry_allowed
            kind, message = ex.kind, ex.message
        else:
            kind, message = "%s.%s" % (type(ex).__module__, type(ex).__name__), str(ex)
            if isinstance(ex, InvalidNextException):
                retry_allowed = False
        handled = False
        if catch is not None and ctx.attempt >= max_retries and not isinstance(ex, TaskFailure):
            handled = True
            if catch.attributes.get("print_exception", True):
                sys.stdout.write("@catch caught an exception from %s\n" % flow)
                for line in tb.splitlines():
                    sys.stdout.write(">  %s\n" % line)
            flow._transition = (list(node.out_funcs), None)
            wrapper = MetaflowExceptionWrapper(ex)
            flow._catch_exception = wrapper
            if catch.attributes.get("var"):
                setattr(flow, catch.attributes["var"], wrapper)
        if handled:
            flow._task_ok = True
        else:
            flow._task_ok = False
            flow._exception = MetaflowExceptionWrapper(ex)
            sys.stderr.write(tb if not isinstance(ex, TaskFailure) else message + "\n")
            sys.stderr.write("%s failed.\n" % flow)
            outcome = result(False, exception=exception_info(kind, message, tb), retry_allowed=retry_allowed)
    finally:
        par = ctx.spec.get("parallel")
        if par and int(par.get("node_index", 0)) == 0:
            flow._control_mapper_tasks = list(par.get("mapper_tasks") or [])
            flow._control_task_is_mapper_zero = True
        persist_error = None
        try:
            if not join_type:
                writer.inherit_all(inputs[0])
            writer.save_artifacts(persistable(flow))
        except UnpicklableArtifact as e:
            flow._task_ok = False
            persist_error = (
                "Step *%s*: artifact '%s' cannot be pickled, so it cannot be stored (%s: %s). Store a picklable "
                "value instead (plain data, or the object's state)." % (ctx.step, e.name, type(e.error).__name__, e.error)
            )
            writer.save_artifacts([("_task_ok", False), ("_success", False)])
        ctx.meta.register_metadata([("attempt_ok", str(bool(flow._task_ok)), "internal_attempt_status", ctx.attempt_tags)])
        writer.save_metadata("task_end", {})
        writer.done()
    if cards is not None:
        cards.finish(persist_error is None and outcome is None and bool(flow._task_ok))
    if persist_error is not None:
        sys.stderr.write(persist_error + "\n")
        return result(False, exception=exception_info("UnpicklableArtifactException", persist_error), retry_allowed=False)
    if outcome is not None:
        return outcome
    return describe_transition(flow.__dict__, node, ctx)


def finish_failed_setup(ctx, error):
    """The runtime refused the task before user code ran: record a finished, failed attempt so
    readers see the failure instead of an attempt that never ends."""
    writer = ctx.writer
    try:
        raise error
    except TaskFailure as e:
        wrapper = MetaflowExceptionWrapper(e)
    writer.save_artifacts(
        [("name", ctx.flow_name), ("_current_step", ctx.step), ("_task_ok", False), ("_success", False),
         ("_exception", wrapper), ("_transition", None)]
    )
    ctx.meta.register_metadata([("attempt_ok", "False", "internal_attempt_status", ctx.attempt_tags)])
    writer.save_metadata("task_end", {})
    writer.done()


def describe_transition(values, node, ctx):
    transition = values.get("_transition")
    if transition is None:
        return result(True, [])
    targets, foreach_var = transition
    mappers = mapper_count(ctx, values)
    if mappers is not None:
        return result(True, targets, num_splits=mappers)
    num_splits = values.get("_foreach_num_splits")
    unbounded = None
    if values.get("_unbounded_foreach") and "_parallel_ubf_iter" in values:
        num_splits = values["_parallel_ubf_iter"].num_parallel
    elif foreach_var and num_splits is None and values.get("_unbounded_foreach"):
        unbounded = True
    switch_value = values.get("_studio_switch_value") if node.type == "split-switch" else None
    return result(True, targets, foreach_var=foreach_var, num_splits=num_splits if foreach_var else None, switch_value=switch_value,
                  unbounded_foreach=unbounded)
