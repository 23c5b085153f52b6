"""Where cards live: Metaflow's local card datastore layout (reference §2.10).

`<card root>/<Flow>/runs/<run>/steps/<step>/tasks/<task>/cards/<type>[-<id>]-<uuid>.html`, runtime
data updates beside it under `runtime/` as `<type>[-<id>]-<uuid>.data.json`. The card root is
`METAFLOW_CARD_LOCALROOT` when set, else `mf.cards` inside the `.metaflow` datastore root, so
Metaflow's `card get`/`get_cards` find what this runtime writes and the other way round.
"""

import json
import os
from collections import namedtuple

from .storage import atomic_write, makedirs

CARD_SUFFIX = "mf.cards"
NUM_SHORT_HASH_CHARS = 5

CardInfo = namedtuple("CardInfo", ["type", "hash", "id", "filename", "path"])


def card_root(datastore_root):
    return os.environ.get("METAFLOW_CARD_LOCALROOT") or os.path.join(datastore_root, CARD_SUFFIX)


def task_card_dir(root, flow, run_id, step, task_id, kind="cards"):
    return os.path.join(root, flow, "runs", str(run_id), "steps", step, "tasks", str(task_id), kind)


def legacy_card_dir(root, flow, run_id, task_id):
    """Older Metaflow versions stored cards without the `steps/<step>` level."""
    return os.path.join(root, flow, "runs", str(run_id), "tasks", str(task_id), "cards")


def card_file_name(card_type, card_uuid, card_id=None, suffix="html"):
    if card_id is None:
        return "%s-%s.%s" % (card_type, card_uuid, suffix)
    return "%s-%s-%s.%s" % (card_type, card_id, card_uuid, suffix)


def info_from_path(path, suffix="html"):
    """CardInfo of a card file name `TYPE-HASH.html` or `TYPE-ID-HASH.html`; None for other files."""
    name = os.path.basename(path)
    ending = "." + suffix
    if not name.endswith(ending):
        return None
    parts = name[: -len(ending)].split("-")
    if len(parts) == 2:
        return CardInfo(parts[0], parts[1], None, name, path)
    if len(parts) == 3:
        return CardInfo(parts[0], parts[2], parts[1], name, path)
    return None


class TaskCardStore(object):
    """The cards of one task."""

    def __init__(self, root, flow, run_id, step, task_id):
        self.root = root
        self.flow = flow
        self.run_id = str(run_id)
        self.step = step
        self.task_id = str(task_id)

    @property
    def card_dir(self):
        return task_card_dir(self.root, self.flow, self.run_id, self.step, self.task_id)

    @property
    def data_dir(self):
        return task_card_dir(self.root, self.flow, self.run_id, self.step, self.task_id, kind="runtime")

    def save_card(self, card_uuid, card_type, html, card_id=None):
        makedirs(self.card_dir)
        path = os.path.join(self.card_dir, card_file_name(card_type, card_uuid, card_id))
        atomic_write(path, html.encode("utf-8"))
        return info_from_path(path)

    def save_data(self, card_uuid, card_type, data, card_id=None):
        makedirs(self.data_dir)
        path = os.path.join(self.data_dir, card_file_name(card_type, card_uuid, card_id, suffix="data.json"))
        atomic_write(path, json.dumps(data).encode("utf-8"))
        return path

    def list_cards(self, card_type=None, card_hash=None, card_id=None):
        """CardInfos of this task's cards (oldest first), filtered by type, hash prefix and id."""
        found = []
        for directory in (self.card_dir, legacy_card_dir(self.root, self.flow, self.run_id, self.task_id)):
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                info = info_from_path(os.path.join(directory, name))
                if info is None:
                    continue
                if card_type is not None and info.type != card_type:
                    continue
                if card_id is not None and info.id != card_id:
                    continue
                if card_hash is not None and not info.hash.startswith(card_hash):
                    continue
                found.append(info)
            if found:
                break
        return sorted(found, key=lambda i: (_mtime(i.path), i.filename))

    def data_path(self, info):
        return os.path.join(self.data_dir, card_file_name(info.type, info.hash, info.id, suffix="data.json"))


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0
