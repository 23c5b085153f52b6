"""Checks messages against src/runtime/workerProtocol.schema.json: the part of JSON Schema that file
uses (type, const, enum, minimum, required, properties, additionalProperties, items, oneOf, $ref,
if/then/else), so the tests need nothing beyond the standard library."""

import json
import os

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "src", "runtime", "workerProtocol.schema.json")

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def load_schema():
    with open(SCHEMA_FILE, encoding="utf-8") as f:
        return json.load(f)


class Validator(object):
    def __init__(self, schema=None):
        self.root = schema or load_schema()
        for keyword in self._keywords(self.root):
            if keyword not in self.KNOWN:
                raise ValueError("the schema uses %r, which this validator does not check" % keyword)

    KNOWN = {"$schema", "$id", "title", "description", "definitions", "type", "const", "enum", "minimum",
             "required", "properties", "additionalProperties", "items", "oneOf", "$ref", "if", "then", "else"}

    def _keywords(self, node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key in ("properties", "definitions"):
                    for sub in value.values():
                        for k in self._keywords(sub):
                            yield k
                elif isinstance(value, (dict, list)):
                    for k in self._keywords(value):
                        yield k
        elif isinstance(node, list):
            for item in node:
                for k in self._keywords(item):
                    yield k

    def errors(self, value, definition):
        """Every problem of `value` against `#/definitions/<definition>`, as 'path: what' strings."""
        return list(self._check(value, {"$ref": "#/definitions/" + definition}, "$"))

    def _check(self, value, schema, path):
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            for e in self._check(value, self.root["definitions"][name], path):
                yield e
            return
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_TYPES[t](value) for t in types):
                yield "%s: must be %s, got %r" % (path, " or ".join(types), value)
                return
        if "const" in schema and value != schema["const"]:
            yield "%s: must be %r" % (path, schema["const"])
        if "enum" in schema and value not in schema["enum"]:
            yield "%s: must be one of %r" % (path, schema["enum"])
        if "minimum" in schema and _TYPES["number"](value) and value < schema["minimum"]:
            yield "%s: must be >= %r" % (path, schema["minimum"])
        if "if" in schema:
            branch = schema.get("then") if not list(self._check(value, schema["if"], path)) else schema.get("else")
            if branch is not None:
                for e in self._check(value, branch, path):
                    yield e
        if "oneOf" in schema:
            matches = [s for s in schema["oneOf"] if not list(self._check(value, s, path))]
            if len(matches) != 1:
                yield "%s: matches %d of the oneOf alternatives, not exactly one" % (path, len(matches))
        if isinstance(value, dict):
            for name in schema.get("required", []):
                if name not in value:
                    yield "%s: lacks %r" % (path, name)
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties", True)
            for name, item in value.items():
                if name in props:
                    sub = props[name]
                elif extra is False:
                    yield "%s: unknown field %r" % (path, name)
                    continue
                elif isinstance(extra, dict):
                    sub = extra
                else:
                    continue
                for e in self._check(item, sub, "%s.%s" % (path, name)):
                    yield e
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                for e in self._check(item, schema["items"], "%s[%d]" % (path, i)):
                    yield e


def message_errors(validator, message):
    """Problems of one worker -> scheduler message, checked against the definition its op names."""
    names = {"ready": "ReadyMessage", "init_error": "InitErrorMessage", "started": "StartedMessage",
             "log": "LogMessage", "finished": "FinishedMessage"}
    name = names.get(message.get("op") if isinstance(message, dict) else None)
    if name is None:
        return ["$: unknown op %r" % (message.get("op") if isinstance(message, dict) else message)]
    return validator.errors(message, name)
