"""`current.card`: collects the components a step adds to its cards (Metaflow's
CardComponentCollector semantics).

- `current.card.append/extend/clear/refresh/components` act on the *default editable* card: the
  only editable card; else the only one without an id; a `customize=True` card wins.
- `current.card[ID]` reaches the card of `@card(id=ID)`; an unknown ID warns and returns a
  detached list, so the step never fails because of a card.
- Used in a step without `@card`, every call warns once and is ignored.
"""

import json
import os
import re
import sys
import time
import uuid

from .cards_components import MetaflowCardComponent, StubComponent, TYPE_CHECK_REGEX, WarningComponent, create_component_id, render_component

CARD_ID_PATTERN = re.compile(TYPE_CHECK_REGEX)
WARNING_PREFIX = "[@card WARNING] "


def stderr_logger(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def cards_no_warning():
    return os.environ.get("METAFLOW_CARD_NO_WARNING", "").lower() in ("1", "true", "yes")


class ComponentOverwriteNotSupportedException(Exception):
    def __init__(self, component_id, card_id, card_type):
        Exception.__init__(
            self,
            "Component with id %s already exists in the card %s (type %s). Components cannot be replaced one by one: "
            "assign a whole new list with `current.card['%s'] = [...]` instead." % (component_id, card_id, card_type, card_id),
        )


class ComponentStore(object):
    """The ordered components of one card, addressable by component id."""

    def __init__(self, logger, card_type=None, components=None, user_set_id=None):
        self._logger = logger
        self._card_type = card_type
        self._user_set_id = user_set_id
        self._map = {}
        self.layout_last_changed_on = time.time()
        for c in list(components or []):
            self._store(c)

    def _store(self, component, component_id=None):
        if not isinstance(component, MetaflowCardComponent):
            self._logger(WARNING_PREFIX + "Component (%s) is not a valid MetaflowCardComponent. It will not be stored."
                         % (component,))
            return
        if component_id is not None:
            component.component_id = component_id
        elif component.component_id is None:
            component.component_id = create_component_id(component)
        component._logger = self._logger
        self._map[component.component_id] = component
        self.layout_last_changed_on = time.time()

    def __iter__(self):
        return iter(list(self._map.values()))

    def __len__(self):
        return len(self._map)

    def __contains__(self, key):
        return key in self._map

    def __getitem__(self, key):
        if key not in self._map:
            self._store(StubComponent(key), component_id=key)
        return self._map[key]

    def __setitem__(self, key, value):
        if self._map.get(key) is not None:
            raise ComponentOverwriteNotSupportedException(key, self._user_set_id, self._card_type)
        self._store(value, component_id=key)

    def __delitem__(self, key):
        if key not in self._map:
            raise KeyError("MetaflowCardComponent with id `%s` not found. Available components for the cards include : %s"
                           % (key, ", ".join(self.keys())))
        del self._map[key]
        self.layout_last_changed_on = time.time()

    def append(self, component, id=None):
        self._store(component, component_id=id)

    def extend(self, components):
        for c in components:
            self._store(c)

    def clear(self):
        self._map.clear()
        self.layout_last_changed_on = time.time()

    def keys(self):
        return list(self._map.keys())

    def values(self):
        return list(self._map.values())

    def __str__(self):
        return "Card components present in the card: `%s` " % "`, `".join(self.keys())


class CardComponentManager(object):
    """One card's components, and `refresh` for cards that update while the task runs."""

    def __init__(self, card_uuid, card_type, creator, components=None, logger=stderr_logger, user_set_card_id=None,
                 runtime_card=False, refresh_interval=5):
        self._uuid = card_uuid
        self._creator = creator
        self._runtime_card = runtime_card
        self._refresh_interval = _number(refresh_interval, 5)
        self._logger = logger
        self._latest_user_data = None
        self._last_refresh = 0.0
        self._last_layout = None
        self._render_seq = 0
        self._components = ComponentStore(logger, card_type, components, user_set_card_id)

    def append(self, component, id=None):
        self._components.append(component, id=id)

    def extend(self, components):
        self._components.extend(components)

    def clear(self):
        self._components.clear()

    @property
    def components(self):
        return self._components

    def __iter__(self):
        return iter(self._components)

    def refresh(self, data=None, force=False):
        """Re-render the card now (rate-limited by `refresh_interval`); ignored for cards that do
        not update at runtime."""
        self._latest_user_data = data
        now = time.time()
        if not force and now - self._last_refresh < self._refresh_interval:
            return
        self._last_refresh = now
        if self._creator is None or not self._runtime_card:
            return
        # The first refresh always renders the card (its layout was never rendered), as in Metaflow.
        first_render = self._render_seq == 0
        layout_changed = first_render or self._last_layout != self._components.layout_last_changed_on
        if force or layout_changed:
            self._render_seq += 1
            self._creator.create(self._uuid, mode="render_runtime")
            self._last_layout = self._components.layout_last_changed_on
            if first_render:
                return
        self._creator.create(self._uuid, mode="refresh")

    def latest_data(self, final=False, mode=None):
        """What runtime updates carry: realtime components, user data, sequence and layout stamp."""
        components = {}
        for c in self._components:
            if c.REALTIME_UPDATABLE:
                rendered = render_component(c)
                if rendered is not None:
                    components[c.component_id] = rendered
        user = self._latest_user_data
        try:
            json.dumps(user)
        except (TypeError, ValueError):
            self._logger(WARNING_PREFIX + "Data provided to `refresh` is not JSON serializable. It will be ignored.")
            user = {}
        return {"user": user if user is not None else {}, "components": components,
                "render_seq": "final" if final else self._render_seq,
                "component_update_ts": self._components.layout_last_changed_on, "mode": mode}


def _number(value, default):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class CardComponentCollector(object):
    """`current.card`. `step_name` names the step in warnings about a step without `@card`."""

    def __init__(self, logger=stderr_logger, creator=None, step_name=None):
        self._logger = logger
        self._creator = creator
        self._step_name = step_name
        self._managers = {}
        self._meta = {}
        self._id_map = {}
        self._default = None
        self._warned = {"__getitem__": {}, "append": False, "extend": False, "components": False, "no_card": set()}
        self._no_warnings = cards_no_warning()

    @staticmethod
    def create_uuid():
        return uuid.uuid4().hex

    def _warning(self, message):
        self._logger(WARNING_PREFIX + message)

    def _add_card(self, card_type, card_id, decorator_attributes, card_options, editable=False, customize=False,
                  suppress_warnings=False, runtime_card=False, refresh_interval=5, exists=True):
        card_uuid = self.create_uuid()
        meta = dict(type=card_type, uuid=card_uuid, card_id=card_id, editable=editable, customize=customize,
                    suppress_warnings=suppress_warnings, runtime_card=runtime_card, exists=exists,
                    decorator_attributes=decorator_attributes, card_options=card_options,
                    refresh_interval=refresh_interval)
        self._meta[card_uuid] = meta
        self._managers[card_uuid] = CardComponentManager(card_uuid, card_type, self._creator, logger=self._logger,
                                                         user_set_card_id=card_id, runtime_card=runtime_card,
                                                         refresh_interval=refresh_interval)
        return meta

    def _finalize(self):
        """Called once every `@card` of the step has been added: resolve ids and the default card."""
        metas = list(self._meta.values())
        ids = [m["card_id"] for m in metas if m["card_id"] is not None]
        for m in metas:
            if m["card_id"] is not None:
                self._id_map[m["card_id"]] = m["uuid"]
        duplicates = sorted(set(i for i in ids if ids.count(i) > 1))
        if duplicates:
            self._warning("Multiple `@card` decorator have been annotated with duplicate ids : %s. "
                          "`current.card['%s']` will not work" % (", ".join(duplicates), duplicates[0]))
            for i in duplicates:
                del self._id_map[i]
        editable = [m for m in metas if m["editable"]]
        if len(editable) == 1:
            self._default = editable[0]["uuid"]
            return
        without_id = [m for m in editable if m["card_id"] is None]
        if len(without_id) == 1:
            self._default = without_id[0]["uuid"]
        customized = [m for m in editable if m["customize"]]
        if len(customized) > 1:
            self._warning("Multiple @card decorators have `customize=True`. Only one @card per @step can have "
                          "`customize=True`. `current.card.append` will ignore all decorators marked `customize=True`.")
        elif len(customized) == 1:
            self._default = customized[0]["uuid"]

    def _no_card_warning(self, what):
        if what in self._warned["no_card"]:
            return
        self._warned["no_card"].add(what)
        step = (" *%s*" % self._step_name) if self._step_name else ""
        self._warning("`%s` was used in step%s, which has no @card decorator, so no card is produced and "
                      "the call is ignored. Add @card above @step to get a card."
                      % (what, step))

    def _add_warning_to_cards(self, message):
        if self._no_warnings:
            return
        for card_uuid, manager in self._managers.items():
            if not self._meta[card_uuid]["suppress_warnings"]:
                manager.append(WarningComponent(message))

    def _unresolved(self, what, verb):
        if not self._meta:
            self._no_card_warning("current.card.%s" % what)
            return
        if self._warned.get(what):
            return
        self._warned[what] = True
        if len(self._meta) == 1:
            meta = list(self._meta.values())[0]
            if meta["exists"]:
                lines = ["Card of type `%s` is not an editable card." % meta["type"],
                         "Component will not be %s and `current.card.%s` will not work for any call during this runtime "
                         "execution." % (verb, what), "Please use an editable card."]
            else:
                lines = ["Card of type `%s` doesn't exist." % meta["type"],
                         "Component will not be %s and `current.card.%s` will not work for any call during this runtime "
                         "execution." % (verb, what), "Please use a card `type` which exists."]
        else:
            lines = ["`current.card.%s` cannot disambiguate between multiple editable cards." % what,
                     "Component will not be %s and `current.card.%s` will not work for any call during this runtime "
                     "execution." % (verb, what),
                     "To fix this set the `id` argument in all @card's when using multiple @card decorators over a "
                     "single @step."]
        self._warning(" ".join(lines))
        if what != "components":
            self._add_warning_to_cards("\n".join(lines))

    def __getitem__(self, key):
        if key in self._id_map:
            return self._managers[self._id_map[key]]
        if not self._meta:
            self._no_card_warning("current.card[%r]" % (key,))
            return []
        if key not in self._warned["__getitem__"]:
            lines = ["`current.card['%s']` is not present. Please set the `id` argument in @card to '%s' to access "
                     "`current.card['%s']`." % (key, key, key),
                     "`current.card['%s']` will return an empty `list` which is not referenced to `current.card` "
                     "object." % key]
            self._warning(" ".join(lines))
            self._add_warning_to_cards("\n".join(lines))
            self._warned["__getitem__"][key] = True
        return []

    def __setitem__(self, key, value):
        if key not in self._id_map:
            if not self._meta:
                self._no_card_warning("current.card[%r] = ..." % (key,))
                return
            self._warning("`current.card['%s']` is not present. Please set the `id` argument in @card to '%s' to access "
                          "`current.card['%s']`. " % (key, key, key))
            return
        if not isinstance(value, list):
            self._warning("`current.card['%s']` not set. `current.card['%s']` should be a `list` of "
                          "`MetaflowCardComponent`." % (key, key))
            return
        card_uuid = self._id_map[key]
        meta = self._meta[card_uuid]
        self._managers[card_uuid] = CardComponentManager(
            card_uuid, meta["type"], self._creator, components=value, logger=self._logger, user_set_card_id=key,
            runtime_card=meta["runtime_card"], refresh_interval=meta["refresh_interval"])

    def append(self, component, id=None):
        if self._default is None:
            self._unresolved("append", "appended")
            return
        self._managers[self._default].append(component, id=id)

    def extend(self, components):
        if self._default is None:
            self._unresolved("extend", "extended")
            return
        self._managers[self._default].extend(components)

    @property
    def components(self):
        if self._default is None:
            self._unresolved("components", "accessible")
            return None
        return self._managers[self._default].components

    def clear(self):
        if self._default is not None:
            self._managers[self._default].clear()
        elif not self._meta:
            self._no_card_warning("current.card.clear")

    def refresh(self, *args, **kwargs):
        if self._default is not None:
            self._managers[self._default].refresh(*args, **kwargs)
        elif not self._meta:
            self._no_card_warning("current.card.refresh")

    def get(self, type=None):
        """Every card manager of a card type (a step may carry several cards of one type)."""
        return [self._managers[u] for u, m in self._meta.items() if m["type"] == type]

    def _serialize_components(self, card_uuid):
        manager = self._managers.get(card_uuid)
        if manager is None:
            return []
        out = []
        for component in manager:
            rendered = render_component(component)
            if rendered is not None:
                out.append(rendered)
        return out

    def _latest_data(self, card_uuid, final=False, mode=None):
        return self._managers[card_uuid].latest_data(final=final, mode=mode)
