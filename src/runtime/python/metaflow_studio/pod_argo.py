"""The pod bootstrap's `argo` mode: one step of a deployed Argo workflow (src/kube/podContract.ts).

Argo gives the pod only what its template can compute: the workflow's creation timestamp, the upstream
tasks' output parameters and, in a foreach join, the split's task path and cardinality. From these the
step's task id is derived deterministically (so a join can name every body task without fan-in outputs),
the input paths are resolved, the run's `_parameters` task is made by the start step, the step runs with
the same task runner as the `task` mode, and the output parameters the next templates read are written
as files into `--outputs` (an emptyDir the Argo executor reads).
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import zlib

# Output file names: podContract.ts ARGO_OUTPUT_FILES.
OUT_TASK_ID = "task_id"
OUT_SPLITS = "splits"
OUT_SPLIT_CARDINALITY = "split_cardinality"
OUT_SWITCH_STEP = "switch_step"


# Task metadata Metaflow's Argo decorator registers from the container's environment (reference §5.2).
ARGO_METADATA_ENV = (
    ("argo-workflow-template", "ARGO_WORKFLOW_TEMPLATE"),
    ("argo-workflow-name", "ARGO_WORKFLOW_NAME"),
    ("argo-workflow-namespace", "ARGO_WORKFLOW_NAMESPACE"),
    ("argo-workflow-template-owner", "METAFLOW_OWNER"),
)


class ArgoModeError(Exception):
    """The pod was started with arguments or an environment the argo mode cannot work with."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ArgoModeError("argo mode: %s (arguments: %s)" % (message, " ".join(self._seen)))


def parse_args(argv):
    parser = _Parser(prog="pod_bootstrap argo", add_help=False)
    parser._seen = list(argv)
    parser.add_argument("--step", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--creation-timestamp", required=True)
    parser.add_argument("--input-paths", default="")
    parser.add_argument("--split-index")
    parser.add_argument("--root-input-path")
    parser.add_argument("--split-cardinality")
    parser.add_argument("--retry-count", default="0")
    parser.add_argument("--max-user-code-retries", required=True)
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--tag", action="append", default=[])
    parser.add_argument("--outputs", required=True)
    args = parser.parse_args(argv)
    args.retry_count = _int_arg("--retry-count", args.retry_count)
    args.max_user_code_retries = _int_arg("--max-user-code-retries", args.max_user_code_retries)
    if args.split_index is not None:
        args.split_index = _int_arg("--split-index", args.split_index)
    if args.split_cardinality is not None:
        args.split_cardinality = _int_arg("--split-cardinality", args.split_cardinality)
    return args


def _int_arg(name, value):
    try:
        return int(value)
    except (TypeError, ValueError):
        # An unresolved `{{...}}` lands here when a template references a value Argo did not provide.
        raise ArgoModeError("argo mode: %s must be an integer, got %r." % (name, value))


def task_id(step, timestamp, input_paths, split_index=None):
    """Metaflow's deterministic Argo task id: the container hashes `<step>-<timestamp>-<inputs>-<index>`
    with `echo | md5sum`, hence the newline; the id is `t-` + the digest's last 8 hex digits (never numeric)."""
    text = "%s-%s-%s-%s\n" % (step, timestamp, input_paths, "" if split_index is None else split_index)
    return "t-" + hashlib.md5(text.encode("utf-8")).hexdigest()[-8:]


def decompress_paths(text):
    """The forms of Metaflow's `compress_list`: `a,b`; `prefix:s1,s2` (common prefix); `!` + base64 of
    zlib(zlib(text)) for long lists."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("!"):
        text = zlib.decompress(zlib.decompress(base64.b64decode(text[1:]))).decode("utf-8")
    if ":" in text:
        prefix, rest = text.split(":", 1)
        return [prefix + part for part in rest.split(",")]
    return text.split(",")


def maybe_base64(text):
    """Conditional merges may carry their input paths base64'd (unresolved template text kept out of
    the environment); a pathspec always holds a `/`, base64 never does after decoding garbage."""
    if "/" in text or not text:
        return text
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return text
    return decoded if "/" in decoded else text


def foreach_join_paths(body_step, timestamp, split_path, cardinality):
    """Every task of the foreach body's last step, regenerated from the ids its tasks derived."""
    run_id = split_path.split("/")[0]
    return ["%s/%s/%s" % (run_id, body_step, task_id(body_step, timestamp, split_path, i)) for i in range(cardinality)]


def _step_of(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 1 else None


def merge_paths(paths, skippable_steps):
    """Input paths of a step after switch branches: paths of tasks that never ran still hold their
    unresolved `{{...}}` reference and are dropped. A switch that skipped straight here counts only when
    no branch task ran; among several, the latest switch in the DAG wins (`skippable_steps` comes in
    reverse DAG order)."""
    ran = [p for p in paths if "{{" not in p]
    skippable = set(skippable_steps)
    from_branches = [p for p in ran if _step_of(p) not in skippable]
    if from_branches:
        return from_branches
    by_step = {}
    for p in ran:
        by_step.setdefault(_step_of(p), p)
    latest = [by_step[s] for s in skippable_steps if s in by_step][:1]
    return latest or ran[:1]


def skippable_steps(graph, step):
    """The switch steps feeding `step`, latest in DAG order first."""
    order = dict((name, i) for i, name in enumerate(graph.sorted_nodes))
    switches = [s for s in graph[step].in_funcs if graph[s].type == "split-switch"]
    return sorted(switches, key=lambda s: order.get(s, -1), reverse=True)


def is_foreach_join(graph, step):
    node = graph[step]
    return node.type == "join" and bool(node.split_parents) and graph[node.split_parents[-1]].type == "foreach"


def resolve_input_paths(graph, args):
    """The step's parent task pathspecs from what the template passed."""
    step = args.step
    if step == graph.start_step:
        return []
    raw = maybe_base64(args.input_paths.strip())
    if is_foreach_join(graph, step):
        if args.split_cardinality is None:
            raise ArgoModeError("argo mode: the foreach join %s needs --split-cardinality." % step)
        body = [s for s in graph[step].in_funcs if graph[s].is_inside_foreach]
        if len(body) != 1:
            raise ArgoModeError("argo mode: the foreach join %s must have one body step before it (found %s)."
                                % (step, ", ".join(sorted(graph[step].in_funcs)) or "none"))
        split_paths = decompress_paths(raw)
        if len(split_paths) != 1:
            raise ArgoModeError("argo mode: the foreach join %s takes the split task's path as --input-paths, got %r."
                                % (step, args.input_paths))
        return foreach_join_paths(body[0], args.creation_timestamp, split_paths[0], args.split_cardinality)
    paths = merge_paths(decompress_paths(raw), skippable_steps(graph, step))
    if not paths:
        raise ArgoModeError("argo mode: no upstream task of %s ran (input paths %r)." % (step, args.input_paths))
    return paths


def step_task_id(graph, args):
    """Steps leading into a foreach join hash the root input path (the split's task) and the split index,
    so the join can regenerate their ids; every other step hashes its input paths as passed."""
    if args.step == graph.start_step:
        return task_id(args.step, args.creation_timestamp, "", None)
    hashed = args.root_input_path if args.root_input_path else args.input_paths
    return task_id(args.step, args.creation_timestamp, hashed, args.split_index)


def parameter_values(pairs):
    """`--param NAME=VALUE` with VALUE as Argo passes a workflow parameter (JSON-encoded): a JSON string
    becomes its text, any other JSON its text form, anything not JSON stays as given; null means "not
    given" (the default applies)."""
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise ArgoModeError("argo mode: --param takes NAME=VALUE, got %r." % pair)
        name, text = pair.split("=", 1)
        try:
            value = json.loads(text)
        except ValueError:
            values[name] = text
            continue
        if value is None:
            continue
        values[name] = value if isinstance(value, str) else json.dumps(value)
    return values


def execution_triggers(environ):
    """The events that triggered this run, as Metaflow lists them in `execution-triggers`."""
    from .argo_events import triggers_from_environ

    return triggers_from_environ(environ)


def check_argo_environment(environ):
    missing = [var for _, var in ARGO_METADATA_ENV if not environ.get(var)]
    if missing:
        raise ArgoModeError("argo mode: %s not set in the pod; the WorkflowTemplate's containers set them "
                            "(redeploy the flow)." % ", ".join(missing))


def argo_metadata(environ, is_start, attempt):
    """(field, value, type, tags) of the step task's Argo metadata; `execution-triggers` only on start."""
    tags = ["attempt_id:%d" % attempt]
    data = []
    triggers = execution_triggers(environ)
    if triggers and is_start:
        data.append(("execution-triggers", json.dumps(triggers)))
    data += [(field, environ[var]) for field, var in ARGO_METADATA_ENV]
    data.append(("auto-emit-argo-events", auto_emit_flag(environ)))
    return [(field, value, field, tags) for field, value in data]


def auto_emit_flag(environ):
    """`auto-emit-argo-events` as Metaflow records it: the decorator attribute its compiler sets, 1 or 0."""
    from .argo_events import auto_emit_enabled

    return 1 if auto_emit_enabled(environ) else 0


def publish_step_events(loaded, args, tid, environ):
    """Metaflow's events for the succeeded step (argo_events.emit_step_events); never fails the step."""
    from .argo_events import emit_step_events
    from .task_context import project_info

    try:
        project = project_info(loaded.flow_cls, loaded.graph.name, environ.get("METAFLOW_USER") or "argo-workflows")
    except Exception as e:
        sys.stderr.write("Unable to publish Argo Events for step %s: its @project names are not known: %s\n" % (args.step, e))
        return []
    return emit_step_events(loaded.graph.name, args.run_id, args.step, tid, loaded.graph.end_step, project, environ)


def write_outputs(directory, node, tid, result):
    """The output parameters of a succeeded step, as Metaflow's argo decorator writes them."""
    os.makedirs(directory, exist_ok=True)

    def put(name, text):
        tmp = os.path.join(directory, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(directory, name))

    if node.type == "foreach":
        splits = int(result.get("num_splits") or 0)
        put(OUT_SPLITS, json.dumps(list(range(splits))))
        put(OUT_SPLIT_CARDINALITY, json.dumps(splits))
    if node.type == "split-switch":
        chosen = (result.get("next") or [None])[0]
        if not chosen:
            raise ArgoModeError("argo mode: the switch step %s reported no chosen branch." % node.name)
        put(OUT_SWITCH_STEP, chosen)
    put(OUT_TASK_ID, tid)


def datastore_from_env(environ):
    """The run's datastore: pods of a deployed flow always write to the cloud datastore."""
    kind = environ.get("METAFLOW_DEFAULT_DATASTORE", "")
    if kind != "azure":
        raise ArgoModeError(
            "argo mode: METAFLOW_DEFAULT_DATASTORE is %r; a deployed flow needs the azure datastore." % kind)
    sysroot = environ.get("METAFLOW_DATASTORE_SYSROOT_AZURE")
    if not sysroot:
        raise ArgoModeError("argo mode: METAFLOW_DATASTORE_SYSROOT_AZURE is not set in the pod.")
    return {"type": "azure", "sysroot": sysroot, "endpoint": environ.get("METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT")}


def find_flow_file(package_dir, flow_name, environ):
    """The flow's file in the unpacked package: METAFLOW_FLOW_FILENAME when the template sets it, else the
    one top-level file that defines `class <flow_name>(`."""
    named = environ.get("METAFLOW_FLOW_FILENAME")
    if named:
        path = os.path.join(package_dir, named)
        if not os.path.isfile(path):
            raise ArgoModeError("argo mode: METAFLOW_FLOW_FILENAME=%s is not in the code package." % named)
        return path
    needle = "class %s(" % flow_name
    found = []
    for name in sorted(os.listdir(package_dir)):
        path = os.path.join(package_dir, name)
        if name.endswith(".py") and os.path.isfile(path):
            with open(path, "r", encoding="utf-8", errors="replace") as f:
                if needle in f.read():
                    found.append(name)
    if len(found) != 1:
        raise ArgoModeError(
            "argo mode: cannot tell which file of the code package defines %s (%s); set METAFLOW_FLOW_FILENAME."
            % (flow_name, ", ".join(found) if found else "none does"))
    return os.path.join(package_dir, found[0])


def base_spec(args, flow_file, flow_name, environ, datastore):
    return {
        "flow_file": flow_file,
        "flow_name": flow_name,
        "run_id": args.run_id,
        "attempt": args.retry_count,
        "max_user_code_retries": args.max_user_code_retries,
        "user_name": environ.get("METAFLOW_USER") or "argo-workflows",
        "tags": list(args.tag),
        "datastore": datastore,
    }


def params_task_exists(backend, flow_name, run_id, params_id):
    from .datastore import latest_done_attempt_of

    return latest_done_attempt_of(backend.task_files(flow_name, run_id, "_parameters", params_id).names()) is not None


def plan_tasks(args, graph, base, tid):
    """The TaskSpecs this pod runs: the step's, preceded by the run's `_parameters` task for start."""
    step_spec = dict(base, kind="step", step=args.step, task_id=tid, input_paths=resolve_input_paths(graph, args))
    if args.split_index is not None and any(graph[p].type == "foreach" for p in graph[args.step].in_funcs):
        step_spec["split_index"] = args.split_index
    if args.step != graph.start_step:
        return None, step_spec
    params_id = "%s-params" % tid
    params_spec = dict(base, kind="params", step="_parameters", task_id=params_id, attempt=0, input_paths=[],
                       parameters=parameter_values(args.param))
    step_spec["input_paths"] = ["%s/_parameters/%s" % (args.run_id, params_id)]
    return params_spec, step_spec


def run_step(argv, run_spec, package_dir, environ=None):
    """Run the step; returns (exit code, TaskResult). `run_spec(spec, metadata=())` is the task mode's runner
    (it runs a TaskSpec in this pod with logs and metadata handled as for any pod task, adding `metadata` to
    the task's) and returns its TaskResult;
    `package_dir` is where the loader unpacked the code package."""
    from .flowloader import load_flow
    from .azure_datastore import open_backend
    from .argo_events import install_trigger

    environ = os.environ if environ is None else environ
    args = parse_args(argv)
    flow_name = environ.get("METAFLOW_FLOW_NAME")
    if not flow_name:
        raise ArgoModeError("argo mode: METAFLOW_FLOW_NAME is not set in the pod.")
    flow_file = find_flow_file(package_dir, flow_name, environ)
    loaded = load_flow(flow_file, flow_name)
    graph = loaded.graph
    if args.step not in graph:
        raise ArgoModeError("argo mode: flow %s has no step named %s." % (flow_name, args.step))
    datastore = datastore_from_env(environ)
    check_argo_environment(environ)
    tid = step_task_id(graph, args)
    base = base_spec(args, flow_file, flow_name, environ, datastore)
    params_spec, step_spec = plan_tasks(args, graph, base, tid)
    # A retried start step must not make a second `_parameters` task.
    if params_spec is not None and not params_task_exists(open_backend(datastore), flow_name, args.run_id, params_spec["task_id"]):
        result = run_spec(params_spec)
        if not result.get("ok"):
            return 1, result
    install_trigger(environ)
    result = run_spec(step_spec, argo_metadata(environ, args.step == graph.start_step, args.retry_count))
    if not result.get("ok"):
        return 1, result
    write_outputs(args.outputs, graph[args.step], tid, result)
    publish_step_events(loaded, args, tid, environ)
    return 0, result


def pod_runner(datastore_root, environ):
    """The task mode's runner (pod_bootstrap.run_attempt + finish): logs to the container and the datastore,
    metadata synced to the datastore. Returns run_spec(spec) -> (TaskResult, termination message)."""
    from .pod_bootstrap import PodRelay, finish, record_metadata, run_attempt

    out_fd, err_fd = os.dup(1), os.dup(2)
    messages = []

    def run_spec(spec, metadata=()):
        relay = PodRelay(out_fd, err_fd)
        spec = dict(spec, datastore_root=datastore_root)
        result = run_attempt(spec, relay)
        record_metadata(spec, list(metadata))
        message, result = finish(spec, result, relay, environ)
        messages.append(message)
        return result

    return run_spec, messages


def run_argo_mode(argv, environ=None):
    """The bootstrap's `argo` mode (pod_bootstrap.MODES): exit code 0 when the step succeeded; the last
    task's result (or the reason the pod could not run it) goes to the termination message."""
    from .pod_bootstrap import BootstrapError, _crash_result, _trimmed_traceback
    from .pod_loader import CODE_DIR, ENV_EXTRACTED_ROOT, fitted_failure_message, write_termination_message

    environ = os.environ if environ is None else environ
    base = os.getcwd()
    code_dir = environ.get(ENV_EXTRACTED_ROOT) or os.path.join(base, CODE_DIR)
    datastore_root = os.path.join(base, ".metaflow")
    os.makedirs(datastore_root, exist_ok=True)
    run_spec, messages = pod_runner(datastore_root, environ)
    try:
        code, _ = run_step(argv, run_spec, code_dir, environ)
    except (ArgoModeError, BootstrapError) as e:
        text = str(e)
        sys.stderr.write("metaflow-studio: %s\n" % text)
        write_termination_message(fitted_failure_message(_crash_result("BootstrapError", text, "", False)))
        return 2 if isinstance(e, ArgoModeError) else 1
    except Exception as e:
        tb = _trimmed_traceback(e)
        sys.stderr.write(tb)
        write_termination_message(fitted_failure_message(_crash_result(type(e).__name__, str(e) or type(e).__name__, tb, True)))
        return 1
    if messages:
        write_termination_message(messages[-1])
    return code
