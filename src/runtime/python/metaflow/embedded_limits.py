"""What the embedded runtime says when a flow uses a part of Metaflow it does not provide: the
missing name, that the embedded runtime lacks it, and the setting that runs a real Metaflow."""

import dis
import importlib.abc
import importlib.machinery
import sys

_IMPORT_FROM = dis.opmap.get("IMPORT_FROM")
ENGINE_HINT = ("To run this flow with a real Metaflow installed in the selected Python interpreter, set the VS Code "
               "setting `metaflow.engine` to `installed`.")


def missing_message(what):
    return "%s is not provided by Metaflow Studio's embedded runtime. %s" % (what, ENGINE_HINT)


class EmbeddedRuntimeAttributeError(AttributeError):
    pass


class EmbeddedRuntimeImportError(ImportError):
    pass


def _caller_is_import_from(depth):
    frame = sys._getframe(depth)
    try:
        return _IMPORT_FROM is not None and frame.f_code.co_code[frame.f_lasti] == _IMPORT_FROM
    except (IndexError, AttributeError):
        return False


def missing_attribute(module_name, name):
    """The error a module-level `__getattr__` raises for a name the embedded package lacks: an
    ImportError for `from module import name` (Python would otherwise replace the message), an
    AttributeError otherwise (so `hasattr` keeps working)."""
    message = missing_message("`%s.%s`" % (module_name, name))
    if _caller_is_import_from(3):
        return EmbeddedRuntimeImportError(message, name=module_name)
    return EmbeddedRuntimeAttributeError(message)


class _MissingModuleLoader(importlib.abc.Loader):
    def create_module(self, spec):
        raise ModuleNotFoundError(missing_message("The module `%s`" % spec.name), name=spec.name)

    def exec_module(self, module):
        raise ModuleNotFoundError(missing_message("The module `%s`" % module.__name__), name=module.__name__)


class MissingSubmoduleFinder(importlib.abc.MetaPathFinder):
    """Last on `sys.meta_path`: only `metaflow.*` modules no other finder found reach it."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("metaflow."):
            return None
        return importlib.machinery.ModuleSpec(fullname, _MissingModuleLoader())


def install_missing_submodule_finder():
    if not any(isinstance(f, MissingSubmoduleFinder) for f in sys.meta_path):
        sys.meta_path.append(MissingSubmoduleFinder())
