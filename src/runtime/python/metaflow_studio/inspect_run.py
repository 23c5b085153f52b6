"""What the scheduler and the `dump` command read from a run, without importing user code.

Resume and spin need each task's attempt, success, foreach/loop position and transition, and `dump`
needs artifact values: all of them live in pickled artifacts, so they are read here, in Python, and
handed back as JSON on stdout. Classes a run pickled that cannot be imported here (a user's own
classes) load as placeholders instead of failing the whole read.

    python3 -m metaflow_studio.inspect_run scan ROOT FLOW RUN_ID
    python3 -m metaflow_studio.inspect_run dump REQUEST_JSON|-     (- reads the request from stdin)
    python3 -m metaflow_studio.inspect_run logs REQUEST_JSON|-
"""

import collections
import io
import json
import os
import pickle
import sys

from .azure_datastore import TaskLocator
from .datastore import MAX_ATTEMPTS, LocalTaskFiles, latest_done_attempt_of
from .storage import ContentStore

ForeachFrame = collections.namedtuple("ForeachFrame", ["step", "var", "num_splits", "index", "value"])


def _placeholder(module, name):
    class Unavailable(object):
        def __init__(self, *args, **kwargs):
            pass

        def __setstate__(self, state):
            pass

        def __repr__(self):
            return "<%s.%s object: its class cannot be imported here>" % (module, name)

    return Unavailable


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "ForeachFrame":
            return ForeachFrame
        try:
            return pickle.Unpickler.find_class(self, module, name)
        except Exception:
            return _placeholder(module, name)


class _Artifacts(object):
    """Artifacts of one flow's content store, each unpickled at most once."""

    def __init__(self, root, flow):
        self._root = root
        self._flow = flow
        self._locator = TaskLocator()
        self._local = ContentStore(root, flow)
        self._values = {}

    def task(self, task_dir):
        """(attempt files, artifact loader) of a task, in its folder or, for Azure runs, in Blob."""
        parts = os.path.normpath(task_dir).split(os.sep)
        backend = self._locator.backend_for(task_dir)
        if backend is None:
            return LocalTaskFiles(task_dir), _Loader(self._local, self._values)
        return backend.task_files(self._flow, parts[-3], parts[-2], parts[-1]), _Loader(backend.content_store(self._flow), self._values)


class _Loader(object):
    def __init__(self, store, values):
        self._store = store
        self._values = values

    def load(self, sha):
        if sha not in self._values:
            self._values[sha] = _Unpickler(io.BytesIO(self._store.load_blob(sha))).load()
        return self._values[sha]


def _read_objects(files, attempt):
    data = files.read_json("%d.data.json" % attempt) or {}
    return data.get("objects", {}), data.get("info", {})


def _newest_started_attempt(names):
    started = [int(n.split(".", 1)[0]) for n in names if n.endswith(".attempt.json") and n.split(".", 1)[0].isdigit()]
    started = [a for a in started if a < MAX_ATTEMPTS]
    return max(started) if started else None


def _scan_task(store, step, task_id, task_dir):
    files, artifacts = store.task(task_dir)
    names = files.names()
    attempt = _newest_started_attempt(names)
    if attempt is None:
        return None
    record = {"step": step, "task_id": task_id, "attempt": attempt, "done": False, "ok": False, "foreach": [],
              "iteration": [], "next": [], "foreach_var": None, "num_splits": None}
    if latest_done_attempt_of(names) != attempt:
        return record
    record["done"] = True
    try:
        objects, _ = _read_objects(files, attempt)

        def get(name, default=None):
            sha = objects.get(name)
            return artifacts.load(sha) if sha else default

        record["ok"] = bool(get("_task_ok", False))
        record["foreach"] = [getattr(frame, "index", None) for frame in (get("_foreach_stack", []) or [])]
        record["iteration"] = [int(i) for i in (get("_iteration_stack", []) or [])]
        transition = get("_transition")
        if transition:
            record["next"] = list(transition[0] or [])
            record["foreach_var"] = transition[1] if len(transition) > 1 else None
        if record["foreach_var"]:
            splits = get("_foreach_num_splits")
            if splits is None and get("_unbounded_foreach"):
                # num_parallel leaves _foreach_num_splits unset; its width is on the ParallelUBF.
                splits = getattr(get("_parallel_ubf_iter"), "num_parallel", None)
            record["num_splits"] = int(splits) if splits is not None else None
            if splits is None and get("_unbounded_foreach"):
                record["unbounded_foreach"] = True
        elif get("_control_mapper_tasks") and not get("_control_task_is_mapper_zero"):
            # An unbounded foreach's control task: a resumed run starts (clones) as many mapper tasks.
            record["num_splits"] = len(get("_control_mapper_tasks"))
    except Exception as error:
        record["ok"] = False
        record["error"] = "%s: %s" % (type(error).__name__, error)
    return record


def scan(root, flow, run_id):
    """Every task of a run that started, finished or not, in step and task-id order."""
    artifacts = _Artifacts(root, flow)
    run_dir = os.path.join(root, flow, run_id)
    out = []
    for step in sorted(os.listdir(run_dir)):
        step_dir = os.path.join(run_dir, step)
        if step == "_meta" or not os.path.isdir(step_dir):
            continue
        for task_id in sorted(os.listdir(step_dir)):
            task_dir = os.path.join(step_dir, task_id)
            if task_id != "_meta" and os.path.isdir(task_dir):
                record = _scan_task(artifacts, step, task_id, task_dir)
                if record is not None:
                    out.append(record)
    return out


def dump(request):
    """Artifact names, types, sizes and (up to `max_value_size` characters of) values of some tasks."""
    artifacts = _Artifacts(request["root"], request["flow"])
    limit, include, private = request["max_value_size"], request.get("include"), request.get("private")
    out = []
    for task in request["tasks"]:
        record = {"path": task["path"], "attempt": None, "artifacts": []}
        files, loader = artifacts.task(task["dir"])
        attempt = latest_done_attempt_of(files.names())
        if attempt is None:
            record["error"] = "the task has no finished attempt (no DONE.lock), so it has no artifacts"
            out.append(record)
            continue
        record["attempt"] = attempt
        objects, info = _read_objects(files, attempt)
        for name in sorted(objects):
            if (include and name not in include) or (not private and not include and name.startswith("_")):
                continue
            meta = info.get(name, {})
            entry = {"name": name, "type": meta.get("type", "?"), "size": meta.get("size", 0)}
            if limit > 0:
                try:
                    text = repr(loader.load(objects[name]))
                    entry["value"] = text[:limit] + "..." if len(text) > limit else text
                except Exception as error:
                    entry["error"] = "cannot unpickle: %s: %s" % (type(error).__name__, error)
            record["artifacts"].append(entry)
        out.append(record)
    return out


_LOG_SOURCES = ("runtime_%s.log", "task_%s.log", "%s.log")
_STARTED_MARKS = ("attempt.json", "data.json", "runtime_stdout.log", "task_stdout.log", "runtime")


def _newest_attempt_with_files(names):
    """The newest attempt any file was written for (a task that failed to start still has runtime logs)."""
    found = []
    for name in names:
        head, _, tail = name.partition(".")
        if head.isdigit() and int(head) < MAX_ATTEMPTS and tail in _STARTED_MARKS:
            found.append(int(head))
    return max(found) if found else None


def logs(request):
    """The persisted log files of some tasks, read where each task's data lives (its folder, or Blob for
    Azure runs): `{path, attempt, sources: {stream: [text, ...]}}`; the caller merges them by timestamp."""
    artifacts = _Artifacts(request["root"], request["flow"])
    streams, wanted = request["streams"], request.get("attempt")
    out = []
    for task in request["tasks"]:
        files, _ = artifacts.task(task["dir"])
        names = set(files.names())
        attempt = wanted if wanted is not None else _newest_attempt_with_files(names)
        record = {"path": task["path"], "attempt": attempt, "sources": {}}
        if attempt is not None:
            for stream in streams:
                texts = []
                for pattern in _LOG_SOURCES:
                    name = "%d.%s" % (attempt, pattern % stream)
                    data = files.read_bytes(name) if name in names else None
                    if data is not None:
                        texts.append(data.decode("utf-8", "replace"))
                record["sources"][stream] = texts
        out.append(record)
    return out


def main(argv):
    if len(argv) == 4 and argv[0] == "scan":
        result = scan(argv[1], argv[2], argv[3])
    elif len(argv) == 2 and argv[0] == "logs":
        result = logs(json.loads(sys.stdin.buffer.read().decode("utf-8") if argv[1] == "-" else argv[1]))
    elif len(argv) == 2 and argv[0] == "dump":
        # "-": the request is on stdin (one argv string cannot name thousands of tasks).
        result = dump(json.loads(sys.stdin.buffer.read().decode("utf-8") if argv[1] == "-" else argv[1]))
    else:
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
