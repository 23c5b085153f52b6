"""`@timeout` inside the task: an alarm in the task process raises `TimeoutException` in the step,
so `@retry` and `@catch` see it like any exception the step raised (Metaflow's module path, so the
type recorded by `@catch` reads `metaflow.plugins.timeout_decorator.TimeoutException`).

Where the platform has no SIGALRM (Windows), the scheduler's process-group kill is the only limit.
"""

import signal
import traceback

from metaflow.exception import MetaflowException


class TimeoutException(MetaflowException):
    headline = "@timeout"


def timeout_seconds(attributes):
    """Hours, minutes and seconds add up (attributes may be strings when given with --with)."""
    return int(attributes.get("hours") or 0) * 3600 + int(attributes.get("minutes") or 0) * 60 + int(
        attributes.get("seconds") or 0
    )


def _stack_lines():
    # The frames of this module say nothing about where the step was when time ran out.
    for entry in traceback.format_stack():
        if __name__.rsplit(".", 1)[-1] + ".py" in entry:
            continue
        for part in entry.splitlines():
            yield ">  %s" % part


class StepAlarm(object):
    """Arms SIGALRM for the user code of one attempt and disarms it whatever happens."""

    def __init__(self, step_name, attributes, log):
        self.step_name = step_name
        self.attributes = attributes
        self.seconds = timeout_seconds(attributes)
        self.log = log
        self.armed = False
        self._previous = None

    @staticmethod
    def available():
        return hasattr(signal, "SIGALRM")

    def _expired(self, signum, frame):
        headline = "Step %s timed out after %s hours, %s minutes, %s seconds" % (
            self.step_name,
            self.attributes.get("hours", 0),
            self.attributes.get("minutes", 0),
            self.attributes.get("seconds", 0),
        )
        self.log(headline)
        raise TimeoutException("%s\nStack when the timeout was raised:\n%s" % (headline, "\n".join(_stack_lines())))

    def __enter__(self):
        if self.seconds > 0 and self.available():
            self._previous = signal.signal(signal.SIGALRM, self._expired)
            signal.alarm(self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)
            self.armed = False
        return False
