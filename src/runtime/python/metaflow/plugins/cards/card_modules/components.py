"""Card components under Metaflow's module path (the same classes as `metaflow.cards`)."""

from metaflow.cards import (  # noqa: F401
    Artifact,
    Error,
    Image,
    JSONViewer,
    Markdown,
    ProgressBar,
    PythonCode,
    Table,
    ValueBox,
    VegaChart,
    YAMLViewer,
)
