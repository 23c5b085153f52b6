"""Client API: browse flows, runs, steps, tasks and artifacts in the local datastore."""

from .core import DataArtifact, Flow, Metaflow, Run, Step, Task
from .current_namespace import default_namespace, get_namespace, namespace
from .metadata_select import default_metadata, get_metadata, metadata
