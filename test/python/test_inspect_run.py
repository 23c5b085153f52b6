"""`metaflow_studio.inspect_run`: what resume, spin and `dump` read from a run, as JSON."""

import json
import os
import subprocess
import sys

from test.python.harness import PYTHON_DIR, FlowTestCase


class InspectRunTest(FlowTestCase):
    def inspect(self, *args):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
        out = subprocess.run([sys.executable, "-m", "metaflow_studio.inspect_run"] + list(args), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, cwd=self.tmp)
        return json.loads(out.stdout)

    def test_scan_gives_each_task_its_position_and_transition(self):
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        tasks = self.inspect("scan", self.root, "ForeachFlow", run.run_id)
        by_step = {}
        for task in tasks:
            by_step.setdefault(task["step"], []).append(task)
        self.assertTrue(all(t["done"] and t["ok"] for t in tasks))
        (start,) = by_step["start"]
        self.assertEqual((start["next"], start["foreach_var"], start["num_splits"]), (["outer"], "letters", 3))
        inner = sorted(tuple(t["foreach"]) for t in by_step["inner"])
        self.assertEqual(inner, [(a, b) for a in range(3) for b in range(2)])
        self.assertEqual(len(by_step["_parameters"]), 1)

    def test_scan_reports_a_failed_task_as_done_but_not_ok(self):
        run = self.run_flow("errors_flow.py", "ErrorsFlow", parameters={"mode": "empty"})
        self.assertEqual(run.failed[0][0], "start")
        (start,) = [t for t in self.inspect("scan", self.root, "ErrorsFlow", run.run_id) if t["step"] == "start"]
        self.assertEqual((start["done"], start["ok"]), (True, False))

    def test_dump_reads_values_and_keeps_unimportable_classes_readable(self):
        run = self.run_flow("custom_class_flow.py", "CustomClassFlow")
        task_id = run.task_ids("end")[0]
        request = {"root": self.root, "flow": "CustomClassFlow", "max_value_size": 1000,
                   "tasks": [{"path": "end", "dir": run.task_path("end", task_id)}]}
        (task,) = self.inspect("dump", json.dumps(request))
        values = {a["name"]: a.get("value") for a in task["artifacts"]}
        self.assertEqual(values["sum_xy"], "3")
        self.assertIn("Point object: its class cannot be imported here", values["point"])
        self.assertNotIn("_task_ok", values)
        request.update(include=["_task_ok"], max_value_size=0)
        (task,) = self.inspect("dump", json.dumps(request))
        self.assertEqual([(a["name"], "value" in a) for a in task["artifacts"]], [("_task_ok", False)])

    def test_dump_says_when_a_task_never_finished(self):
        os.makedirs(os.path.join(self.tmp, "unfinished"))
        request = {"root": self.root, "flow": "X", "max_value_size": 10,
                   "tasks": [{"path": "X/1/start/1", "dir": os.path.join(self.tmp, "unfinished")}]}
        (task,) = self.inspect("dump", json.dumps(request))
        self.assertIn("no finished attempt", task["error"])
