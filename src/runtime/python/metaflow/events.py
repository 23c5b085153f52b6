"""`metaflow.events`: what started a run (`current.trigger`, `Run.trigger`) as Metaflow's API gives it."""

from collections import namedtuple
from datetime import datetime

MetaflowEvent = namedtuple("MetaflowEvent", ["name", "id", "timestamp", "type"])
MetaflowEvent.__doc__ = """One event that triggered a run: `name`, `id`, `timestamp` (a datetime when the event
carried epoch seconds) and `type` (`event` for @trigger, `run` for @trigger_on_finish)."""


def _event(entry):
    stamp = entry.get("timestamp")
    # Metaflow's own events carry epoch seconds; anything else is kept as sent.
    if isinstance(stamp, int) and not isinstance(stamp, bool) and stamp:
        stamp = datetime.fromtimestamp(stamp)
    return MetaflowEvent(name=entry.get("name"), id=entry.get("id"), timestamp=stamp, type=entry.get("type"))


def _run_pathspec(task_pathspec):
    """`Flow/run/step/task` -> `Flow/run`."""
    parts = str(task_pathspec).split("/")
    if len(parts) < 2:
        raise ValueError("The event id %r is not a task pathspec (Flow/run/step/task)." % task_pathspec)
    return "/".join(parts[:2])


class Trigger(object):
    """The events that triggered a run, latest first: a list of dicts with `name`, `id`, `timestamp`, `type`
    (the run's `execution-triggers` metadata)."""

    def __init__(self, _meta=None):
        entries = list(_meta or [])
        entries.sort(key=lambda e: e.get("timestamp") or float("-inf"), reverse=True)
        self._events = [_event(e) for e in entries]
        self._runs = None

    @classmethod
    def from_runs(cls, run_objs):
        """A Trigger for finished runs (as `--trigger Flow/run` makes for a local run of a @trigger_on_finish flow)."""
        ordered = sorted(run_objs, key=lambda r: r.finished_at, reverse=True)
        meta, valid = [], []
        for run in ordered:
            end_task = run.end_task
            if end_task is None:
                continue
            valid.append(run)
            end_step = end_task.parent.id
            names = ["metaflow.%s.%s" % (run.parent.id, end_step)]
            if end_step != "end":
                names.append("metaflow.%s.end" % run.parent.id)
            for name in names:
                meta.append({"type": "run", "timestamp": run.finished_at, "name": name, "id": end_task.pathspec})
        trigger = cls(meta)
        trigger._runs = valid
        return trigger

    @property
    def event(self):
        """The latest triggering event (None when there is none)."""
        return self._events[0] if self._events else None

    @property
    def events(self):
        """Every triggering event, latest first (None when there is none)."""
        return list(self._events) or None

    @property
    def run(self):
        """The latest run whose end triggered this one (None when no event is a run's)."""
        runs = self.runs
        return runs[0] if runs else None

    @property
    def runs(self):
        """The Client's `Run` of every triggering run event (None when no event is a run's)."""
        if self._runs is None:
            from metaflow import Run

            self._runs = [Run(_run_pathspec(e.id), _namespace_check=False) for e in self._events if e.type == "run"]
        return list(self._runs) or None

    def __getitem__(self, key):
        """By flow name when runs triggered this one, else by event name."""
        runs = self.runs
        if runs:
            for run in runs:
                if run.path_components[0] == key:
                    return run
        else:
            for event in self._events:
                if event.name == key:
                    return event
        raise KeyError(key)

    def __iter__(self):
        return iter(self._events)

    def __contains__(self, key):
        try:
            return bool(self[key])
        except KeyError:
            return False

    def __repr__(self):
        return "Trigger(%s)" % ", ".join(repr(e) for e in self._events)
