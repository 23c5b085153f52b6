"""Card types an extension package ships, listed in CARDS; the list also holds entries that are not
card types, which are skipped."""

from metaflow.cards import MetaflowCard
from metaflow.plugins.cards.card_modules.test_cards import TestEditableCard


class ExtensionPathspecCard(MetaflowCard):
    type = "extension_pathspec_card"

    def __init__(self, options=None, components=None, graph=None, flow=None, **kwargs):
        self._options = options or {}

    def render(self, task):
        return "%s%s" % (self._options.get("prefix", ""), task.pathspec)


class ExtensionEditableCard(TestEditableCard):
    type = "extension_editable_card"
    ALLOW_USER_COMPONENTS = True


class NotACard(object):
    type = "not_a_card"


CARDS = [ExtensionPathspecCard, ExtensionEditableCard, NotACard, "extension_string_entry"]
