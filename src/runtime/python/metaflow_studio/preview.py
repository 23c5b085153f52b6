"""Previews of artifact values for the editor, in a short-lived process: the extension host never
unpickles. The request (JSON on stdin) names the blob by sha; the answer (JSON on stdout) is one of
the kinds below, or `unavailable` with a message naming the class and size when the value is too big,
its class cannot be imported here, or it cannot be unpickled.

    python3 -m metaflow_studio.preview < {"root", "flow", "sha", "type", "size", "max_bytes", ...}

Kinds: scalar, text, json, bytes, image, table, repr, unavailable.
"""

import base64
import collections
import io
import json
import pickle
import sys

from .storage import ContentStore

ForeachFrame = collections.namedtuple("ForeachFrame", ["step", "var", "num_splits", "index", "value"])

MAX_CHARS = 20000
MAX_ROWS = 50
HEX_HEAD = 256
IMAGE_MAX = 8 << 20


class UnknownClass(Exception):
    def __init__(self, module, name, reason):
        Exception.__init__(self, "%s.%s" % (module, name))
        self.qualname = "%s.%s" % (module, name)
        self.reason = reason


class _Unpickler(pickle.Unpickler):
    # A class defined in the flow file (`__main__`) is never importable here; importing a user's
    # module to find one would run that module's code, so it is reported instead.
    def find_class(self, module, name):
        if name == "ForeachFrame":
            return ForeachFrame
        if module == "__main__":
            raise UnknownClass(module, name, "it is defined in the flow file, which is not imported for previews")
        try:
            return pickle.Unpickler.find_class(self, module, name)
        except Exception as error:
            raise UnknownClass(module, name, "%s: %s" % (type(error).__name__, error))


def _clip(text, limit):
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def _image_mime(data):
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    return None


def _class_name(value):
    cls = type(value)
    return "%s.%s" % (cls.__module__, cls.__qualname__) if cls.__module__ != "builtins" else cls.__qualname__


def _json_default(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return repr(value)


def _table(frame, rows):
    head = frame.head(rows)
    return {
        "kind": "table",
        "columns": [str(c) for c in head.columns],
        "index": [str(i) for i in head.index],
        "rows": [[str(v) for v in row] for row in head.itertuples(index=False, name=None)],
        "shape": list(frame.shape),
    }


def describe(value, max_chars=MAX_CHARS, rows=MAX_ROWS):
    """The preview of an already loaded value."""
    cls = _class_name(value)
    if value is None or isinstance(value, (bool, int, float, complex)):
        return {"kind": "scalar", "class": cls, "text": repr(value)}
    if isinstance(value, str):
        text, cut = _clip(value, max_chars)
        return {"kind": "text", "class": cls, "text": text, "truncated": cut, "length": len(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        mime = _image_mime(data)
        if mime and len(data) <= IMAGE_MAX:
            return {"kind": "image", "class": cls, "mime": mime, "size": len(data), "base64": base64.b64encode(data).decode("ascii")}
        return {"kind": "bytes", "class": cls, "size": len(data), "hex": data[:HEX_HEAD].hex(), "truncated": len(data) > HEX_HEAD}
    module = type(value).__module__ or ""
    if module.startswith("pandas") and type(value).__name__ == "DataFrame":
        out = _table(value, rows)
        out["class"] = cls
        return out
    if module.startswith("PIL") and hasattr(value, "save"):
        buf = io.BytesIO()
        value.save(buf, format="PNG")
        data = buf.getvalue()
        if len(data) <= IMAGE_MAX:
            return {"kind": "image", "class": cls, "mime": "image/png", "size": len(data), "base64": base64.b64encode(data).decode("ascii")}
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        try:
            text = json.dumps(value, indent=2, default=_json_default, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
        text, cut = _clip(text, max_chars)
        return {"kind": "json", "class": cls, "text": text, "truncated": cut, "length": len(value)}
    text, cut = _clip(repr(value), max_chars)
    return {"kind": "repr", "class": cls, "text": text, "truncated": cut}


def _human(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return ("%d %s" % (size, unit)) if unit == "bytes" else ("%.1f %s" % (size, unit))
        size /= 1024.0


def preview(request):
    type_name = request.get("type") or "an unknown class"
    size = request.get("size")
    max_bytes = int(request.get("max_bytes", 64 << 20))
    if isinstance(size, int) and size > max_bytes:
        return {"kind": "unavailable", "class": type_name, "size": size,
                "message": "%s of %s is larger than the preview limit of %s" % (type_name, _human(size), _human(max_bytes))}
    store = ContentStore(request["root"], request["flow"])
    try:
        blob = store.load_blob(request["sha"])
    except (OSError, ValueError) as error:
        return {"kind": "unavailable", "class": type_name, "size": size,
                "message": "cannot read the stored value %s: %s" % (store.path(request["sha"]), error)}
    if len(blob) > max_bytes:
        return {"kind": "unavailable", "class": type_name, "size": len(blob),
                "message": "%s of %s is larger than the preview limit of %s" % (type_name, _human(len(blob)), _human(max_bytes))}
    try:
        value = _Unpickler(io.BytesIO(blob)).load()
    except UnknownClass as error:
        return {"kind": "unavailable", "class": error.qualname, "size": len(blob),
                "message": "%s (%s) cannot be shown here: %s" % (error.qualname, _human(len(blob)), error.reason)}
    except Exception as error:
        return {"kind": "unavailable", "class": type_name, "size": len(blob),
                "message": "%s (%s) cannot be unpickled: %s: %s" % (type_name, _human(len(blob)), type(error).__name__, error)}
    out = describe(value, int(request.get("max_chars", MAX_CHARS)), int(request.get("rows", MAX_ROWS)))
    out.setdefault("size", len(blob))
    return out


def values(request):
    """Short reprs of several artifacts (run comparison's parameters), each failing on its own."""
    store = ContentStore(request["root"], request["flow"])
    limit = int(request.get("max_chars", 200))
    out = {}
    for name, sha in sorted(request["artifacts"].items()):
        try:
            text = repr(_Unpickler(io.BytesIO(store.load_blob(sha))).load())
            out[name] = text if len(text) <= limit else text[:limit] + "..."
        except UnknownClass as error:
            out[name] = "<%s: not importable here>" % error.qualname
        except Exception as error:
            out[name] = "<unreadable: %s>" % type(error).__name__
    return out


def main(argv):
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    if argv == ["values"]:
        result = values(request)
    elif argv == []:
        result = preview(request)
    else:
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
