"""The Client API (`Metaflow`, `Flow`, `Run`, `Step`, `Task`, `DataArtifact`) over the local datastore.

Reads what the embedded runtime and Metaflow itself write (reference §2): object `_self.json`
files for listing, the newest done attempt's `data.json` for artifacts, `sysmeta_*` files for
metadata and the mflog files for logs.
"""

import glob
import os
import re

from metaflow.exception import MetaflowNamespaceMismatch, MetaflowNotFound, MetaflowUnknownUser
from metaflow.includefile import IncludedFile
from metaflow_studio.datastore import BlobCache, LocalTaskFiles, TaskReader, latest_done_attempt_of
from metaflow_studio.storage import ContentStore, read_json

from . import pickling
from .current_namespace import datastore_root, get_namespace
from .tagging import as_tag_list, mutate_user_tags_for_run


def _read_self(path):
    try:
        return read_json(os.path.join(path, "_meta", "_self.json"))
    except (OSError, ValueError):
        return None


def _task_backend(task_path):
    """The Azure backend of a task whose metadata says its data is in Azure Blob, else None."""
    from metaflow_studio.azure_datastore import TaskLocator

    return TaskLocator().backend_for(task_path)


def _int_or_str(value):
    return (0, int(value), "") if str(value).isdigit() else (1, 0, str(value))


def _namespace_if_known():
    # Only recorded for pickling: a reader with no user name (namespace checks off) still opens objects.
    try:
        return get_namespace()
    except MetaflowUnknownUser:
        return None


class MetaflowObject(object):
    _NAME = "object"
    _CHILD = None
    # Entries of this object's folder that are not children (`_`-prefixed ones never are).
    _NOT_CHILDREN = frozenset()

    def __init__(self, pathspec, _parent=None, _namespace_check=True, _root=None):
        self._root = _root or (_parent._root if _parent is not None else datastore_root())
        self.pathspec = pathspec
        self.path_components = pathspec.split("/")
        self.id = self.path_components[-1]
        self._parent = _parent
        self._path = os.path.join(self._root, *self.path_components)
        # Kept for pickling (Metaflow's state records both).
        self._namespace_check = _namespace_check
        self._current_namespace = _namespace_if_known()
        self._object = self._load_self()
        if self._object is None:
            raise MetaflowNotFound("%s '%s' does not exist (looked in %s)" % (self._NAME, pathspec, self._root))
        if _namespace_check and not self._in_namespace():
            raise MetaflowNamespaceMismatch(get_namespace())

    def _load_self(self):
        return _read_self(self._path)

    def _run_object(self):
        return None

    def _in_namespace(self):
        ns = get_namespace()
        run = self._run_object()
        if ns is None or run is None:
            return True
        return ns in (run.get("tags") or []) or ns in (run.get("system_tags") or [])

    @property
    def created_at(self):
        import datetime

        return datetime.datetime.fromtimestamp(self._object.get("ts_epoch", 0) / 1000.0)

    @property
    def tags(self):
        """User and system tags, as Metaflow's `tags`."""
        return self.user_tags | self.system_tags

    @property
    def system_tags(self):
        run = self._run_object() or {}
        return frozenset(run.get("system_tags") or [])

    @property
    def user_tags(self):
        run = self._run_object() or {}
        return frozenset(run.get("tags") or [])

    def _child_ids(self):
        try:
            names = os.listdir(self._path)
        except FileNotFoundError:
            return []
        return [n for n in names if not n.startswith((".", "_")) and n not in self._NOT_CHILDREN]

    def _children(self):
        out = []
        for name in self._child_ids():
            try:
                out.append(self._CHILD("%s/%s" % (self.pathspec, name), _parent=self, _namespace_check=False))
            except MetaflowNotFound:
                continue
        return out

    def __iter__(self):
        children = [c for c in self._children() if c._in_namespace()]
        children.sort(key=lambda c: c._object.get("ts_epoch", 0), reverse=True)
        return iter(children)

    def __getitem__(self, child_id):
        try:
            # As in Metaflow, a child is checked against the namespace only when its parent was.
            return self._CHILD("%s/%s" % (self.pathspec, child_id), _parent=self, _namespace_check=self._namespace_check)
        except MetaflowNotFound:
            raise KeyError(child_id)

    def __contains__(self, child_id):
        return os.path.exists(os.path.join(self._path, str(child_id), "_meta", "_self.json"))

    def __repr__(self):
        return "%s('%s')" % (type(self).__name__, self.pathspec)

    def __str__(self):
        return repr(self)

    def __eq__(self, other):
        return type(self) is type(other) and self.pathspec == other.pathspec

    def __hash__(self):
        return hash(self.pathspec)

    def __getstate__(self):
        return pickling.state_of(self)

    def __setstate__(self, state):
        pickling.restore(self, state)

    @property
    def parent(self):
        if self._parent is None and len(self.path_components) > 1:
            cls = {2: Flow, 3: Run, 4: Step}[len(self.path_components)]
            self._parent = cls("/".join(self.path_components[:-1]), _namespace_check=False, _root=self._root)
        return self._parent


def _decoded(value, name):
    # IncludeFile artifacts hold a descriptor; readers get the file's content, as in Metaflow.
    if isinstance(value, IncludedFile):
        return value.decode(name)
    return value


class DataArtifact(object):
    def __init__(self, task, name):
        self._task = task
        self.id = name
        self.pathspec = "%s/%s" % (task.pathspec, name)
        self.sha = task._reader.objects[name]
        self._info = task._reader.info.get(name, {})

    @property
    def data(self):
        return _decoded(self._task._reader[self.id], self.id)

    @property
    def size(self):
        return self._info.get("size")

    @property
    def finished_at(self):
        return self._task.finished_at

    @property
    def created_at(self):
        return self._task.created_at

    def __repr__(self):
        return "DataArtifact('%s')" % self.pathspec


class MetaflowData(object):
    def __init__(self, task):
        self._task = task

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._task._reader.objects:
            raise AttributeError("Task %s has no artifact '%s'" % (self._task.pathspec, name))
        return _decoded(self._task._reader[name], name)

    def __contains__(self, name):
        return name in self._task._reader.objects

    def __iter__(self):
        return iter(n for n in self._task._reader.objects if not n.startswith("_"))

    def __repr__(self):
        return "<MetaflowData: %s>" % ", ".join(sorted(self))


_MFLOG = re.compile(r"^\[!?MFLOG\|(\d)\|([^|]*)\|([^|]*)\|([^\]]*)\](.*)$")


class Task(MetaflowObject):
    _NAME = "Task"

    def __init__(self, pathspec, attempt=None, **kwargs):
        self._attempt = attempt
        super(Task, self).__init__(pathspec, **kwargs)
        flow, run_id, step, task_id = self.path_components
        # Metadata is local; the task's data lives where its ds-type/ds-root metadata says (local or Azure Blob).
        backend = _task_backend(self._path)
        store = backend.content_store(flow) if backend is not None else ContentStore(self._root, flow)
        self._files = backend.task_files(flow, run_id, step, task_id) if backend is not None else LocalTaskFiles(self._path)
        self._reader = TaskReader(self._root, flow, run_id, step, task_id, BlobCache(store), attempt=attempt, files=self._files)

    def _run_object(self):
        return _read_self(os.path.dirname(os.path.dirname(self._path)))

    def __iter__(self):
        return iter(DataArtifact(self, name) for name in sorted(self._reader.objects))

    def __getitem__(self, name):
        if name not in self._reader.objects:
            raise KeyError(name)
        return DataArtifact(self, name)

    def __contains__(self, name):
        return name in self._reader.objects

    @property
    def data(self):
        return MetaflowData(self)

    @property
    def artifacts(self):
        return MetaflowData(self)

    @property
    def current_attempt(self):
        attempt = latest_done_attempt_of(self._files.names())
        return 0 if attempt is None else attempt

    def _artifact_value(self, name, default=None):
        try:
            return self._reader[name] if name in self._reader.objects else default
        except Exception:
            return default

    @property
    def finished(self):
        return bool(self._artifact_value("_task_ok"))

    @property
    def successful(self):
        return bool(self._artifact_value("_success"))

    @property
    def exception(self):
        return self._artifact_value("_exception")

    @property
    def finished_at(self):
        import datetime

        if not isinstance(self._files, LocalTaskFiles):
            # Blob times are the service's; the attempt-done metadatum is when the task said it finished.
            stamp = self._metadata_stamps().get("attempt-done")
            return datetime.datetime.fromtimestamp(stamp / 1000.0) if stamp else None
        path = os.path.join(self._path, "%d.DONE.lock" % self.current_attempt)
        try:
            return datetime.datetime.fromtimestamp(os.path.getmtime(path))
        except OSError:
            return None

    @property
    def index(self):
        stack = self._artifact_value("_foreach_stack") or []
        return stack[-1].index if stack else None

    @property
    def metadata_dict(self):
        return self._metadata_with_stamps()[0]

    def _metadata_stamps(self):
        return self._metadata_with_stamps()[1]

    def _metadata_with_stamps(self):
        out = {}
        stamps = {}
        for path in glob.glob(os.path.join(self._path, "_meta", "sysmeta_*.json")):
            try:
                datum = read_json(path)
            except (OSError, ValueError):
                continue
            field = datum.get("field_name")
            ts = datum.get("ts_epoch", 0)
            if field and ts >= stamps.get(field, -1):
                stamps[field] = ts
                out[field] = datum.get("value")
        return out, stamps

    @property
    def metadata(self):
        return sorted(self.metadata_dict.items())

    def _log_entries(self, stream):
        """(timestamp text, line) from the runtime and task mflog files, merged by time."""
        attempt = self.current_attempt if self._attempt is None else self._attempt
        lines = []
        for source in ("runtime", "task"):
            raw = self._files.read_bytes("%d.%s_%s.log" % (attempt, source, stream))
            if raw is None:
                continue
            data = raw.decode("utf-8", errors="replace")
            for line in data.splitlines():
                m = _MFLOG.match(line)
                lines.append((m.group(2), m.group(5)) if m else ("", line))
        lines.sort(key=lambda x: x[0])
        return lines

    def _log(self, stream):
        lines = self._log_entries(stream)
        return "\n".join(text for _, text in lines) + ("\n" if lines else "")

    @property
    def stdout(self):
        return self._log("stdout")

    @property
    def stderr(self):
        return self._log("stderr")

    def loglines(self, stream, as_unicode=True):
        """(datetime or None, line) pairs, as Metaflow's Task.loglines."""
        import datetime

        for ts, text in self._log_entries(stream):
            when = None
            if ts:
                try:
                    when = datetime.datetime.strptime(ts.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
                except ValueError:
                    when = None
            yield when, text if as_unicode else text.encode("utf-8")

    @property
    def parent_tasks(self):
        return self.parent.parent._tasks_of_steps(self._parent_steps(), self, parents=True)

    @property
    def child_tasks(self):
        return self.parent.parent._tasks_of_steps(self._child_steps(), self, parents=False)

    def _graph_step(self):
        info = self._artifact_value("_graph_info") or {}
        return (info.get("steps") or {}).get(self.path_components[2], {})

    def _parent_steps(self):
        step = self.path_components[2]
        info = self._artifact_value("_graph_info") or {}
        return [name for name, d in (info.get("steps") or {}).items() if step in (d.get("next") or [])]

    def _child_steps(self):
        return list(self._graph_step().get("next") or [])

    def _execution_path(self):
        value = self.metadata_dict.get("foreach-execution-path") or ""
        return [tuple(p.split(":")) for p in value.split(",") if p]


class Step(MetaflowObject):
    _NAME = "Step"
    _CHILD = Task

    def _run_object(self):
        return _read_self(os.path.dirname(self._path))

    def __iter__(self):
        tasks = self._children()
        tasks.sort(key=lambda t: _int_or_str(t.id))
        return iter(tasks)

    def tasks(self, *tags):
        return iter(self)

    def control_tasks(self, *tags):
        """The step's control tasks (an unbounded foreach's, a num_parallel group's first node), found as
        Metaflow finds them in local metadata: by their `internal_task_type` datum."""
        for task in self:
            if all(tag in task.tags for tag in tags) and task.metadata_dict.get("internal_task_type") == "control_task":
                yield task

    @property
    def task(self):
        for t in self:
            return t
        return None

    @property
    def finished_at(self):
        times = [t.finished_at for t in self]
        return max(times) if times and all(times) else None


class Run(MetaflowObject):
    _NAME = "Run"
    _CHILD = Step

    def _run_object(self):
        return self._object

    def _params_task(self):
        try:
            return Task("%s/_parameters/0" % self.pathspec, _namespace_check=False, _root=self._root)
        except MetaflowNotFound:
            return None

    @property
    def end_task(self):
        params = self._params_task()
        end = "end"
        if params is not None:
            end = params.metadata_dict.get("end_step") or (params._artifact_value("_graph_info") or {}).get("end_step", "end")
        try:
            return self[end].task
        except KeyError:
            return None

    @property
    def successful(self):
        task = self.end_task
        return bool(task and task.successful)

    @property
    def finished(self):
        task = self.end_task
        return bool(task and task.finished)

    @property
    def data(self):
        task = self.end_task
        return task.data if task else None

    @property
    def finished_at(self):
        task = self.end_task
        return task.finished_at if task else None

    @property
    def code(self):
        return None

    def add_tag(self, tag):
        """Add a user tag (one tag or, as Metaflow also accepts, an iterable); a system tag is not added."""
        return self.replace_tags([], as_tag_list(tag))

    def add_tags(self, tags):
        return self.replace_tags([], tags)

    def remove_tag(self, tag):
        """Remove a user tag; removing a system tag is an error, a missing one a no-op."""
        return self.replace_tags(as_tag_list(tag), [])

    def remove_tags(self, tags):
        return self.replace_tags(tags, [])

    def replace_tag(self, tag_to_remove, tag_to_add):
        return self.replace_tags(as_tag_list(tag_to_remove), as_tag_list(tag_to_add))

    def replace_tags(self, tags_to_remove, tags_to_add):
        """Remove then add user tags in one change of the run's metadata."""
        final = mutate_user_tags_for_run(self._root, self.path_components[0], self.id, tags_to_remove=tags_to_remove,
                                         tags_to_add=tags_to_add)
        self._object = dict(self._object, tags=sorted(final))

    def _tasks_of_steps(self, steps, task, parents):
        path = task._execution_path()
        out = []
        for step in steps:
            try:
                candidates = list(self[step])
            except KeyError:
                continue
            for cand in candidates:
                other = cand._execution_path()
                shorter, longer = (other, path) if parents else (path, other)
                if len(path) == len(other) or longer[: len(shorter)] == shorter:
                    if len(path) == len(other) and path != other:
                        continue
                    out.append(cand)
        return out


class Flow(MetaflowObject):
    _NAME = "Flow"
    _CHILD = Run
    _NOT_CHILDREN = frozenset(["data", "latest_run"])

    def __init__(self, pathspec, **kwargs):
        super(Flow, self).__init__(pathspec, **kwargs)

    def _in_namespace(self):
        ns = get_namespace()
        return ns is None or any(True for _ in self.runs())

    def runs(self, *tags):
        for run in self._iter_runs():
            if all(t in run.tags or t in run.system_tags for t in tags):
                yield run

    def _iter_runs(self):
        return MetaflowObject.__iter__(self)

    def __iter__(self):
        return self.runs()

    @property
    def latest_run(self):
        for run in self.runs():
            return run
        return None

    @property
    def latest_successful_run(self):
        for run in self.runs():
            if run.successful:
                return run
        return None


class Metaflow(object):
    def __init__(self, _root=None):
        self._root = _root or datastore_root()

    @property
    def flows(self):
        return list(self)

    def __iter__(self):
        try:
            names = sorted(os.listdir(self._root))
        except FileNotFoundError:
            return iter([])
        flows = []
        for name in names:
            if os.path.exists(os.path.join(self._root, name, "_meta", "_self.json")):
                try:
                    flows.append(Flow(name, _root=self._root))
                except (MetaflowNotFound, MetaflowNamespaceMismatch):
                    continue
        return iter(flows)

    def __repr__(self):
        return "Metaflow()"


__all__ = ["Metaflow", "Flow", "Run", "Step", "Task", "DataArtifact"]
