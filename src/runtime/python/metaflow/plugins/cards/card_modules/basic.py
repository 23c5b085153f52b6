"""The built-in card types (`default`, `blank`, `error`, `taskspec_card`) under Metaflow's module path."""

from metaflow_studio.cards_types import BlankCard, DefaultCard, ErrorCard, TaskSpecCard

__all__ = ["BlankCard", "DefaultCard", "ErrorCard", "TaskSpecCard"]
