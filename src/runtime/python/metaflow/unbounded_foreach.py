class UnboundedForeachInput(object):
    """A foreach input whose cardinality the runtime decides (used by `num_parallel`)."""

    NAME = "UnboundedForeachInput"


# Metaflow's names for the two kinds of task of an unbounded foreach, and the tag of the control task.
CONTROL_TASK_TAG = "control_task"
UBF_CONTROL = "ubf_control"
UBF_TASK = "ubf_task"
