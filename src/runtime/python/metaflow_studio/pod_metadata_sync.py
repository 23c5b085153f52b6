"""A remote task's local metadata carried through the datastore, as Metaflow's local metadata provider does.

A pod keeps its metadata (`_meta` folders) in its own `.metaflow`; the launcher's `.metaflow` is on another
machine. So after the task, the pod packs that folder and leaves it in the datastore, and the launcher
copies it into its own (Metaflow: `metaflow/metadata_provider/util.py`, used by the Kubernetes and Batch
decorators and command lines). The format, which the launcher side (TypeScript) reads too:

  * The tarball: a gzip'd tar of the pod's whole `.metaflow` folder, every entry named `.metaflow/...`
    (`.metaflow/<Flow>/<run>/<step>/<task>/_meta/_self.json`, `.../_meta/sysmeta_<field>_<ms>.json`,
    `.../_meta/<attempt>_artifact_<name>.json`, and the flow, run and step `_meta/_self.json` the pod wrote).
  * It is saved in the flow's content-addressed store raw: key = sha1 of the tarball bytes, at
    `<Flow>/data/<key[:2]>/<key>`, with the CAS attributes `{"cas_raw": true, "cas_version": 1}` (Azure: the
    blob's `metaflow_user_attributes` metadata; local: the `<key>_meta` sidecar).
  * The key is recorded in the task's attempt file `<Flow>/<run>/<step>/<task>/<attempt>.local_metadata`,
    whose content is the key as a JSON string (`"3f2a..."`), written after `DONE.lock` (the one file a
    finished attempt gains later).
  * Reading it back: load `<attempt>.local_metadata`, load the blob, unpack only regular files and folders
    under `.metaflow/` (nothing absolute, no `..`, no links) and copy each file into the local `.metaflow`
    unless a file of that name is already there (metadata files are written once; the launcher's own
    flow/run/step objects win).
"""

import io
import json
import os
import posixpath
import tarfile

from .pod_loader import unsafe_member_reason
from .storage import atomic_write, gunzip_bytes, makedirs

TARBALL_ROOT = ".metaflow"
ATTEMPT_FILE = "local_metadata"
RAW_ATTRIBUTES = {"cas_raw": True, "cas_version": 1}


class MetadataSyncError(Exception):
    pass


def pack_metadata(datastore_root):
    """The gzip'd tar of a `.metaflow` folder, entries named `.metaflow/...` (sorted: same content, same bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(datastore_root, arcname=TARBALL_ROOT, filter=_no_links, recursive=False)
        for folder, dirs, files in os.walk(datastore_root):
            dirs.sort()
            rel = os.path.relpath(folder, datastore_root)
            for name in sorted(dirs) + sorted(files):
                if name.startswith(".") and name.endswith(".tmp"):
                    continue  # a write still in progress elsewhere is not metadata yet
                path = os.path.join(folder, name)
                arc = posixpath.join(TARBALL_ROOT, *([] if rel == "." else rel.split(os.sep)), name)
                tar.add(path, arcname=arc, recursive=False, filter=_no_links)
    return buf.getvalue()


def _no_links(info):
    if info.issym() or info.islnk():
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def unpack_metadata(tarball, local_root):
    """Copy the tarball's metadata files into `local_root` (a `.metaflow`), never replacing one; returns the
    datastore-relative paths written."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz")
        members = tar.getmembers()
    except (tarfile.TarError, EOFError, OSError) as e:
        raise MetadataSyncError("The task's metadata tarball is not a readable gzip'd tar: %s" % e)
    written = []
    prefix = TARBALL_ROOT + "/"
    for member in members:
        reason = unsafe_member_reason(member)
        if reason:
            raise MetadataSyncError("The task's metadata tarball was refused: its entry %r is %s." % (member.name, reason))
        if not member.isfile():
            continue
        name = member.name[2:] if member.name.startswith("./") else member.name
        if not name.startswith(prefix):
            raise MetadataSyncError("The task's metadata tarball has an entry %r outside %s/." % (member.name, TARBALL_ROOT))
        rel = name[len(prefix):]
        target = os.path.join(local_root, *rel.split("/"))
        if os.path.exists(target):
            continue
        makedirs(os.path.dirname(target))
        if atomic_write(target, tar.extractfile(member).read(), overwrite=False):
            written.append(rel)
    return written


class RawContentStore(object):
    """Raw (`cas_raw`) blobs of a flow's content-addressed store, on Azure (`backend`) or in a local root."""

    def __init__(self, flow_name, backend=None, local_root=None):
        self.flow_name = flow_name
        self.backend = backend
        self.local_root = local_root

    def path(self, key):
        return posixpath.join(self.flow_name, "data", key[:2], key)

    def save(self, blob):
        import hashlib

        key = hashlib.sha1(blob).hexdigest()
        if self.backend is not None:
            self.backend.store.save(self.path(key), blob, attributes=RAW_ATTRIBUTES, overwrite=False)
            return key
        target = os.path.join(self.local_root, *self.path(key).split("/"))
        makedirs(os.path.dirname(target))
        atomic_write(target + "_meta", json.dumps(RAW_ATTRIBUTES).encode("utf-8"))
        atomic_write(target, blob, overwrite=False)
        return key

    def load(self, key):
        if self.backend is not None:
            data, meta = self.backend.store.load(self.path(key), with_attributes=True)
        else:
            target = os.path.join(self.local_root, *self.path(key).split("/"))
            try:
                with open(target, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                data = None
            try:
                with open(target + "_meta", "rb") as f:
                    meta = json.loads(f.read().decode("utf-8"))
            except FileNotFoundError:
                meta = None
        if data is None:
            raise MetadataSyncError("The metadata tarball %s is missing from the datastore." % self.path(key))
        return data if meta is not None and meta.get("cas_raw") else gunzip_bytes(data)


def sync_to_datastore(datastore_root, cas, task_files, attempt):
    """Pod side: pack the local `.metaflow`, save it in the CAS, record its key for the attempt. Returns the key."""
    key = cas.save(pack_metadata(datastore_root))
    task_files.write_json("%d.%s" % (attempt, ATTEMPT_FILE), key)
    return key


def sync_from_datastore(local_root, cas, task_files, attempt):
    """Launcher side: copy the attempt's metadata into `local_root`; returns the paths written."""
    key = task_files.read_json("%d.%s" % (attempt, ATTEMPT_FILE))
    if not isinstance(key, str) or not key:
        raise MetadataSyncError("Attempt %d of the task has no %s file: the pod did not finish its bookkeeping."
                                % (attempt, ATTEMPT_FILE))
    return unpack_metadata(cas.load(key), local_root)
