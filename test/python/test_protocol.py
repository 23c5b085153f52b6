"""The worker protocol itself: startup, import failures, crashes, concurrency, single mode."""

import json
import os
import time
import unittest

from test.python.harness import FlowTestCase, Worker, flow_path, new_task_spec, task_spec
from test.python.protocol_schema import Validator, message_errors


def process_running(pid):
    """True while `pid` exists and is not a zombie (an orphan may wait a while to be reaped)."""
    if os.path.isdir("/proc/self"):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ForkServerProtocolTest(FlowTestCase):
    """The fork-server spoken to directly, with tasks of runs the scheduler made (the pool's own start of it)."""

    def start_worker(self, flow_file, flow_name):
        self.worker = Worker(flow_file=flow_path(flow_file), flow_name=flow_name)
        self.addCleanup(self.worker.close)
        return self.worker

    def noisy_run(self, how):
        run = self.run_flow("noisy_flow.py", "NoisyFlow", parameters={"how": how})
        return run

    def test_ready_message(self):
        worker = self.start_worker("linear_flow.py", "LinearFlow")
        self.assertEqual(worker.hello["op"], "ready")
        self.assertIsInstance(worker.hello["pid"], int)

    def test_message_order_per_task(self):
        # What the scheduler received through the pool, task by task, in the order it arrived.
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        self.assertRunOk(run)
        started, finished = {}, {}
        for m in run.messages():
            key = m["key"]
            if m["op"] == "started":
                self.assertNotIn(key, started)
                started[key] = m
            else:
                self.assertIn(key, started, "%s before started" % m["op"])
                self.assertNotIn(key, finished, "%s after finished" % m["op"])
                if m["op"] == "finished":
                    finished[key] = m
        self.assertEqual(set(started), set(finished))
        self.assertEqual(len(finished), len(run.tasks))
        self.assertEqual(set(started), set(m["key"] for m in run.requests()))

    def test_child_crash_is_reported_and_server_survives(self):
        run = self.noisy_run("crash")
        fin = run.failed[0][1]
        self.assertEqual(fin["exit_code"], 3)
        self.assertIsNone(fin["result"])
        self.assertEqual(run.logs("start", "stdout"), ["first line", "partial line without newline"])
        ok_run = self.noisy_run("ok")
        self.assertRunOk(ok_run)
        # One fork-server: a crashing task, then a task of the other run, both answered.
        worker = self.start_worker("noisy_flow.py", "NoisyFlow")
        worker.submit("crash", task_spec(run, "start", "50"))
        self.assertEqual(worker.wait(["crash"])["crash"]["exit_code"], 3)
        worker.submit("ok", task_spec(ok_run, "start", "51"))
        self.assertTrue(worker.wait(["ok"])["ok"]["result"]["ok"])

    def test_killed_child_reports_signal(self):
        run = self.noisy_run("sleep")
        self.assertRunOk(run)
        start = "%s/start/%s" % (run.run_id, run.task_ids("start")[0])
        worker = self.start_worker("noisy_flow.py", "NoisyFlow")
        worker.submit("k", task_spec(run, "start", "77", env={"SLEEP": "30"}))
        started = None
        while started is None:
            m = worker._read()
            if m.get("op") == "started" and m["key"] == "k":
                started = m
        time.sleep(0.2)
        os.killpg(started["pid"], 9)
        fin = worker.wait(["k"])["k"]
        self.assertEqual(fin["signal"], "SIGKILL")
        self.assertIsNone(fin["result"])
        self.assertTrue(os.path.exists(os.path.join(run.root, "NoisyFlow", start.replace("/", os.sep))))

    def test_a_task_that_cannot_get_its_pipes_leaves_no_descriptor_open(self):
        import resource

        run = self.run_flow("linear_flow.py", "LinearFlow")
        self.assertRunOk(run)
        worker = self.start_worker("linear_flow.py", "LinearFlow")
        worker.submit("warm", task_spec(run, "start", "60"))
        self.assertTrue(worker.wait(["warm"])["warm"]["result"]["ok"])
        pid = worker.proc.pid
        fd_dir = "/proc/%d/fd" % pid
        used = set(int(n) for n in os.listdir(fd_dir))
        # RLIMIT_NOFILE bounds descriptor numbers: leave exactly five free ones, fewer than a task's pipes need.
        limit, free = 0, 0
        while free < 5:
            if limit not in used:
                free += 1
            limit += 1
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, hard))
        try:
            worker.submit("p", task_spec(run, "_parameters", "0", run_id="1795000000000001", parameters={}))
            fin = worker.wait(["p"])["p"]
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        self.assertIn("could not start a process", fin["result"]["exception"]["message"])
        self.assertEqual(set(int(n) for n in os.listdir(fd_dir)), used)
        worker.submit("again", task_spec(run, "start", "61"))
        self.assertTrue(worker.wait(["again"])["again"]["result"]["ok"])

    def test_sigterm_takes_running_tasks_down(self):
        run = self.noisy_run("sleep")
        worker = self.start_worker("noisy_flow.py", "NoisyFlow")
        worker.submit("t", task_spec(run, "start", "88", env={"SLEEP": "30"}))
        started = None
        while started is None:
            m = worker._read()
            if m.get("op") == "started" and m["key"] == "t":
                started = m
        worker.proc.terminate()
        worker.proc.wait(timeout=10)
        deadline = time.time() + 5
        while time.time() < deadline:
            if not process_running(started["pid"]):
                break
            time.sleep(0.05)
        else:
            self.fail("task process %d survived the worker" % started["pid"])

    def test_concurrent_tasks_stream_independently(self):
        run = self.noisy_run("rendezvous")
        self.assertEqual(run.finished_events("_parameters")[0]["status"], "succeeded")
        folder = os.path.join(self.tmp, "rendezvous")
        os.makedirs(folder)
        worker = self.start_worker("noisy_flow.py", "NoisyFlow")
        keys = ["c%d" % i for i in range(6)]
        for i, key in enumerate(keys):
            worker.submit(key, task_spec(run, "start", str(100 + i),
                                         env={"RENDEZVOUS_DIR": folder, "RENDEZVOUS_COUNT": str(len(keys))}))
        done = worker.wait(keys)
        self.assertTrue(all(d["result"]["ok"] for d in done.values()), done)
        for key in keys:
            self.assertEqual(worker.logs(key, "stdout"), ["first line", "partial line without newline"])

    def test_many_short_tasks_keep_their_own_output_and_result(self):
        # Pipe descriptors are reused as children come and go; nothing may cross between tasks.
        run = self.noisy_run("ok")
        self.assertRunOk(run)
        worker = self.start_worker("noisy_flow.py", "NoisyFlow")
        in_flight, keys = [], []
        for i in range(60):
            key = "m%d" % i
            keys.append(key)
            in_flight.append(key)
            worker.submit(key, task_spec(run, "start", str(200 + i)))
            if len(in_flight) >= 16:
                worker.wait([in_flight.pop(0)])
        done = worker.wait(keys)
        for key in keys:
            self.assertIsNotNone(done[key]["result"], key)
            self.assertTrue(done[key]["result"]["ok"], key)
            self.assertEqual(done[key]["result"]["next"], ["end"])
            self.assertEqual(worker.logs(key, "stdout"), ["first line", "partial line without newline"], key)


class StartupTest(unittest.TestCase):
    def test_init_error_with_traceback(self):
        worker = Worker(flow_file=flow_path("broken_flow.py"))
        try:
            self.assertEqual(worker.hello["op"], "init_error")
            self.assertIn("this flow file fails on import", worker.hello["error"])
            self.assertIn("Traceback", worker.hello["error"])
        finally:
            worker.close()

    def test_import_time_prints_do_not_corrupt_the_channel(self):
        worker = Worker(flow_file=flow_path("noisy_flow.py"), flow_name="NoisyFlow")
        try:
            self.assertEqual(worker.hello["op"], "ready")
        finally:
            worker.close()
        self.assertEqual(worker.messages[0]["op"], "ready")

    def test_import_failure_without_flow_file_fails_the_task(self):
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="mfstudio-broken-")
        worker = Worker()
        try:
            worker.submit("k", new_task_spec(os.path.join(tmp, ".metaflow"), flow_path("broken_flow.py"), "BrokenFlow", "1", "_parameters", "0"))
            fin = worker.wait(["k"])["k"]
            self.assertEqual(fin["result"]["exception"]["type"], "FlowImportError")
            self.assertFalse(fin["result"]["retry_allowed"])
            errors = [m for m in worker.messages if m["op"] == "init_error"]
            self.assertIn("this flow file fails on import", errors[0]["error"])
        finally:
            worker.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_running_a_flow_file_without_the_command_line_explains_the_embedded_runtime(self):
        import subprocess
        import sys

        # With the command line found, `python flow.py run` runs the flow (test_script_cli.py); without it, it explains.
        env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "src", "runtime", "python"), METAFLOW_STUDIO_CLI=flow_path("no-cli.js"))
        proc = subprocess.run([sys.executable, flow_path("linear_flow.py"), "run"], env=env, capture_output=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("metaflow-studio run", proc.stderr.decode())

    def test_unknown_flow_name(self):
        worker = Worker(flow_file=flow_path("linear_flow.py"), flow_name="Nope")
        try:
            self.assertEqual(worker.hello["op"], "init_error")
            self.assertIn("no flow named Nope", worker.hello["error"])
        finally:
            worker.close()


class TwoFlowsTest(FlowTestCase):
    def test_file_with_two_flows_runs_the_named_one(self):
        worker = Worker(flow_file=flow_path("two_flows.py"))
        try:
            self.assertEqual(worker.hello["op"], "ready")
        finally:
            worker.close()
        for name, expected in (("SecondFlow", "second"), ("FirstFlow", "first")):
            run = self.run_flow("two_flows.py", name)
            self.assertRunOk(run)
            self.assertEqual(run.flow_name, name)
            self.assertEqual(self.artifact(run, "start", "which"), expected)


class SingleModeTest(unittest.TestCase):
    def test_single_mode_runs_one_task_with_the_same_messages(self):
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="mfstudio-single-")
        try:
            root = os.path.join(tmp, ".metaflow")
            run_id = str(int(time.time() * 1e6))
            specs = [
                ("_parameters", "0", {"kind": "params", "parameters": {}}),
                ("start", "1", {"input_paths": ["%s/_parameters/0" % run_id]}),
                ("middle", "2", {"input_paths": ["%s/start/1" % run_id]}),
            ]
            for step, task_id, extra in specs:
                worker = Worker("single", flow_file=flow_path("linear_flow.py"), flow_name="LinearFlow")
                try:
                    worker.submit("k", new_task_spec(root, flow_path("linear_flow.py"), "LinearFlow", run_id, step, task_id, **extra))
                    fin = worker.wait(["k"])["k"]
                    self.assertEqual(fin["exit_code"], 0)
                    self.assertTrue(fin["result"]["ok"], fin)
                    self.assertEqual(worker.proc.wait(timeout=10), 0)
                    ops = [m["op"] for m in worker.messages]
                    self.assertEqual(ops[0], "ready")
                    self.assertEqual(ops[1], "started")
                    self.assertEqual(ops[-1], "finished")
                    if step == "start":
                        self.assertIn("start says hi", worker.logs("k", "stdout"))
                    if step == "middle":
                        self.assertEqual(worker.logs("k", "stderr"), ["to stderr"])
                finally:
                    worker.close()
            with open(os.path.join(root, "LinearFlow", run_id, "middle", "2", "0.data.json")) as f:
                self.assertIn("blob", json.load(f)["objects"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


    def test_a_helper_process_left_running_does_not_keep_the_task_from_finishing(self):
        import shutil
        import signal
        import tempfile

        tmp = tempfile.mkdtemp(prefix="mfstudio-single-")
        helper = None
        try:
            root = os.path.join(tmp, ".metaflow")
            run_id = str(int(time.time() * 1e6))
            pid_file = os.path.join(tmp, "helper.pid")
            specs = [
                ("_parameters", "0", {"kind": "params", "parameters": {"how": "background"}}),
                ("start", "1", {"input_paths": ["%s/_parameters/0" % run_id], "env": {"HELPER_PID_FILE": pid_file}}),
            ]
            for step, task_id, extra in specs:
                worker = Worker("single", flow_file=flow_path("noisy_flow.py"), flow_name="NoisyFlow")
                try:
                    worker.submit("k", new_task_spec(root, flow_path("noisy_flow.py"), "NoisyFlow", run_id, step, task_id, **extra))
                    fin = worker.wait(["k"])["k"]
                    self.assertTrue(fin["result"]["ok"], fin)
                    if step == "start":
                        with open(pid_file) as f:
                            helper = int(f.read())
                        # The task was reported while its helper (sleeping for a minute) still held its output.
                        with open("/proc/%d/stat" % helper) as f:
                            state = f.read().rsplit(")", 1)[1].split()[0]
                        self.assertNotIn(state, ("Z", "X"), "the helper had already exited")
                        self.assertEqual(worker.logs("k", "stdout"), ["first line", "partial line without newline"])
                finally:
                    worker.close()
        finally:
            if helper is not None:
                try:
                    os.kill(helper, signal.SIGKILL)
                except OSError:
                    pass
            shutil.rmtree(tmp, ignore_errors=True)


class LineSplitterTest(unittest.TestCase):
    def test_lines_split_over_many_reads_arrive_whole_and_in_order(self):
        import sys

        from test.python.harness import PYTHON_DIR

        if PYTHON_DIR not in sys.path:
            sys.path.insert(0, PYTHON_DIR)
        from metaflow_studio.channel import Channel, LineSplitter

        r, w = os.pipe()
        try:
            splitter = LineSplitter(Channel(w), "k", "stderr")
            for piece in (b"10%", b"", b"\r20%", b"\r30%\r\n", b"next", b" line\nlast", b" piece"):
                splitter.feed(piece)
            splitter.flush()
            splitter.flush()
            os.close(w)
            w = None
            data = b""
            while True:
                chunk = os.read(r, 1 << 16)
                if not chunk:
                    break
                data += chunk
        finally:
            if w is not None:
                os.close(w)
            os.close(r)
        lines = [json.loads(line)["line"] for line in data.splitlines()]
        self.assertEqual(lines, ["10%\r20%\r30%", "next line", "last piece"])


if __name__ == "__main__":
    unittest.main()


class SchemaConformanceTest(FlowTestCase):
    """Every message a real worker sent the scheduler, and every request the scheduler sent it, matches the written schema."""

    @classmethod
    def setUpClass(cls):
        cls.validator = Validator()

    def assertConforms(self, messages, requests):
        for m in messages:
            self.assertEqual(message_errors(self.validator, m), [], json.dumps(m)[:500])
        for r in requests:
            self.assertEqual(self.validator.errors(r, "WorkerRequest"), [], json.dumps(r)[:500])

    def test_runs_of_every_shape_and_outcome_emit_only_schema_messages(self):
        runs = [
            ("foreach_flow.py", "ForeachFlow", {}),
            ("branch_flow.py", "BranchFlow", {}),
            ("switch_flow.py", "SwitchFlow", {}),
            ("parallel_flow.py", "ParallelFlow", {}),
            ("catch_flow.py", "CatchFlow", {}),
            ("mutators_flow.py", "MutatorsFlow", {}),
            ("errors_flow.py", "ErrorsFlow", {"mode": "raise"}),
            ("noisy_flow.py", "NoisyFlow", {"how": "crash"}),
            ("bad_default_flow.py", "BadDefaultFlow", {}),
        ]
        messages, requests = [], []
        for flow_file, flow_name, parameters in runs:
            run = self.run_flow(flow_file, flow_name, parameters=parameters)
            self.assertIsNone(run.refused, flow_file)
            messages += run.messages()
            requests += run.requests()
        resumed = self.resume_flow("catch_flow.py", "CatchFlow", step="end")
        self.assertRunOk(resumed)
        messages += resumed.messages()
        requests += resumed.requests()
        self.assertEqual(set(m["op"] for m in messages), {"started", "log", "finished"})
        self.assertEqual(set(r["task"]["kind"] for r in requests), {"params", "step", "clone"})
        results = [m["result"] for m in messages if m["op"] == "finished"]
        self.assertIn(None, results, "a crashed task reports no result")
        self.assertTrue(any(r and r.get("exception") for r in results))
        self.assertTrue(any(r and r.get("foreach_var") for r in results))
        self.assertTrue(any(r and r.get("switch_value") is not None for r in results))
        self.assertTrue(any(r["task"].get("parallel") for r in requests))
        self.assertConforms(messages, requests)
        # The worker's own first word, which the pool reads before any task.
        worker = Worker(flow_file=flow_path("linear_flow.py"), flow_name="LinearFlow")
        try:
            self.assertEqual(worker.hello["op"], "ready")
            self.assertConforms(worker.messages, [])
        finally:
            worker.close()

    def test_import_failures_in_both_modes_conform(self):
        for mode in ("fork-server", "single"):
            worker = Worker(mode, flow_file=flow_path("broken_flow.py"))
            try:
                self.assertEqual(worker.hello["op"], "init_error")
                self.assertConforms(worker.messages, worker.requests)
            finally:
                worker.close()
        worker = Worker("single")
        try:
            worker.submit("k", new_task_spec(self.root, flow_path("broken_flow.py"), "BrokenFlow", "1", "start", "1",
                                             input_paths=["1/_parameters/0"]))
            fin = worker.wait(["k"])["k"]
            self.assertEqual(fin["result"]["exception"]["type"], "FlowImportError")
            self.assertConforms(worker.messages, worker.requests)
        finally:
            worker.close()

    def test_the_validator_rejects_what_the_scheduler_would_reject(self):
        ok = {"op": "finished", "key": "k", "exit_code": 0, "signal": None, "result": {"ok": True, "next": [], "retry_allowed": True}}
        self.assertEqual(message_errors(self.validator, ok), [])
        bad = dict(ok, result={"ok": True, "next": "end", "retry_allowed": True})
        self.assertTrue(any("result.next" in e for e in message_errors(self.validator, bad)))
        self.assertTrue(message_errors(self.validator, dict(ok, extra=1)))
        self.assertTrue(message_errors(self.validator, {"op": "log", "key": "k", "stream": "stdin", "line": "", "ts": 1}))

