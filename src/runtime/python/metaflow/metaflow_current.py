"""`metaflow.metaflow_current`: the module Metaflow keeps `current` in (flows import it from here too)."""

from .current import Current, Parallel, current

__all__ = ["Current", "Parallel", "current"]
