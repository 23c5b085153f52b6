"""`Config` and `config_expr`: configuration values read once per run and stored as plain dicts."""

import json
import os

from .exception import MetaflowException
from .parameters import Parameter, ParameterError


class ConfigValue(dict):
    """A read-only dict whose keys are also attributes (`self.config.model.lr`)."""

    def __getattr__(self, name):
        try:
            value = self[name]
        except KeyError:
            raise AttributeError("Config has no key '%s'" % name)
        return ConfigValue(value) if isinstance(value, dict) and not isinstance(value, ConfigValue) else value

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        return ConfigValue(value) if isinstance(value, dict) and not isinstance(value, ConfigValue) else value

    def __setattr__(self, name, value):
        raise AttributeError("Config values are read-only")

    def to_dict(self):
        return json.loads(json.dumps(self))


class Config(Parameter):
    IS_CONFIG_PARAMETER = True

    def __init__(self, name, default=None, default_value=None, help=None, required=None, parser=None, **kwargs):
        if default is not None and default_value is not None:
            raise MetaflowException("Config '%s': give either default (a file) or default_value, not both." % name)
        super(Config, self).__init__(name, required=required, help=help, type=str, **kwargs)
        self.default = None
        self.config_file_default = default
        self.default_value = default_value
        self.parser = parser

    def _parse(self, text, origin):
        try:
            if self.parser is not None:
                value = self.parser(text)
            else:
                value = json.loads(text)
        except Exception as e:
            raise ParameterError("Config '%s' could not be parsed from %s: %s" % (self.name, origin, e))
        if not isinstance(value, dict):
            raise ParameterError("Config '%s' must be a dictionary (got %s from %s)." % (self.name, type(value).__name__, origin))
        return value

    def value_from(self, raw, context):
        """`raw` is the config's JSON text (a value given for the run); else the defaults apply."""
        if raw is not None:
            return self._parse(raw, "the value given for the run")
        if self.config_file_default is not None:
            path = self.config_file_default
            if callable(path):
                path = path(context)
            try:
                with open(path, "r") as f:
                    return self._parse(f.read(), "file %s" % os.path.abspath(path))
            except OSError as e:
                raise ParameterError("Config '%s': cannot read %s: %s" % (self.name, path, e.strerror))
        value = self.default_value
        if callable(value):
            value = value(context)
        if value is None:
            if self.required:
                raise ParameterError("Config '%s' is required: give it a value." % self.name)
            return None
        if isinstance(value, str):
            return self._parse(value, "its default_value")
        return dict(value)

    def load_parameter(self, value):
        return ConfigValue(value) if isinstance(value, dict) else value


class DelayedEvaluationConfig(object):
    def __init__(self, expr):
        self.expr = expr

    def __call__(self, configs):
        parts = self.expr.split(".")
        if parts[0] not in configs:
            raise MetaflowException("config_expr('%s'): there is no Config named '%s'" % (self.expr, parts[0]))
        value = ConfigValue(configs[parts[0]])
        for part in parts[1:]:
            value = getattr(value, part)
        return value

    def __str__(self):
        return "config_expr(%s)" % self.expr


def config_expr(expr):
    """A value computed from Configs when the flow is loaded, e.g. `config_expr("cfg.region")`."""
    return DelayedEvaluationConfig(expr)
