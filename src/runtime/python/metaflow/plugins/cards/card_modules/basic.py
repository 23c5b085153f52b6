"""The built-in card types (`default`, `blank`, `error`) under Metaflow's module path."""

from metaflow_studio.cards_types import BlankCard, DefaultCard, ErrorCard

__all__ = ["BlankCard", "DefaultCard", "ErrorCard"]
