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
    return AzureBackend.open(spec_datastore["root"], spec_datastore.get("endpoint"))
