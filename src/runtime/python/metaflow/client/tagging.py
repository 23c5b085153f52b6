"""Changing a run's user tags the way Metaflow's local metadata does: its `_self.json` rewritten with
the new tag set (system tags kept, refused as user tags), read back to detect a concurrent change,
retried a few times."""

import json
import os
import random
import time

from metaflow.exception import MetaflowException
from metaflow_studio.storage import atomic_write, read_json

MAX_USER_TAG_SET_SIZE = 50
MAX_TAG_SIZE = 500


class MetaflowTaggingError(MetaflowException):
    headline = "Tagging error"


def as_tag_list(tags):
    """One tag or an iterable of tags (Metaflow accepts both)."""
    if isinstance(tags, (str, bytes)):
        return [tags]
    return list(tags)


def validate_tag(tag):
    if isinstance(tag, bytes):
        try:
            tag = tag.decode("utf-8")
        except UnicodeDecodeError:
            raise MetaflowTaggingError("Tags must be UTF-8 decodable")
    elif isinstance(tag, str):
        try:
            tag.encode("utf-8")
        except UnicodeEncodeError:
            raise MetaflowTaggingError("Tags must be UTF-8 encodable")
    else:
        raise MetaflowTaggingError("Tags must be some kind of string (bytes or unicode), got %s" % type(tag))
    if not len(tag):
        raise MetaflowTaggingError("Tags must not be empty string")
    if len(tag) > MAX_TAG_SIZE:
        raise MetaflowTaggingError("Tag is too long %d > %d" % (len(tag), MAX_TAG_SIZE))


def validate_tags(tags, existing_tags=None):
    tag_set = frozenset(tags)
    if len(tag_set) > MAX_USER_TAG_SET_SIZE:
        if existing_tags is None or len(frozenset(existing_tags)) < len(tag_set):
            raise MetaflowTaggingError("Cannot increase size of tag set beyond %d" % MAX_USER_TAG_SET_SIZE)
    for tag in tag_set:
        validate_tag(tag)


def _run_self_path(root, flow_id, run_id):
    return os.path.join(root, flow_id, str(run_id), "_meta", "_self.json")


def _read_run(path, flow_id, run_id):
    try:
        return read_json(path)
    except (OSError, ValueError):
        raise MetaflowTaggingError("Run not found (%s, %s)" % (flow_id, run_id))


def _attempt(root, flow_id, run_id, to_remove, to_add):
    """(tags, consistent): one optimistic change."""
    from .current_namespace import get_username

    path = _run_self_path(root, flow_id, run_id)
    run = _read_run(path, flow_id, run_id)
    existing_user = frozenset(run.get("tags") or [])
    existing_system = frozenset(run.get("system_tags") or [])
    remove_set = frozenset(to_remove)
    add_set = frozenset(to_add) - existing_system
    if remove_set & existing_system:
        raise MetaflowTaggingError("Cannot remove a tag that is an existing system tag (%s)"
                                   % str(sorted(remove_set & existing_system)))
    next_user = (existing_user - remove_set) | add_set
    if next_user == existing_user:
        return next_user, True
    validate_tags(next_user, existing_tags=existing_user)
    obj = {
        "run_number": str(run_id),
        "flow_id": flow_id,
        "user_name": get_username(),
        "tags": list(next_user),
        "system_tags": list(existing_system),
        "ts_epoch": int(round(time.time() * 1000)),
    }
    atomic_write(path, json.dumps(obj).encode("utf-8"))
    final = frozenset(_read_run(path, flow_id, run_id).get("tags") or [])
    if add_set - final or (remove_set & final) - add_set:
        return final, False
    return final, True


def mutate_user_tags_for_run(root, flow_id, run_id, tags_to_remove=(), tags_to_add=()):
    """The run's user tags after removing then adding; raises MetaflowTaggingError on bad tags."""
    to_remove, to_add = list(tags_to_remove or []), list(tags_to_add or [])
    if not to_add and not to_remove:
        raise MetaflowTaggingError("Must add or remove at least one tag")
    if isinstance(tags_to_add, (str, bytes)):
        raise MetaflowTaggingError("tags_to_add may not be a string")
    if isinstance(tags_to_remove, (str, bytes)):
        raise MetaflowTaggingError("tags_to_remove may not be a string")
    for tag in to_add + to_remove:
        validate_tag(tag)
    for tries in range(1, 6):
        tags, consistent = _attempt(root, flow_id, run_id, to_remove, to_add)
        if consistent:
            return tags
        time.sleep(0.3 * random.uniform(1.1, 1.3) ** tries)
    raise MetaflowTaggingError("Tagging failed due to too many conflicting updates from other processes")
