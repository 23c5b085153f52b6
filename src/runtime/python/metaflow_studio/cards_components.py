"""Card components a step appends through `current.card` (Metaflow's `metaflow.cards` components).

Each component's `render()` returns the JSON-able dict Metaflow's components return (`type`,
`id` and the fields of that type), so custom components written against Metaflow's contract
work unchanged; `cards_html` turns these dicts into HTML. A component whose `render` raises is
rendered as an error box naming it, never as a failed task.
"""

import base64
import json
import reprlib
import textwrap
import traceback
import uuid

TYPE_CHECK_REGEX = "^[a-zA-Z0-9_]+$"


def full_classname(obj):
    cls = type(obj)
    module = cls.__module__
    if module is None or module == str.__class__.__module__:
        return cls.__name__
    return "%s.%s" % (module, cls.__name__)


def create_component_id(component):
    return "%s_%s" % (type(component).__name__.lower(), uuid.uuid4().hex[:6])


class MetaflowCardComponent(object):
    """Base of every card component: `render()` returns a str or a JSON-able dict."""

    REALTIME_UPDATABLE = False
    _component_id = None
    _logger = None

    @property
    def component_id(self):
        return self._component_id

    @component_id.setter
    def component_id(self, value):
        if not isinstance(value, str):
            raise TypeError("Component ID must be a string")
        self._component_id = value

    def update(self, *args, **kwargs):
        raise NotImplementedError()

    def render(self):
        raise NotImplementedError()


def error_dict(headline, message, component_id=None):
    out = {"type": "log", "data": "%s\n\n%s" % (headline, message), "error": True}
    if component_id is not None:
        out["id"] = component_id
    return out


def render_component(component):
    """Render one component to a str or dict; a failure becomes an error box, never an exception."""
    name = type(component).__name__
    try:
        if isinstance(component, MetaflowCardComponent) and component.component_id is None:
            component.component_id = create_component_id(component)
        rendered = component.render()
    except Exception:
        return error_dict("Render failed of component named `%s`" % name, traceback.format_exc())
    if rendered is None:
        return None
    if type(rendered) not in (str, dict):
        return error_dict("Render failed of component named `%s`" % name,
                          "Component render didn't return a `string` or `dict` (it returned %s)." % type(rendered).__name__)
    if isinstance(rendered, dict):
        try:
            json.dumps(rendered)
        except (TypeError, ValueError, OverflowError) as e:
            return error_dict("Render failed of component named `%s`" % name,
                              "Rendered Component cannot be JSON serialized.\n\n%s" % e)
    return rendered


def render_cell(value):
    """A table cell: components are rendered, plain values kept, anything else shown as `<object>`."""
    if isinstance(value, MetaflowCardComponent):
        return render_component(value)
    if isinstance(value, (str, bool, int, float, dict, list, tuple, type(None))):
        return value
    return "<object>"


def _warn(component, message):
    logger = component._logger
    if logger is None or getattr(component, "_warned_once", False):
        return
    component._warned_once = True
    logger("[@card-component WARNING] %s" % message)


class UserComponent(MetaflowCardComponent):
    _warned_once = False

    def update(self, *args, **kwargs):
        _warn(self, "%s doesn't have an `update` method implemented and is not compatible with realtime updates."
              % type(self).__name__)


class StubComponent(UserComponent):
    """Stands in for `components[key]` of a key that does not exist yet."""

    def __init__(self, component_id):
        self._missing_id = component_id

    def update(self, *args, **kwargs):
        _warn(self, "Component with id %s doesn't exist. No updates will be made at anytime during runtime."
              % self._missing_id)

    def render(self):
        return None


def _artifact_repr(compressed):
    if not compressed:
        return repr
    r = reprlib.Repr()
    r.maxarray = r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = 100
    r.maxdict = 100
    r.maxstring = r.maxother = 100
    r.maxlevel = 3
    return r.repr


def describe_object(obj, compressed=True):
    """{type, data}: how an artifact is shown (a truncated repr unless `compressed` is off)."""
    return {"type": full_classname(obj), "data": _artifact_repr(compressed)(obj)}


class Artifact(UserComponent):
    """A pretty-printed Python object (truncated with `reprlib` unless `compressed=False`)."""

    REALTIME_UPDATABLE = True

    def __init__(self, artifact, name=None, compressed=True):
        self._artifact = artifact
        self._name = name
        self._compressed = compressed

    def update(self, artifact):
        self._artifact = artifact

    def render(self):
        item = describe_object(self._artifact, self._compressed)
        item["name"] = None if self._name is None else str(self._name)
        return {"type": "artifacts", "data": [item], "id": self.component_id}


class Table(UserComponent):
    """Rows of cells: text, numbers, or other components (`Artifact`, `Image`, `Markdown`, ...)."""

    REALTIME_UPDATABLE = True

    def __init__(self, data=None, headers=None, disable_updates=False):
        data = data or [[]]
        headers = headers or []
        self._headers = headers if isinstance(headers, list) else []
        self._data = data if isinstance(data, list) and data and isinstance(data[0], list) else [[]]
        if disable_updates:
            self.REALTIME_UPDATABLE = False

    def update(self, *args, **kwargs):
        _warn(self, "`Table` doesn't have an `update` method implemented. Components within a table can be updated "
                    "individually but the table itself cannot be updated.")

    @classmethod
    def from_dataframe(cls, dataframe=None, truncate=True):
        """A table of a pandas DataFrame (the first and last rows when `truncate` and it is long)."""
        kind = full_classname(dataframe)
        if kind != "pandas.core.frame.DataFrame":
            return cls(headers=["Object type %s not supported" % kind], disable_updates=True)
        return cls(data=_dataframe_rows(dataframe, truncate), headers=[str(c) for c in dataframe.columns],
                   disable_updates=True)

    def render(self):
        rows = [[render_cell(cell) for cell in row] for row in self._data]
        return {"type": "table", "columns": [str(h) for h in self._headers], "data": rows, "vertical": False,
                "id": self.component_id}


MAX_DATAFRAME_ROWS = 100


def _dataframe_rows(frame, truncate):
    count = len(frame.index)
    if truncate and count > MAX_DATAFRAME_ROWS:
        half = MAX_DATAFRAME_ROWS // 2
        parts = [frame.head(half), None, frame.tail(half)]
    else:
        parts = [frame]
    rows = []
    width = len(frame.columns)
    for part in parts:
        if part is None:
            rows.append(["… %d rows not shown …" % (count - MAX_DATAFRAME_ROWS)] + [""] * (width - 1))
            continue
        for values in part.itertuples(index=False, name=None):
            rows.append([v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for v in values])
    return rows


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def image_kind(data):
    for magic, kind in _IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def bytes_to_data_uri(data):
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("image data must be bytes")
    kind = image_kind(bytes(data[:16]))
    if kind is None:
        raise ValueError("bytes are not a PNG, JPEG, GIF, BMP or WebP image")
    return "data:image/%s;base64,%s" % (kind, base64.b64encode(bytes(data)).decode("ascii"))


def _fail_headline(message):
    return "[IMAGE_RENDER FAIL]: %s" % message


class Image(UserComponent):
    """An image embedded in the card as a data URI: PNG/JPEG/GIF bytes, a PIL image or a Matplotlib figure."""

    REALTIME_UPDATABLE = True

    def __init__(self, src=None, label=None, disable_updates=True):
        if disable_updates:
            self.REALTIME_UPDATABLE = False
        self._set_src(src, label)

    def _set_src(self, src, label):
        self._label = label
        self._src = None
        self._error = None
        if src is None:
            self._error = (_fail_headline("`Image` Component `src` cannot be `None`"), "")
        elif isinstance(src, str):
            if src.strip().startswith("data:image/"):
                self._src = src.strip()
            else:
                self._error = (_fail_headline("The `Image` `src` argument should be of type `bytes` or valid image "
                                              "base64 string"), "String %s is invalid base64 string" % src[:80])
        else:
            try:
                self._src = bytes_to_data_uri(src)
            except TypeError:
                self._error = (_fail_headline("The `Image` `src` argument should be of type `bytes` or valid image "
                                              "base64 string"), "Type of %s is invalid" % type(src))
            except ValueError as e:
                self._error = (_fail_headline("Bytes not parsable as image"), str(e))

    @classmethod
    def _from_error(cls, label, disable_updates, headline, message):
        img = cls(src=None, label=label, disable_updates=disable_updates)
        img._error = (_fail_headline(headline), message)
        return img

    @classmethod
    def from_pil_image(cls, pilimage, label=None, disable_updates=False):
        if not full_classname(pilimage).startswith("PIL"):
            return cls._from_error(label, disable_updates, "first argument for `Image` should be of type "
                                   "PIL.Image.Image", "Type of %s is invalid" % full_classname(pilimage))
        try:
            import io

            buf = io.BytesIO()
            pilimage.save(buf, format="PNG")
            return cls(src=buf.getvalue(), label=label, disable_updates=disable_updates)
        except Exception:
            return cls._from_error(label, disable_updates, "PIL Image Not Parsable", traceback.format_exc())

    @classmethod
    def from_matplotlib(cls, plot, label=None, disable_updates=False):
        """From a Matplotlib Figure, or anything with `get_figure()` (Axes, AxesSubplot)."""
        try:
            import io

            figure = plot if full_classname(plot) == "matplotlib.figure.Figure" else None
            if figure is None:
                if getattr(plot, "get_figure", None) is None:
                    return cls._from_error(label, disable_updates,
                                           "Invalid Type. Object %s is not from `matplotlib`" % type(plot), "")
                figure = plot.get_figure()
            buf = io.BytesIO()
            figure.savefig(buf, format="PNG")
            try:
                import matplotlib.pyplot as plt

                plt.close(figure)
            except ImportError:
                pass
            return cls(src=buf.getvalue(), label=label, disable_updates=disable_updates)
        except Exception:
            return cls._from_error(label, disable_updates, "Matplotlib plot's image is not parsable",
                                   traceback.format_exc())

    def update(self, image, label=None):
        if not self.REALTIME_UPDATABLE:
            _warn(self, "The `Image` component is disabled for realtime updates. Please set `disable_updates` to "
                        "`False` while creating the `Image` object.")
            return
        label = label if label is not None else self._label
        kind = full_classname(image)
        if isinstance(image, (bytes, bytearray, str)):
            self._set_src(image, label)
        elif kind.startswith("PIL"):
            other = Image.from_pil_image(image, label, disable_updates=False)
            self._src, self._error, self._label = other._src, other._error, label
        else:
            other = Image.from_matplotlib(image, label, disable_updates=False)
            self._src, self._error, self._label = other._src, other._error, label

    def render(self):
        if self._error is not None:
            return error_dict(self._error[0], self._error[1], self.component_id)
        return {"type": "image", "src": self._src, "label": self._label, "id": self.component_id}


class Error(UserComponent):
    """Shows an exception (its repr) under a title."""

    def __init__(self, exception, title=None):
        self._exception = exception
        self._title = title

    def render(self):
        return {"type": "log", "data": "%s\n\n%s" % (self._title, repr(self._exception)), "id": self.component_id}


class Markdown(UserComponent):
    """Markdown text; indentation common to every line is removed."""

    REALTIME_UPDATABLE = True

    def __init__(self, text=None):
        self._text = None if text is None else textwrap.dedent(text)

    def update(self, text=None):
        self._text = None if text is None else textwrap.dedent(text)

    def render(self):
        return {"type": "markdown", "source": self._text, "id": self.component_id}


class ProgressBar(UserComponent):
    """A progress bar: `update(value, metadata=...)` moves it."""

    type = "progressBar"
    REALTIME_UPDATABLE = True

    def __init__(self, max=100, label=None, value=0, unit=None, metadata=None):
        self._max = max
        self._label = label
        self._value = value
        self._unit = unit
        self._metadata = metadata

    def update(self, new_value, metadata=None):
        self._value = new_value
        if metadata is not None:
            self._metadata = metadata

    def render(self):
        out = {"type": self.type, "id": self.component_id, "max": self._max, "value": self._value}
        if self._label:
            out["label"] = self._label
        if self._unit:
            out["unit"] = self._unit
        if self._metadata:
            out["details"] = self._metadata
        return out


class VegaChart(UserComponent):
    """A Vega-Lite chart given as its spec (a dict) or an Altair chart."""

    type = "vegaChart"
    REALTIME_UPDATABLE = True

    def __init__(self, spec, show_controls=False):
        self._spec = spec
        self._show_controls = show_controls

    @staticmethod
    def _is_altair_chart(obj):
        name = full_classname(obj)
        return all(part in name for part in ("altair", "vegalite", "Chart"))

    @classmethod
    def from_altair_chart(cls, altair_chart):
        if not cls._is_altair_chart(altair_chart):
            raise ValueError(full_classname(altair_chart) + " is not an altair chart")
        return cls(spec=altair_chart.to_dict())

    def update(self, spec=None):
        if self._is_altair_chart(spec):
            spec = spec.to_dict()
        if spec is not None:
            self._spec = spec

    def render(self):
        out = {"type": self.type, "id": self.component_id, "spec": self._spec}
        if not self._show_controls:
            out["options"] = {"actions": False}
        return out


class PythonCode(UserComponent):
    """Python source: of a function or class (`code_func`) or given as text (`code_string`)."""

    def __init__(self, code_func=None, code_string=None):
        if code_func is not None:
            import inspect

            self._code = inspect.getsource(code_func)
        else:
            self._code = code_string

    def render(self):
        return {"type": "pythonCode", "data": self._code, "id": self.component_id}


class SectionComponent(MetaflowCardComponent):
    """A titled group of rendered components (what the default card is built of)."""

    def __init__(self, title=None, subtitle=None, contents=(), columns=None):
        self._title = title
        self._subtitle = subtitle
        self._contents = list(contents)
        self._columns = columns

    def render(self):
        out = {"type": "section", "contents": [c.render() if isinstance(c, MetaflowCardComponent) else c
                                                for c in self._contents]}
        if self._title is not None:
            out["title"] = self._title
        if self._subtitle is not None:
            out["subtitle"] = self._subtitle
        if self._columns is not None:
            out["columns"] = self._columns
        return out


class ErrorComponent(MetaflowCardComponent):
    def __init__(self, headline, error_message):
        self._headline = headline
        self._error_message = error_message

    def render(self):
        return error_dict(self._headline, self._error_message, self.component_id)


class WarningComponent(ErrorComponent):
    def __init__(self, message):
        super(WarningComponent, self).__init__("@card WARNING", message)


class ValueBox(UserComponent):
    """A key figure: a prominent value with optional title, subtitle, theme and change note."""

    type = "valueBox"
    REALTIME_UPDATABLE = True
    VALID_THEMES = ("default", "success", "warning", "danger", "bg-gradient-indigo-purple")

    def __init__(self, title=None, value="", subtitle=None, theme=None, change_indicator=None):
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise TypeError("ValueBox value must be a str, int or float (got %s)." % type(value).__name__)
        self._title = title
        self._value = value
        self._subtitle = subtitle
        self._theme = theme
        self._change_indicator = change_indicator

    def update(self, title=None, value=None, subtitle=None, theme=None, change_indicator=None):
        for name, given in (("_title", title), ("_value", value), ("_subtitle", subtitle), ("_theme", theme),
                            ("_change_indicator", change_indicator)):
            if given is not None:
                setattr(self, name, given)

    def render(self):
        out = {"type": self.type, "id": self.component_id, "value": self._value}
        for key, value in (("title", self._title), ("subtitle", self._subtitle), ("theme", self._theme),
                           ("change_indicator", self._change_indicator)):
            if value is not None:
                out[key] = value
        return out


class JSONViewer(UserComponent):
    """Data shown as indented JSON (a JSON string is re-indented)."""

    type = "jsonViewer"
    REALTIME_UPDATABLE = True

    def __init__(self, data, collapsible=True, max_height=None, show_copy_button=True, title=None):
        self._data = data
        self._collapsible = collapsible
        self._max_height = max_height
        self._show_copy_button = show_copy_button
        self._title = title

    def update(self, data):
        self._data = data

    def _text(self):
        data = self._data
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                pass
        return json.dumps(data, indent=2, ensure_ascii=False, default=str)

    def render(self):
        out = {"type": self.type, "id": self.component_id, "json_string": self._text(),
               "collapsible": self._collapsible, "show_copy_button": self._show_copy_button,
               "title": self._title or "JSON"}
        if self._max_height:
            out["max_height"] = self._max_height
        return out


class YAMLViewer(JSONViewer):
    """Data shown as YAML (PyYAML when installed, else a plain-data emitter of the standard library)."""

    type = "yamlViewer"

    def render(self):
        data = self._data
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                text = data
                data = None
        if data is not None or not isinstance(self._data, str):
            text = to_yaml(data)
        out = {"type": self.type, "id": self.component_id, "yaml_string": text, "collapsible": self._collapsible,
               "show_copy_button": self._show_copy_button, "title": self._title or "YAML"}
        if self._max_height:
            out["max_height"] = self._max_height
        return out


def to_yaml(data):
    try:
        import yaml
    except ImportError:
        return "\n".join(yaml_lines(data, 0)) + "\n"
    return yaml.safe_dump(data, default_flow_style=False, indent=2, sort_keys=False)


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    plain = text and text.strip() == text and not any(c in text for c in ":#{}[],&*!|>'\"%@`\n") \
        and text.lower() not in ("null", "true", "false", "yes", "no", "~") and not _looks_numeric(text)
    return text if plain else json.dumps(text, ensure_ascii=False)


def _looks_numeric(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def yaml_lines(data, depth=0):
    pad = "  " * depth
    if isinstance(data, dict):
        if not data:
            return [pad + "{}"]
        lines = []
        for key, value in data.items():
            head = "%s%s:" % (pad, _yaml_scalar(key))
            if isinstance(value, (dict, list, tuple)) and value:
                lines.append(head)
                lines.extend(yaml_lines(value, depth + 1))
            else:
                lines.append("%s %s" % (head, yaml_lines(value, 0)[0].strip()))
        return lines
    if isinstance(data, (list, tuple)):
        if not data:
            return [pad + "[]"]
        lines = []
        for value in data:
            if isinstance(value, (dict, list, tuple)) and value:
                nested = yaml_lines(value, depth + 1)
                lines.append("%s- %s" % (pad, nested[0].strip()))
                lines.extend(nested[1:])
            else:
                lines.append("%s- %s" % (pad, yaml_lines(value, 0)[0].strip()))
        return lines
    return [pad + _yaml_scalar(data)]
