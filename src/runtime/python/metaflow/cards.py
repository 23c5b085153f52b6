"""`metaflow.cards`: card components for `current.card`, card types, and `get_cards` to read a
task's cards back. Loaded only when a flow imports it, so `import metaflow` stays light."""

import os

from metaflow.exception import MetaflowException
from metaflow_studio.cards_components import (
    Artifact,
    Error,
    Image,
    JSONViewer,
    Markdown,
    MetaflowCardComponent,
    ProgressBar,
    PythonCode,
    Table,
    ValueBox,
    VegaChart,
    YAMLViewer,
)
from metaflow_studio.cards_store import TaskCardStore, open_card_files
from metaflow_studio.cards_types import BlankCard, DefaultCard, ErrorCard, MetaflowCard

__all__ = [
    "Artifact", "BlankCard", "Card", "CardContainer", "DefaultCard", "Error", "ErrorCard", "Image", "JSONViewer",
    "Markdown", "MetaflowCard", "MetaflowCardComponent", "ProgressBar", "PythonCode", "Table", "ValueBox", "VegaChart",
    "YAMLViewer", "get_cards",
]


class Card(object):
    """One stored card: `get()` returns its HTML."""

    def __init__(self, store, info, pathspec):
        self._store = store
        self._info = info
        self._pathspec = pathspec
        self._html = None

    def get(self):
        if self._html is None:
            self._html = self._store.read_card(self._info)
        return self._html

    def get_data(self):
        """The card's latest runtime data update, or None."""
        return self._store.read_data(self._info)

    @property
    def path(self):
        return self._info.path

    @property
    def id(self):
        return self._info.id

    @property
    def type(self):
        return self._info.type

    @property
    def hash(self):
        return self._info.hash

    @property
    def pathspec(self):
        return self._pathspec

    def view(self):
        import webbrowser

        path = self.path
        if not os.path.exists(path):
            # A card in Azure Blob: the browser gets a local copy.
            import tempfile

            with tempfile.NamedTemporaryFile("wb", suffix=".html", delete=False) as f:
                f.write(self.get().encode("utf-8"))
                path = f.name
        webbrowser.open("file://" + os.path.abspath(path))

    def _repr_html_(self):
        return self.get()

    def __str__(self):
        return "<Card at '%s'>" % self.path

    __repr__ = __str__


class CardContainer(object):
    """The cards `get_cards` found: an immutable list of `Card`."""

    def __init__(self, cards):
        self._cards = list(cards)

    def __len__(self):
        return len(self._cards)

    def __iter__(self):
        return iter(self._cards)

    def __getitem__(self, index):
        return self._cards[index]

    def _repr_html_(self):
        return "\n".join("<h1>Displaying Card Of Type : %s</h1>\n%s" % (c.type.title(), c.get()) for c in self._cards)


def get_cards(task, id=None, type=None, follow_resumed=True):
    """The cards of a task: a `Task` object or a pathspec `Flow/run/step/task`, optionally only
    those of one `@card(id=...)` or card type."""
    from metaflow.client.core import Task

    if isinstance(task, str):
        if len(task.split("/")) != 4:
            raise MetaflowException("get_cards needs a task pathspec of the form Flow/run_id/step/task_id (got %r)."
                                    % task)
        # As Metaflow's get_cards: a pathspec is looked up in every namespace (and the namespace stays None).
        from metaflow.client.current_namespace import namespace

        namespace(None)
        task = Task(task)
    elif not isinstance(task, Task):
        raise MetaflowException("get_cards takes a Task object or a task pathspec string (got %s)."
                                % task.__class__.__name__)
    flow, run_id, step, task_id = task.pathspec.split("/")
    from metaflow_studio.azure_datastore import TaskLocator

    backend = TaskLocator().backend_for(os.path.join(task._root, flow, run_id, step, task_id))
    store = TaskCardStore(open_card_files(task._root, backend), flow, run_id, step, task_id)
    infos = store.list_cards(card_type=type, card_id=id)
    if not infos and follow_resumed:
        origin = _origin_task(task)
        if origin is not None:
            return get_cards(origin, id=id, type=type, follow_resumed=False)
    if not infos and not store.list_cards():
        # As Metaflow: a task with no card at all is an error; a filter matching none is an empty list.
        from metaflow.plugins.cards.exception import CardNotPresentException

        raise CardNotPresentException(task.pathspec, card_type=type)
    return CardContainer(Card(store, info, task.pathspec) for info in infos)


def _origin_task(task):
    """The task a resumed run cloned this one from (its cards stay where they were made)."""
    from metaflow.client.core import Task

    meta = task.metadata_dict
    origin_run, origin_task = meta.get("origin-run-id"), meta.get("origin-task-id")
    if not origin_run or origin_run == "None" or not origin_task:
        return None
    flow, _, step, _ = task.pathspec.split("/")
    try:
        return Task("/".join((flow, str(origin_run), step, str(origin_task))), _root=task._root, _namespace_check=False)
    except Exception:
        return None
