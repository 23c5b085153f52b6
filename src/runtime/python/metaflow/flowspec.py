"""`FlowSpec`: the base class of every flow, with Metaflow's task-time semantics."""

import reprlib
import sys
from itertools import islice

from .exception import (
    InvalidNextException,
    MetaflowException,
    MissingInMergeArtifactsException,
    UnhandledInMergeArtifactsException,
)
from .parameters import Parameter
from .unbounded_foreach import UnboundedForeachInput

INTERNAL_ARTIFACTS_SET = set(
    ["_foreach_values", "_unbounded_foreach", "_control_mapper_tasks", "_control_task_is_mapper_zero", "_parallel_ubf_iter"]
)
MAXIMUM_FOREACH_VALUE_CHARS = 30


class ParallelUBF(UnboundedForeachInput):
    """Foreach placeholder behind `num_parallel` (pickled under Metaflow's name)."""

    def __init__(self, num_parallel):
        self.num_parallel = num_parallel

    def __getitem__(self, item):
        return item or 0


class Inputs(object):
    """A join's inputs: iterable, indexable, and addressable by branch step name (`inputs.a`)."""

    def __init__(self, flows):
        self.flows = list(flows)
        self._by_step = None

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._by_step is None:
            self._by_step = dict((inp._current_step, inp) for inp in self.flows)
        try:
            return self._by_step[name]
        except KeyError:
            raise AttributeError(
                "This join has no input from a step named '%s' (inputs come from: %s)"
                % (name, ", ".join(sorted(self._by_step)) or "none")
            )

    def __getitem__(self, index):
        return self.flows[index]

    # No __len__: Metaflow's Inputs has none, and flows written here must run there too.
    def __iter__(self):
        return iter(self.flows)


class FlowSpec(object):
    _EPHEMERAL = {
        "_EPHEMERAL", "_NON_PARAMETERS", "_datastore", "_cached_input", "_graph", "_flow_state", "_steps",
        "index", "input", "_studio_switch_value", "_studio_loaded",
    }
    _NON_PARAMETERS = {"cmd", "foreach_stack", "index", "input", "script_name", "name"}
    # Set by the worker while it imports a flow module: instantiating a flow then stops the import
    # before the module's `if __name__ == "__main__":` block can start a command line.
    _studio_loader_hook = None

    def __init__(self, use_cli=True):
        hook = FlowSpec._studio_loader_hook
        if hook is not None:
            hook(self.__class__)
        self.name = self.__class__.__name__
        self._datastore = None
        self._cached_input = {}
        self._graph = None
        if use_cli:
            # `python flow.py run ...`: the embedded runtime's command line, with Metaflow's options.
            from metaflow_studio.script_cli import main

            module = sys.modules.get(self.__class__.__module__)
            main(self.name, getattr(module, "__file__", None) or sys.argv[0])

    @property
    def script_name(self):
        return sys.argv[0].split("/")[-1] if sys.argv and sys.argv[0] else ""

    @classmethod
    def _get_parameters(cls):
        """(attribute name, Parameter) pairs, remembered before the runtime swaps them for values."""
        cached = cls.__dict__.get("_studio_parameters")
        if cached is not None:
            return cached
        found = []
        for var in dir(cls):
            if var[0] == "_" or var in cls._NON_PARAMETERS:
                continue
            val = getattr(cls, var)
            if isinstance(val, Parameter):
                found.append((var, val))
        cls._studio_parameters = found
        return found

    def _set_datastore(self, datastore):
        self._datastore = datastore

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        datastore = self.__dict__.get("_datastore")
        if datastore is not None and name in datastore:
            value = datastore[name]
            setattr(self, name, value)
            loaded = self.__dict__.get("_studio_loaded")
            if loaded is not None:
                loaded[name] = value
            return value
        raise AttributeError("Flow %s has no attribute '%s'" % (type(self).__name__, name))

    @property
    def index(self):
        stack = getattr(self, "_foreach_stack", None)
        if stack:
            return stack[-1].index
        return None

    @property
    def input(self):
        return self._find_input()

    def foreach_stack(self):
        return [
            (frame.index, frame.num_splits, self._find_input(stack_index=i))
            for i, frame in enumerate(self._foreach_stack)
        ]

    def _find_input(self, stack_index=None):
        stack = getattr(self, "_foreach_stack", None) or []
        if stack_index is None:
            stack_index = len(stack) - 1
        cache = self.__dict__.setdefault("_cached_input", {})
        if stack_index in cache:
            return cache[stack_index]
        if not stack:
            return None
        frame = stack[stack_index]
        try:
            var = getattr(self, frame.var)
        except AttributeError:
            cache[stack_index] = None
        else:
            try:
                cache[stack_index] = var[frame.index]
            except TypeError:
                cache[stack_index] = next(islice(var, frame.index, frame.index + 1))
        return cache[stack_index]

    def merge_artifacts(self, inputs, exclude=None, include=None):
        include = include or []
        exclude = exclude or []
        node = self._graph[self._current_step]
        if node.type != "join":
            raise MetaflowException(
                "merge_artifacts can only be called in a join and step *%s* is not a join" % self._current_step
            )
        if exclude and include:
            raise MetaflowException("`exclude` and `include` are mutually exclusive in merge_artifacts")
        to_merge = {}
        unresolved = []
        for inp in inputs:
            for var, sha in inp._datastore.items():
                if include:
                    if var not in include or hasattr(self, var):
                        continue
                elif var in exclude or var in INTERNAL_ARTIFACTS_SET or hasattr(self, var):
                    continue
                _, previous = to_merge.setdefault(var, (inp, sha))
                if previous != sha and var not in unresolved:
                    unresolved.append(var)
        missing = [v for v in include if v not in to_merge and not hasattr(self, v)]
        if unresolved:
            raise UnhandledInMergeArtifactsException(
                "Step *%s* cannot merge the following artifacts due to them having conflicting values:\n[%s].\n"
                "To remedy this issue, be sure to explicitly set those artifacts (using self.<artifact_name> = ...) "
                "prior to calling merge_artifacts." % (self._current_step, ", ".join(unresolved)),
                unresolved,
            )
        if missing:
            raise MissingInMergeArtifactsException(
                "Step *%s* specifies that [%s] should be merged but [%s] are not present.\nTo remedy this issue, "
                "make sure that the values specified in only come from at least one branch"
                % (self._current_step, ", ".join(include), ", ".join(missing)),
                missing,
            )
        for var, (inp, _) in to_merge.items():
            self._datastore.passdown_partial(inp._datastore, [var])

    def _get_foreach_item_value(self, item):
        if isinstance(item, (str, int, float, bool)):
            value = item
        else:
            value = reprlib.Repr().repr(item)
        return str(value)[:MAXIMUM_FOREACH_VALUE_CHARS]

    def next(self, *dsts, **kwargs):
        step = self._current_step
        foreach = kwargs.pop("foreach", None)
        num_parallel = kwargs.pop("num_parallel", None)
        condition = kwargs.pop("condition", None)
        if kwargs:
            raise InvalidNextException(
                "Step *%s* passes an unknown keyword argument '%s' to self.next()." % (step, next(iter(kwargs)))
            )
        if self.__dict__.get("_transition") is not None:
            raise InvalidNextException(
                "Multiple self.next() calls detected in step *%s*. Call self.next() only once." % step
            )
        if condition is not None:
            if len(dsts) != 1 or not isinstance(dsts[0], dict) or not dsts[0]:
                raise InvalidNextException(
                    "Step *%s* has an invalid self.next() transition. When using 'condition', the transition must "
                    "be to a single, non-empty dictionary mapping condition values to step methods." % step
                )
            if not isinstance(condition, str):
                raise InvalidNextException(
                    "Step *%s* has an invalid self.next() transition. The argument to 'condition' must be a string."
                    % step
                )
            if foreach is not None or num_parallel is not None:
                raise InvalidNextException(
                    "Step *%s* has an invalid self.next() transition. Switch statements cannot be combined with "
                    "foreach or num_parallel." % step
                )
            cases = dsts[0]
            try:
                value = getattr(self, condition)
            except AttributeError:
                raise InvalidNextException(
                    "Condition variable *self.%s* in step *%s* does not exist. Make sure you set self.%s in this step."
                    % (condition, step, condition)
                )
            if value not in cases:
                raise InvalidNextException(
                    "Step *%s*: switch condition variable '%s' has value %r which is not one of the cases: %s"
                    % (step, condition, value, ", ".join(repr(k) for k in cases))
                )
            target = cases[value]
            name = getattr(getattr(target, "__func__", None), "__name__", None)
            if name is None:
                raise InvalidNextException(
                    "Step *%s* specifies a switch transition that is not a function. Make sure the value in the "
                    "dictionary is a method of the Flow class." % step
                )
            self._transition = ([name], None)
            self._studio_switch_value = str(value)
            return
        if len(dsts) == 1 and isinstance(dsts[0], dict):
            raise InvalidNextException(
                "Step *%s* has an invalid self.next() transition. Dictionary argument requires 'condition' parameter."
                % step
            )
        funcs = []
        for i, dst in enumerate(dsts):
            name = getattr(getattr(dst, "__func__", None), "__name__", None)
            if name is None:
                raise InvalidNextException(
                    "In step *%s* the %d. argument in self.next() is not a function. Make sure all arguments in "
                    "self.next() are methods of the Flow class." % (step, i + 1)
                )
            if not getattr(getattr(type(self), name, None), "is_step", False):
                raise InvalidNextException(
                    "Step *%s* specifies a self.next() transition to an unknown step, *%s*." % (step, name)
                )
            funcs.append(name)
        if num_parallel is not None and num_parallel >= 1:
            if len(dsts) > 1:
                raise InvalidNextException("Only one destination allowed when num_parallel used in self.next()")
            foreach = "_parallel_ubf_iter"
            self._parallel_ubf_iter = ParallelUBF(num_parallel)
        if foreach:
            if not isinstance(foreach, str):
                raise InvalidNextException(
                    "Step *%s* has an invalid self.next() transition. The argument to 'foreach' must be a string."
                    % step
                )
            if len(dsts) != 1:
                raise InvalidNextException(
                    "Step *%s* has an invalid self.next() transition. Specify exactly one target for 'foreach'." % step
                )
            try:
                foreach_iter = getattr(self, foreach)
            except AttributeError:
                raise InvalidNextException(
                    "Foreach variable *self.%s* in step *%s* does not exist. Check your variable." % (foreach, step)
                )
            self._foreach_values = None
            if isinstance(foreach_iter, UnboundedForeachInput):
                self._unbounded_foreach = True
                self._foreach_num_splits = None
            else:
                try:
                    self._foreach_values = [self._get_foreach_item_value(item) for item in foreach_iter]
                except Exception as e:
                    raise InvalidNextException(
                        "Foreach variable *self.%s* in step *%s* is not iterable. Please check details: %s"
                        % (foreach, step, e)
                    )
                self._foreach_num_splits = len(self._foreach_values)
                if self._foreach_num_splits == 0:
                    raise InvalidNextException(
                        "Foreach iterator over *%s* in step *%s* produced zero splits (the list is empty). "
                        "A foreach needs at least one item." % (foreach, step)
                    )
            self._foreach_var = foreach
        if foreach is None and condition is None and len(dsts) < 1:
            raise InvalidNextException(
                "Step *%s* has an invalid self.next() transition. Specify at least one step function as an argument "
                "in self.next()." % step
            )
        self._transition = (funcs, foreach)

    def __str__(self):
        step_name = self.__dict__.get("_current_step")
        if step_name:
            return "<flow %s step %s>" % (type(self).__name__, step_name)
        return "<flow %s>" % type(self).__name__

    def __getstate__(self):
        raise MetaflowException(
            "Flows can't be serialized. Maybe you tried to assign *self* or one of the *inputs* to an attribute? "
            "Instead of serializing the whole flow, you should choose specific attributes, e.g. *input.some_var*, "
            "to be stored."
        )
