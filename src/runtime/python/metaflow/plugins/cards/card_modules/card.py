"""Base classes of card types and card components, under the module path Metaflow gives them."""

from metaflow_studio.cards_components import MetaflowCardComponent
from metaflow_studio.cards_types import MetaflowCard

__all__ = ["MetaflowCard", "MetaflowCardComponent"]
