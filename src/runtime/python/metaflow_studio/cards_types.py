"""Card types (Metaflow's `MetaflowCard` subclasses): `default` shows the task — its components,
metadata, code, parameters, artifacts, image and table artifacts; `blank` only the components;
`error` a failed card's stack trace. Each renders a self-contained page (`cards_html`)."""

import inspect
import textwrap

from . import cards_html
from .cards_components import (
    MetaflowCardComponent,
    SectionComponent,
    Table,
    describe_object,
    error_dict,
    full_classname,
    image_kind,
    bytes_to_data_uri,
)

MAX_ARTIFACT_SIZE = 200 * 1024 * 1024


class MetaflowCard(object):
    """Base class of card types: `render(task)` returns the card's HTML."""

    RELOAD_POLICY_NEVER = "never"
    RELOAD_POLICY_ALWAYS = "always"
    RELOAD_POLICY_ONCHANGE = "onchange"
    RELOAD_POLICY_TOKEN = "[METAFLOW_RELOAD_TOKEN]"

    type = None
    ALLOW_USER_COMPONENTS = False
    RUNTIME_UPDATABLE = False
    RELOAD_POLICY = RELOAD_POLICY_NEVER
    scope = "task"
    # The latest data update, readable while `render` runs (Metaflow's test refresh card reads it).
    runtime_data = None

    def __init__(self, options=None, components=None, graph=None, flow=None, **kwargs):
        pass

    def render(self, task):
        raise NotImplementedError()

    def render_runtime(self, task, data):
        raise NotImplementedError()

    def refresh(self, task, data):
        raise NotImplementedError()

    def reload_content_token(self, task, data):
        return "content-token"


def _on_change_token(task, data):
    if data is None or data.get("render_seq") == "final":
        return "final"
    return "runtime-%s" % data.get("component_update_ts")


class BlankCard(MetaflowCard):
    type = "blank"
    ALLOW_USER_COMPONENTS = True
    RUNTIME_UPDATABLE = True
    RELOAD_POLICY = MetaflowCard.RELOAD_POLICY_ONCHANGE

    def __init__(self, options=None, components=None, graph=None, **kwargs):
        options = options or {}
        self._title = options.get("title", "")
        self._components = list(components or [])

    def render(self, task, components=None, runtime=False):
        items = [c.render() if isinstance(c, MetaflowCardComponent) else c for c in (components or [])]
        items += self._components
        return cards_html.page(self._title or task.pathspec, task.pathspec if self._title else "", items, self.type)

    def render_runtime(self, task, data):
        return self.render(task, runtime=True)

    def refresh(self, task, data):
        return data["components"]

    def reload_content_token(self, task, data):
        return _on_change_token(task, data)


class DefaultCard(MetaflowCard):
    type = "default"
    ALLOW_USER_COMPONENTS = True
    RUNTIME_UPDATABLE = True
    RELOAD_POLICY = MetaflowCard.RELOAD_POLICY_ONCHANGE

    def __init__(self, options=None, components=None, graph=None, flow=None, parameter_names=None, **kwargs):
        options = options or {}
        self._only_repr = bool(options.get("only_repr", True))
        self._max_artifact_size = options.get("max_artifact_size", MAX_ARTIFACT_SIZE)
        self._components = list(components or [])
        self._flow = flow
        self._parameter_names = set(parameter_names or ())

    def render(self, task, runtime=False):
        items = list(self._components)
        items.append(SectionComponent("Task Metadata", contents=[_metadata_table(task, runtime)]).render())
        code = self._step_code(task)
        if code:
            items.append(SectionComponent("Task Code", contents=[{"type": "pythonCode", "data": code}]).render())
        if runtime:
            items.append({"type": "text", "text": "The task is still running: artifacts appear when it finishes."})
        else:
            items.extend(self._artifact_sections(task))
        return cards_html.page("Task Info", task.pathspec, items, self.type)

    def render_runtime(self, task, data):
        return self.render(task, runtime=True)

    def refresh(self, task, data):
        return data["components"]

    def reload_content_token(self, task, data):
        return _on_change_token(task, data)

    def _step_code(self, task):
        if self._flow is None:
            return None
        try:
            return textwrap.dedent(inspect.getsource(getattr(self._flow, task.path_components[2])))
        except (AttributeError, OSError, TypeError):
            return None

    def _artifact_sections(self, task):
        params, artifacts, images, tables = [], [], [], []
        for art in task:
            name = art.id
            if name.startswith("_") or name == "name":
                continue
            size = art.size
            if size is not None and self._max_artifact_size is not None and size > self._max_artifact_size:
                item = {"name": name, "type": "unknown",
                        "data": "<artifact too large: %s bytes, max: %s bytes>" % (size, self._max_artifact_size)}
            else:
                try:
                    value = art.data
                    item = describe_object(value, self._only_repr)
                    item["name"] = name
                    self._collect_rich(name, value, images, tables)
                except Exception as e:
                    item = {"name": name, "type": "unknown", "data": "<cannot be shown: %s: %s>" % (type(e).__name__, e)}
            (params if name in self._parameter_names else artifacts).append(item)
        sections = [
            SectionComponent("Flow Parameters", contents=[
                {"type": "artifacts", "data": params} if params else {"type": "title", "text": "No Parameters"}]).render(),
            SectionComponent("Artifacts", contents=[
                {"type": "artifacts", "data": artifacts} if artifacts else {"type": "title", "text": "No Artifacts"}]).render(),
        ]
        if tables:
            sections.append(SectionComponent("Tabular Data", contents=tables).render())
        if images:
            sections.append(SectionComponent("Image Data", contents=images, columns=min(len(images), 3)).render())
        return sections

    @staticmethod
    def _collect_rich(name, value, images, tables):
        if isinstance(value, (bytes, bytearray)) and image_kind(bytes(value[:16])):
            images.append({"type": "image", "src": bytes_to_data_uri(value), "label": name})
        elif full_classname(value) == "pandas.core.frame.DataFrame":
            table = Table.from_dataframe(value).render()
            tables.append(SectionComponent("Artifact Name: %s" % name, contents=[table]).render())


def _metadata_table(task, runtime):
    rows = [("Pathspec", task.pathspec)]
    for label, getter in (("Task Created On", lambda: task.created_at), ("Task Finished On", lambda: task.finished_at),
                          ("Attempt", lambda: task.current_attempt)):
        try:
            value = getter()
        except Exception:
            value = None
        if value is not None and not (runtime and label == "Task Finished On"):
            rows.append((label, str(value)))
    try:
        tags = sorted(set(task.tags) | set(task.system_tags))
    except Exception:
        tags = []
    user = [t.split("user:", 1)[1] for t in tags if t.startswith("user:")]
    if user:
        rows.append(("User", user[0]))
    if tags:
        rows.append(("Tags", ", ".join(tags)))
    return {"type": "table", "columns": [r[0] for r in rows], "data": [[r[1] for r in rows]], "vertical": True}


class ErrorCard(MetaflowCard):
    type = "error"
    RELOAD_POLICY = MetaflowCard.RELOAD_POLICY_ONCHANGE

    def __init__(self, options=None, components=None, graph=None, **kwargs):
        pass

    def render(self, task, stack_trace=None):
        section = SectionComponent("Card Render Failed With Error",
                                   contents=[error_dict("Card render failed", stack_trace or "None")]).render()
        return cards_html.page("Error Card", task.pathspec, [section], self.type)

    def reload_content_token(self, task, data):
        return _on_change_token(task, data)


class TaskSpecCard(MetaflowCard):
    """Only the task's pathspec (Metaflow's suite checks cards against it)."""

    type = "taskspec_card"

    def render(self, task):
        return "%s" % task.pathspec


CARD_TYPES = dict((c.type, c) for c in (DefaultCard, BlankCard, ErrorCard, TaskSpecCard))


def card_class(card_type):
    """The card type's class: the built-in ones, the test cards Metaflow also ships, then the card
    types of installed Metaflow extensions."""
    found = CARD_TYPES.get(card_type)
    if found is None and str(card_type).startswith("test_"):
        from metaflow.plugins.cards.card_modules.test_cards import TEST_CARD_TYPES

        found = next((c for c in TEST_CARD_TYPES if c.type == card_type), None)
    if found is None:
        from .cards_extensions import extension_card_types

        found = extension_card_types().get(card_type)
    return found
