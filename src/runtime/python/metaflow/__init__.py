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

_CLIENT_NAMES = (
    "Metaflow", "Flow", "Run", "Step", "Task", "DataArtifact", "namespace", "get_namespace", "default_namespace",
)


def __getattr__(name):
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError("module 'metaflow' has no attribute '%s'" % name)


def __dir__():
    return sorted(list(globals()) + list(_CLIENT_NAMES))
