"""`current`: what a running task knows about itself (Metaflow's `metaflow.current`)."""

import sys
from collections import namedtuple

Parallel = namedtuple("Parallel", ["main_ip", "num_nodes", "node_index", "control_task_id"])


class Current(object):
    def __init__(self):
        self._flow_name = None
        self._run_id = None
        self._step_name = None
        self._task_id = None
        self._retry_count = None
        self._origin_run_id = None
        self._namespace = None
        self._username = None
        self._is_running = False
        self._tags = set()
        self._parallel = None
        self._graph_info = None
        self._parameter_names = []
        self._datastore_root = None
        self._extra = {}

    def _set_env(self, flow=None, run_id=None, step_name=None, task_id=None, retry_count=None,
                 origin_run_id=None, namespace=None, username=None, is_running=True, tags=None):
        self._flow_name = flow.name if flow is not None else None
        self._run_id = run_id
        self._step_name = step_name
        self._task_id = task_id
        self._retry_count = retry_count
        self._origin_run_id = origin_run_id
        self._namespace = namespace
        self._username = username
        self._is_running = is_running
        # A set, as Metaflow gives it: flows keep it as an artifact and add to it.
        self._tags = set(tags or ())

    def _update_env(self, env):
        for key, value in env.items():
            if hasattr(self, "_" + key) and key not in ("extra", "update_env", "set_env"):
                setattr(self, "_" + key, value)
            else:
                self._extra[key] = value

    def __contains__(self, key):
        return getattr(self, key, None) is not None

    def get(self, key, default=None):
        if key in self._extra:
            return self._extra[key]
        try:
            value = getattr(self, key)
        except AttributeError:
            return default
        return default if value is None else value

    def __getattr__(self, name):
        extra = self.__dict__.get("_extra", {})
        if name in extra:
            return extra[name]
        if name == "trigger":
            # Set (metaflow.events.Trigger) only when events started the run; `if current.trigger:` stays valid otherwise.
            return None
        if name == "card" and self.__dict__.get("_is_running"):
            # Metaflow fails such a step too (so a flow that runs here also runs there); say how to fix it.
            raise AttributeError(
                "current.card is used in step '%s', which has no @card decorator: add @card above @step "
                "to produce a card there" % self.__dict__.get("_step_name")
            )
        raise AttributeError("current has no attribute '%s' (it is set only while a task runs)" % name)

    @property
    def is_running_flow(self):
        return self._is_running

    @property
    def flow_name(self):
        return self._flow_name

    @property
    def run_id(self):
        return self._run_id

    @property
    def step_name(self):
        return self._step_name

    @property
    def task_id(self):
        return self._task_id

    @property
    def retry_count(self):
        return self._retry_count

    @property
    def origin_run_id(self):
        return self._origin_run_id

    @property
    def pathspec(self):
        if not self._is_running:
            return None
        return "/".join((self._flow_name, self._run_id, self._step_name, self._task_id))

    @property
    def task(self):
        """The Client's `Task` of the running task (None outside a task), as Metaflow gives it."""
        if not self._is_running or self._task_id is None:
            return None
        return self._client().Task(self.pathspec, _namespace_check=False, _root=self._datastore_root)

    @property
    def run(self):
        """The Client's `Run` the running task belongs to (None outside a task)."""
        if not self._is_running or self._run_id is None:
            return None
        return self._client().Run("%s/%s" % (self._flow_name, self._run_id), _namespace_check=False,
                                  _root=self._datastore_root)

    def _client(self):
        # Loaded on first use (a task that never reads the Client does not pay for it), in the namespace of
        # the user running the task, as the task would have set it had the Client been loaded before.
        fresh = "metaflow.client" not in sys.modules
        import metaflow.client as client

        if fresh and self._namespace:
            client.namespace(self._namespace)
        return client

    @property
    def namespace(self):
        return self._namespace

    @property
    def username(self):
        return self._username

    @property
    def tags(self):
        return self._tags

    @property
    def parallel(self):
        if self._parallel is None:
            return Parallel(main_ip="127.0.0.1", num_nodes=1, node_index=0, control_task_id=self._task_id)
        return self._parallel

    @property
    def graph(self):
        return self._graph_info

    @property
    def parameter_names(self):
        return list(self._parameter_names)


current = Current()
