"""How the Python tests run things the way production does.

Flows run through the TypeScript scheduler (test/support/flowRunService.ts drives LocalRunner and the real
worker pool, as `metaflow-studio run/resume/spin` do); tests read the run's event stream, the datastore and,
where they check the worker's answers, what the scheduler received from the worker. Tests of the worker
protocol itself start `python -m metaflow_studio.worker` with the argv and environment the pool uses."""

import atexit
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON_DIR = os.path.join(REPO, "src", "runtime", "python")
FLOWS = os.path.join(HERE, "flows")
SERVICE = os.path.join(REPO, "test", "support", "flowRunService.ts")
# Settings of the developer's shell that would send runs elsewhere than the test's own folder.
_ISOLATED = ("METAFLOW_DATASTORE_SYSROOT_LOCAL", "METAFLOW_DATATOOLS_LOCALROOT", "METAFLOW_USER", "METAFLOW_PROFILE")


def flow_path(name):
    return os.path.join(FLOWS, name)


def base_env(user="dev", extra=None):
    env = dict((k, v) for k, v in os.environ.items() if k not in _ISOLATED)
    env["METAFLOW_USER"] = user
    env.update(extra or {})
    return env


def worker_env(launch_env):
    """The worker's environment as src/runtime/workers/workerPool.ts `workerEnv` builds it."""
    env = dict(launch_env)
    user_path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + user_path if user_path else PYTHON_DIR
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Worker(object):
    """A worker process started as src/runtime/workers/workerChannel.ts starts it, spoken to directly."""

    def __init__(self, mode="fork-server", flow_file=None, flow_name=None, env=None, user="dev"):
        argv = [sys.executable, "-u", "-m", "metaflow_studio.worker", "--mode", mode]
        if flow_file:
            argv += ["--flow-file", flow_file]
        if flow_name:
            argv += ["--flow-name", flow_name]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(base_env(user, env)),
            cwd=os.path.dirname(flow_file) if flow_file else FLOWS,
            # The pool starts it detached: its own process group, which a kill of the tree reaches.
            start_new_session=True,
        )
        self.messages = []
        # Every request sent, so tests can check both directions against the protocol schema.
        self.requests = []
        self.hello = self._read()

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("worker exited: %s" % self.proc.stderr.read().decode())
        message = json.loads(line.decode("utf-8"))
        self.messages.append(message)
        return message

    def send(self, message):
        self.requests.append(message)
        self.proc.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def submit(self, key, task):
        self.send({"op": "task", "key": key, "task": task})

    def wait(self, keys):
        """Read messages until every key in `keys` has finished; returns {key: finished message}."""
        pending = set(keys)
        done = {}
        for m in self.messages:
            if m.get("op") == "finished" and m.get("key") in pending:
                done[m["key"]] = m
                pending.discard(m["key"])
        while pending:
            m = self._read()
            if m.get("op") == "finished" and m.get("key") in pending:
                done[m["key"]] = m
                pending.discard(m["key"])
        return done

    def logs(self, key, stream=None):
        return [m["line"] for m in self.messages if m.get("op") == "log" and m["key"] == key and (stream is None or m["stream"] == stream)]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send({"op": "shutdown"})
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (BrokenPipeError, OSError):
                pass


def new_task_spec(root, flow_file, flow_name, run_id, step, task_id, user="dev", **extra):
    """A TaskSpec with the fields the scheduler fills (src/runtime/workerProtocol.ts), for protocol tests with no run yet."""
    spec = {
        "kind": "params" if step == "_parameters" else "step", "flow_file": flow_file, "flow_name": flow_name,
        "datastore_root": root, "run_id": run_id, "step": step, "task_id": task_id, "attempt": 0,
        "max_user_code_retries": 0, "input_paths": [], "user_name": user, "tags": ["t1"],
    }
    if step == "_parameters":
        spec["parameters"] = {}
    spec.update(extra)
    return spec


def task_spec(run, step, task_id, **changes):
    """A task as the scheduler would send it for `run`, taken from a request it really sent, with changes.

    Protocol tests use it to send the worker one more task of a run the scheduler made (a wrong join, a
    later attempt, a task that sleeps) without a second scheduler."""
    sent = [m["task"] for m in run.traffic if m["op"] == "task" and m["task"]["step"] == step]
    template = dict(sent[0] if sent else [m["task"] for m in run.traffic if m["op"] == "task"][-1])
    for optional in ("split_index", "parallel", "clone_from", "parameters", "env"):
        template.pop(optional, None)
    template.update({"kind": "params" if step == "_parameters" else "step", "step": step, "task_id": task_id, "attempt": 0})
    template.update(changes)
    return template


class FlowRun(object):
    """One run made by the production scheduler: its events, its datastore, what the worker told the scheduler."""

    def __init__(self, answer, root, flow_name):
        self.refused = answer.get("refused")
        self.status = answer.get("status")
        self.error = answer.get("error")
        self.events = answer["events"]
        self.traffic = answer["traffic"]
        self.worker_mode = answer.get("worker_mode")
        started = [e for e in self.events if e["event"] == "run_started"]
        self.run_id = started[0]["run_id"] if started else None
        self.root = started[0]["datastore_root"] if started else root
        self.flow_name = started[0]["flow"] if started else flow_name
        self.origin_run_id = started[0].get("origin_run_id") if started else None
        sent = dict((m["key"], m["task"]) for m in self.traffic if m["op"] == "task")
        order, last = [], {}
        for m in self.traffic:
            if m["op"] == "task" and (m["task"]["step"], m["task"]["task_id"]) not in order:
                order.append((m["task"]["step"], m["task"]["task_id"]))
            if m["op"] == "finished":
                task = sent[m["key"]]
                last[(task["step"], task["task_id"])] = m
        # The final attempt of each task, in the order the scheduler first launched them.
        self.tasks = [(step, tid, last[(step, tid)], last[(step, tid)]["key"]) for step, tid in order if (step, tid) in last]
        self.failed = [(step, fin) for step, _, fin, _ in self.tasks if not (fin["result"] and fin["result"]["ok"])]

    def task_ids(self, step):
        return [t for s, t, _, _ in self.tasks if s == step]

    def result(self, step, index=0):
        return [m for s, _, m, _ in self.tasks if s == step][index]["result"]

    def task_path(self, step, task_id):
        return os.path.join(self.root, self.flow_name, self.run_id, step, task_id)

    def attempts(self, step, index=0):
        """Every finished message (one per attempt, in order) of the `index`th task of `step`."""
        task_id = self.task_ids(step)[index]
        keys = [m["key"] for m in self.traffic if m["op"] == "task" and m["task"]["step"] == step and m["task"]["task_id"] == task_id]
        return [m for m in self.traffic if m["op"] == "finished" and m["key"] in keys]

    def task_id_at(self, step, foreach_indices):
        """The task of `step` at these foreach indices (outermost first), from its task_started event."""
        found = set(e["task_id"] for e in self.events if e["event"] == "task_started" and e["step"] == step
                    and e.get("foreach_indices") == list(foreach_indices))
        if len(found) != 1:
            raise AssertionError("%d tasks of %s at %r" % (len(found), step, foreach_indices))
        return found.pop()

    def finished_events(self, step=None):
        return [e for e in self.events if e["event"] == "task_finished" and (step is None or e["step"] == step)]

    def logs(self, step, stream, index=0, attempt=None):
        """Lines of one task (the `index`th of the step, in launch order) from the run's log events."""
        task_id = self.task_ids(step)[index]
        return [e["line"] for e in self.events if e["event"] == "log" and e["step"] == step and e["task_id"] == task_id
                and e["stream"] == stream and e["source"] == "task" and (attempt is None or e["attempt"] == attempt)]

    def requests(self):
        return [m for m in self.traffic if m["op"] == "task"]

    def messages(self):
        return [m for m in self.traffic if m["op"] != "task"]

    def failure_message(self):
        """Why the run did not succeed, as the user is told: the refusal, or the failed task's exception."""
        if self.refused:
            return self.refused
        for _, fin in self.failed:
            if fin["result"] and fin["result"].get("exception"):
                return fin["result"]["exception"]["message"]
        return self.error


class FlowService(object):
    """The Node process that runs flows through LocalRunner; one per test process (starting it loads the analyzer)."""

    _shared = []

    @classmethod
    def shared(cls):
        if not cls._shared or cls._shared[0].proc.poll() is not None:
            cls._shared[:] = [cls()]
            atexit.register(cls._shared[0].close)
        return cls._shared[0]

    def __init__(self):
        if not os.path.isdir(os.path.join(REPO, "node_modules", "tsx")):
            raise RuntimeError("the Python tests run flows through the TypeScript scheduler, which needs the project's "
                               "node_modules (tsx missing in %s): run `bash scripts/setup.sh` or `npm ci` first" % REPO)
        try:
            self.proc = subprocess.Popen(
                ["node", "--import", "tsx", SERVICE],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO, env=dict(os.environ),
            )
        except FileNotFoundError:
            raise RuntimeError("the Python tests run flows through the TypeScript scheduler and need `node` (20 or newer) on PATH")
        self.next_id = 0
        hello = self.proc.stdout.readline()
        if not hello:
            raise RuntimeError("%s did not start (exit code %s); its stderr is above" % (SERVICE, self.proc.wait()))

    def call(self, request):
        self.next_id += 1
        request = dict(request, id=self.next_id)
        self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("%s exited (code %s) during %s" % (SERVICE, self.proc.wait(), json.dumps(request)[:300]))
        answer = json.loads(line.decode("utf-8"))
        if answer.get("refused", "").startswith("the service failed"):
            raise RuntimeError(answer["refused"])
        return answer

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def parameter_args(parameters):
    args = []
    for name, value in (parameters or {}).items():
        args += ["--" + name, value]
    return args


class FlowTestCase(unittest.TestCase):
    """A test with its own datastore folder; flows run through the production scheduler."""

    user = "dev"
    # Extra environment for every run of the class (what a user would have exported).
    run_env = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfstudio-test-")
        self.root = os.path.join(self.tmp, ".metaflow")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    @classmethod
    def request_env(cls, tmp, user=None, env=None):
        extra = dict(cls.run_env)
        extra.update(env or {})
        extra["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = tmp
        return base_env(user or cls.user, extra)

    @classmethod
    def _call(cls, tmp, verb, flow_file, flow_name, user, env, **fields):
        request = {"verb": verb, "flowFile": flow_path(flow_file), "env": cls.request_env(tmp, user, env)}
        if flow_name:
            request["flowName"] = flow_name
        request.update(dict((k, v) for k, v in fields.items() if v is not None))
        return FlowRun(FlowService.shared().call(request), os.path.join(tmp, ".metaflow"), flow_name)

    def run_flow(self, flow_file, flow_name=None, parameters=None, tags=("t1",), user=None, env=None, **options):
        """`metaflow-studio run FLOW.py --tag t1 [--<param> VALUE]...`; options: maxWorkers, maxNumSplits, until."""
        return self._call(self.tmp, "run", flow_file, flow_name, user, env, tags=list(tags),
                          parameterArgs=parameter_args(parameters), **options)

    def resume_flow(self, flow_file, flow_name=None, step=None, origin_run_id=None, tags=("t1",), user=None, env=None):
        return self._call(self.tmp, "resume", flow_file, flow_name, user, env, tags=list(tags), step=step,
                          originRunId=origin_run_id)

    def spin_flow(self, flow_file, step, flow_name=None, origin_run_id=None, user=None, env=None):
        return self._call(self.tmp, "spin", flow_file, flow_name, user, env, step=step, originRunId=origin_run_id)

    def reader(self, run, step, task_id):
        if PYTHON_DIR not in sys.path:
            sys.path.insert(0, PYTHON_DIR)
        import metaflow.tuple_util  # noqa: F401  (unpickling needs __main__.ForeachFrame)
        from metaflow_studio.datastore import TaskReader, open_store

        _, cache = open_store(run.root, run.flow_name)
        return TaskReader(run.root, run.flow_name, run.run_id, step, task_id, cache)

    def artifact(self, run, step, name, index=0):
        return self.reader(run, step, run.task_ids(step)[index])[name]

    def stored_cards(self, run, step):
        """{card type: [html, ...]} of the first task of `step`, from the card store (files TYPE[-ID]-HASH.html)."""
        task_id = run.task_ids(step)[0]
        pattern = os.path.join(self.root, "mf.cards", run.flow_name, "runs", run.run_id, "steps", step, "tasks",
                               task_id, "cards", "*.html")
        out = {}
        for path in sorted(glob.glob(pattern)):
            match = re.match(r"^(.*?)(?:-[A-Za-z0-9_]+)?-[0-9a-f]{32}\.html$", os.path.basename(path))
            self.assertIsNotNone(match, "card file name %r is not TYPE[-ID]-HASH.html" % path)
            with open(path, encoding="utf-8") as f:
                out.setdefault(match.group(1), []).append(f.read())
        return out

    def graph_info(self, run):
        return self.reader(run, "_parameters", "0")["_graph_info"]

    def assertRunOk(self, run):
        self.assertIsNone(run.refused, "the run was refused: %s" % run.refused)
        self.assertEqual(run.failed, [], "failed tasks: %r" % [(s, f["result"]) for s, f in run.failed])
        self.assertEqual(run.status, "succeeded", run.error)


class SharedFlowTestCase(FlowTestCase):
    """One datastore for the whole class; setUpClass makes the runs (with `cls.run_shared`), tests only read."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mfstudio-test-")
        cls.root = os.path.join(cls.tmp, ".metaflow")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_shared(cls, flow_file, flow_name=None, parameters=None, tags=("t1",), user=None, env=None, **options):
        return cls._call(cls.tmp, "run", flow_file, flow_name, user, env, tags=list(tags),
                         parameterArgs=parameter_args(parameters), **options)

    def setUp(self):
        pass

    def tearDown(self):
        pass

