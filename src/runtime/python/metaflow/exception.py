"""Exceptions with Metaflow's names, so `from metaflow.exception import ...` works in user code."""

import sys
import traceback


class MetaflowExceptionWrapper(Exception):
    """Picklable stand-in for an exception raised by user code (stored in `_exception`/`@catch` vars)."""

    def __init__(self, exc=None):
        if exc is not None:
            self.exception = str(exc)
            self.type = "%s.%s" % (exc.__class__.__module__, exc.__class__.__name__)
            if sys.exc_info()[0] is None:
                self.stacktrace = None
            else:
                self.stacktrace = traceback.format_exc()

    def __reduce__(self):
        return MetaflowExceptionWrapper, (None,), self.__dict__

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__ = state

    def __repr__(self):
        return str(self)

    def __str__(self):
        if getattr(self, "stacktrace", None):
            return self.stacktrace
        return "[no stacktrace]\n%s: %s" % (getattr(self, "type", "?"), getattr(self, "exception", ""))


class MetaflowException(Exception):
    headline = "Flow failed"

    def __init__(self, msg="", lineno=None, source_file=None):
        self.message = msg
        self.line_no = lineno
        self.source_file = source_file
        super(MetaflowException, self).__init__()

    def __str__(self):
        prefix = ""
        if self.source_file:
            prefix = "%s:" % self.source_file
        if self.line_no:
            prefix = "line %d:" % self.line_no if not prefix else "%s%d:" % (prefix, self.line_no)
        return "%s%s" % ("%s " % prefix if prefix else "", self.message)


class ParameterFieldFailed(MetaflowException):
    headline = "Parameter field failed"


class MetaflowInternalError(MetaflowException):
    headline = "Internal error"


class MetaflowUnknownUser(MetaflowException):
    headline = "Unknown user"

    def __init__(self):
        super(MetaflowUnknownUser, self).__init__(
            "Metaflow could not determine your user name from the environment variables "
            "METAFLOW_USER, SUDO_USER, USERNAME or USER, and 'root' is not accepted as a user name. "
            "Set METAFLOW_USER to your name (for example METAFLOW_USER=alice)."
        )


class InvalidDecoratorAttribute(MetaflowException):
    headline = "Unknown decorator attribute"

    def __init__(self, attr, deco, defaults):
        super(InvalidDecoratorAttribute, self).__init__(
            "Decorator '@%s' does not support the attribute '%s'. These attributes are supported: %s."
            % (deco, attr, ", ".join(sorted(defaults)) or "(none)")
        )


class InvalidNextException(MetaflowException):
    headline = "Invalid self.next() transition detected"


class MetaflowNotFound(MetaflowException):
    headline = "Object not found"


class MetaflowNamespaceMismatch(MetaflowException):
    headline = "Metaflow namespace mismatch"

    def __init__(self, namespace):
        super(MetaflowNamespaceMismatch, self).__init__(
            "Object not in namespace '%s'. Use namespace(None) to see every object." % namespace
        )


class MetaflowInvalidPathspec(MetaflowException):
    headline = "Invalid pathspec"


class MetaflowDataMissing(MetaflowException):
    headline = "Data missing"


class UnhandledInMergeArtifactsException(MetaflowException):
    headline = "Unhandled artifacts in merge"

    def __init__(self, msg, unhandled):
        super(UnhandledInMergeArtifactsException, self).__init__(msg)
        self.artifact_names = unhandled


class MissingInMergeArtifactsException(MetaflowException):
    headline = "Missing artifacts in merge"

    def __init__(self, msg, unhandled):
        super(MissingInMergeArtifactsException, self).__init__(msg)
        self.artifact_names = unhandled


class UnpicklableArtifactException(MetaflowException):
    headline = "Cannot pickle artifact"


class CommandException(MetaflowException):
    headline = "Invalid command"


class ExternalCommandFailed(MetaflowException):
    headline = "External command failed"
