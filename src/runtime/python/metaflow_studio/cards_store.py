"""Where cards live: Metaflow's card datastore layout (reference §2.10), locally or in Azure Blob.

`<card root>/<Flow>/runs/<run>/steps/<step>/tasks/<task>/cards/<type>[-<id>]-<uuid>.html`, runtime
data updates beside it under `runtime/` as `<type>[-<id>]-<uuid>.data.json`. For a task on the local
datastore the card root is `METAFLOW_CARD_LOCALROOT` when set, else `mf.cards` inside the `.metaflow`
datastore root; for a task on Azure it is `METAFLOW_CARD_AZUREROOT`, else `<sysroot>/mf.cards` in the
same container. So Metaflow's `card get`/`get_cards` find what this runtime writes and the other way round.
"""

import json
import os
import posixpath
from collections import namedtuple

from .storage import atomic_write, makedirs

CARD_SUFFIX = "mf.cards"
NUM_SHORT_HASH_CHARS = 5

CARD_AZURE_ROOT_ENV = "METAFLOW_CARD_AZUREROOT"

# `path` is where users find the card (a file, or `<container>/<prefix>/...` on Azure); `key` is its
# '/'-separated name under the card root.
CardInfo = namedtuple("CardInfo", ["type", "hash", "id", "filename", "path", "key"])


def card_root(datastore_root):
    return os.environ.get("METAFLOW_CARD_LOCALROOT") or os.path.join(datastore_root, CARD_SUFFIX)


def azure_card_root(ds_root):
    """Metaflow's CARD_AZUREROOT: the setting, else `mf.cards` under the Azure datastore root."""
    return os.environ.get(CARD_AZURE_ROOT_ENV) or posixpath.join(ds_root, CARD_SUFFIX)


def task_card_dir(flow, run_id, step, task_id, kind="cards"):
    return posixpath.join(flow, "runs", str(run_id), "steps", step, "tasks", str(task_id), kind)


def legacy_card_dir(flow, run_id, task_id):
    """Older Metaflow versions stored cards without the `steps/<step>` level."""
    return posixpath.join(flow, "runs", str(run_id), "tasks", str(task_id), "cards")


class LocalCardFiles(object):
    """Card files under a local card root."""

    def __init__(self, root):
        self.root = root

    def location(self, key):
        return os.path.join(self.root, *key.split("/"))

    def write(self, key, data):
        path = self.location(key)
        makedirs(os.path.dirname(path))
        atomic_write(path, data)

    def read(self, key):
        try:
            with open(self.location(key), "rb") as f:
                return f.read()
        except OSError:
            return None

    def list(self, dir_key):
        """(name, modification time) of the files in a directory; [] when it does not exist."""
        directory = self.location(dir_key)
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        return [(name, _mtime(os.path.join(directory, name))) for name in names]


class AzureCardFiles(object):
    """Card blobs under an Azure card root (`<container>[/<prefix>]`), read and written with the task's sign-in."""

    def __init__(self, store):
        self.root = store.root
        self.store = store

    def location(self, key):
        return self.store.full_uri(key)

    def write(self, key, data):
        self.store.save(key, data)

    def read(self, key):
        return self.store.load(key)

    def list(self, dir_key):
        return self.store.list_blobs_with_times(dir_key)


def open_card_files(datastore_root, backend=None):
    """The card files of a task: local ones beside the local datastore, Azure ones under CARD_AZUREROOT."""
    if backend is None or getattr(backend, "ds_type", "local") == "local":
        return LocalCardFiles(card_root(datastore_root))
    from .azure_storage import AzureBlobStore, parse_sysroot

    root = azure_card_root(backend.ds_root)
    parse_sysroot(root, CARD_AZURE_ROOT_ENV)
    return AzureCardFiles(AzureBlobStore(root, backend.store.endpoint))


def card_file_name(card_type, card_uuid, card_id=None, suffix="html"):
    if card_id is None:
        return "%s-%s.%s" % (card_type, card_uuid, suffix)
    return "%s-%s-%s.%s" % (card_type, card_id, card_uuid, suffix)


def info_from_name(name, key, path, suffix="html"):
    """CardInfo of a card file name `TYPE-HASH.html` or `TYPE-ID-HASH.html`; None for other files."""
    ending = "." + suffix
    if not name.endswith(ending):
        return None
    parts = name[: -len(ending)].split("-")
    if len(parts) == 2:
        return CardInfo(parts[0], parts[1], None, name, path, key)
    if len(parts) == 3:
        return CardInfo(parts[0], parts[2], parts[1], name, path, key)
    return None


class TaskCardStore(object):
    """The cards of one task, in the card files (local or Azure) its datastore uses."""

    def __init__(self, files, flow, run_id, step, task_id):
        self.files = files
        self.flow = flow
        self.run_id = str(run_id)
        self.step = step
        self.task_id = str(task_id)

    @property
    def card_dir(self):
        return task_card_dir(self.flow, self.run_id, self.step, self.task_id)

    @property
    def data_dir(self):
        return task_card_dir(self.flow, self.run_id, self.step, self.task_id, kind="runtime")

    def save_card(self, card_uuid, card_type, html, card_id=None):
        name = card_file_name(card_type, card_uuid, card_id)
        key = posixpath.join(self.card_dir, name)
        self.files.write(key, html.encode("utf-8"))
        return info_from_name(name, key, self.files.location(key))

    def save_data(self, card_uuid, card_type, data, card_id=None):
        key = posixpath.join(self.data_dir, card_file_name(card_type, card_uuid, card_id, suffix="data.json"))
        self.files.write(key, json.dumps(data).encode("utf-8"))
        return self.files.location(key)

    def list_cards(self, card_type=None, card_hash=None, card_id=None):
        """CardInfos of this task's cards (oldest first), filtered by type, hash prefix and id."""
        found = []
        for directory in (self.card_dir, legacy_card_dir(self.flow, self.run_id, self.task_id)):
            for name, mtime in self.files.list(directory):
                key = posixpath.join(directory, name)
                info = info_from_name(name, key, self.files.location(key))
                if info is None:
                    continue
                if card_type is not None and info.type != card_type:
                    continue
                if card_id is not None and info.id != card_id:
                    continue
                if card_hash is not None and not info.hash.startswith(card_hash):
                    continue
                found.append((mtime, info))
            if found:
                break
        return [info for _, info in sorted(found, key=lambda f: (f[0], f[1].filename))]

    def read_card(self, info):
        data = self.files.read(info.key)
        if data is None:
            raise IOError("The card %s is gone" % info.path)
        return data.decode("utf-8")

    def read_data(self, info):
        """The card's latest runtime data update, or None."""
        data = self.files.read(posixpath.join(self.data_dir, card_file_name(info.type, info.hash, info.id, suffix="data.json")))
        try:
            return None if data is None else json.loads(data.decode("utf-8"))
        except ValueError:
            return None


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0
