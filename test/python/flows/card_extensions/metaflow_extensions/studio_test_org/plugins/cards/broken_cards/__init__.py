"""A card package that fails on import: the other packages' cards must still be found."""

from metaflow.cards import MetaflowCard


class BrokenImportCard(MetaflowCard):
    type = "extension_broken_card"

    def render(self, task):
        return task.pathspec


CARDS = [BrokenImportCard]

raise ImportError("this card package cannot be imported")
