"""`MutableFlow`: the view of a flow a flow mutator gets (configs, parameters, steps, decorators)."""

from metaflow.exception import MetaflowException

from .common import CONFIG_SCOPE, builtin_decorator_class, parse_spec_arguments, split_spec
from .user_flow_decorator import FlowMutator, FlowMutatorMeta, flow_mutators


def config_value(param):
    from metaflow.config_parameters import ConfigValue

    value = CONFIG_SCOPE.configs.get(param.name)
    return ConfigValue(value) if isinstance(value, dict) else value


class MutableFlow(object):
    IGNORE = 1
    ERROR = 2
    OVERRIDE = 3

    def __init__(self, flow_cls, pre_mutate=False, statically_defined=False, inserted_by=None, processing=None):
        if inserted_by is None:
            raise MetaflowException("MutableFlow should only be created by StepMutators or FlowMutators.")
        self._flow_cls = flow_cls
        self._pre_mutate = pre_mutate
        self._statically_defined = statically_defined
        self._inserted_by = inserted_by
        self._processing = processing

    def _flow_decorators(self):
        """The class's own `_flow_decorators` dict (copied from its bases' on first change)."""
        cls = self._flow_cls
        if "_flow_decorators" not in cls.__dict__:
            cls._flow_decorators = dict((k, list(v)) for k, v in (getattr(cls, "_flow_decorators", None) or {}).items())
        return cls._flow_decorators

    @property
    def decorator_specs(self):
        for decos in (getattr(self._flow_cls, "_flow_decorators", None) or {}).values():
            for deco in decos:
                yield (deco.name, "%s.%s" % (deco.__class__.__module__, deco.__class__.__name__)) + tuple(
                    deco.get_args_kwargs())
        for mutator in self._mutators():
            short = FlowMutatorMeta.get_decorator_name(mutator.__class__) or mutator.__class__.__name__
            yield (short, mutator.decorator_name, list(mutator._args), dict(mutator._kwargs))

    def _mutators(self):
        if self._processing is not None:
            return list(self._processing.flow_mutators)
        return flow_mutators(self._flow_cls)

    @staticmethod
    def _match_name(deco_name, deco_fq, query):
        return deco_fq == query if "." in query else deco_name == query

    def has_decorator(self, name):
        return any(self._match_name(n, fq, name) for n, fq, _, _ in self.decorator_specs)

    def get_decorator_specs(self, name):
        return [(n, fq, list(a), dict(k)) for n, fq, a, k in self.decorator_specs if self._match_name(n, fq, name)]

    @property
    def configs(self):
        """(name, value) of each Config of the flow, with the run's values."""
        for _, param in self._flow_cls._get_parameters():
            if param.IS_CONFIG_PARAMETER:
                yield param.name, config_value(param)

    @property
    def parameters(self):
        for var, param in self._flow_cls._get_parameters():
            if not param.IS_CONFIG_PARAMETER:
                yield var, param

    @property
    def steps(self):
        from .mutable_step import MutableStep

        for var in dir(self._flow_cls):
            candidate = getattr(self._flow_cls, var)
            if callable(candidate) and getattr(candidate, "is_step", False):
                yield var, MutableStep(self._flow_cls, candidate, pre_mutate=self._pre_mutate,
                                       statically_defined=self._statically_defined, inserted_by=self._inserted_by,
                                       processing=self._processing)

    def _only_in_pre_mutate(self, what):
        if not self._pre_mutate:
            raise MetaflowException("%s from %s is only allowed in the `pre_mutate` method and not the `mutate` method"
                                    % (what, self._inserted_by))

    def _parameters_changed(self):
        # `_get_parameters` caches its answer on the class.
        if "_studio_parameters" in self._flow_cls.__dict__:
            del self._flow_cls._studio_parameters

    def add_parameter(self, name, value, overwrite=False):
        from metaflow.parameters import Parameter

        self._only_in_pre_mutate("Adding parameter '%s'" % name)
        if hasattr(self._flow_cls, name) and not overwrite:
            raise MetaflowException("Flow '%s' already has a class member '%s' -- set overwrite=True in add_parameter "
                                    "to overwrite it." % (self._flow_cls.__name__, name))
        if not isinstance(value, Parameter) or value.IS_CONFIG_PARAMETER:
            raise MetaflowException("Only a Parameter or an IncludeFile can be added using `add_parameter`; got %s"
                                    % type(value))
        setattr(self._flow_cls, name, value)
        self._parameters_changed()

    def remove_parameter(self, parameter_name):
        self._only_in_pre_mutate("Removing parameter '%s'" % parameter_name)
        for var, param in self._flow_cls._get_parameters():
            if not param.IS_CONFIG_PARAMETER and param.name == parameter_name:
                owner = next(k for k in self._flow_cls.__mro__ if var in k.__dict__)
                delattr(owner, var)
                self._parameters_changed()
                return True
        return False

    def add_decorator(self, deco_type, deco_args=None, deco_kwargs=None, duplicates=IGNORE):
        """Add a flow decorator (`project`, ...) or a FlowMutator (class or `"Name:k=v"` spec)."""
        self._only_in_pre_mutate("Adding flow-decorator '%s'" % getattr(deco_type, "__name__", deco_type))
        deco_args = list(deco_args or [])
        deco_kwargs = dict(deco_kwargs or {})
        if isinstance(deco_type, str):
            from metaflow.decorators import FLOW_DECORATORS

            name, rest = split_spec(deco_type)
            if rest and (deco_args or deco_kwargs):
                raise MetaflowException("Cannot specify additional arguments when adding a flow decorator using a "
                                        "decospec that already contains arguments")
            mutator_cls = FlowMutatorMeta.get_decorator_by_name(name)
            if mutator_cls is not None:
                mutator = mutator_cls.parse_decorator_spec(rest) if rest else mutator_cls(*deco_args, **deco_kwargs)
                return self._add_mutator(mutator, duplicates)
            if name not in FLOW_DECORATORS:
                raise MetaflowException("Unknown flow decorator '%s' (neither a Metaflow flow decorator nor a "
                                        "FlowMutator defined in the flow's code)." % name)
            _, kwargs = parse_spec_arguments(rest, name)
            kwargs.update(deco_kwargs)
            return self._add_flow_decorator(FLOW_DECORATORS[name].decorator_class(kwargs, statically_defined=False),
                                            duplicates)
        if isinstance(deco_type, type) and issubclass(deco_type, FlowMutator):
            return self._add_mutator(deco_type(*deco_args, **deco_kwargs), duplicates)
        from metaflow.decorators import FlowDecorator

        cls = builtin_decorator_class(deco_type, FlowDecorator)
        if cls is None:
            raise TypeError("add_decorator takes a FlowDecorator or FlowMutator")
        return self._add_flow_decorator(cls(deco_kwargs, statically_defined=self._statically_defined), duplicates)

    def _add_flow_decorator(self, deco, duplicates):
        deco.statically_defined = self._statically_defined
        deco.inserted_by = self._inserted_by
        decos = self._flow_decorators()
        if deco.name in decos and not deco.allow_multiple:
            if duplicates == MutableFlow.IGNORE:
                return None
            if duplicates == MutableFlow.ERROR:
                if self._statically_defined:
                    raise MetaflowException("Flow %s has the decorator @%s more than once."
                                            % (self._flow_cls.__name__, deco.name))
                return None
            if duplicates != MutableFlow.OVERRIDE:
                raise ValueError("Invalid duplicates value: %s" % duplicates)
            decos[deco.name] = []
        decos[deco.name] = decos.get(deco.name, []) + [deco]
        return deco

    def _add_mutator(self, mutator, duplicates):
        mutator.statically_defined = self._statically_defined
        mutator.inserted_by = self._inserted_by
        existing = [m for m in self._mutators() if m.decorator_name == mutator.decorator_name]
        if existing:
            if duplicates == MutableFlow.IGNORE:
                return None
            if duplicates == MutableFlow.ERROR:
                if self._statically_defined:
                    raise MetaflowException("Duplicate FlowMutator '%s' on flow" % mutator.decorator_name)
                return None
            if duplicates != MutableFlow.OVERRIDE:
                raise ValueError("Invalid duplicates value: %s" % duplicates)
            if self._processing is not None:
                self._processing.remove_flow_mutators(existing)
        mutator.external_init()
        mutator._set_flow_cls(self._flow_cls)
        if self._processing is not None:
            self._processing.flow_mutators.append(mutator)
        return mutator

    def remove_decorator(self, deco_name, deco_args=None, deco_kwargs=None):
        self._only_in_pre_mutate("Removing flow-decorator '%s'" % deco_name)
        for mutator in self._mutators():
            short = FlowMutatorMeta.get_decorator_name(mutator.__class__) or mutator.__class__.__name__
            if self._match_name(short, mutator.decorator_name, deco_name):
                raise MetaflowException("Cannot remove FlowMutator '%s'. FlowMutators are processed during iteration "
                                        "and cannot be removed. Only FlowDecorators (e.g. @project, @schedule) can be "
                                        "removed." % deco_name)
        decos = self._flow_decorators()
        if deco_name not in decos:
            return False
        if deco_args is None and deco_kwargs is None:
            del decos[deco_name]
            return True
        wanted = (list(deco_args or []), dict(deco_kwargs or {}))
        kept = [d for d in decos[deco_name] if d.get_args_kwargs() != wanted]
        removed = len(kept) != len(decos[deco_name])
        if kept:
            decos[deco_name] = kept
        else:
            del decos[deco_name]
        return removed

    def __getattr__(self, name):
        from metaflow.parameters import Parameter

        from .mutable_step import MutableStep

        if name.startswith("_"):
            raise AttributeError(name)
        # Parameters first: in a step task the class attributes may already be value properties.
        attr = dict(self._flow_cls._get_parameters()).get(name)
        if attr is None:
            attr = getattr(self._flow_cls, name, None)
        if attr is not None:
            if callable(attr) and getattr(attr, "is_step", False):
                return MutableStep(self._flow_cls, attr, pre_mutate=self._pre_mutate,
                                   statically_defined=self._statically_defined, inserted_by=self._inserted_by,
                                   processing=self._processing)
            if isinstance(attr, Parameter) and name not in self._flow_cls._NON_PARAMETERS:
                return config_value(attr) if attr.IS_CONFIG_PARAMETER else attr
        raise AttributeError("Flow %s has no step, parameter or config named '%s'" % (self._flow_cls.__name__, name))
