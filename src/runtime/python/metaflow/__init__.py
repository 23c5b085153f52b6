"""Metaflow Studio's embedded `metaflow` package: run unmodified Metaflow flow files.

Kept light on purpose: the worker imports it in every task process. The Client API is loaded
on first use.
"""

from . import tuple_util  # registers __main__.ForeachFrame for unpickling
from .config_parameters import Config, config_expr
from .current import current
from .decorators import (
    airflow_external_task_sensor,
    airflow_s3_key_sensor,
    batch,
    card,
    catch,
    conda,
    conda_base,
    environment,
    exit_hook,
    kubernetes,
    parallel,
    project,
    pypi,
    pypi_base,
    pytorch_parallel,
    resources,
    retry,
    schedule,
    secrets,
    step,
    timeout,
    trigger,
    trigger_on_finish,
)
from .flowspec import FlowSpec
from .includefile import IncludeFile
from .parameters import JSONType, Parameter
from .version import __version__

from .embedded_limits import install_missing_submodule_finder, missing_attribute

install_missing_submodule_finder()

_CLIENT_NAMES = (
    "Metaflow", "Flow", "Run", "Step", "Task", "DataArtifact", "namespace", "get_namespace", "default_namespace",
    "metadata", "get_metadata", "default_metadata",
)
# Loaded on first use (name -> module): most flows never touch them.
_LAZY_NAMES = {
    "UserStepDecorator": "metaflow.user_decorators.user_step_decorator",
    "StepMutator": "metaflow.user_decorators.user_step_decorator",
    "user_step_decorator": "metaflow.user_decorators.user_step_decorator",
    "USER_SKIP_STEP": "metaflow.user_decorators.user_step_decorator",
    "FlowMutator": "metaflow.user_decorators.user_flow_decorator",
    "unbounded_test_foreach_internal": "metaflow.plugins.test_unbounded_foreach_decorator",
    # Metaflow's is metaflow.plugins.secrets.get_secret; the top-level name is a shortcut to the same function.
    "get_secret": "metaflow.plugins.secrets",
}


def __getattr__(name):
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name.startswith("__"):
        raise AttributeError("module 'metaflow' has no attribute '%s'" % name)
    raise missing_attribute("metaflow", name)


def __dir__():
    return sorted(list(globals()) + list(_CLIENT_NAMES) + list(_LAZY_NAMES))
