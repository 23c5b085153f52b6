"""`Parameter` and `JSONType`: flow parameters, parsed from the raw strings given to `run`."""

import inspect
import json
from collections import namedtuple

from .exception import MetaflowException

ParameterContext = namedtuple(
    "ParameterContext", ["flow_name", "user_name", "parameter_name", "logger", "ds_type", "configs"]
)


def parameter_env_var(name):
    """The variable Metaflow's `run` command reads a parameter from when the command line omits it
    (click's automatic `METAFLOW_RUN_<NAME>`: dashes become underscores, upper case)."""
    return "METAFLOW_RUN_%s" % name.replace("-", "_").upper()


class ParameterError(MetaflowException):
    headline = "Invalid parameter value"


class _JSONTypeClass(object):
    name = "JSON"

    def convert(self, value, param_name=None):
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as e:
            raise ParameterError("Parameter '%s' expects a JSON value but got %r: %s" % (param_name, value, e))

    def __repr__(self):
        return "JSON"

    def __str__(self):
        return "JSON"


JSONType = _JSONTypeClass()

_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("0", "false", "f", "no", "n", "off")


def _type_name(kind):
    if kind is JSONType:
        return "JSON"
    return getattr(kind, "__name__", str(kind))


def convert_value(kind, value, param_name):
    """Convert a raw (string) value to the parameter's type; errors name the parameter."""
    if value is None:
        return None
    if kind is JSONType or isinstance(kind, _JSONTypeClass):
        return JSONType.convert(value, param_name)
    if not isinstance(value, str):
        return value
    try:
        if kind is bool:
            low = value.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError("not a boolean")
        if kind in (int, float, str):
            return kind(value)
        if hasattr(kind, "convert"):
            return kind.convert(value, None, None)
        return kind(value)
    except ParameterError:
        raise
    except Exception as e:
        raise ParameterError(
            "Parameter '%s' expects a value of type %s but got %r (%s)." % (param_name, _type_name(kind), value, e)
        )


class DelayedEvaluationParameter(object):
    def __init__(self, name, field, fun):
        self._name = name
        self._field = field
        self._fun = fun

    def __call__(self):
        return self._fun()


class Parameter(object):
    IS_CONFIG_PARAMETER = False

    def __init__(self, name, default=None, type=None, help=None, required=None, show_default=True,
                 separator=None, **kwargs):
        self.name = name
        self.kwargs = dict(kwargs)
        self.kwargs.update(default=default, type=type, help=help, required=required, show_default=show_default)
        self.default = default
        self.help = help
        self.required = bool(required)
        self.separator = separator
        self.show_default = show_default
        if type is None:
            if default is not None and not callable(default) and isinstance(default, (str, int, float, bool)):
                type = default.__class__
            elif isinstance(default, (dict, list)):
                type = JSONType
            else:
                type = str
        self.type = type
        if separator is not None and self.type not in (str,):
            raise MetaflowException(
                "Parameter '%s': a separator can only be used with type=str parameters." % name
            )

    def __repr__(self):
        return "Parameter(name=%r, type=%s)" % (self.name, _type_name(self.type))

    def __str__(self):
        return repr(self)

    def resolve_default(self, context):
        default = self.default
        if getattr(default, "_is_config_expr", False):
            return default(context.configs)
        if callable(default) and not isinstance(default, type):
            try:
                nargs = len(inspect.signature(default).parameters)
            except (TypeError, ValueError):
                nargs = 1
            default = default(context) if nargs else default()
        return default

    def value_from(self, raw, context):
        """The parsed value from a raw command-line string, or the default when `raw` is None."""
        if raw is None:
            value = self.resolve_default(context)
            if value is None:
                if self.required:
                    raise ParameterError(
                        "Parameter '%s' is required: give it a value (--%s VALUE, or the environment variable %s)."
                        % (self.name, self.name, parameter_env_var(self.name))
                    )
                return None
            if isinstance(value, str) or self.type is JSONType:
                value = convert_value(self.type, value, self.name)
        else:
            value = convert_value(self.type, raw, self.name)
        if value is not None and self.separator and isinstance(value, str):
            value = value.split(self.separator)
        return value

    def load_parameter(self, value):
        return value
