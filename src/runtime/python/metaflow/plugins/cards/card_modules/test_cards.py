"""The card types and components Metaflow's own test suite renders (`test_*` card types), with the
output its checks expect: editable cards join their components' text with `separator`, the refresh
cards put the runtime data (or components) into a page that carries the reload token."""

import hashlib
import json
import random
import string
import time

from metaflow_studio.cards_components import bytes_to_data_uri

from .card import MetaflowCard, MetaflowCardComponent
from .renderer_tools import render_safely

SEPARATOR = "$&#!!@*"


def one_pixel_png():
    """A valid 1x1 transparent PNG, built from its chunks."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
            + chunk(b"IEND", b""))


REFRESH_PAGE = (
    "<html>\n<script>\nvar METAFLOW_RELOAD_TOKEN = \"[METAFLOW_RELOAD_TOKEN]\"\n"
    "window.metaflow_card_update = function(data) {\n"
    "    document.querySelector(\"h1\").innerHTML = JSON.stringify(data);\n}\n</script>\n"
    "<h1>%(pathspec)s</h1>\n<h1>%(content)s</h1>\n</html>\n"
)


class TestStringComponent(MetaflowCardComponent):
    REALTIME_UPDATABLE = True

    def __init__(self, text):
        self._text = text

    def render(self):
        return str(self._text)

    def update(self, text):
        self._text = text


class TestJSONComponent(MetaflowCardComponent):
    REALTIME_UPDATABLE = True

    def __init__(self, data):
        self._data = data

    @render_safely
    def render(self):
        return self._data

    def update(self, data):
        self._data = data


class TestPathSpecCard(MetaflowCard):
    """The task's pathspec and a random suffix (each render differs)."""

    type = "test_pathspec_card"

    def render(self, task):
        suffix = "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(6))
        return "%s %s" % (task.pathspec, suffix)


class _JoinedComponentsCard(MetaflowCard):
    separator = SEPARATOR

    def __init__(self, components=None, **kwargs):
        self._components = list(components or [])

    def render(self, task):
        return self.separator.join(str(c) for c in self._components)


class TestEditableCard(_JoinedComponentsCard):
    type = "test_editable_card"
    ALLOW_USER_COMPONENTS = True


class TestEditableCard2(_JoinedComponentsCard):
    type = "test_editable_card_2"
    ALLOW_USER_COMPONENTS = True


class TestNonEditableCard(_JoinedComponentsCard):
    type = "test_non_editable_card"


class TestMockCard(MetaflowCard):
    """The value of the artifact named by `options["key"]`."""

    type = "test_mock_card"

    def __init__(self, options=None, **kwargs):
        self._key = (options or {}).get("key", "dummy_key")

    def render(self, task):
        return "%s" % task[self._key].data


class TestErrorCard(MetaflowCard):
    type = "test_error_card"

    def render(self, task):
        raise Exception("Unknown Things Happened")


class TestTimeoutCard(MetaflowCard):
    """Sleeps `options["timeout"]` seconds (10 when options are given without it) before rendering."""

    type = "test_timeout_card"

    def __init__(self, options=None, **kwargs):
        options = {"timeout": 50} if options is None else options
        self._timeout = options.get("timeout", 10)

    def render(self, task):
        time.sleep(self._timeout)
        return "%s" % task.pathspec


class TestRefreshCard(MetaflowCard):
    """Shows the data given to `current.card.refresh(data)`."""

    type = "test_refresh_card"
    RUNTIME_UPDATABLE = True
    ALLOW_USER_COMPONENTS = True
    RELOAD_POLICY = MetaflowCard.RELOAD_POLICY_ALWAYS

    def _page(self, task, data):
        return REFRESH_PAGE % {"pathspec": task.pathspec, "content": json.dumps(data["user"])}

    def render(self, task):
        return self._page(task, self.runtime_data)

    def render_runtime(self, task, data):
        return self._page(task, data)

    def refresh(self, task, data):
        return data


def _components_hash(components):
    joined = ",".join("".join(value) for values in components.values() for value in values)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


class TestRefreshComponentCard(MetaflowCard):
    """Shows its components; a data update carries their new values."""

    type = "test_component_refresh_card"
    RUNTIME_UPDATABLE = True
    ALLOW_USER_COMPONENTS = True
    RELOAD_POLICY = MetaflowCard.RELOAD_POLICY_ONCHANGE

    def __init__(self, components=None, **kwargs):
        self._components = list(components or [])

    def render(self, task):
        return REFRESH_PAGE % {"pathspec": task.pathspec, "content": json.dumps(self._components)}

    def render_runtime(self, task, data):
        return self.render(task)

    def refresh(self, task, data):
        return data["components"]

    def reload_content_token(self, task, data):
        if task.finished:
            return "final"
        return "runtime-%s" % _components_hash(data["components"])


class TestImageCard(MetaflowCard):
    """A one-pixel PNG as a data URI."""

    type = "test_image_card"

    def render(self, task):
        return "<html><img src='%s' /></html>" % bytes_to_data_uri(one_pixel_png())


TEST_CARD_TYPES = (
    TestPathSpecCard, TestEditableCard, TestEditableCard2, TestNonEditableCard, TestMockCard, TestErrorCard,
    TestTimeoutCard, TestRefreshCard, TestRefreshComponentCard, TestImageCard,
)
