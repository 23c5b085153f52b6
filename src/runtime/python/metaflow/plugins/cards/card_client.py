"""`metaflow.plugins.cards.card_client`: the cards client (`Card`, `CardContainer`, `get_cards`)."""

from metaflow.cards import Card, CardContainer, get_cards

__all__ = ["Card", "CardContainer", "get_cards"]
