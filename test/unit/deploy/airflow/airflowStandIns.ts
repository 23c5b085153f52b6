// Small stand-ins for the parts of Airflow (and the Kubernetes client models) a generated DAG file imports.
// Airflow is not packaged by Debian, so the tests run each DAG file under python3 with these first on
// sys.path. They keep every argument as given and, at exit, write what the file built (the DAG's arguments,
// each task with its class and arguments, each dependency and each `.expand`) as JSON to $STANDIN_RECORD.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RECORDER = `
import atexit, json, os
from datetime import datetime, timedelta

RECORD = {"dags": [], "tasks": {}, "edges": [], "expands": []}
_CURRENT = []


def plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, timedelta):
        return {"timedelta_seconds": value.total_seconds()}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if callable(value):
        return {"callable": getattr(value, "__name__", "?")}
    if hasattr(value, "standin_kwargs"):
        return {"class": type(value).__name__, "kwargs": plain(value.standin_kwargs)}
    if hasattr(value, "task_id"):
        return {"task": value.task_id}
    return {"repr": repr(value)}


@atexit.register
def _dump():
    target = os.environ.get("STANDIN_RECORD")
    if target:
        with open(target, "w") as f:
            json.dump(RECORD, f, indent=1, sort_keys=True)


class XComArgStandIn:
    def __init__(self, operator):
        self.operator = operator


class BaseOperator:
    def __init__(self, task_id, **kwargs):
        self.task_id = task_id
        self.standin_kwargs = kwargs
        if not _CURRENT:
            raise RuntimeError("operator %s made outside a DAG context" % task_id)
        if task_id in RECORD["tasks"]:
            raise RuntimeError("two tasks named %s" % task_id)
        RECORD["tasks"][task_id] = {"class": type(self).__name__, "bases": [c.__name__ for c in type(self).__mro__], "kwargs": plain(kwargs), "mapped": False}

    @property
    def output(self):
        return XComArgStandIn(self)

    def __rshift__(self, other):
        RECORD["edges"].append([self.task_id, other.task_id])
        return other

    @classmethod
    def partial(cls, **kwargs):
        return _Partial(cls, kwargs)


class _Partial:
    def __init__(self, cls, kwargs):
        self.cls = cls
        self.kwargs = kwargs

    def expand(self, **mapped):
        for name, arg in mapped.items():
            import inspect
            if name not in inspect.signature(self.cls.__init__).parameters:
                raise TypeError("%s cannot map over %s: not an argument of its constructor" % (self.cls.__name__, name))
            if not isinstance(arg, XComArgStandIn):
                raise TypeError("expand(%s=...) must be given an XComArg" % name)
            RECORD["expands"].append({"task": self.kwargs["task_id"], "argument": name, "over": arg.operator.task_id})
        op = self.cls(**self.kwargs)
        RECORD["tasks"][op.task_id]["mapped"] = True
        return op
`;

const FILES: Record<string, string> = {
  'standin_record.py': RECORDER,
  'airflow/__init__.py': `
from standin_record import RECORD, _CURRENT, plain


class DAG:
    def __init__(self, dag_id, default_args=None, params=None, user_defined_filters=None, schedule=None, start_date=None, **kwargs):
        self.dag_id = dag_id
        RECORD["dags"].append({"dag_id": dag_id, "default_args": plain(default_args), "params": plain(params), "filters": sorted((user_defined_filters or {}).keys()), "schedule": schedule, "start_date": plain(start_date), "kwargs": plain(kwargs)})
        self.filters = user_defined_filters or {}

    def __enter__(self):
        _CURRENT.append(self)
        return self

    def __exit__(self, *exc):
        _CURRENT.pop()
        return False
`,
  'airflow/models/__init__.py': '',
  'airflow/models/param.py': `
class Param:
    def __init__(self, default=None, **kwargs):
        self.standin_kwargs = dict(default=default, **kwargs)
`,
  'airflow/providers/__init__.py': '',
  'airflow/providers/cncf/__init__.py': '',
  'airflow/providers/cncf/kubernetes/__init__.py': '',
  'airflow/providers/cncf/kubernetes/operators/__init__.py': '',
  'airflow/providers/cncf/kubernetes/operators/pod.py': `
from standin_record import BaseOperator


class KubernetesPodOperator(BaseOperator):
    def __init__(self, *, task_id, name=None, namespace=None, image=None, cmds=None, arguments=None, env_vars=None, env_from=None,
                 labels=None, annotations=None, node_selector=None, tolerations=None, image_pull_secrets=None,
                 service_account_name=None, container_resources=None, startup_timeout_seconds=120, in_cluster=None,
                 get_logs=True, do_xcom_push=False, log_events_on_failure=False, reattach_on_restart=True,
                 on_finish_action="delete_pod", kubernetes_conn_id=None, cluster_context=None, config_file=None, **kwargs):
        args = dict(locals())
        for key in ("self", "kwargs", "task_id", "__class__"):
            args.pop(key, None)
        args.update(kwargs)
        super().__init__(task_id=task_id, **args)

    def execute(self, context):
        return None
`,
  'airflow/providers/amazon/__init__.py': '',
  'airflow/providers/amazon/aws/__init__.py': '',
  'airflow/providers/amazon/aws/sensors/__init__.py': '',
  'airflow/providers/amazon/aws/sensors/s3.py': `
from standin_record import BaseOperator


class S3KeySensor(BaseOperator):
    pass
`,
  'airflow/sensors/__init__.py': '',
  'airflow/sensors/external_task.py': `
from standin_record import BaseOperator


class ExternalTaskSensor(BaseOperator):
    pass
`,
  'kubernetes/__init__.py': '',
  'kubernetes/client/__init__.py': '',
  'kubernetes/client/models.py': `
class _Model:
    def __init__(self, **kwargs):
        self.standin_kwargs = kwargs


def __getattr__(name):
    if not name.startswith("V1"):
        raise AttributeError(name)
    return type(name, (_Model,), {})
`,
};

/** A recorded Kubernetes model object or timedelta, as the recorder writes it. */
export interface RecordedModel {
  class: string;
  kwargs: Record<string, unknown>;
}

export interface TaskKwargs {
  [key: string]: unknown;
  arguments?: string[];
  cmds?: string[];
  retries?: number;
  retry_delay?: { timedelta_seconds: number };
  execution_timeout?: { timedelta_seconds: number };
  env_vars?: RecordedModel[];
  env_from?: RecordedModel[];
  container_resources?: RecordedModel;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface StandInRecord {
  dags: Array<{ dag_id: string; default_args: Record<string, unknown>; params: Record<string, { class: string; kwargs: Record<string, unknown> }>; filters: string[]; schedule: string | null; start_date: unknown; kwargs: Record<string, unknown> }>;
  tasks: Record<string, { class: string; bases: string[]; kwargs: TaskKwargs; mapped: boolean }>;
  edges: Array<[string, string]>;
  expands: Array<{ task: string; argument: string; over: string }>;
}

/** Writes the stand-ins into a new temp folder; returns it. */
export function writeStandIns(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-standins-'));
  for (const [rel, text] of Object.entries(FILES)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

/** Runs a DAG file under python3 with the stand-ins first on sys.path; returns what it built. */
export function loadDag(dagFile: string, standIns: string): StandInRecord {
  const record = path.join(path.dirname(dagFile), `${path.basename(dagFile)}.record.json`);
  const r = spawnSync('python3', [dagFile], { env: { ...process.env, PYTHONPATH: standIns, STANDIN_RECORD: record, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${dagFile} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(fs.readFileSync(record, 'utf8')) as StandInRecord;
}
