"""Reading and writing one task attempt in Metaflow's local datastore + local metadata layout.

Reference §2.2-2.5: `<root>/<Flow>/<run>/<step>/<task>/` holds `<attempt>.attempt.json`,
`task_begin`, `data.json`, `task_end`, `DONE.lock` and a `_meta/` folder with the task's
`_self.json`, one `<attempt>_artifact_<name>.json` per artifact and `sysmeta_<field>_<ms>.json`
metadata. Artifacts are loaded lazily: a reader opens `data.json` on first use and unpickles an
artifact only when it is asked for.
"""

import os
import sys
import time

from .storage import ENCODING, ContentStore, deserialize, makedirs, read_json, serialize, write_json

MAX_ATTEMPTS = 6
DS_TYPE = "local"


class DataMissing(Exception):
    pass


def task_dir(root, flow, run_id, step, task_id):
    return os.path.join(root, flow, run_id, step, task_id)


def latest_done_attempt_of(names):
    """Metaflow's rule, over a task's file names: the newest started attempt, and only if it is done."""
    started = [int(n.split(".", 1)[0]) for n in names if n.endswith(".attempt.json") and n.split(".", 1)[0].isdigit()]
    started = [a for a in started if a < MAX_ATTEMPTS]
    if not started:
        return None
    newest = max(started)
    if "%d.DONE.lock" % newest not in names:
        return None
    return newest


class LocalTaskFiles(object):
    """The attempt files of one task in a local task directory."""

    ds_type = DS_TYPE

    def __init__(self, path):
        self.path = path

    def names(self):
        try:
            return os.listdir(self.path)
        except FileNotFoundError:
            return []

    def read_json(self, name):
        """The parsed file, or None when it does not exist."""
        try:
            return read_json(os.path.join(self.path, name))
        except FileNotFoundError:
            return None

    def read_bytes(self, name):
        try:
            with open(os.path.join(self.path, name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def write_json(self, name, obj):
        makedirs(self.path)
        write_json(os.path.join(self.path, name), obj)


class BlobCache(object):
    """Decoded pickles by sha: many tasks of a run share `_graph_info`, parameters and stacks."""

    def __init__(self, store, limit=64 << 20):
        self.store = store
        self.limit = limit
        self.size = 0
        self.blobs = {}

    def load(self, sha):
        blob = self.blobs.get(sha)
        if blob is None:
            blob = self.store.load_blob(sha)
            if self.size + len(blob) <= self.limit:
                self.blobs[sha] = blob
                self.size += len(blob)
        return blob


class TaskReader(object):
    """A finished task attempt, read-only. `reader[name]` unpickles one artifact on demand."""

    def __init__(self, root, flow, run_id, step, task_id, cache, attempt=None, files=None):
        self.root = root
        self.flow = flow
        self.run_id = run_id
        self.step_name = step
        self.task_id = task_id
        self.path = task_dir(root, flow, run_id, step, task_id)
        # Attempt files live in the datastore (local directory or Azure blobs); `_meta` stays local.
        self.files = files if files is not None else LocalTaskFiles(self.path)
        self.cache = cache
        self._attempt = attempt
        self._data = None
        self._values = {}

    @classmethod
    def from_pathspec(cls, root, flow, pathspec, cache, backend=None):
        parts = pathspec.split("/")
        if len(parts) not in (3, 4):
            raise DataMissing("Input path %r is not of the form run/step/task" % pathspec)
        files = backend.task_files(flow, parts[0], parts[1], parts[2]) if backend is not None else None
        attempt = int(parts[3]) if len(parts) == 4 else None
        return cls(root, flow, parts[0], parts[1], parts[2], cache, attempt=attempt, files=files)

    @property
    def pathspec(self):
        return "%s/%s/%s" % (self.run_id, self.step_name, self.task_id)

    @property
    def attempt(self):
        self._load()
        return self._attempt

    def _load(self):
        if self._data is not None:
            return
        if self._attempt is None:
            self._attempt = latest_done_attempt_of(self.files.names())
            if self._attempt is None:
                raise DataMissing(
                    "Task %s/%s has no finished attempt in %s (it did not run, is still running, or failed before "
                    "writing its data)." % (self.flow, self.pathspec, getattr(self.files, "where", self.path))
                )
        self._data = self.files.read_json("%d.data.json" % self._attempt)
        if self._data is None:
            raise DataMissing("Task %s/%s attempt %d has no data.json" % (self.flow, self.pathspec, self._attempt))

    @property
    def objects(self):
        self._load()
        return self._data["objects"]

    @property
    def info(self):
        self._load()
        return self._data.get("info", {})

    def __contains__(self, name):
        return name in self.objects

    def __getitem__(self, name):
        if name in self._values:
            return self._values[name]
        sha = self.objects[name]
        value = deserialize(self.cache.load(sha))
        self._values[name] = value
        return value

    def get(self, name, default=None):
        return self[name] if name in self else default

    def is_none(self, name):
        if name not in self.objects:
            return True
        kind = self.info.get(name, {}).get("type")
        if kind is not None:
            return kind == "<class 'NoneType'>"
        return self[name] is None

    def items(self):
        return self.objects.items()

    def keys(self):
        return self.objects.keys()


class MetadataWriter(object):
    """The local metadata provider's files for one task (`_meta/` under the task directory)."""

    def __init__(self, root, flow, run_id, step, task_id, user, tags, system_tags, ds_type=DS_TYPE, ds_root=None):
        self.ds_type = ds_type
        self.ds_root = ds_root
        self.flow = flow
        self.run_id = run_id
        self.step = step
        self.task_id = task_id
        self.user = user
        self.tags = list(tags)
        self.system_tags = list(system_tags)
        self.meta_dir = os.path.join(task_dir(root, flow, run_id, step, task_id), "_meta")
        self._last_ts = {}

    def ensure_dirs(self):
        makedirs(self.meta_dir)

    def object_json(self, **extra):
        d = {
            "flow_id": self.flow,
            "run_number": self.run_id,
            "user_name": self.user,
            "tags": self.tags,
            "system_tags": self.system_tags,
            "ts_epoch": int(round(time.time() * 1000)),
        }
        d.update(extra)
        return d

    def write_self(self):
        write_json(os.path.join(self.meta_dir, "_self.json"), self.object_json(step_name=self.step, task_id=self.task_id), overwrite=False)

    def register_metadata(self, data):
        """data: iterable of (field, value, type, tags)."""
        for field, value, kind, tags in data:
            ts = int(round(time.time() * 1000))
            # Two data of one field in the same millisecond would share a file name.
            if self._last_ts.get(field, -1) >= ts:
                ts = self._last_ts[field] + 1
            self._last_ts[field] = ts
            write_json(
                os.path.join(self.meta_dir, "sysmeta_%s_%d.json" % (field, ts)),
                {
                    "flow_id": self.flow,
                    "run_number": self.run_id,
                    "step_name": self.step,
                    "task_id": self.task_id,
                    "field_name": field,
                    "type": kind,
                    "value": value,
                    "tags": list(tags),
                    "user_name": self.user,
                    "ts_epoch": ts,
                },
            )

    def register_artifacts(self, attempt, objects, info, ds_root):
        ts = int(round(time.time() * 1000))
        location = ":root:%s" % (self.ds_root or ds_root)
        for name, sha in objects.items():
            write_json(
                os.path.join(self.meta_dir, "%d_artifact_%s.json" % (attempt, name)),
                {
                    "run_number": self.run_id,
                    "step_name": self.step,
                    "task_id": self.task_id,
                    "attempt_id": attempt,
                    "name": name,
                    "content_type": info[name]["encoding"],
                    "type": "metaflow.artifact",
                    "sha": sha,
                    "ds_type": self.ds_type,
                    "location": location,
                    "flow_id": self.flow,
                    "user_name": self.user,
                    "tags": self.tags,
                    "system_tags": self.system_tags,
                    "ts_epoch": ts,
                },
            )


class UnpicklableArtifact(Exception):
    def __init__(self, name, error):
        Exception.__init__(self, name, error)
        self.name = name
        self.error = error


class TaskWriter(object):
    """One attempt of one task being written. Inherited artifacts are copied by reference (sha)."""

    def __init__(self, root, flow, run_id, step, task_id, attempt, store, cache, metadata, files=None):
        self.root = root
        self.flow = flow
        self.run_id = run_id
        self.step_name = step
        self.task_id = task_id
        self.attempt = attempt
        self.path = task_dir(root, flow, run_id, step, task_id)
        self.files = files if files is not None else LocalTaskFiles(self.path)
        self.store = store
        self.cache = cache
        self.metadata = metadata
        self.objects = {}
        self.info = {}
        self._values = {}

    def _file(self, name):
        return "%d.%s" % (self.attempt, name)

    def init_attempt(self):
        self.metadata.ensure_dirs()
        self.files.write_json(self._file("attempt.json"), {"time": time.time()})

    def save_metadata(self, name, obj):
        self.files.write_json(self._file(name), obj)

    # Read access to what this task already holds (parameters passed down, merged artifacts).
    def __contains__(self, name):
        return name in self.objects

    def __getitem__(self, name):
        if name not in self._values:
            self._values[name] = deserialize(self.cache.load(self.objects[name]))
        return self._values[name]

    def items(self):
        return self.objects.items()

    def passdown_partial(self, parent, names):
        for name in names:
            if name in parent.objects:
                self.objects[name] = parent.objects[name]
                self.info[name] = parent.info.get(name, _default_info(None))

    def inherit_all(self, parent):
        self.objects.update(parent.objects)
        self.info.update(parent.info)

    def save_artifacts(self, items):
        for name, value in items:
            try:
                blob = serialize(value)
            except Exception as e:
                raise UnpicklableArtifact(name, e)
            sha = self.store.save_blob(blob)
            self.objects[name] = sha
            self.info[name] = {
                "size": len(blob),
                "type": str(type(value)),
                "encoding": ENCODING,
                "serializer_info": {"source": "metaflow"},
            }

    def done(self):
        self.save_metadata(
            "data.json",
            {
                "datastore": self.files.ds_type,
                "version": "1.0",
                "attempt": self.attempt,
                "python_version": sys.version,
                "objects": self.objects,
                "info": self.info,
            },
        )
        self.save_metadata("DONE.lock", "")
        self.metadata.register_metadata(
            [("attempt-done", str(self.attempt), "attempt-done", ["attempt_id:%d" % self.attempt])]
        )
        self.metadata.register_artifacts(self.attempt, self.objects, self.info, self.root)


def _default_info(value):
    return {"size": 0, "type": str(type(value)), "encoding": ENCODING, "serializer_info": {"source": "metaflow"}}


def ensure_self_json(path, obj):
    """Create an object's `_self.json` once; an existing one is left alone (the scheduler may own it)."""
    target = os.path.join(path, "_self.json")
    if os.path.exists(target):
        return
    makedirs(path)
    write_json(target, obj, overwrite=False)


def open_store(root, flow, backend=None):
    store = backend.content_store(flow) if backend is not None else ContentStore(root, flow)
    return store, BlobCache(store)
