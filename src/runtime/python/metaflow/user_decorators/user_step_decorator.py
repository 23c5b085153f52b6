"""`UserStepDecorator`, `StepMutator` and `@user_step_decorator` (Metaflow 2.19 semantics).

A user step decorator wraps the step's code (pre_step / post_step, may skip or replace it); a step
mutator adds or removes decorators of its step once the run's configs are known. Both register
themselves on the step function (`wrappers`, `config_decorators`), like Metaflow's.
"""

import inspect
import types

from metaflow.exception import MetaflowException

from .common import ClassRegistry, RegisteringMeta, WrittenArguments

# Yielded by a generator user decorator (or set as `skip_step`) to skip the step.
USER_SKIP_STEP = {}

_STEP_REGISTRY = ClassRegistry()


class UserStepDecoratorMeta(RegisteringMeta):
    _registry = _STEP_REGISTRY
    _framework_names = ("UserStepDecoratorBase", "UserStepDecorator", "StepMutator")


class UserStepDecoratorBase(WrittenArguments, metaclass=UserStepDecoratorMeta):
    _step_field = None
    _allowed_args = False
    _allowed_kwargs = False
    _my_step = None

    def __init__(self, *args, **kwargs):
        self._special_kwargs = {"_statically_defined": True, "_inserted_by": None}
        self._kwargs = {}
        self._ran_init = False
        self._mutate_called = False
        for key, value in kwargs.items():
            if key in self._special_kwargs:
                self._special_kwargs[key] = value
            else:
                self._kwargs[key] = value
        self._args = args
        first = args[0] if args else None
        if isinstance(first, UserStepDecoratorBase):
            first = first._my_step
        if first is not None and callable(first) and getattr(first, "is_step", False):
            # Bare form `@MyDecorator` above `@step`: the step is the first argument.
            self._set_my_step(first)
            self._args = args[1:]
        if self._args and not self._allowed_args:
            raise MetaflowException("%s does not allow arguments" % self)
        if self._kwargs:
            if not self._allowed_kwargs:
                raise MetaflowException("%s does not allow keyword arguments" % self)
            if isinstance(self._allowed_kwargs, list):
                bad = [k for k in self._kwargs if k not in self._allowed_kwargs]
                if bad:
                    raise MetaflowException("%s only allows the keyword arguments %s (got %s)"
                                            % (self, ", ".join(self._allowed_kwargs), ", ".join(bad)))

    def __get__(self, instance, owner):
        # The bare form leaves this object as the class attribute: present the step function.
        return self().__get__(instance, owner)

    def __call__(self, step=None, **kwargs):
        self._special_kwargs.update(kwargs)
        if step is not None:
            if isinstance(step, UserStepDecoratorBase):
                step = step._my_step
            if not getattr(step, "is_step", False):
                raise MetaflowException("%s can only be applied to a step function (put it above @step)" % self)
            return self._set_my_step(step)
        if self._my_step is None:
            raise MetaflowException("%s can only be applied to a step function" % self)
        return self._my_step

    def _set_my_step(self, step):
        self._my_step = step
        self.statically_defined = self._special_kwargs["_statically_defined"]
        self.inserted_by = self._special_kwargs["_inserted_by"]
        for field in self._all_step_fields():
            getattr(step, field).append(self)
        return step

    def _all_step_fields(self):
        fields = []
        for klass in type(self).__mro__:
            field = klass.__dict__.get("_step_field")
            if field is not None and field not in fields:
                fields.append(field)
        return fields

    def add_or_raise(self, step, statically_defined, duplicates, inserted_by=None):
        """Register on `step` unless a decorator of this type is there already (then `duplicates`
        decides); returns self when registered, None when not."""
        from .mutable_step import MutableStep

        existing = [d for d in getattr(step, self._step_field) if d.decorator_name == self.decorator_name]
        if not existing:
            self(step, _statically_defined=statically_defined, _inserted_by=inserted_by)
            return self
        if duplicates == MutableStep.IGNORE:
            return None
        if duplicates == MutableStep.OVERRIDE:
            for field in self._all_step_fields():
                setattr(step, field, [d for d in getattr(step, field) if d.decorator_name != self.decorator_name])
            self(step, _statically_defined=statically_defined, _inserted_by=inserted_by)
            return self
        if duplicates == MutableStep.ERROR:
            if statically_defined:
                raise MetaflowException("Step *%s* already has the decorator %s; it may be added only once."
                                        % (step.__name__, self.decorator_name))
            return None
        raise ValueError("Invalid duplicates value: %s" % duplicates)

    def __str__(self):
        return str(self.__class__)


class UserStepDecorator(UserStepDecoratorBase):
    """Derive from this to run code before and after a step (`pre_step`, `post_step`)."""

    _step_field = "wrappers"
    _allowed_args = False
    _allowed_kwargs = True

    def pre_step(self, step_name, flow, inputs=None):
        """Return None to run what this decorator wraps, or a callable to run instead."""
        return None

    def post_step(self, step_name, flow, exception=None):
        """Return an exception to raise (None: success), or (exception, next-arguments)."""
        if exception:
            return exception, None
        return None, None

    @property
    def skip_step(self):
        return getattr(self, "_skip_step", False)

    @skip_step.setter
    def skip_step(self, value):
        self._skip_step = value


class StepMutator(UserStepDecoratorBase):
    """Derive from this to add or remove decorators of a step (`pre_mutate`, `mutate`)."""

    _step_field = "config_decorators"
    _allowed_args = True
    _allowed_kwargs = True

    def pre_mutate(self, mutable_step):
        return None

    def mutate(self, mutable_step):
        return None

    def add_to_package(self):
        return []


UserStepDecoratorBase._framework_classes = (UserStepDecoratorBase, UserStepDecorator, StepMutator)


def user_step_decorator(*args, **kwargs):
    """Turn a generator function `(step_name, flow, inputs[, attributes])` that yields once into a
    user step decorator. It may yield None (run the step), a callable (run it instead) or a dict
    (skip the step; a non-empty dict gives the arguments of `self.next`)."""
    if not args:
        return lambda f: user_step_decorator(f, **kwargs)
    func = args[0]
    if not isinstance(func, types.FunctionType) or not inspect.isgeneratorfunction(func):
        raise MetaflowException("@user_step_decorator can only decorate generator functions.")
    arg_count = len(inspect.signature(func).parameters)
    if kwargs and arg_count != 4:
        raise MetaflowException("@user_step_decorator(<kwargs>) can only decorate generator functions with 4 "
                                "arguments (step_name, flow, inputs, attributes)")
    if arg_count not in (3, 4):
        raise MetaflowException("@user_step_decorator can only decorate generator functions with 3 or 4 arguments "
                                "(step_name, flow, inputs [, attributes]).")

    class GeneratorStepDecorator(UserStepDecorator):
        _decorator_name = "%s.%s" % (func.__module__, func.__name__)

        def init(self, *init_args, **init_kwargs):
            if init_args:
                raise MetaflowException("%s does not allow arguments, only keyword arguments" % self)
            self._kwargs = init_kwargs

        def pre_step(self, step_name, flow, inputs=None):
            if arg_count == 4:
                self._generator = func(step_name, flow, inputs, self._kwargs)
            else:
                self._generator = func(step_name, flow, inputs)
            value = self._generator.send(None)
            if isinstance(value, dict):
                self.skip_step = value if value else True
                return None
            return value

        def post_step(self, step_name, flow, exception=None):
            try:
                if exception:
                    self._generator.throw(exception)
                else:
                    self._generator.send(None)
            except StopIteration as stop:
                return stop.value
            except Exception as raised:
                return raised
            return None, None, MetaflowException(" %s should only yield once" % self)

    GeneratorStepDecorator.__name__ = func.__name__
    GeneratorStepDecorator.__qualname__ = func.__name__
    GeneratorStepDecorator.__doc__ = func.__doc__
    return GeneratorStepDecorator
