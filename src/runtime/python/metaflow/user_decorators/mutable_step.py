"""`MutableStep`: the view of one step a mutator gets (its decorators, to read, add and remove)."""

from metaflow.exception import MetaflowException

from .common import builtin_decorator_class, split_spec
from .user_step_decorator import StepMutator, UserStepDecoratorBase, UserStepDecoratorMeta


def step_decorator_from_spec(spec):
    """`name[:k=v,...]` -> (a built-in decorator instance or a user decorator instance, had arguments)."""
    from metaflow.decorators import STEP_DECORATORS

    name, rest = split_spec(spec)
    user_cls = UserStepDecoratorMeta.get_decorator_by_name(name)
    if user_cls is None and "." in name:
        import importlib

        module_name, class_name = name.rsplit(".", 1)
        try:
            candidate = getattr(importlib.import_module(module_name), class_name, None)
        except ImportError:
            candidate = None
        if isinstance(candidate, type) and issubclass(candidate, UserStepDecoratorBase):
            user_cls = candidate
    if user_cls is not None:
        return user_cls.parse_decorator_spec(rest), bool(rest)
    builtin = STEP_DECORATORS.get(name)
    if builtin is None:
        raise MetaflowException(
            "Unknown step decorator '%s': it is neither one of Metaflow's step decorators (%s) nor a user step "
            "decorator or step mutator defined in the flow's code." % (name, ", ".join(sorted(STEP_DECORATORS))))
    from .common import parse_spec_arguments

    _, kwargs = parse_spec_arguments(rest, name)
    return builtin.decorator_class(kwargs, statically_defined=False), bool(rest)


class MutableStep(object):
    IGNORE = 1
    ERROR = 2
    OVERRIDE = 3

    def __init__(self, flow_cls, step, pre_mutate=False, statically_defined=False, inserted_by=None,
                 processing=None):
        from .mutable_flow import MutableFlow

        if inserted_by is None:
            raise MetaflowException("MutableStep should only be created by StepMutators or FlowMutators.")
        self._flow = MutableFlow(flow_cls, pre_mutate=pre_mutate, statically_defined=statically_defined,
                                 inserted_by=inserted_by, processing=processing)
        self._my_step = step
        self._pre_mutate = pre_mutate
        self._statically_defined = statically_defined
        self._inserted_by = inserted_by

    @property
    def flow(self):
        return self._flow

    @property
    def name(self):
        return self._my_step.__name__

    @property
    def decorator_specs(self):
        """(short name, fully qualified name, args, kwargs) of every decorator of the step."""
        for deco in self._my_step.decorators:
            yield (deco.name, "%s.%s" % (deco.__class__.__module__, deco.__class__.__name__)) + tuple(
                deco.get_args_kwargs())
        seen = set()
        for field in ("wrappers", "config_decorators"):
            for deco in getattr(self._my_step, field):
                if id(deco) in seen:
                    continue
                seen.add(id(deco))
                short = UserStepDecoratorMeta.get_decorator_name(deco.__class__) or deco.__class__.__name__
                yield (short, deco.decorator_name) + tuple(deco.get_args_kwargs())

    @staticmethod
    def _match_name(deco_name, deco_fq, query):
        return deco_fq == query if "." in query else deco_name == query

    def has_decorator(self, name):
        return any(self._match_name(n, fq, name) for n, fq, _, _ in self.decorator_specs)

    def get_decorator_specs(self, name):
        return [(n, fq, list(a), dict(k)) for n, fq, a, k in self.decorator_specs if self._match_name(n, fq, name)]

    def _refuse_mutator_change(self, what, name):
        if not self._pre_mutate:
            raise MetaflowException("%s step mutator '%s' from %s is only allowed in the `pre_mutate` method and not "
                                    "the `mutate` method" % (what, name, self._inserted_by))

    def add_decorator(self, deco_type, deco_args=None, deco_kwargs=None, duplicates=IGNORE):
        """Add a decorator (a Metaflow one such as `environment`, a user decorator class, or a
        `"name:k=v"` spec). Returns the decorator added, or None when `duplicates` kept it out."""
        deco_args = list(deco_args or [])
        deco_kwargs = dict(deco_kwargs or {})
        if isinstance(deco_type, str):
            deco, had_arguments = step_decorator_from_spec(deco_type)
            if (deco_args or deco_kwargs) and had_arguments:
                raise MetaflowException("Cannot specify additional arguments when adding a user step decorator "
                                        "using a decospec that already has arguments")
            if isinstance(deco, UserStepDecoratorBase):
                if isinstance(deco, StepMutator):
                    self._refuse_mutator_change("Adding", deco.decorator_name)
                if deco_args or deco_kwargs:
                    deco = deco.__class__(*deco_args, **deco_kwargs)
                return self._add_user(deco, duplicates)
            if deco_args:
                raise MetaflowException("Step decorators do not take additional positional arguments")
            deco.attributes.update(deco_kwargs)
            return self._add_builtin(deco, duplicates)
        if isinstance(deco_type, type) and issubclass(deco_type, UserStepDecoratorBase):
            if issubclass(deco_type, StepMutator):
                self._refuse_mutator_change("Adding", deco_type.decorator_name)
            return self._add_user(deco_type(*deco_args, **deco_kwargs), duplicates)
        from metaflow.decorators import StepDecorator

        cls = builtin_decorator_class(deco_type, StepDecorator)
        if cls is None:
            raise TypeError("add_decorator takes a metaflow decorator or user StepDecorator")
        if deco_args:
            raise MetaflowException("Step decorators do not take additional positional arguments")
        return self._add_builtin(cls(deco_kwargs, statically_defined=self._statically_defined), duplicates)

    def _add_user(self, deco, duplicates):
        added = deco.add_or_raise(self._my_step, self._statically_defined, duplicates, self._inserted_by)
        if added is None:
            return None
        added.external_init()
        if self._flow._processing is not None and isinstance(added, StepMutator):
            self._flow._processing.step_mutator_added(self._my_step, added)
        return added

    def _add_builtin(self, deco, duplicates):
        deco.statically_defined = self._statically_defined
        deco.inserted_by = self._inserted_by
        decos = self._my_step.decorators
        existing = [d for d in decos if d.name == deco.name]
        if existing and not deco.allow_multiple:
            if duplicates == MutableStep.IGNORE:
                return None
            if duplicates == MutableStep.OVERRIDE:
                decos[:] = [d for d in decos if d.name != deco.name]
            elif duplicates == MutableStep.ERROR:
                if self._statically_defined:
                    raise MetaflowException("Step *%s* has the decorator @%s more than once; it may be used only once "
                                            "per step." % (self.name, deco.name))
                return None
            else:
                raise ValueError("Invalid duplicates value: %s" % duplicates)
        decos.append(deco)
        return deco

    def remove_decorator(self, deco_name, deco_args=None, deco_kwargs=None):
        """Remove the decorators named `deco_name` (only those with these arguments, if given)."""
        do_all = deco_args is None and deco_kwargs is None
        wanted = (list(deco_args or []), dict(deco_kwargs or {}))
        removed = False
        user_cls = UserStepDecoratorMeta.get_decorator_by_name(deco_name)
        if user_cls is not None:
            for field in ("config_decorators", "wrappers"):
                kept = []
                for deco in getattr(self._my_step, field):
                    if deco.decorator_name == user_cls.decorator_name and (do_all or deco.get_args_kwargs() == wanted):
                        if isinstance(deco, StepMutator):
                            self._refuse_mutator_change("Removing", deco.decorator_name)
                        removed = True
                    else:
                        kept.append(deco)
                setattr(self._my_step, field, kept)
            if removed:
                return True
        kept = []
        for deco in self._my_step.decorators:
            if deco.name == deco_name and (do_all or deco.get_args_kwargs() == wanted):
                removed = True
            else:
                kept.append(deco)
        self._my_step.decorators[:] = kept
        return removed

    def __str__(self):
        return "MutableStep(%s)" % self.name
