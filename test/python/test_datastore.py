"""The datastore a run leaves behind, file by file (reference §2.2-2.8), clones, and the Client API."""

import gzip
import hashlib
import json
import os
import pickle
import subprocess
import sys
import unittest

from test.python.harness import PYTHON_DIR, SharedFlowTestCase, FlowTestCase


def read(path):
    with open(path, "rb") as f:
        return f.read()


class LayoutTest(SharedFlowTestCase):
    @classmethod
    def setUpClass(cls):
        super(LayoutTest, cls).setUpClass()
        cls.run_ = cls.run_shared("linear_flow.py", "LinearFlow")

    def setUp(self):
        self.assertRunOk(self.run_)

    def test_task_directory_files(self):
        run = self.run_
        path = run.task_path("middle", run.task_ids("middle")[0])
        names = set(os.listdir(path))
        self.assertTrue({"0.attempt.json", "0.data.json", "0.DONE.lock", "0.task_begin", "0.task_end", "_meta"} <= names)
        self.assertFalse([n for n in names if n.endswith(".tmp")])
        self.assertEqual(json.loads(read(os.path.join(path, "0.DONE.lock"))), "")
        self.assertIsInstance(json.loads(read(os.path.join(path, "0.attempt.json")))["time"], float)
        self.assertEqual(json.loads(read(os.path.join(path, "0.task_end"))), {})
        begin = json.loads(read(os.path.join(path, "0.task_begin")))
        self.assertEqual(set(begin), {"code_package_metadata", "code_package_sha", "code_package_ds", "code_package_url", "retry_count"})
        data = json.loads(read(os.path.join(path, "0.data.json")))
        self.assertEqual((data["datastore"], data["version"], data["attempt"]), ("local", "1.0", 0))
        for name in ("name", "_transition", "_task_ok", "_success", "_exception", "_foreach_stack", "_foreach_var",
                     "_foreach_num_splits", "_iteration_stack", "_current_step", "_graph_info", "_configs_processed",
                     "x", "blob", "greeting", "LIMIT"):
            self.assertIn(name, data["objects"], name)
        self.assertEqual(data["info"]["x"], {"size": len(pickle.dumps(2, protocol=4)), "type": "<class 'int'>",
                                             "encoding": "pickle-v4", "serializer_info": {"source": "metaflow"}})
        self.assertEqual(data["info"]["_exception"]["type"], "<class 'NoneType'>")
        start = json.loads(read(os.path.join(run.task_path("start", run.task_ids("start")[0]), "0.data.json")))
        # Inherited by reference: the parent's sha is reused for what the step did not change.
        self.assertEqual(start["objects"]["greeting"], data["objects"]["greeting"])
        self.assertEqual(start["objects"]["_graph_info"], data["objects"]["_graph_info"])

    def test_content_addressed_blobs(self):
        run = self.run_
        path = run.task_path("middle", run.task_ids("middle")[0])
        data = json.loads(read(os.path.join(path, "0.data.json")))
        sha = data["objects"]["blob"]
        blob_path = os.path.join(self.root, "LinearFlow", "data", sha[:2], sha)
        raw = pickle.dumps(b"\0" * 10, protocol=4)
        self.assertEqual(hashlib.sha1(raw).hexdigest(), sha)
        self.assertEqual(gzip.decompress(read(blob_path)), raw)
        self.assertEqual(json.loads(read(blob_path + "_meta")), {"cas_raw": False, "cas_version": 1})
        self.assertEqual(os.stat(blob_path).st_mode & 0o777, 0o600)

    def test_metadata_files(self):
        run = self.run_
        task_id = run.task_ids("middle")[0]
        meta = os.path.join(run.task_path("middle", task_id), "_meta")
        self_json = json.loads(read(os.path.join(meta, "_self.json")))
        self.assertEqual(self_json["task_id"], task_id)
        self.assertEqual(self_json["step_name"], "middle")
        self.assertEqual(self_json["run_number"], run.run_id)
        self.assertIn("user:dev", self_json["system_tags"])
        self.assertEqual(self_json["tags"], ["t1"])
        art = json.loads(read(os.path.join(meta, "0_artifact_x.json")))
        data = json.loads(read(os.path.join(run.task_path("middle", task_id), "0.data.json")))
        self.assertEqual(art["sha"], data["objects"]["x"])
        self.assertEqual((art["content_type"], art["type"], art["ds_type"], art["attempt_id"]),
                         ("pickle-v4", "metaflow.artifact", "local", 0))
        self.assertEqual(art["location"], ":root:%s" % self.root)
        fields = {}
        for name in os.listdir(meta):
            if name.startswith("sysmeta_"):
                datum = json.loads(read(os.path.join(meta, name)))
                self.assertEqual(name, "sysmeta_%s_%d.json" % (datum["field_name"], datum["ts_epoch"]))
                fields[datum["field_name"]] = datum
        for field in ("attempt", "origin-run-id", "ds-type", "ds-root", "attempt_ok", "attempt-done"):
            self.assertIn(field, fields)
        self.assertEqual(fields["attempt_ok"]["value"], "True")
        self.assertEqual(fields["attempt_ok"]["type"], "internal_attempt_status")
        self.assertEqual(fields["attempt-done"]["tags"], ["attempt_id:0"])
        self.assertEqual(fields["ds-root"]["value"], self.root)
        params_meta = os.path.join(run.task_path("_parameters", "0"), "_meta")
        values = dict((json.loads(read(os.path.join(params_meta, n)))["field_name"], json.loads(read(os.path.join(params_meta, n)))["value"])
                      for n in os.listdir(params_meta) if n.startswith("sysmeta_"))
        self.assertEqual((values["start_step"], values["end_step"]), ("start", "end"))

    def test_graph_info_shape(self):
        info = self.reader(self.run_, "_parameters", "0")["_graph_info"]
        self.assertEqual(info["graph_structure"], ["start", "middle", "end"])
        self.assertEqual(info["file"], "linear_flow.py")
        self.assertEqual(info["doc"], "A three-step flow.")
        self.assertEqual(info["constants"], [{"name": "LIMIT", "type": "int"}])
        self.assertEqual(info["parameters"], [{"name": "greeting", "type": "Parameter"}])
        start = info["steps"]["start"]
        self.assertEqual((start["type"], start["next"]), ("start", ["middle"]))
        # Metaflow records the absolute source path (inspect.getsourcefile).
        self.assertEqual(start["source_file"], os.path.join(os.path.dirname(os.path.abspath(__file__)), "flows", "linear_flow.py"))
        self.assertEqual(info["extensions"], {"installed": {}})
        self.assertEqual(info["steps"]["end"]["type"], "end")

    def test_foreach_metadata(self):
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        self.assertRunOk(run)
        task_id = run.task_id_at("inner", [2, 1])
        meta = os.path.join(run.task_path("inner", task_id), "_meta")
        fields = {}
        for name in os.listdir(meta):
            if name.startswith("sysmeta_"):
                datum = json.loads(read(os.path.join(meta, name)))
                fields[datum["field_name"]] = datum["value"]
        self.assertEqual(fields["foreach-stack"], ["letters=c", "numbers=2"])
        self.assertEqual(fields["foreach-execution-path"], "outer:2,inner:1")

    def test_clone(self):
        run = self.run_
        # `resume end` clones start and middle from the origin run.
        resumed = self.resume_flow("linear_flow.py", "LinearFlow", step="end", origin_run_id=run.run_id)
        self.assertRunOk(resumed)
        self.assertEqual([e["status"] for e in resumed.finished_events("middle")], ["cloned"])
        res = resumed.result("middle")
        self.assertTrue(res["ok"])
        self.assertEqual(res["next"], ["end"])
        path = resumed.task_path("middle", resumed.task_ids("middle")[0])
        old = json.loads(read(os.path.join(run.task_path("middle", run.task_ids("middle")[0]), "0.data.json")))
        new = json.loads(read(os.path.join(path, "0.data.json")))
        self.assertEqual(new["objects"], old["objects"])
        fields = {}
        for name in os.listdir(os.path.join(path, "_meta")):
            if name.startswith("sysmeta_"):
                datum = json.loads(read(os.path.join(path, "_meta", name)))
                fields[datum["field_name"]] = datum["value"]
        self.assertEqual(fields["origin-run-id"], run.run_id)
        self.assertEqual(fields["origin-task-id"], run.task_ids("middle")[0])

    def test_large_incompressible_artifact_is_stored_raw(self):
        sys.path.insert(0, PYTHON_DIR)
        from metaflow_studio.storage import ContentStore

        store = ContentStore(self.root, "Big")
        blob = pickle.dumps(os.urandom(3 << 20), protocol=4)
        sha = store.save_blob(blob)
        path = store.path(sha)
        self.assertEqual(json.loads(read(path + "_meta")), {"cas_raw": True, "cas_version": 1})
        self.assertEqual(read(path), blob)
        self.assertEqual(store.load_blob(sha), blob)
        text = pickle.dumps(b"abc" * (6 << 20), protocol=4)
        sha2 = store.save_blob(text)
        self.assertEqual(gzip.decompress(read(store.path(sha2))), text)
        self.assertEqual(store.load_blob(sha2), text)


class SpinTest(FlowTestCase):
    def test_spin_runs_one_step_again_with_its_origin_inputs_in_the_spin_datastore(self):
        run = self.run_flow("linear_flow.py", "LinearFlow")
        self.assertRunOk(run)
        spun = self.spin_flow("linear_flow.py", "middle", "LinearFlow", origin_run_id=run.run_id)
        self.assertRunOk(spun)
        self.assertEqual(spun.origin_run_id, run.run_id)
        self.assertEqual(spun.root, os.path.join(self.tmp, ".metaflow_spin"))
        self.assertEqual([s for s, _, _, _ in spun.tasks], ["middle"])
        self.assertEqual(spun.logs("middle", "stderr"), ["to stderr"])
        self.assertEqual(self.artifact(spun, "middle", "x"), self.artifact(run, "middle", "x"))
        # The origin run is not changed.
        tasks = [n for n in os.listdir(os.path.join(self.root, "LinearFlow", run.run_id, "middle")) if n != "_meta"]
        self.assertEqual(tasks, run.task_ids("middle"))
        self.assertNotIn(spun.run_id, os.listdir(os.path.join(self.root, "LinearFlow")))


class ClientTest(FlowTestCase):
    def test_embedded_client_reads_a_run(self):
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        self.assertRunOk(run)
        script = r"""
import json
from metaflow import Flow, Metaflow, get_namespace, namespace, Run, Task
out = {"ns": get_namespace(), "flows": [f.id for f in Metaflow()]}
r = Flow("ForeachFlow").latest_run
out["run"] = r.id
out["successful"] = r.successful
out["pairs"] = r["outer_join"].task.data.all_pairs
out["inner"] = sorted(t.index for t in r["inner"])
t = list(r["inner"])[0]
out["artifacts"] = sorted(a.id for a in t if not a.id.startswith("_"))
out["parents"] = [p.pathspec for p in t.parent_tasks]
out["meta"] = t.metadata_dict.get("foreach-execution-path")
out["end"] = r.end_task.pathspec
namespace("user:someone-else")
out["hidden"] = [x.id for x in Flow("ForeachFlow").runs()] if False else None
try:
    Run("ForeachFlow/" + r.id)
    out["mismatch"] = False
except Exception as e:
    out["mismatch"] = type(e).__name__
print(json.dumps(out))
"""
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, METAFLOW_DATASTORE_SYSROOT_LOCAL=self.tmp, METAFLOW_USER="dev")
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, cwd=self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out["ns"], "user:dev")
        self.assertEqual(out["flows"], ["ForeachFlow"])
        self.assertEqual(out["run"], run.run_id)
        self.assertTrue(out["successful"])
        self.assertEqual(out["pairs"], ["a1", "a2", "b1", "b2", "c1", "c2"])
        self.assertEqual(out["inner"], [0, 0, 0, 1, 1, 1])
        self.assertIn("pair", out["artifacts"])
        self.assertEqual(len(out["parents"]), 1)
        self.assertIn("/outer/", out["parents"][0])
        self.assertTrue(out["meta"].startswith("outer:"))
        self.assertTrue(out["end"].endswith("/end/%s" % run.task_ids("end")[0]))
        self.assertEqual(out["mismatch"], "MetaflowNamespaceMismatch")

    def test_task_logs_merge_mflog_sources_by_time(self):
        run = self.run_flow("linear_flow.py", "LinearFlow")
        self.assertRunOk(run)
        path = run.task_path("start", run.task_ids("start")[0])
        with open(os.path.join(path, "0.runtime_stdout.log"), "w") as f:
            f.write("[MFLOG|0|2026-01-01T00:00:02.000000Z|runtime|a]second\n")
            f.write("[MFLOG|0|2026-01-01T00:00:00.000000Z|runtime|b]first\n")
        with open(os.path.join(path, "0.task_stdout.log"), "w") as f:
            f.write("[!MFLOG|0|2026-01-01T00:00:01.000000Z|task|c]middle\n")
        script = "from metaflow import Flow; import sys; sys.stdout.write(Flow('LinearFlow').latest_run['start'].task.stdout)"
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, METAFLOW_DATASTORE_SYSROOT_LOCAL=self.tmp, METAFLOW_USER="dev")
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, cwd=self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout.decode(), "first\nmiddle\nsecond\n")

    def test_client_refuses_root_as_only_user(self):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, METAFLOW_DATASTORE_SYSROOT_LOCAL=self.tmp, USER="root")
        for var in ("METAFLOW_USER", "SUDO_USER", "USERNAME", "METAFLOW_PRODUCTION_TOKEN"):
            env.pop(var, None)
        proc = subprocess.run([sys.executable, "-c", "from metaflow import get_namespace; get_namespace()"],
                              env=env, capture_output=True, cwd=self.tmp)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("METAFLOW_USER", proc.stderr.decode())


if __name__ == "__main__":
    unittest.main()
