"""The `_parameters` task: parse the run's parameter values, store them with the class constants
and `_graph_info` (Metaflow's `_set_constants` + `persist_constants`)."""

import json
import os
import sys
from types import FunctionType, MethodType

from metaflow.config_parameters import UNPACK_KEY, ConfigValue, DelayedEvaluationConfig
from metaflow.exception import MetaflowException
from metaflow.current import current
from metaflow.includefile import IncludeFile
from metaflow.parameters import Parameter, ParameterContext, ParameterError, parameter_env_var

from .datastore import UnpicklableArtifact
from .graph import to_pod
from .storage import atomic_write, makedirs
from .task_context import TaskFailure, exception_info, new_flow, result
from .user_decorators_task import apply_user_decorators_for_params, with_effective_decorators


def write_new_file(path, data):
    makedirs(os.path.dirname(path))
    atomic_write(path, data, overwrite=False)


def given_value(param, raw):
    """(value, where it came from): the command line wins, then the environment; a None value leaves
    the default to the parameter."""
    if param.name in raw:
        return raw[param.name], None
    if param.IS_CONFIG_PARAMETER:
        return config_from_env(param)
    var = parameter_env_var(param.name)
    value = os.environ.get(var) or None
    return value, (var if value is not None else None)


def _env_json_object(var):
    text = os.environ.get(var)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ParameterError("%s must be a JSON object mapping config names to values: %s" % (var, e))
    if not isinstance(value, dict):
        raise ParameterError("%s must be a JSON object mapping config names to values (got %s)." % (var, type(value).__name__))
    return value


def config_from_env(param):
    """Metaflow's `--config NAME FILE` / `--config-value NAME VALUE` as variables: METAFLOW_FLOW_CONFIG and
    METAFLOW_FLOW_CONFIG_VALUE hold JSON objects keyed by config name."""
    values = _env_json_object("METAFLOW_FLOW_CONFIG_VALUE")
    files = _env_json_object("METAFLOW_FLOW_CONFIG")
    if param.name in values and param.name in files:
        raise ParameterError(
            "Config '%s' is given both a value (METAFLOW_FLOW_CONFIG_VALUE) and a file (METAFLOW_FLOW_CONFIG); give one."
            % param.name
        )
    if param.name in values:
        value = values[param.name]
        return (value if isinstance(value, str) else json.dumps(value)), "METAFLOW_FLOW_CONFIG_VALUE"
    if param.name in files:
        path = files[param.name]
        try:
            with open(path, "r") as f:
                return f.read(), "METAFLOW_FLOW_CONFIG"
        except OSError as e:
            raise ParameterError("Config '%s': cannot read %s (from METAFLOW_FLOW_CONFIG): %s"
                                 % (param.name, os.path.abspath(path), e.strerror))
    return None, None


def parameter_context(ctx, configs=None):
    return ParameterContext(
        flow_name=ctx.flow_name,
        user_name=ctx.user,
        parameter_name=None,
        logger=lambda *a, **k: sys.stderr.write("%s\n" % (a[0] if a else "")),
        ds_type="local",
        # A snapshot with attribute access (`ctx.configs.config2.key`), as Metaflow's context gives.
        configs=ConfigValue(dict(configs or {})),
    )


def graph_info(ctx, parameters_info, constants_info):
    graph = ctx.graph
    steps, structure = graph.output_steps()
    decos = []
    for name, items in sorted((getattr(ctx.flow_cls, "_flow_decorators", None) or {}).items()):
        for deco in items:
            decos.append({"name": name, "attributes": to_pod(deco.attributes), "statically_defined": True, "inserted_by": None})
    return {
        "file": os.path.basename(ctx.spec.get("flow_file") or ""),
        "start_step": graph.start_step,
        "end_step": graph.end_step,
        "parameters": parameters_info,
        "constants": constants_info,
        "steps": steps,
        "graph_structure": structure,
        "doc": graph.doc,
        "decorators": decos,
        "extensions": {"installed": {}},
    }


def resolve_config_values(value, configs):
    if isinstance(value, DelayedEvaluationConfig):
        return value(configs)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.startswith(UNPACK_KEY) and isinstance(v, DelayedEvaluationConfig):
                unpacked = v(configs)
                if not isinstance(unpacked, dict):
                    raise MetaflowException("**%s must be a dictionary to give a decorator's arguments, got %s"
                                            % (v, type(unpacked).__name__))
                out.update(dict((uk, resolve_config_values(uv, configs)) for uk, uv in unpacked.items()))
            else:
                out[k] = resolve_config_values(v, configs)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_config_values(v, configs) for v in value)
    return value


def resolve_decorators(ctx, configs):
    """Replace `config_expr(...)` decorator attributes by their values (the configs are known now)."""
    decos = [d for node in ctx.graph for d in node.decorators]
    for items in (getattr(ctx.flow_cls, "_flow_decorators", None) or {}).values():
        decos.extend(items)
    for deco in decos:
        deco.attributes = resolve_config_values(deco.attributes, configs)


def configs_from(ctx, param_ds):
    configs = {}
    for var, param in ctx.flow_cls._get_parameters():
        if param.IS_CONFIG_PARAMETER and var in param_ds:
            configs[param.name] = param_ds[var]
    return configs


def run_params(ctx):
    raw = ctx.spec.get("parameters") or {}
    # Like Metaflow's, the `_parameters` task records system info but no attempt status metadata.
    ctx.begin(ctx.spec.get("origin_run_id"), attempt_info=False)
    flow = new_flow(ctx)
    values = []
    parameters_info = []
    configs = {}
    failure = apply_user_decorators_for_params(ctx, raw)
    if failure is not None:
        return failure
    params = ctx.flow_cls._get_parameters()
    known = set(p.name for _, p in params)
    unknown = sorted(set(raw) - known)
    failure = None
    param = None
    try:
        if unknown:
            raise ParameterError(
                "Flow %s has no parameter named %s (its parameters: %s)."
                % (ctx.flow_name, ", ".join("'%s'" % u for u in unknown), ", ".join(sorted(known)) or "none")
            )
        # Configs first: parameter defaults may read them through the context.
        ordered = [p for p in params if p[1].IS_CONFIG_PARAMETER] + [p for p in params if not p[1].IS_CONFIG_PARAMETER]
        if ctx.project:
            # Deferred defaults may read the project, as under Metaflow (its @project is set up before them).
            current._update_env(ctx.project)
        for var, param in ordered:
            pctx = parameter_context(ctx, configs)._replace(parameter_name=param.name)
            given, env_var = given_value(param, raw)
            try:
                value = param.value_from(given, pctx)
            except ParameterError as e:
                if env_var is not None:
                    e.message = "%s (the value comes from the environment variable %s)" % (e.message.rstrip("."), env_var)
                raise
            if isinstance(param, IncludeFile) and value is not None:
                value = param.store(value, ctx.flow_name, ctx.root, write_new_file, backend=ctx.backend)
            if param.IS_CONFIG_PARAMETER:
                configs[param.name] = value
            values.append((var, value))
            parameters_info.append({"name": var, "type": type(param).__name__})
    except ParameterError as e:
        failure = TaskFailure(e.message, retry_allowed=False, kind="MetaflowException")
    except Exception as e:
        which = " of %s '%s'" % ("Config" if param.IS_CONFIG_PARAMETER else "Parameter", param.name) if param is not None else ""
        failure = TaskFailure("Parameter evaluation%s failed: %s: %s" % (which, type(e).__name__, e), retry_allowed=False)
    if failure is not None:
        sys.stderr.write("%s\n" % failure.message)
        return result(False, exception=exception_info(failure.kind, failure.message), retry_allowed=False)
    try:
        resolve_decorators(ctx, configs)
    except Exception as e:
        message = "A config_expr in a decorator could not be evaluated: %s" % e
        sys.stderr.write(message + "\n")
        return result(False, exception=exception_info("MetaflowException", message), retry_allowed=False)
    seen = set(var for var, _ in values)
    constants = []
    for var in dir(ctx.flow_cls):
        if var[0] == "_" or var in ctx.flow_cls._NON_PARAMETERS or var in seen:
            continue
        val = getattr(ctx.flow_cls, var)
        if isinstance(val, (MethodType, FunctionType, property, type, Parameter)) or getattr(val, "is_step", False):
            continue
        constants.append((var, val))
    artifacts = list(values) + constants
    artifacts += [
        ("name", ctx.flow_name),
        ("_graph_info", graph_info(ctx, parameters_info, [{"name": v, "type": type(x).__name__} for v, x in constants])),
        ("_task_ok", True),
        ("_success", True),
        ("_foreach_stack", []),
        ("_transition", None),
        ("_configs_processed", True),
    ]
    del flow
    try:
        ctx.writer.save_artifacts(artifacts)
    except UnpicklableArtifact as e:
        message = "Parameter '%s' has a value that cannot be pickled: %s" % (e.name, e.error)
        return result(False, exception=exception_info("UnpicklableArtifactException", message), retry_allowed=False)
    ctx.meta.register_metadata(
        [
            ("start_step", ctx.graph.start_step, "graph_structure", []),
            ("end_step", ctx.graph.end_step, "graph_structure", []),
        ]
    )
    ctx.writer.done()
    return with_effective_decorators(ctx, result(True, [ctx.graph.start_step]))
