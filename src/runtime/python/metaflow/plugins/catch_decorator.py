"""What `@catch` records under Metaflow's module path, so readers see
`metaflow.plugins.catch_decorator.FailureHandledByCatch` as the caught type."""

from metaflow.exception import MetaflowException

# Attempts `@catch` adds after the user-code retries, for tasks that die without an exception.
NUM_FALLBACK_RETRIES = 3


class FailureHandledByCatch(MetaflowException):
    headline = "Task execution failed but @catch handled it"

    def __init__(self, retry_count):
        super(FailureHandledByCatch, self).__init__(
            "Task execution kept failing over %d attempts. Your code did not raise an exception. Something in the "
            "execution environment caused the failure." % retry_count
        )
