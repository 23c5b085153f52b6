"""`metaflow.plugins.cards.card_modules`: card types and components."""
