class UnboundedForeachInput(object):
    """A foreach input whose cardinality the runtime decides (used by `num_parallel`)."""

    NAME = "UnboundedForeachInput"
