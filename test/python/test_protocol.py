"""The worker protocol itself: startup, import failures, crashes, concurrency, single mode."""

import json
import os
import time
import unittest

from test.python.harness import Walker, Worker, WorkerTestCase, flow_path
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


class ForkServerProtocolTest(WorkerTestCase):
    def test_ready_message(self):
        self.assertEqual(self.worker.hello["op"], "ready")
        self.assertIsInstance(self.worker.hello["pid"], int)

    def test_message_order_per_task(self):
        run = self.walker("foreach_flow.py", "ForeachFlow").run()
        self.assertRunOk(run)
        started, finished = {}, {}
        for m in self.worker.messages[1:]:
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

    def test_child_crash_is_reported_and_server_survives(self):
        walker = self.walker("noisy_flow.py", "NoisyFlow")
        run = walker.run(parameters={"how": "crash"})
        fin = run.failed[0][1]
        self.assertEqual(fin["exit_code"], 3)
        self.assertIsNone(fin["result"])
        key = [k for s, _, _, k in run.tasks if s == "start"][0]
        self.assertEqual(self.worker.logs(key, "stdout"), ["first line", "partial line without newline"])
        run2 = walker.run(parameters={"how": "ok"})
        self.assertRunOk(run2)

    def test_killed_child_reports_signal(self):
        walker = self.walker("noisy_flow.py", "NoisyFlow")
        run = walker.run(parameters={"how": "sleep"})
        self.assertRunOk(run)
        start = "%s/start/1" % run.run_id
        self.worker.submit("k", walker.base(run.run_id, "start", "77", input_paths=["%s/_parameters/0" % run.run_id],
                                            env={"SLEEP": "30"}))
        started = None
        while started is None:
            m = self.worker._read()
            if m.get("op") == "started" and m["key"] == "k":
                started = m
        time.sleep(0.2)
        os.killpg(started["pid"], 9)
        fin = self.worker.wait(["k"])["k"]
        self.assertEqual(fin["signal"], "SIGKILL")
        self.assertIsNone(fin["result"])
        self.assertTrue(os.path.exists(os.path.join(self.root, "NoisyFlow", start.replace("/", os.sep))))

    def test_a_task_that_cannot_get_its_pipes_leaves_no_descriptor_open(self):
        import resource

        walker = self.walker("linear_flow.py", "LinearFlow")
        self.assertRunOk(walker.run())
        pid = self.worker.proc.pid
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
            fin = walker.params("1795000000000001")
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        self.assertIn("could not start a process", fin["result"]["exception"]["message"])
        self.assertEqual(set(int(n) for n in os.listdir(fd_dir)), used)
        self.assertRunOk(walker.run())

    def test_sigterm_takes_running_tasks_down(self):
        walker = self.walker("noisy_flow.py", "NoisyFlow")
        run = walker.run(parameters={"how": "sleep"})
        self.worker.submit("t", walker.base(run.run_id, "start", "88", input_paths=["%s/_parameters/0" % run.run_id],
                                            env={"SLEEP": "30"}))
        started = None
        while started is None:
            m = self.worker._read()
            if m.get("op") == "started" and m["key"] == "t":
                started = m
        self.worker.proc.terminate()
        self.worker.proc.wait(timeout=10)
        deadline = time.time() + 5
        while time.time() < deadline:
            if not process_running(started["pid"]):
                break
            time.sleep(0.05)
        else:
            self.fail("task process %d survived the worker" % started["pid"])

    def test_concurrent_tasks_stream_independently(self):
        walker = self.walker("noisy_flow.py", "NoisyFlow")
        run_id = str(int(time.time() * 1e6))
        self.assertTrue(walker.params(run_id, {"how": "rendezvous"})["result"]["ok"])
        folder = os.path.join(self.tmp, "rendezvous")
        os.makedirs(folder)
        keys = ["c%d" % i for i in range(6)]
        for i, key in enumerate(keys):
            self.worker.submit(key, walker.base(run_id, "start", str(100 + i), input_paths=["%s/_parameters/0" % run_id],
                                                env={"RENDEZVOUS_DIR": folder, "RENDEZVOUS_COUNT": str(len(keys))}))
        done = self.worker.wait(keys)
        self.assertTrue(all(d["result"]["ok"] for d in done.values()), done)
        for key in keys:
            self.assertEqual(self.worker.logs(key, "stdout"), ["first line", "partial line without newline"])


    def test_many_short_tasks_keep_their_own_output_and_result(self):
        # Pipe descriptors are reused as children come and go; nothing may cross between tasks.
        walker = self.walker("noisy_flow.py", "NoisyFlow")
        run_id = str(int(time.time() * 1e6))
        self.assertTrue(walker.params(run_id, {"how": "ok"})["result"]["ok"])
        in_flight, keys = [], []
        for i in range(60):
            key = "m%d" % i
            keys.append(key)
            in_flight.append(key)
            self.worker.submit(key, walker.base(run_id, "start", str(200 + i), input_paths=["%s/_parameters/0" % run_id]))
            if len(in_flight) >= 16:
                self.worker.wait([in_flight.pop(0)])
        done = self.worker.wait(keys)
        for key in keys:
            self.assertIsNotNone(done[key]["result"], key)
            self.assertTrue(done[key]["result"]["ok"], key)
            self.assertEqual(done[key]["result"]["next"], ["end"])
            self.assertEqual(self.worker.logs(key, "stdout"), ["first line", "partial line without newline"], key)


class StartupTest(unittest.TestCase):
    def test_init_error_with_traceback(self):
        worker = Worker(extra_args=["--flow-file", flow_path("broken_flow.py")])
        try:
            self.assertEqual(worker.hello["op"], "init_error")
            self.assertIn("this flow file fails on import", worker.hello["error"])
            self.assertIn("Traceback", worker.hello["error"])
        finally:
            worker.close()

    def test_import_time_prints_do_not_corrupt_the_channel(self):
        worker = Worker(extra_args=["--flow-file", flow_path("noisy_flow.py"), "--flow-name", "NoisyFlow"])
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
            walker = Walker(worker, os.path.join(tmp, ".metaflow"), flow_path("broken_flow.py"), "BrokenFlow")
            worker.submit("k", walker.base("1", "_parameters", "0", kind="params"))
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
        worker = Worker(extra_args=["--flow-file", flow_path("linear_flow.py"), "--flow-name", "Nope"])
        try:
            self.assertEqual(worker.hello["op"], "init_error")
            self.assertIn("no flow named Nope", worker.hello["error"])
        finally:
            worker.close()


class TwoFlowsTest(unittest.TestCase):
    def test_file_with_two_flows_runs_the_named_one(self):
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="mfstudio-two-")
        worker = Worker(extra_args=["--flow-file", flow_path("two_flows.py")])
        try:
            self.assertEqual(worker.hello["op"], "ready")
            root = os.path.join(tmp, ".metaflow")
            for name, expected in (("SecondFlow", "second"), ("FirstFlow", "first")):
                run = Walker(worker, root, flow_path("two_flows.py"), name).run()
                self.assertEqual(run.failed, [])
                with open(os.path.join(root, name, run.run_id, "start", "1", "0.data.json")) as f:
                    self.assertIn("which", json.load(f)["objects"])
        finally:
            worker.close()
            shutil.rmtree(tmp, ignore_errors=True)


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
                worker = Worker("single")
                try:
                    walker = Walker(worker, root, flow_path("linear_flow.py"), "LinearFlow")
                    worker.submit("k", walker.base(run_id, step, task_id, **extra))
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
                worker = Worker("single")
                try:
                    walker = Walker(worker, root, flow_path("noisy_flow.py"), "NoisyFlow")
                    worker.submit("k", walker.base(run_id, step, task_id, **extra))
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


class SchemaConformanceTest(WorkerTestCase):
    """Every message a real worker emits, and every request it was sent, matches the written schema."""

    @classmethod
    def setUpClass(cls):
        cls.validator = Validator()

    def assertConforms(self, worker):
        for m in worker.messages:
            self.assertEqual(message_errors(self.validator, m), [], json.dumps(m)[:500])
        for r in worker.requests:
            self.assertEqual(self.validator.errors(r, "WorkerRequest"), [], json.dumps(r)[:500])

    def test_runs_of_every_shape_and_outcome_emit_only_schema_messages(self):
        runs = [
            ("foreach_flow.py", "ForeachFlow", {}, None),
            ("branch_flow.py", "BranchFlow", {}, None),
            ("switch_flow.py", "SwitchFlow", {}, None),
            ("parallel_flow.py", "ParallelFlow", {}, None),
            ("catch_flow.py", "CatchFlow", {}, None),
            ("mutators_flow.py", "MutatorsFlow", {}, None),
            ("errors_flow.py", "ErrorsFlow", {"mode": "raise"}, None),
            ("noisy_flow.py", "NoisyFlow", {"how": "crash"}, None),
            ("params_flow.py", "ParamsFlow", {"count": "not a number"}, None),
        ]
        ops = set()
        for flow_file, flow_name, parameters, _ in runs:
            self.walker(flow_file, flow_name).run(parameters=parameters, stop_on_failure=False)
        for m in self.worker.messages:
            ops.add(m["op"])
        self.assertEqual(ops, {"ready", "started", "log", "finished"})
        results = [m["result"] for m in self.worker.messages if m["op"] == "finished"]
        self.assertIn(None, results, "a crashed task reports no result")
        self.assertTrue(any(r and r.get("exception") for r in results))
        self.assertTrue(any(r and r.get("foreach_var") for r in results))
        self.assertTrue(any(r and r.get("switch_value") is not None for r in results))
        self.assertConforms(self.worker)

    def test_import_failures_in_both_modes_conform(self):
        for mode in ("fork-server", "single"):
            worker = Worker(mode, extra_args=["--flow-file", flow_path("broken_flow.py")])
            try:
                self.assertEqual(worker.hello["op"], "init_error")
                self.assertConforms(worker)
            finally:
                worker.close()
        worker = Worker("single")
        try:
            walker = Walker(worker, self.root, flow_path("broken_flow.py"), "BrokenFlow")
            worker.submit("k", walker.base("1", "start", "1", input_paths=["1/_parameters/0"]))
            fin = worker.wait(["k"])["k"]
            self.assertEqual(fin["result"]["exception"]["type"], "FlowImportError")
            self.assertConforms(worker)
        finally:
            worker.close()

    def test_the_validator_rejects_what_the_scheduler_would_reject(self):
        ok = {"op": "finished", "key": "k", "exit_code": 0, "signal": None, "result": {"ok": True, "next": [], "retry_allowed": True}}
        self.assertEqual(message_errors(self.validator, ok), [])
        bad = dict(ok, result={"ok": True, "next": "end", "retry_allowed": True})
        self.assertTrue(any("result.next" in e for e in message_errors(self.validator, bad)))
        self.assertTrue(message_errors(self.validator, dict(ok, extra=1)))
        self.assertTrue(message_errors(self.validator, {"op": "log", "key": "k", "stream": "stdin", "line": "", "ts": 1}))

