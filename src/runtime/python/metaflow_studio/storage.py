"""Files of the local datastore: atomic writes and the content-addressed artifact store.

The byte format follows Metaflow's `content_addressed_store.py`: the key is the SHA-1 of the
pickled (protocol 4) bytes, the blob lives at `<Flow>/data/<sha[:2]>/<sha>` gzip'd at level 3,
with a `<sha>_meta` sidecar `{"cas_raw": false, "cas_version": 1}`. Metaflow's reader honours
`cas_raw: true` (it then returns the file as is), so large blobs that do not compress are
stored raw under the same key: readable by Metaflow, and no CPU spent on gzip of random bytes.
"""

import hashlib
import itertools
import json
import os
import pickle
import zlib

PICKLE_PROTOCOL = 4
ENCODING = "pickle-v4"
GZIP_LEVEL = 3
# Blobs at least this big are probed for compressibility and compressed in parallel chunks.
LARGE_BLOB = 1 << 20
CHUNK = 8 << 20
PROBE = 64 << 10
# A blob whose probe compresses to more than this fraction of its size is stored raw.
RAW_RATIO = 0.9

_tmp_counter = itertools.count()


def atomic_write(path, data, overwrite=True):
    """Write bytes to `path` through a temp file in the same directory and a rename.

    Returns False (and writes nothing) when `overwrite` is False and the file exists.
    """
    if not overwrite and os.path.exists(path):
        return False
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, ".%s.%d.%d.tmp" % (base, os.getpid(), next(_tmp_counter)))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    return True


def write_json(path, obj, overwrite=True):
    return atomic_write(path, json.dumps(obj).encode("utf-8"), overwrite)


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def makedirs(path):
    try:
        os.makedirs(path)
    except FileExistsError:
        pass


def _gzip_chunk(data):
    comp = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return comp.compress(data) + comp.flush()


def gzip_bytes(data):
    """gzip at level 3. Large inputs become a multi-member gzip stream compressed in threads
    (zlib releases the GIL); every gzip reader, Python's included, reads such streams whole."""
    if len(data) < 2 * CHUNK:
        return _gzip_chunk(data)
    from concurrent.futures import ThreadPoolExecutor

    view = memoryview(data)
    chunks = [view[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    workers = max(1, min(len(chunks), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        return b"".join(pool.map(_gzip_chunk, chunks))


def gunzip_bytes(data):
    """Decode a (possibly multi-member) gzip stream, feeding zlib bounded slices."""
    out = []
    view = memoryview(data)
    step = 1 << 20
    dec = zlib.decompressobj(31)
    pos = 0
    while pos < len(view):
        piece = view[pos : pos + step]
        pos += len(piece)
        out.append(dec.decompress(piece))
        while dec.eof:
            rest = dec.unused_data
            dec = zlib.decompressobj(31)
            if not rest:
                break
            out.append(dec.decompress(rest))
    return out[0] if len(out) == 1 else b"".join(out)


def looks_incompressible(blob):
    mid = len(blob) // 2
    sample = bytes(memoryview(blob)[mid : mid + PROBE])
    return len(zlib.compress(sample, 1)) > RAW_RATIO * len(sample)


class ContentStore(object):
    """`<root>/<Flow>/data`: content-addressed pickled artifacts."""

    def __init__(self, datastore_root, flow_name):
        self.prefix = os.path.join(datastore_root, flow_name, "data")

    def path(self, sha):
        return os.path.join(self.prefix, sha[:2], sha)

    def save_blob(self, blob):
        """Store serialized bytes; returns the sha. Existing blobs are never rewritten."""
        sha = hashlib.sha1(blob).hexdigest()
        path = self.path(sha)
        if os.path.exists(path):
            return sha
        makedirs(os.path.dirname(path))
        raw = len(blob) >= LARGE_BLOB and looks_incompressible(blob)
        packed = blob if raw else gzip_bytes(blob)
        # The sidecar goes first: a reader that sees the blob must also see how to decode it.
        atomic_write(path + "_meta", b'{"cas_raw": %s, "cas_version": 1}' % (b"true" if raw else b"false"))
        atomic_write(path, packed)
        return sha

    def load_blob(self, sha):
        path = self.path(sha)
        with open(path, "rb") as f:
            data = f.read()
        meta = None
        try:
            meta = read_json(path + "_meta")
        except FileNotFoundError:
            pass
        if meta is not None and meta.get("cas_raw", False):
            return data
        if meta is not None and meta.get("cas_version", 1) != 1:
            raise ValueError("Unknown encoding version %r for artifact %s" % (meta.get("cas_version"), sha))
        return gunzip_bytes(data)


def serialize(obj):
    return pickle.dumps(obj, protocol=PICKLE_PROTOCOL)


def deserialize(blob):
    return pickle.loads(blob)
