"""Drive the real worker process through its protocol, with a small graph walker standing in for
the scheduler (it writes nothing the worker would not find in a real run)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON_DIR = os.path.join(REPO, "src", "runtime", "python")
FLOWS = os.path.join(HERE, "flows")


def flow_path(name):
    return os.path.join(FLOWS, name)


class Worker(object):
    def __init__(self, mode="fork-server", extra_args=(), env=None, cwd=FLOWS):
        full_env = dict(os.environ)
        for var in ("METAFLOW_DATASTORE_SYSROOT_LOCAL", "METAFLOW_DATATOOLS_LOCALROOT"):
            full_env.pop(var, None)
        full_env["PYTHONPATH"] = PYTHON_DIR
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "metaflow_studio.worker", "--mode", mode] + list(extra_args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
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


class FlowRun(object):
    """One run: the tasks the walker launched and what they returned."""

    def __init__(self, root, flow_name, run_id):
        self.root = root
        self.flow_name = flow_name
        self.run_id = run_id
        self.tasks = []  # (step, task_id, finished message, key)
        self.failed = []

    def task_ids(self, step):
        return [t for s, t, _, _ in self.tasks if s == step]

    def result(self, step, index=0):
        return [m for s, _, m, _ in self.tasks if s == step][index]["result"]

    def task_path(self, step, task_id):
        return os.path.join(self.root, self.flow_name, self.run_id, step, task_id)


class Walker(object):
    """Walk a flow's graph the way the scheduler does, one wave of ready tasks at a time."""

    def __init__(self, worker, root, flow_file, flow_name, user="dev"):
        self.worker = worker
        self.root = root
        self.flow_file = flow_file
        self.flow_name = flow_name
        self.user = user
        self.counter = 0

    def base(self, run_id, step, task_id, **extra):
        spec = {
            "kind": "step", "flow_file": self.flow_file, "flow_name": self.flow_name, "datastore_root": self.root,
            "run_id": run_id, "step": step, "task_id": task_id, "attempt": 0, "max_user_code_retries": 0,
            "input_paths": [], "user_name": self.user, "tags": ["t1"],
        }
        spec.update(extra)
        return spec

    def params(self, run_id, parameters=None):
        """Run only the `_parameters` task; returns its finished message."""
        key = "%s/_parameters/0/0" % run_id
        self.worker.submit(key, self.base(run_id, "_parameters", "0", kind="params", parameters=parameters or {}))
        return self.worker.wait([key])[key]

    def next_id(self):
        self.counter += 1
        return str(self.counter)

    def graph_info(self, run_id):
        sys.path.insert(0, PYTHON_DIR)
        from metaflow_studio.datastore import TaskReader, open_store

        _, cache = open_store(self.root, self.flow_name)
        return TaskReader(self.root, self.flow_name, run_id, "_parameters", "0", cache)["_graph_info"]

    def run(self, parameters=None, retries=None, run_id=None, stop_on_failure=True):
        run_id = run_id or str(int(time.time() * 1e6))
        run = FlowRun(self.root, self.flow_name, run_id)
        self.counter = 0
        fin = self.params(run_id, parameters)
        run.tasks.append(("_parameters", "0", fin, "%s/_parameters/0/0" % run_id))
        if not fin["result"] or not fin["result"]["ok"]:
            run.failed.append(("_parameters", fin))
            return run
        info = self.graph_info(run_id)
        steps = info["steps"]
        # A ready task: (step, task id, input paths, split index, ctx, parallel spec); ctx is the
        # stack of open splits, (split task path, branch count, branch order).
        ready = [(info["start_step"], self.next_id(), ["%s/_parameters/0" % run_id], None, (), None)]
        joins = {}
        retries = retries or {}
        while ready:
            wave, ready = ready, []
            outcomes = []
            for step, task_id, paths, split_index, ctx, par in wave:
                extra = {"input_paths": paths, "max_user_code_retries": retries.get(step, 0)}
                if split_index is not None:
                    extra["split_index"] = split_index
                if par is not None:
                    extra["parallel"] = par
                attempt = 0
                while True:
                    key = "%s/%s/%s/%d" % (run_id, step, task_id, attempt)
                    self.worker.submit(key, self.base(run_id, step, task_id, attempt=attempt, **extra))
                    fin = self.worker.wait([key])[key]
                    res = fin["result"]
                    if res and res["ok"]:
                        break
                    limit = extra["max_user_code_retries"] + (3 if any(d["name"] == "catch" for d in steps[step]["decorators"]) else 0)
                    if not (res and res.get("retry_allowed")) or attempt >= limit:
                        break
                    attempt += 1
                run.tasks.append((step, task_id, fin, key))
                outcomes.append((step, task_id, ctx, fin))
            for step, task_id, ctx, fin in outcomes:
                res = fin["result"]
                if not res or not res["ok"]:
                    run.failed.append((step, fin))
                    if stop_on_failure:
                        return run
                    continue
                path = "%s/%s/%s" % (run_id, step, task_id)
                nexts = res["next"]
                if res.get("foreach_var"):
                    n = res["num_splits"]
                    ids = [self.next_id() for _ in range(n)]
                    par = None
                    for i in range(n):
                        if res["foreach_var"] == "_parallel_ubf_iter":
                            par = {"node_index": i, "num_nodes": n, "control_task_id": ids[0], "main_ip": "127.0.0.1",
                                   "mapper_tasks": ["%s/%s/%s" % (run_id, nexts[0], t) for t in ids]}
                        ready.append((nexts[0], ids[i], [path], i, ctx + ((path, n, i),), par))
                    continue
                if len(nexts) > 1:
                    for i, target in enumerate(nexts):
                        ready.append((target, self.next_id(), [path], None, ctx + ((path, len(nexts), i),), None))
                    continue
                for target in nexts:
                    if steps[target]["type"] == "join":
                        split_path, count, order = ctx[-1]
                        group = joins.setdefault((target, split_path), {})
                        group[order] = path
                        if len(group) == count:
                            ready.append((target, self.next_id(), [group[k] for k in sorted(group)], None, ctx[:-1], None))
                    else:
                        ready.append((target, self.next_id(), [path], None, ctx, None))
        return run


class WorkerTestCase(unittest.TestCase):
    mode = "fork-server"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfstudio-test-")
        self.root = os.path.join(self.tmp, ".metaflow")
        os.makedirs(self.root)
        self.worker = Worker(self.mode)

    def tearDown(self):
        self.worker.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def walker(self, flow_file, flow_name):
        return Walker(self.worker, self.root, flow_path(flow_file), flow_name)

    def reader(self, run, step, task_id):
        if PYTHON_DIR not in sys.path:
            sys.path.insert(0, PYTHON_DIR)
        import metaflow.tuple_util  # noqa: F401  (unpickling needs __main__.ForeachFrame)
        from metaflow_studio.datastore import TaskReader, open_store

        _, cache = open_store(self.root, run.flow_name)
        return TaskReader(self.root, run.flow_name, run.run_id, step, task_id, cache)

    def artifact(self, run, step, name, index=0):
        return self.reader(run, step, run.task_ids(step)[index])[name]

    def assertRunOk(self, run):
        self.assertEqual(run.failed, [], "failed tasks: %r" % [(s, f["result"]) for s, f in run.failed])


class SharedWorkerTestCase(WorkerTestCase):
    """One worker and datastore for the whole class; its tests only read what setUpClass ran."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mfstudio-test-")
        cls.root = os.path.join(cls.tmp, ".metaflow")
        os.makedirs(cls.root)
        cls.worker = Worker(cls.mode)

    @classmethod
    def tearDownClass(cls):
        cls.worker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        pass

    def tearDown(self):
        pass
