"""`FlowMutator`: a class decorator on a flow that adds or removes parameters and decorators of the
flow and its steps once the run's configs are known (Metaflow 2.19 semantics)."""

from metaflow.exception import MetaflowException

from .common import ClassRegistry, RegisteringMeta, WrittenArguments

_FLOW_REGISTRY = ClassRegistry()


def flow_mutators(flow_cls):
    """The mutators of a flow class, base classes' first (a subclass inherits its bases' mutators)."""
    out = []
    for klass in reversed(flow_cls.__mro__):
        for mutator in klass.__dict__.get("_studio_flow_mutators", ()):
            if mutator not in out:
                out.append(mutator)
    return out


class FlowMutatorMeta(RegisteringMeta):
    _registry = _FLOW_REGISTRY
    _framework_names = ("FlowMutator",)


def _is_flow_class(value):
    from metaflow.flowspec import FlowSpec

    return isinstance(value, type) and issubclass(value, FlowSpec)


class FlowMutator(WrittenArguments, metaclass=FlowMutatorMeta):
    """Derive from this and decorate a flow class with it: `pre_mutate` may add or remove
    parameters and decorators; `mutate` may only change the steps' decorators."""

    def __init__(self, *args, **kwargs):
        self._flow_cls = None
        self._ran_init = False
        self.statically_defined = kwargs.pop("_statically_defined", True)
        self.inserted_by = kwargs.pop("_inserted_by", None)
        self._args = args
        self._kwargs = kwargs
        if args and (isinstance(args[0], FlowMutator) or _is_flow_class(args[0])):
            target = args[0]._flow_cls if isinstance(args[0], FlowMutator) else args[0]
            self._args = args[1:]
            self._set_flow_cls(target)

    def __mro_entries__(self, bases):
        return (self._flow_cls,)

    def __call__(self, flow_spec=None):
        if flow_spec is not None:
            if isinstance(flow_spec, FlowMutator):
                flow_spec = flow_spec._flow_cls
            if not _is_flow_class(flow_spec):
                raise MetaflowException("%s can only be applied to a FlowSpec class" % self)
            return self._set_flow_cls(flow_spec)
        if self._flow_cls is None:
            raise MetaflowException("A FlowMutator can only be applied to a FlowSpec")
        return self._flow_cls()

    def _set_flow_cls(self, flow_cls):
        self._flow_cls = flow_cls
        own = flow_cls.__dict__.get("_studio_flow_mutators")
        if own is None:
            own = []
            flow_cls._studio_flow_mutators = own
        own.append(self)
        return flow_cls

    def pre_mutate(self, mutable_flow):
        return None

    def mutate(self, mutable_flow):
        return None

    def add_to_package(self):
        return []

    def __str__(self):
        return str(self.__class__)


FlowMutator._framework_classes = (FlowMutator,)
