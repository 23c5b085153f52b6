"""What step/flow user decorators share: a registry that finds a decorator class by its shortest
unique dotted name (as `add_decorator("Name:k=v")` spells it), spec-string parsing, and the
resolution of `config_expr(...)` arguments once the run's configs are known."""

import json
import re

from metaflow.config_parameters import DelayedEvaluationConfig
from metaflow.exception import MetaflowException


class ConfigScope(object):
    """The configs of the run being processed. Decorator arguments written as `config_expr(...)`
    are resolved against them; set per task process by `metaflow.user_decorators.processing`."""

    def __init__(self):
        self.configs = {}


CONFIG_SCOPE = ConfigScope()


def resolve_delayed(value):
    if isinstance(value, DelayedEvaluationConfig):
        return value(CONFIG_SCOPE.configs)
    if isinstance(value, dict):
        return dict((k, resolve_delayed(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_delayed(v) for v in value)
    return value


class ClassRegistry(object):
    """Dotted class names (`module.Class`); a lookup may give any unique trailing part of one."""

    def __init__(self):
        self._by_name = {}

    def add(self, full_name, cls):
        self._by_name[full_name] = cls

    def remove(self, full_name):
        self._by_name.pop(full_name, None)

    def find(self, name):
        if name in self._by_name:
            return self._by_name[name]
        suffix = "." + name
        matches = [c for full, c in self._by_name.items() if full.endswith(suffix)]
        if len(matches) == 1:
            return matches[0]
        return None

    def short_name(self, cls):
        full = next((n for n, c in self._by_name.items() if c is cls), None)
        if full is None:
            return None
        parts = full.split(".")
        for i in range(len(parts) - 1, -1, -1):
            candidate = ".".join(parts[i:])
            if self.find(candidate) is cls:
                return candidate
        return full


class RegisteringMeta(type):
    """Metaclass of a user decorator hierarchy: every class a flow's author defines in it is registered under its
    dotted name (or `_decorator_name`), so decospecs can name it. Each hierarchy sets its registry and the names of
    the framework's own classes, which are not registered."""

    _registry = None
    _framework_names = ()

    def __new__(mcs, name, bases, namespace, **kwargs):
        cls = super(RegisteringMeta, mcs).__new__(mcs, name, bases, namespace, **kwargs)
        cls.decorator_name = namespace.get("_decorator_name") or "%s.%s" % (cls.__module__, cls.__name__)
        if name not in mcs._framework_names and not namespace.get("_no_register"):
            mcs._registry.add(cls.decorator_name, cls)
        return cls

    def __str__(cls):
        return "%s(%s)" % (cls.__name__, cls.decorator_name)

    @classmethod
    def get_decorator_by_name(mcs, name):
        return mcs._registry.find(name)

    @classmethod
    def get_decorator_name(mcs, decorator_type):
        return mcs._registry.short_name(decorator_type)


def parse_spec_arguments(spec, owner):
    """`k=v,k2=v2` (values JSON, else int, float or text; a numeric key is a positional index)."""
    args, kwargs = [], {}
    if not spec:
        return args, kwargs
    for part in re.split(r""",(?=[\s\w]+=)""", spec):
        if "=" not in part:
            raise MetaflowException("Decorator spec '%s' for %s: expected name=value pairs separated by commas."
                                    % (spec, owner))
        name, raw = part.split("=", 1)
        raw = raw.strip()
        try:
            value = json.loads(raw.replace('\\"', '"'))
        except ValueError:
            value = raw
            for convert in (int, float):
                try:
                    value = convert(raw)
                    break
                except ValueError:
                    continue
        name = name.strip()
        if name.isdigit():
            pos = int(name)
            while len(args) <= pos:
                args.append(None)
            args[pos] = value
        else:
            kwargs[name] = value
    return args, kwargs


def split_spec(spec):
    name, _, rest = spec.partition(":")
    return name.strip(), rest.strip()


class WrittenArguments(object):
    """The arguments a user decorator or mutator was written with: resolved once the configs are known, then handed to
    the author's `init` (only if the author wrote one: arguments without an `init` to take them are an error)."""

    # The framework's own classes of a hierarchy, whose `init` is not the author's; set by each hierarchy.
    _framework_classes = ()

    @classmethod
    def parse_decorator_spec(cls, spec):
        args, kwargs = parse_spec_arguments(spec, cls.decorator_name)
        return cls(*args, **kwargs)

    def get_args_kwargs(self):
        return list(self._args), dict(self._kwargs)

    def init(self, *args, **kwargs):
        pass

    def external_init(self):
        """Resolve `config_expr` arguments and call `init` once (the configs are known by now)."""
        if self._ran_init:
            return
        self._args = [resolve_delayed(a) for a in self._args]
        self._kwargs = dict((k, resolve_delayed(v)) for k, v in self._kwargs.items())
        framework = self._framework_classes + (WrittenArguments,)
        defines_init = any("init" in k.__dict__ for k in type(self).__mro__ if k not in framework)
        if (self._args or self._kwargs) and not defines_init:
            raise MetaflowException("%s is used with arguments but does not implement init" % self)
        self._ran_init = True
        if defines_init:
            self.init(*self._args, **self._kwargs)


def builtin_decorator_class(deco_type, base):
    """The decorator class (a subclass of `base`) behind `retry`, `project`, ... (the functions flows import), or None."""
    cls = getattr(deco_type, "decorator_class", None)
    if isinstance(cls, type) and issubclass(cls, base):
        return cls
    if isinstance(deco_type, type) and issubclass(deco_type, base):
        return deco_type
    return None
