"""Resume: copy a successful task of the origin run into the new run (no user code runs)."""

import os

from .datastore import DataMissing
from .step_task import describe_transition
from .storage import read_json
from .task_context import TaskFailure, result
from .unbounded_foreach_task import control_task_metadata


def run_clone(ctx):
    origin = ctx.spec.get("clone_from")
    if not origin:
        raise TaskFailure("A clone task needs clone_from (the origin task's run/step/task).", retry_allowed=False)
    try:
        source = ctx.reader(origin)
        source.objects
    except DataMissing as e:
        raise TaskFailure("Cannot clone %s: %s" % (origin, e), retry_allowed=False)
    origin_run, _, origin_task = origin.split("/")[:3]
    extra = [("origin-task-id", str(origin_task), "origin-task-id", ctx.attempt_tags)]
    for field in ("foreach-stack", "foreach-execution-path"):
        value = origin_metadata(source, field)
        if value is not None:
            extra.append((field, value, field, ctx.attempt_tags))
    extra += control_task_metadata(ctx)
    is_params = ctx.step == "_parameters"
    ctx.begin(ctx.spec.get("origin_run_id") or origin_run, extra, attempt_info=not is_params)
    writer = ctx.writer
    writer.inherit_all(source)
    if is_params:
        ctx.meta.register_metadata([
            ("start_step", ctx.graph.start_step, "graph_structure", []),
            ("end_step", ctx.graph.end_step, "graph_structure", []),
        ])
    else:
        ctx.meta.register_metadata([("attempt_ok", "True", "internal_attempt_status", ctx.attempt_tags)])
    writer.done()
    if is_params:
        return result(True, [ctx.graph.start_step], effective_decorators=origin_effective_decorators(ctx, source))
    node = ctx.graph[ctx.step] if ctx.step in ctx.graph else None
    values = {}
    for name in ("_transition", "_foreach_num_splits", "_unbounded_foreach", "_parallel_ubf_iter"):
        if name in source:
            values[name] = source[name]
    if node is not None and node.type == "split-switch" and values.get("_transition"):
        condition = source.get(node.condition)
        if condition is not None:
            values["_studio_switch_value"] = str(condition)
    if node is None:
        return result(True, (values.get("_transition") or ([], None))[0])
    return describe_transition(values, node, ctx)


def origin_effective_decorators(ctx, source):
    """A resumed run keeps the decorators the origin's mutators gave each step: its `_graph_info` lists
    them, so the scheduler's policies (@retry, @catch, @timeout) stay those of the origin run."""
    from metaflow.user_decorators.processing import has_user_decorators

    if not has_user_decorators(ctx.flow_cls) or "_graph_info" not in source:
        return None
    steps = (source["_graph_info"] or {}).get("steps") or {}
    return dict((name, [{"name": d["name"], "attributes": d.get("attributes") or {}} for d in info.get("decorators") or []])
                for name, info in steps.items())


def origin_metadata(reader, field):
    meta_dir = os.path.join(reader.path, "_meta")
    try:
        names = sorted(n for n in os.listdir(meta_dir) if n.startswith("sysmeta_%s_" % field))
    except FileNotFoundError:
        return None
    if not names:
        return None
    try:
        return read_json(os.path.join(meta_dir, names[-1])).get("value")
    except (OSError, ValueError):
        return None

