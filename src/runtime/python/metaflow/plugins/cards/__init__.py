"""`metaflow.plugins.cards`: where Metaflow keeps its cards (the client, exceptions, card modules)."""
