# The Metaflow release whose formats and semantics this package follows, tagged as ours.
__version__ = "2.19.38+studio"
