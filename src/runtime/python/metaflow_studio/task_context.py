"""What every kind of task shares: its spec and datastore handles, failures the runtime raises,
and the TaskResult shape reported to the scheduler."""

import os
import platform
import re
import time

from metaflow.exception import MetaflowUnknownUser
from metaflow.version import __version__

from .azure_datastore import open_backend
from .datastore import MetadataWriter, TaskReader, TaskWriter, ensure_self_json, open_store
from .protocol_messages import exception_info, task_result  # noqa: F401 (exception_info: re-exported)

MAX_FOREACH_PATH_LENGTH = 256


class TaskFailure(Exception):
    """A failure detected by the runtime itself (not raised by user code)."""

    def __init__(self, message, retry_allowed=True, kind="MetaflowException"):
        Exception.__init__(self, message)
        self.message = message
        self.retry_allowed = retry_allowed
        self.kind = kind


PYTHON_VERSION = platform.python_version()


def identity(user):
    """(kind, value) as Metaflow resolves a task's identity: a deployment's runs (METAFLOW_PRODUCTION_TOKEN
    set in the pod) belong to `production:<token>`, everything else to `user:<name>`."""
    token = os.environ.get("METAFLOW_PRODUCTION_TOKEN")
    if token:
        return "production", token
    return "user", user


def runtime_name():
    """`dev` on the laptop; a scheduler's pods say which (METAFLOW_RUNTIME_NAME, e.g. argo-workflows)."""
    return os.environ.get("METAFLOW_RUNTIME_NAME") or "dev"


def system_tags(user):
    return [
        "runtime:%s" % runtime_name(),
        "%s:%s" % identity(user),
        "metaflow_version:%s" % __version__,
        "python_version:%s" % PYTHON_VERSION,
    ]


def check_user(user):
    # A production token is an identity of its own: no user name is needed then.
    if identity(user)[0] == "production":
        return
    if not user or user == "root":
        raise TaskFailure(str(MetaflowUnknownUser()), retry_allowed=False, kind="MetaflowUnknownUser")


_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("0", "false", "f", "no", "n", "off", "")


def project_options():
    """`--branch` / `--production`, which Metaflow's command line also reads from METAFLOW_BRANCH and
    METAFLOW_PRODUCTION (a flow file may set them in os.environ before the flow class is defined)."""
    branch = os.environ.get("METAFLOW_BRANCH") or None
    raw = os.environ.get("METAFLOW_PRODUCTION", "")
    if raw.strip().lower() in _TRUE:
        production = True
    elif raw.strip().lower() in _FALSE:
        production = False
    else:
        raise TaskFailure("METAFLOW_PRODUCTION=%r is not a boolean: use true or false." % raw, retry_allowed=False)
    return {"branch": branch, "production": production}


def _check_project_name(value, what, flow_name):
    if not value:
        raise TaskFailure("@project on %s needs a name: try @project(name='some_name')." % flow_name, retry_allowed=False)
    if not re.match(r"^[a-z0-9_]+$", str(value)) or len(value) > 128:
        raise TaskFailure(
            "@project on %s: the %s %r must be at most 128 lowercase letters, digits and underscores."
            % (flow_name, what, value),
            retry_allowed=False,
        )


def project_info(flow_cls, flow_name, user):
    """`@project` names as Metaflow's project decorator computes them (branch user.<name> unless set)."""
    decos = (getattr(flow_cls, "_flow_decorators", None) or {}).get("project")
    if not decos:
        return None
    deco = decos[0]
    attrs = deco.attributes
    if any(getattr(attrs.get(k), "_is_config_expr", False) for k in ("name", "branch", "production")):
        return None  # known once the run's configs are (the step task asks again after resolving them)
    given = getattr(deco, "_user_defined_attributes", set(k for k, v in attrs.items() if v))
    options = project_options()
    defaults = {"branch": None, "production": False}
    for op in ("branch", "production"):
        if op in given and options[op] != defaults[op] and attrs.get(op) != options[op]:
            raise TaskFailure(
                "@project on %s: %s is given both as an attribute of the decorator (%r) and on the command line or "
                "in METAFLOW_%s (%r); give it in one place only." % (flow_name, op, attrs.get(op), op.upper(), options[op]),
                retry_allowed=False,
            )
    branch = attrs.get("branch") if "branch" in given else options["branch"]
    production = bool(attrs.get("production") if "production" in given else options["production"])
    name = attrs.get("name")
    _check_project_name(name, "name", flow_name)
    if branch:
        _check_project_name(branch, "branch", flow_name)
        branch_name = ("prod.%s" if production else "test.%s") % branch
    elif production:
        branch_name = "prod"
    else:
        branch_name = "user.%s" % os.environ.get("METAFLOW_OWNER", user)
    return {
        "project_name": name,
        "branch_name": branch_name,
        "is_user_branch": not branch and not production,
        "is_production": production,
        "project_flow_name": "%s.%s.%s" % (name, branch_name, flow_name),
    }


def project_system_tags(project):
    return ["project:%s" % project["project_name"], "project_branch:%s" % project["branch_name"]] if project else []


class TaskContext(object):
    """Everything one task needs: the spec, the loaded flow, the datastore handles."""

    def __init__(self, spec, loaded):
        self.spec = spec
        self.loaded = loaded
        self.flow_cls = loaded.flow_cls
        self.graph = loaded.graph
        self.root = spec["datastore_root"]
        self.flow_name = spec["flow_name"]
        self.run_id = str(spec["run_id"])
        self.step = spec["step"]
        self.task_id = str(spec["task_id"])
        self.attempt = int(spec.get("attempt", 0))
        self.user = spec.get("user_name") or ""
        self.tags = list(spec.get("tags") or [])
        self.sys_tags = system_tags(self.user)
        self.identity = identity(self.user)
        # What `current.namespace` and the task's Client default to (Metaflow's resolve_identity).
        self.namespace = "%s:%s" % self.identity
        self.project = project_info(self.flow_cls, self.flow_name, self.user)
        self.sys_tags += project_system_tags(self.project)
        # Metadata (`_meta`) is always local; task data goes to the datastore the spec names.
        self.backend = open_backend(spec.get("datastore"))
        self.ds_type = self.backend.ds_type if self.backend else "local"
        self.ds_root = self.backend.ds_root if self.backend else self.root
        if self.backend:
            # The Client inside the task (current.run, get_cards) reads this run from the same service.
            os.environ.setdefault("METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT", self.backend.store.endpoint)
        self.store, self.cache = open_store(self.root, self.flow_name, self.backend)
        self.meta = MetadataWriter(self.root, self.flow_name, self.run_id, self.step, self.task_id, self.user, self.tags, self.sys_tags,
                                   ds_type=self.ds_type, ds_root=self.ds_root)
        files = self.backend.task_files(self.flow_name, self.run_id, self.step, self.task_id) if self.backend else None
        self.writer = TaskWriter(self.root, self.flow_name, self.run_id, self.step, self.task_id, self.attempt, self.store, self.cache, self.meta, files)
        self.attempt_tags = ["attempt_id:%d" % self.attempt]

    def reader(self, pathspec):
        return TaskReader.from_pathspec(self.root, self.flow_name, pathspec, self.cache, self.backend)

    def ensure_parents(self):
        """Flow, run and step `_self.json` (written once; the scheduler normally does it first)."""
        flow_dir = os.path.join(self.root, self.flow_name)
        run_dir = os.path.join(flow_dir, self.run_id)
        step_dir = os.path.join(run_dir, self.step)
        if os.path.exists(os.path.join(step_dir, "_meta", "_self.json")):
            return
        ts = int(round(time.time() * 1000))
        ensure_self_json(os.path.join(flow_dir, "_meta"), {"flow_id": self.flow_name, "ts_epoch": ts})
        run_obj = {"flow_id": self.flow_name, "run_number": self.run_id, "user_name": self.user, "tags": self.tags,
                   "system_tags": self.sys_tags, "ts_epoch": ts}
        ensure_self_json(os.path.join(run_dir, "_meta"), run_obj)
        ensure_self_json(os.path.join(step_dir, "_meta"), dict(run_obj, step_name=self.step))

    def begin(self, origin_run_id, extra_metadata=(), attempt_info=True):
        self.ensure_parents()
        self.writer.init_attempt()
        self.meta.write_self()
        tags = self.attempt_tags
        data = []
        if attempt_info:
            data += [
                ("attempt", str(self.attempt), "attempt", tags),
                ("origin-run-id", str(origin_run_id), "origin-run-id", tags),
                ("ds-type", self.ds_type, "ds-type", tags),
                ("ds-root", self.ds_root, "ds-root", tags),
            ]
        data += [
            ("runtime", runtime_name(), "runtime", tags),
            ("python_version", PYTHON_VERSION, "python_version", tags),
            (self.identity[0], self.identity[1], self.identity[0], tags),
            ("metaflow_version", __version__, "metaflow_version", tags),
            ("script-name", os.path.basename(self.spec.get("flow_file") or ""), "script-name", tags),
        ]
        data.extend(extra_metadata)
        self.meta.register_metadata(data)


# A task's outcome is a protocol message: built in protocol_messages, re-exported for the task modules.
result = task_result


def new_flow(ctx):
    flow = ctx.flow_cls.__new__(ctx.flow_cls)
    flow.__dict__.update(
        name=ctx.flow_name,
        _datastore=None,
        _cached_input={},
        _graph=ctx.graph,
        _steps=[],
        _studio_loaded={},
    )
    return flow
