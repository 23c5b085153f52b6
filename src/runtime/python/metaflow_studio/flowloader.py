"""Import a flow file once, as `__main__`, without letting its `if __name__ == "__main__":` block run."""

import builtins
import os
import sys
import types

from metaflow.flowspec import FlowSpec
from metaflow.tuple_util import ForeachFrame

from .graph import FlowGraph


class _StopLoading(BaseException):
    """Raised from FlowSpec.__init__ while a flow module is being imported by the worker."""


class FlowLoadError(Exception):
    pass


class LoadedFlow(object):
    def __init__(self, flow_file, module, flow_cls, graph):
        self.flow_file = flow_file
        self.module = module
        self.flow_cls = flow_cls
        self.graph = graph


def _flow_classes(module):
    # A bare `@SomeFlowMutator` leaves the mutator object where the class was named (as in Metaflow).
    values = [getattr(v, "_flow_cls", None) if type(v).__name__ != "type" and hasattr(v, "_flow_cls") else v
              for v in vars(module).values()]
    return [
        value
        for value in values
        if isinstance(value, type) and issubclass(value, FlowSpec) and value is not FlowSpec
        and value.__module__ == module.__name__
    ]


def load_flow(flow_file, flow_name=None):
    """Execute the flow file as `__main__` and return its flow class and static graph."""
    path = os.path.abspath(flow_file)
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec")
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins
    module.__dict__["__spec__"] = None
    module.ForeachFrame = ForeachFrame
    sys.modules["__main__"] = module
    flow_dir = os.path.dirname(path)
    if flow_dir not in sys.path:
        sys.path.insert(0, flow_dir)
    sys.argv = [path]
    instantiated = []

    def hook(cls):
        instantiated.append(cls)
        raise _StopLoading()

    FlowSpec._studio_loader_hook = hook
    try:
        exec(code, module.__dict__)
    except _StopLoading:
        pass
    finally:
        FlowSpec._studio_loader_hook = None
    # Pickles of foreach frames name `__main__.ForeachFrame`; a flow module must not hide it.
    module.ForeachFrame = ForeachFrame
    classes = _flow_classes(module)
    flow_cls = None
    if flow_name:
        flow_cls = next((c for c in classes if c.__name__ == flow_name), None)
        if flow_cls is None:
            raise FlowLoadError(
                "%s defines no flow named %s (flows found: %s)"
                % (path, flow_name, ", ".join(c.__name__ for c in classes) or "none")
            )
    elif instantiated:
        flow_cls = instantiated[0]
    elif len(classes) == 1:
        flow_cls = classes[0]
    elif not classes:
        raise FlowLoadError("%s defines no FlowSpec subclass" % path)
    else:
        # Several flows and none named: each task names its flow (see select_flow).
        return LoadedFlow(path, module, None, None)
    return LoadedFlow(path, module, flow_cls, FlowGraph(flow_cls))


def select_flow(loaded, flow_name):
    """The same imported module, with another of its flow classes selected."""
    if not flow_name:
        if loaded.flow_cls is None:
            raise FlowLoadError("%s defines several flows; the task must name one." % loaded.flow_file)
        return loaded
    if loaded.flow_cls is not None and loaded.flow_cls.__name__ == flow_name:
        return loaded
    classes = _flow_classes(loaded.module)
    flow_cls = next((c for c in classes if c.__name__ == flow_name), None)
    if flow_cls is None:
        raise FlowLoadError(
            "%s defines no flow named %s (flows found: %s)"
            % (loaded.flow_file, flow_name, ", ".join(c.__name__ for c in classes) or "none")
        )
    return LoadedFlow(loaded.flow_file, loaded.module, flow_cls, FlowGraph(flow_cls))
