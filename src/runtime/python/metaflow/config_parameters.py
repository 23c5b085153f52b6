"""`Config` and `config_expr`: configuration values read once per run and stored as plain dicts."""

import json
import os
import re
import sys

from .exception import MetaflowException
from .parameters import Parameter, ParameterError

# `**config` in a decorator's arguments arrives as one attribute named so, resolved into the
# config's keys once the run's configs are known (Metaflow's name for it).
UNPACK_KEY = "_unpacked_delayed_"
_DOTTED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


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

    def _read_only(self, *args, **kwargs):
        # TypeError, as Metaflow raises for any change to a config value.
        raise TypeError("Config values are read-only")

    __setattr__ = __setitem__ = __delitem__ = __delattr__ = _read_only
    update = setdefault = pop = popitem = clear = _read_only

    def __reduce__(self):
        # Rebuilt from a plain dict: pickle's default would set the items one by one, which is refused.
        return (ConfigValue, (dict(self),))

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

    # `@environment(**config)`: the mapping protocol yields one deferred entry for the whole config.
    def keys(self):
        return ["%s%d" % (UNPACK_KEY, id(self))]

    def __getitem__(self, key):
        if key == "%s%d" % (UNPACK_KEY, id(self)):
            return DelayedEvaluationConfig(self.name)
        return DelayedEvaluationConfig(self.name)[key]

    def __getattr__(self, name):
        # `config.key` in the class body or a decorator: a value known only once the run's configs are,
        # so it is deferred like `config_expr("config").key`.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(DelayedEvaluationConfig(self.name), name)


class DelayedEvaluationConfig(object):
    """`config_expr("cfg.a")`, and any attribute or item taken from it (`config_expr("cfg").a["b"]`),
    evaluated once the run's configs are known."""

    _is_config_expr = True

    def __init__(self, expr, access=(), module_globals=None):
        self.expr = expr
        self.access = tuple(access)
        # The names of the module that wrote the expression, which it may use (`str`, a helper).
        self._module_globals = module_globals

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return DelayedEvaluationConfig(self.expr, self.access + (name,), self._module_globals)

    def __getitem__(self, key):
        if key == self._unpack_key():
            return self
        return DelayedEvaluationConfig(self.expr, self.access + (key,), self._module_globals)

    def _unpack_key(self):
        return "%s%d" % (UNPACK_KEY, id(self))

    # Copies (mutators copy decorator attributes) share the module's names rather than copy a module.
    def __copy__(self):
        return DelayedEvaluationConfig(self.expr, self.access, self._module_globals)

    def __deepcopy__(self, memo):
        return self.__copy__()

    def keys(self):
        # `@environment(**config_expr("cfg"))`: one deferred entry, merged once evaluated.
        return [self._unpack_key()]

    def __call__(self, configs):
        # A parameter's default receives the parameter context; the configs are in it.
        configs = getattr(configs, "configs", configs)
        if _DOTTED_NAME.match(self.expr.strip()):
            parts = self.expr.strip().split(".")
            if parts[0] not in configs:
                raise MetaflowException("%s: there is no Config named '%s'" % (self, parts[0]))
            value = configs[parts[0]]
        else:
            from .config_expression import ConfigExpressionError, evaluate

            names = dict((k, ConfigValue(v) if isinstance(v, dict) else v) for k, v in dict(configs).items())
            try:
                value = evaluate(self.expr, names, self._module_globals)
            except ConfigExpressionError as e:
                raise MetaflowException(str(e))
            except Exception as e:
                raise MetaflowException("%s failed: %s: %s" % (self, type(e).__name__, e))
            parts = [None]
        value = ConfigValue(value) if isinstance(value, dict) else value
        for part in list(parts[1:]) + list(self.access):
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                raise MetaflowException("%s: the config has no '%s'" % (self, part))
        return value

    def __str__(self):
        return "config_expr(%s)%s" % (self.expr, "".join("[%r]" % a for a in self.access))

    __repr__ = __str__


def config_expr(expr):
    """A value computed from Configs when the flow is loaded, e.g. `config_expr("cfg.region")` or
    `config_expr("str(cfg.port)")`; the expression may use the names of the module calling this."""
    return DelayedEvaluationConfig(expr, module_globals=sys._getframe(1).f_globals)
