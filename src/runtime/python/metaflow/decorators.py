"""`@step` and every step/flow decorator Metaflow users write (reference §7).

Decorators that matter only for remote compute or deployment are accepted and recorded (their
attributes reach `_graph_info`); the local runtime acts on `@retry`, `@catch`, `@timeout`,
`@environment`, `@secrets` and `@parallel`.
"""

from .config_parameters import UNPACK_KEY
from .exception import InvalidDecoratorAttribute, MetaflowException


class Decorator(object):
    name = "NONAME"
    defaults = {}
    allow_multiple = False

    def __init__(self, attributes=None, statically_defined=False):
        self.attributes = dict(self.defaults)
        # Which attributes the flow author gave (a default and an explicit equal value differ for @project).
        self._user_defined_attributes = set(attributes or {})
        for key, value in (attributes or {}).items():
            if key.startswith(UNPACK_KEY):
                # `**config`: its keys become attributes once the run's configs are known.
                self.attributes[key] = value
                continue
            if key not in self.defaults:
                raise InvalidDecoratorAttribute(key, self.name, self.defaults)
            self.attributes[key] = value
        self.statically_defined = statically_defined

    # Set when a mutator added the decorator (Metaflow records who inserted it).
    inserted_by = None

    def get_args_kwargs(self):
        """([], attributes): the decorator's spec as mutators read and match it."""
        return [], dict(self.attributes)

    def __repr__(self):
        return "@%s(%s)" % (self.name, ", ".join("%s=%r" % kv for kv in sorted(self.attributes.items())))


class StepDecorator(Decorator):
    IS_PARALLEL = False


class FlowDecorator(Decorator):
    pass


def _step_decorator(name, defaults, allow_multiple=False, is_parallel=False):
    cls = type(
        "%sDecorator" % "".join(p.capitalize() for p in name.split("_")),
        (StepDecorator,),
        {"name": name, "defaults": dict(defaults), "allow_multiple": allow_multiple, "IS_PARALLEL": is_parallel},
    )

    def attach(target, attributes):
        # Above a user step decorator or step mutator (`@retry` over `@my_deco`), the step is its `_my_step`.
        func = getattr(target, "_my_step", None) or target
        deco = cls(attributes, statically_defined=True)
        existing = getattr(func, "decorators", None)
        if existing is None:
            existing = []
            func.decorators = existing
        if not cls.allow_multiple and any(d.name == name for d in existing):
            raise MetaflowException(
                "Step *%s* has the decorator @%s more than once; it may be used only once per step."
                % (getattr(func, "__name__", "?"), name)
            )
        # Application order (the decorator nearest `def` first), as Metaflow records them.
        existing.append(deco)
        return func

    def decorator(func=None, **kwargs):
        if func is not None and callable(func) and not kwargs:
            return attach(func, {})
        if func is not None:
            raise MetaflowException("@%s takes keyword arguments only (got %r)." % (name, func))
        return lambda f: attach(f, kwargs)

    decorator.__name__ = name
    decorator.__doc__ = "Step decorator @%s (attributes: %s)." % (name, ", ".join(sorted(defaults)) or "none")
    decorator.decorator_class = cls
    return decorator


def _flow_decorator(name, defaults, allow_multiple=False):
    cls = type(
        "%sFlowDecorator" % "".join(p.capitalize() for p in name.split("_")),
        (FlowDecorator,),
        {"name": name, "defaults": dict(defaults), "allow_multiple": allow_multiple},
    )

    def attach(flow_cls, attributes):
        decos = dict(flow_cls.__dict__.get("_flow_decorators", {}))
        if name in decos and not allow_multiple:
            raise MetaflowException("Flow %s has the decorator @%s more than once." % (flow_cls.__name__, name))
        decos[name] = decos.get(name, []) + [cls(attributes, statically_defined=True)]
        flow_cls._flow_decorators = decos
        return flow_cls

    def decorator(flow_cls=None, **kwargs):
        if flow_cls is not None and isinstance(flow_cls, type) and not kwargs:
            return attach(flow_cls, {})
        if flow_cls is not None:
            raise MetaflowException("@%s takes keyword arguments only (got %r)." % (name, flow_cls))
        return lambda c: attach(c, kwargs)

    decorator.__name__ = name
    decorator.decorator_class = cls
    return decorator


def step(f=None, start=False, end=False):
    """Marks a method of a FlowSpec as a step; `@step(start=True)`/`@step(end=True)` annotate the endpoints."""

    def mark(func):
        func.is_step = True
        func.is_start_step = bool(start)
        func.is_end_step = bool(end)
        if getattr(func, "decorators", None) is None:
            func.decorators = []
        func.wrappers = []
        func.config_decorators = []
        func.name = func.__name__
        return func

    if f is None:
        return mark
    return mark(f)


_BATCH = dict(
    (k, None)
    for k in (
        "cpu gpu memory image queue iam_role execution_role shared_memory max_swap swappiness inferentia "
        "trainium efa host_volumes efs_volumes tmpfs_size aws_batch_tags ephemeral_storage log_driver "
        "log_options executable"
    ).split()
)
_BATCH.update(use_tmpfs=False, tmpfs_tempdir=True, tmpfs_path="/metaflow_temp", privileged=False)

_KUBERNETES = dict(
    cpu="1", memory="4096", disk="10240", image=None, image_pull_policy=None, image_pull_secrets=None,
    service_account=None, secrets=None, node_selector=None, namespace=None, gpu=None, gpu_vendor=None,
    tolerations=None, labels=None, annotations=None, use_tmpfs=None, tmpfs_tempdir=True, tmpfs_size=None,
    tmpfs_path="/metaflow_temp", persistent_volume_claims=None, shared_memory=None, port=None,
    compute_pool=None, executable=None, hostname_resolution_timeout=600, qos="Burstable",
    extended_resources=None, security_context=None,
)

_SENSOR = dict(
    timeout=3600, poke_interval=60, mode="reschedule", exponential_backoff=True, pool=None, soft_fail=False,
    name=None, description=None,
)

retry = _step_decorator("retry", {"times": "3", "minutes_between_retries": "2"})
catch = _step_decorator("catch", {"var": None, "print_exception": True})
timeout = _step_decorator("timeout", {"seconds": 0, "minutes": 0, "hours": 0})
resources = _step_decorator("resources", {"cpu": "1", "gpu": None, "disk": None, "memory": "4096", "shared_memory": None})
environment = _step_decorator("environment", {"vars": {}})
secrets = _step_decorator("secrets", {"sources": [], "role": None, "allow_override": False})
kubernetes = _step_decorator("kubernetes", _KUBERNETES)
batch = _step_decorator("batch", _BATCH)
parallel = _step_decorator("parallel", {}, is_parallel=True)
card = _step_decorator(
    "card",
    {"type": "default", "options": {}, "scope": "task", "rank": None, "timeout": 45, "id": None,
     "save_errors": True, "customize": False, "refresh_interval": 5},
    allow_multiple=True,
)
conda = _step_decorator("conda", {"packages": {}, "libraries": {}, "python": None, "disabled": None})
pypi = _step_decorator("pypi", {"packages": {}, "python": None, "disabled": None})
pytorch_parallel = _step_decorator("pytorch_parallel", {"master_port": None}, is_parallel=True)

schedule = _flow_decorator("schedule", {"cron": None, "weekly": False, "daily": True, "hourly": False, "timezone": None})
project = _flow_decorator("project", {"name": None, "production": False, "branch": None})
trigger = _flow_decorator("trigger", {"event": None, "events": [], "options": {}})
trigger_on_finish = _flow_decorator("trigger_on_finish", {"flow": None, "flows": [], "options": {}})
conda_base = _flow_decorator("conda_base", {"packages": {}, "libraries": {}, "python": None, "disabled": None})
pypi_base = _flow_decorator("pypi_base", {"packages": {}, "python": None, "disabled": None})
exit_hook = _flow_decorator("exit_hook", {"on_success": [], "on_error": [], "options": {}}, allow_multiple=True)
airflow_external_task_sensor = _flow_decorator(
    "airflow_external_task_sensor",
    dict(_SENSOR, external_dag_id=None, external_task_ids=None, allowed_states=["success"], failed_states=None,
         execution_delta=None, check_existence=True),
)
airflow_s3_key_sensor = _flow_decorator(
    "airflow_s3_key_sensor", dict(_SENSOR, bucket_key=None, bucket_name=None, wildcard_match=False, aws_conn_id=None, verify=None)
)

STEP_DECORATORS = dict(
    (d.__name__, d)
    for d in (retry, catch, timeout, resources, environment, secrets, kubernetes, batch, parallel, card, conda, pypi,
              pytorch_parallel)
)
FLOW_DECORATORS = dict(
    (d.__name__, d)
    for d in (schedule, project, trigger, trigger_on_finish, conda_base, pypi_base, exit_hook,
              airflow_external_task_sensor, airflow_s3_key_sensor)
)
