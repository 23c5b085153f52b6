"""The task datastore on Azure Blob: attempt files and the content-addressed store as blobs.

With the local metadata provider and the Azure datastore, Metaflow keeps `_meta` (metadata) in the
local `.metaflow` and puts task data and logs in the container; this backend is the second half.
CAS blobs carry their `{"cas_raw", "cas_version"}` dict as blob metadata instead of a `_meta` sidecar.
"""

import hashlib
import json
import posixpath

from .azure_storage import AzureBlobStore
from .storage import LARGE_BLOB, gunzip_bytes, gzip_bytes, looks_incompressible

DS_TYPE = "azure"


class AzureTaskFiles(object):
    """The attempt files of one task under `<Flow>/<run>/<step>/<task>/` in the container."""

    ds_type = DS_TYPE

    def __init__(self, store, flow, run_id, step, task_id):
        self.store = store
        self.prefix = posixpath.join(flow, run_id, step, task_id)
        self.where = store.full_uri(self.prefix)

    def names(self):
        return self.store.list_names(self.prefix)

    def read_bytes(self, name):
        return self.store.load(posixpath.join(self.prefix, name))

    def read_json(self, name):
        data = self.read_bytes(name)
        return None if data is None else json.loads(data.decode("utf-8"))

    def write_bytes(self, name, data):
        self.store.save(posixpath.join(self.prefix, name), data)

    def write_json(self, name, obj):
        self.write_bytes(name, json.dumps(obj).encode("utf-8"))


class AzureContentStore(object):
    """`<Flow>/data/<sha[:2]>/<sha>` blobs; existing ones are never uploaded again."""

    def __init__(self, store, flow_name):
        self.store = store
        self.prefix = posixpath.join(flow_name, "data")

    def path(self, sha):
        return posixpath.join(self.prefix, sha[:2], sha)

    def save_blob(self, blob):
        sha = hashlib.sha1(blob).hexdigest()
        path = self.path(sha)
        if self.store.exists(path):
            return sha
        raw = len(blob) >= LARGE_BLOB and looks_incompressible(blob)
        packed = blob if raw else gzip_bytes(blob)
        # Content-addressed: a concurrent writer of the same sha wrote the same bytes.
        self.store.save(path, packed, attributes={"cas_raw": raw, "cas_version": 1}, overwrite=False)
        return sha

    def load_blob(self, sha):
        data, meta = self.store.load(self.path(sha), with_attributes=True)
        if data is None:
            raise KeyError("Artifact %s is missing from %s" % (sha, self.store.full_uri(self.path(sha))))
        if meta is not None and meta.get("cas_raw", False):
            return data
        if meta is not None and meta.get("cas_version", 1) != 1:
            raise ValueError("Unknown encoding version %r for artifact %s" % (meta.get("cas_version"), sha))
        return gunzip_bytes(data)


class AzureBackend(object):
    """One Azure datastore root, opened once per task process."""

    ds_type = DS_TYPE

    def __init__(self, store):
        self.store = store
        self.ds_root = store.root

    @classmethod
    def open(cls, root, endpoint, credential=None):
        return cls(AzureBlobStore(root, endpoint, credential))

    def task_files(self, flow, run_id, step, task_id):
        return AzureTaskFiles(self.store, flow, run_id, step, task_id)

    def content_store(self, flow):
        return AzureContentStore(self.store, flow)


def open_backend(spec_datastore):
    """The backend a TaskSpec's `datastore` names; None for the local datastore."""
    if not spec_datastore or spec_datastore.get("type", "local") == "local":
        return None
    return AzureBackend.open(spec_datastore["sysroot"], spec_datastore.get("endpoint"))


def newest_datum(meta_dir, field):
    """The value of a task's newest `sysmeta_<field>_<ms>.json` in its local `_meta`, or None."""
    import glob
    import os

    def stamp(path):
        tail = path.rsplit("_", 1)[1].split(".", 1)[0]
        return int(tail) if tail.isdigit() else -1

    for path in sorted(glob.glob(os.path.join(meta_dir, "sysmeta_%s_*.json" % field)), key=stamp, reverse=True):
        try:
            with open(path, "rb") as f:
                return json.loads(f.read().decode("utf-8")).get("value")
        except (OSError, ValueError):
            continue
    return None


def artifact_location(meta_dir):
    """(ds_type, root) from any `<attempt>_artifact_<name>.json` of a task, or (None, None)."""
    import glob
    import os

    for path in glob.glob(os.path.join(meta_dir, "*_artifact_*.json")):
        try:
            with open(path, "rb") as f:
                record = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError):
            continue
        location = record.get("location") or ""
        return record.get("ds_type"), location[len(":root:"):] if location.startswith(":root:") else None
    return None, None


class TaskLocator(object):
    """Where each task's data lives, from its local metadata (`ds-type`, `ds-root`): readers of runs made
    on either datastore (Client, dump, resume's scan) find local tasks in their folder and Azure ones in Blob."""

    def __init__(self, endpoint=None):
        import os

        self.endpoint = endpoint or os.environ.get("METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT")
        self._backends = {}

    def backend_for(self, task_dir):
        """None for a local task; the (one per root) Azure backend for a task whose data is in Blob."""
        import os

        meta_dir = os.path.join(task_dir, "_meta")
        kind, root = newest_datum(meta_dir, "ds-type"), newest_datum(meta_dir, "ds-root")
        if kind is None:
            # `_parameters` tasks record no ds-type datum (as in Metaflow); their artifact records name the datastore.
            kind, root = artifact_location(meta_dir)
        if kind != DS_TYPE:
            return None
        root = root or ""
        if root not in self._backends:
            self._backends[root] = AzureBackend.open(root, self.endpoint)
        return self._backends[root]
