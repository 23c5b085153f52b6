"""The `@card` decorators of one running task: `current.card` before the step runs, the cards
rendered and stored after it succeeds (Metaflow's CardDecorator + `card create`).

Nothing here may fail the task: a card that cannot be rendered, or takes longer than its
`timeout`, becomes an error card (`save_errors=True`, the default) or only a warning.
"""

import json
import signal
import threading
import time
import traceback

from metaflow.current import current

from .cards_collector import CARD_ID_PATTERN, CardComponentCollector, WARNING_PREFIX, stderr_logger
from .cards_store import TaskCardStore, open_card_files
from .cards_types import ErrorCard, card_class


class CardTimeout(BaseException):
    """Not an Exception, so the `except Exception` around each component cannot swallow it."""


def call_with_timeout(func, seconds):
    """(value, None) or (None, stack trace) when `func` ran longer than `seconds` (<= 0: no limit).

    SIGALRM interrupts the render where it is; off the main thread or without SIGALRM the render
    runs in a helper thread that is abandoned when the time is up."""
    if not seconds or seconds <= 0:
        return func(), None
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum, frame):
            raise CardTimeout("Card rendering timed out after %s seconds" % seconds)

        previous = signal.signal(signal.SIGALRM, on_alarm)
        remaining, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
        started = time.time()
        try:
            try:
                value = func()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            return value, None
        except CardTimeout:
            # Also reached when the alarm lands between the render's end and the disarm above.
            return None, traceback.format_exc()
        finally:
            signal.signal(signal.SIGALRM, previous)
            if remaining:
                signal.setitimer(signal.ITIMER_REAL, max(0.001, remaining - (time.time() - started)))
    box = {}

    def run():
        try:
            box["value"] = func()
        except BaseException as e:
            box["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None, "Card rendering timed out after %s seconds (the render was abandoned)." % seconds
    if "error" in box:
        raise box["error"]
    return box["value"], None


class CardSpec(object):
    """One `@card` decorator of the step, as resolved before the step runs."""

    def __init__(self, attributes, card_uuid, user_set_id):
        self.attributes = attributes
        self.uuid = card_uuid
        self.id = user_set_id
        self.type = attributes.get("type") or "default"
        self.cls = card_class(self.type)
        self.options = attributes.get("options") or {}
        self.runtime = bool(self.cls is not None and self.cls.RUNTIME_UPDATABLE)

    @property
    def save_type(self):
        return self.type if CARD_ID_PATTERN.match(str(self.type)) else "error"

    @property
    def timeout(self):
        try:
            return float(self.attributes.get("timeout"))
        except (TypeError, ValueError):
            return 45.0


class TaskCards(object):
    def __init__(self, ctx, flow_cls, decorators, parameter_names=(), logger=stderr_logger):
        self.ctx = ctx
        self.flow_cls = flow_cls
        self.decorators = decorators
        self.parameter_names = list(parameter_names)
        self.logger = logger
        self.store = TaskCardStore(open_card_files(ctx.root, ctx.backend), ctx.flow_name, ctx.run_id, ctx.step, ctx.task_id)
        self.collector = CardComponentCollector(logger, creator=self, step_name=ctx.step)
        self.cards = []
        self._registered = set()

    def start(self):
        """Add every card to `current.card`; call before the step's code runs."""
        for deco in self.decorators:
            attrs = deco.attributes
            card_id = attrs.get("id")
            if card_id is not None and not CARD_ID_PATTERN.match(str(card_id)):
                self.logger(WARNING_PREFIX + "@card with id '%s' doesn't match REGEX pattern. Adding custom components "
                            "to cards will not be accessible via `current.card['%s']`. Please create `id` of pattern %s. "
                            % (card_id, card_id, CARD_ID_PATTERN.pattern))
                card_id = None
            cls = card_class(attrs.get("type") or "default")
            meta = self.collector._add_card(
                attrs.get("type") or "default", card_id, attrs, attrs.get("options") or {},
                editable=bool(cls is not None and cls.ALLOW_USER_COMPONENTS),
                customize=flag(attrs.get("customize")),
                runtime_card=bool(cls is not None and cls.RUNTIME_UPDATABLE),
                refresh_interval=attrs.get("refresh_interval", 5),
                exists=cls is not None,
            )
            self.cards.append(CardSpec(attrs, meta["uuid"], card_id))
        self.collector._finalize()
        current._update_env({"card": self.collector})

    def _spec(self, card_uuid):
        return next(c for c in self.cards if c.uuid == card_uuid)

    def _task(self):
        from metaflow.client.core import Task

        ctx = self.ctx
        pathspec = "/".join((ctx.flow_name, ctx.run_id, ctx.step, ctx.task_id))
        return Task(pathspec, _root=ctx.root, _namespace_check=False)

    def _instance(self, spec, with_components=True):
        # A data update carries only the realtime components of `data`: serializing every
        # component again there would be wasted work.
        components = self.collector._serialize_components(spec.uuid) if with_components else []
        kwargs = dict(options=spec.options, components=components, graph=None, flow=self.flow_cls)
        if spec.type == "default":
            kwargs["parameter_names"] = self.parameter_names
        return spec.cls(**kwargs)

    def create(self, card_uuid, mode="render", final=False):
        """Render one card now (`render`, `render_runtime`) or save its data update (`refresh`);
        `final` marks the renders made after the task finished."""
        spec = self._spec(card_uuid)
        try:
            self._create(spec, mode, final)
        except Exception:
            self.logger(WARNING_PREFIX + "Card of type %s could not be %s:\n%s"
                        % (spec.type, "refreshed" if mode == "refresh" else "rendered", traceback.format_exc()))

    def _create(self, spec, mode, final):
        if mode != "render" and not spec.runtime:
            return
        # Components are rendered under the card's timeout too: a component may be slow.
        def latest_data():
            return self.collector._latest_data(spec.uuid, final=final, mode=mode)

        if mode == "refresh":
            task = self._task()

            def update():
                card = self._instance(spec, with_components=False)
                data = latest_data()
                return {"reload_token": card.reload_content_token(task, data), "data": card.refresh(task, data),
                        "created_on": time.time()}

            output, trace = call_with_timeout(update, spec.timeout)
            if trace is None and output["data"] is not None:
                self.store.save_data(spec.uuid, spec.save_type, output, card_id=spec.id)
            return
        html, error = None, None
        task = self._task()
        if spec.cls is None:
            error = "MetaflowCard named %s not found. Check the `type` attribute in @card" % spec.type
        else:
            def render():
                card = self._instance(spec)
                data = latest_data()
                card.runtime_data = data
                token = card.reload_content_token(task, data)
                out = card.render(task) if mode == "render" else card.render_runtime(task, data)
                return out.replace(card.RELOAD_POLICY_TOKEN, token) if isinstance(out, str) else out

            try:
                html, trace = call_with_timeout(render, spec.timeout)
            except Exception:
                html, trace = None, None
                error = "Card of type %s failed to render.\n\n%s" % (spec.type, traceback.format_exc())
            if trace is not None:
                error = ("Card rendering timed out after %s seconds. To increase the timeout duration for card "
                         "rendering, please set the `timeout` parameter in the @card decorator.\nStack Trace : \n%s"
                         % (_seconds(spec.timeout), trace))
            elif error is None and not isinstance(html, str):
                error = "No information rendered from card of type %s" % spec.type
        if error is not None:
            self.logger(WARNING_PREFIX + error.splitlines()[0])
            if not flag(spec.attributes.get("save_errors", True)):
                return
            html = ErrorCard().render(task, stack_trace=error)
        info = self.store.save_card(spec.uuid, spec.save_type, html, card_id=spec.id)
        if mode == "render":
            self._register(spec)
        return info

    def _register(self, spec):
        if spec.uuid in self._registered:
            return
        self._registered.add(spec.uuid)
        attrs = spec.attributes
        value = {
            "card_uuid": spec.uuid, "rank": attrs.get("rank"), "type": spec.type, "options": spec.options,
            "is_editable": bool(spec.cls is not None and spec.cls.ALLOW_USER_COMPONENTS),
            "is_runtime_card": spec.runtime, "refresh_interval": attrs.get("refresh_interval", 5),
            "customize": flag(attrs.get("customize")), "id": spec.id,
        }
        try:
            encoded = json.dumps(value)
        except (TypeError, ValueError):
            encoded = json.dumps(dict(value, options=str(spec.options)))
        self.ctx.meta.register_metadata([(spec.uuid, encoded, "card-info", ["attempt_id:%d" % self.ctx.attempt])])

    def finish(self, task_ok):
        """After the task's data is stored: render and save every card (only when the task succeeded,
        as Metaflow does), then the final data update of runtime cards."""
        if not task_ok:
            return
        for spec in self.cards:
            self.create(spec.uuid, mode="render", final=True)
            if spec.runtime:
                self.create(spec.uuid, mode="refresh", final=True)


def flag(value):
    """A boolean attribute, which arrives as a string from `--with card:save_errors=False`."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)


def _seconds(value):
    return int(value) if float(value).is_integer() else value


def start_cards(ctx, decorators, parameter_names=()):
    """TaskCards for the step's `@card` decorators, with `current.card` ready; None if even that
    failed (the step then runs without cards, with a warning)."""
    try:
        cards = TaskCards(ctx, ctx.flow_cls, decorators, parameter_names)
        cards.start()
        return cards
    except Exception:
        stderr_logger(WARNING_PREFIX + "The cards of step *%s* could not be set up; the step runs without them:\n%s"
                      % (ctx.step, traceback.format_exc()))
        return None
