"""A deployment's identity as Metaflow resolves it: with METAFLOW_PRODUCTION_TOKEN in the task's environment
(an Argo pod's), the run's and task's system tags carry `production:<token>` instead of `user:<name>` and
`runtime:<METAFLOW_RUNTIME_NAME>` instead of `runtime:dev`; the task's metadata, `current.namespace` and the
Client's default namespace follow; the Client finds the run under `namespace("production:<token>")` and not
in the deploying user's namespace. Tasks run in a worker process exactly as a pod's task runner starts them
(no scheduler wrote the run's `_self.json` first: the task does, as in a pod)."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from test.python.harness import PYTHON_DIR, REPO, Worker, base_env, new_task_spec, worker_env

FLOW = os.path.join(REPO, "test", "fixtures", "flows", "argo", "branch_params_flow.py")
FLOW_NAME = "ArgoBranchParamsFlow"
TOKEN = "argobranchparamsflow-0-abcd"

# The embedded Client in a fresh interpreter: which runs of the flow each namespace shows.
CLIENT = r"""
import json, sys
from metaflow import Flow, Run, get_namespace, namespace
from metaflow.exception import MetaflowNamespaceMismatch
flow, run_id = sys.argv[1:3]
out = {"default": get_namespace()}
for ns in sys.argv[3:]:
    namespace(None if ns == "-" else ns)
    try:
        listed = [r.id for r in Flow(flow).runs()]
    except MetaflowNamespaceMismatch:
        listed = None  # as Metaflow: a flow with no run in the namespace is itself outside it
    try:
        Run("%s/%s" % (flow, run_id))
        opened = True
    except MetaflowNamespaceMismatch:
        opened = False
    out[ns] = {"listed": listed, "opened": opened}
print(json.dumps(out))
"""


def run_task(worker, root, run_id, step, task_id, **extra):
    worker.submit(task_id, new_task_spec(root, FLOW, FLOW_NAME, run_id, step, task_id, user="argo-workflows", **extra))
    return worker.wait([task_id])[task_id]


class ProductionIdentityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mfstudio-identity-")
        cls.root = os.path.join(cls.tmp, ".metaflow")
        cls.run_id = "argo-identity-%d" % int(time.time())
        env = {"METAFLOW_PRODUCTION_TOKEN": TOKEN, "METAFLOW_RUNTIME_NAME": "argo-workflows",
               "METAFLOW_DATASTORE_SYSROOT_LOCAL": cls.tmp}
        worker = Worker("fork-server", flow_file=FLOW, flow_name=FLOW_NAME, env=env, user="argo-workflows")
        try:
            cls.params = run_task(worker, cls.root, cls.run_id, "_parameters", "t-1-params",
                                  kind="params", parameters={"greeting": "hi", "times": "2"})
            cls.start = run_task(worker, cls.root, cls.run_id, "start", "t-1",
                                 input_paths=["%s/_parameters/t-1-params" % cls.run_id])
        finally:
            worker.close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def meta(self, *parts):
        with open(os.path.join(self.root, FLOW_NAME, self.run_id, *parts)) as f:
            return json.load(f)

    def sysmeta(self, step, task_id):
        out = {}
        for path in glob.glob(os.path.join(self.root, FLOW_NAME, self.run_id, step, task_id, "_meta", "sysmeta_*.json")):
            with open(path) as f:
                datum = json.load(f)
            out[datum["field_name"]] = datum["value"]
        return out

    def test_tasks_ran(self):
        self.assertTrue(self.params["result"]["ok"], self.params)
        self.assertTrue(self.start["result"]["ok"], self.start)

    def test_run_and_task_system_tags_carry_the_production_namespace_and_runtime(self):
        for parts in (("_meta", "_self.json"), ("start", "t-1", "_meta", "_self.json")):
            tags = self.meta(*parts)["system_tags"]
            self.assertIn("production:%s" % TOKEN, tags, parts)
            self.assertIn("runtime:argo-workflows", tags, parts)
            self.assertFalse([t for t in tags if t.startswith("user:") or t == "runtime:dev"], tags)
        # The user name stays the pod's (METAFLOW_USER), as Metaflow keeps it beside the production identity.
        self.assertEqual(self.meta("_meta", "_self.json")["user_name"], "argo-workflows")

    def test_task_metadata_names_the_production_identity_not_the_user(self):
        meta = self.sysmeta("start", "t-1")
        self.assertEqual(meta["production"], TOKEN)
        self.assertEqual(meta["runtime"], "argo-workflows")
        self.assertNotIn("user", meta)

    def test_current_namespace_follows_the_token(self):
        sys.path.insert(0, PYTHON_DIR)
        from metaflow_studio.datastore import TaskReader, open_store

        _, cache = open_store(self.root, FLOW_NAME)
        reader = TaskReader(self.root, FLOW_NAME, self.run_id, "start", "t-1", cache)
        self.assertEqual(reader["namespace_seen"], "production:%s" % TOKEN)
        self.assertEqual(reader["message"], "hi hi")

    def client(self, *namespaces, **env):
        launch = dict(base_env("alice", dict(env, METAFLOW_DATASTORE_SYSROOT_LOCAL=self.tmp)))
        out = subprocess.run([sys.executable, "-c", CLIENT, FLOW_NAME, self.run_id] + list(namespaces),
                             env=worker_env(launch), cwd=self.tmp, capture_output=True, check=True)
        return json.loads(out.stdout.decode().strip().splitlines()[-1])

    def test_the_client_finds_the_run_in_the_production_namespace_only(self):
        seen = self.client("production:%s" % TOKEN, "user:alice", "user:argo-workflows", "runtime:argo-workflows", "-")
        self.assertEqual(seen["default"], "user:alice")
        self.assertEqual(seen["production:%s" % TOKEN], {"listed": [self.run_id], "opened": True})
        self.assertEqual(seen["user:alice"], {"listed": None, "opened": False})
        self.assertEqual(seen["user:argo-workflows"], {"listed": None, "opened": False})
        self.assertEqual(seen["runtime:argo-workflows"], {"listed": [self.run_id], "opened": True})
        self.assertEqual(seen["-"]["listed"], [self.run_id])

    def test_the_clients_default_namespace_is_the_token_where_it_is_set(self):
        seen = self.client("production:%s" % TOKEN, METAFLOW_PRODUCTION_TOKEN=TOKEN)
        self.assertEqual(seen["default"], "production:%s" % TOKEN)
        self.assertTrue(seen["production:%s" % TOKEN]["opened"])


class ArgoMetadataTest(unittest.TestCase):
    """The metadata Metaflow's Argo decorator registers, from the environment the compiled template sets."""

    ENV = {
        "ARGO_WORKFLOW_TEMPLATE": "argobranchparamsflow",
        "ARGO_WORKFLOW_NAME": "argobranchparamsflow-x7k2p",
        "ARGO_WORKFLOW_NAMESPACE": "flows",
        "METAFLOW_OWNER": "alice",
    }

    def setUp(self):
        sys.path.insert(0, PYTHON_DIR)
        from metaflow_studio import pod_argo

        self.pod_argo = pod_argo

    def test_every_task_names_its_workflow_and_owner(self):
        data = self.pod_argo.argo_metadata(self.ENV, is_start=False, attempt=2)
        self.assertEqual(data, [
            ("argo-workflow-template", "argobranchparamsflow", "argo-workflow-template", ["attempt_id:2"]),
            ("argo-workflow-name", "argobranchparamsflow-x7k2p", "argo-workflow-name", ["attempt_id:2"]),
            ("argo-workflow-namespace", "flows", "argo-workflow-namespace", ["attempt_id:2"]),
            ("argo-workflow-template-owner", "alice", "argo-workflow-template-owner", ["attempt_id:2"]),
            # Steps publish their Argo Events unless the deployment said not to (as Metaflow records it).
            ("auto-emit-argo-events", 1, "auto-emit-argo-events", ["attempt_id:2"]),
        ])
        off = self.pod_argo.argo_metadata(dict(self.ENV, METAFLOW_STUDIO_AUTO_EMIT_ARGO_EVENTS="0"), is_start=False, attempt=2)
        self.assertIn(("auto-emit-argo-events", 0, "auto-emit-argo-events", ["attempt_id:2"]), off)

    def test_start_lists_the_events_that_triggered_the_run(self):
        env = dict(self.ENV)
        env["METAFLOW_ARGO_EVENT_PAYLOAD_event_dataready_abcd"] = json.dumps(
            {"name": "data.ready", "id": "ev-1", "timestamp": 1767225600, "table": "sales"})
        env["METAFLOW_ARGO_EVENT_PAYLOAD_run_UpstreamFlowend_wxyz"] = "null"  # that event did not fire
        env["METAFLOW_ARGO_EVENT_PAYLOAD_event_raw_qrst"] = "not json"
        start = dict((d[0], d[1]) for d in self.pod_argo.argo_metadata(env, is_start=True, attempt=0))
        self.assertEqual(json.loads(start["execution-triggers"]), [
            {"timestamp": 1767225600, "id": "ev-1", "name": "data.ready", "type": "event"},
            {"timestamp": None, "id": None, "name": None, "type": "event"},
        ])
        later = dict((d[0], d[1]) for d in self.pod_argo.argo_metadata(env, is_start=False, attempt=0))
        self.assertNotIn("execution-triggers", later)

    def test_no_trigger_no_execution_triggers(self):
        env = dict(self.ENV, METAFLOW_ARGO_EVENT_PAYLOAD_event_dataready_abcd="null")
        fields = [d[0] for d in self.pod_argo.argo_metadata(env, is_start=True, attempt=0)]
        self.assertNotIn("execution-triggers", fields)

    def test_a_template_without_the_workflow_variables_is_refused_by_name(self):
        env = dict(self.ENV)
        del env["ARGO_WORKFLOW_NAME"]
        del env["METAFLOW_OWNER"]
        with self.assertRaises(self.pod_argo.ArgoModeError) as caught:
            self.pod_argo.check_argo_environment(env)
        self.assertIn("ARGO_WORKFLOW_NAME, METAFLOW_OWNER not set in the pod", str(caught.exception))


class DevIdentityTest(unittest.TestCase):
    """Without a token nothing changes: `user:<name>` and `runtime:dev`."""

    def test_user_and_dev_runtime(self):
        tmp = tempfile.mkdtemp(prefix="mfstudio-identity-")
        try:
            root = os.path.join(tmp, ".metaflow")
            env = {"METAFLOW_DATASTORE_SYSROOT_LOCAL": tmp}
            worker = Worker("fork-server", flow_file=FLOW, flow_name=FLOW_NAME, env=env, user="dev")
            try:
                worker.submit("p", new_task_spec(root, FLOW, FLOW_NAME, "1", "_parameters", "0", kind="params", parameters={}))
                worker.wait(["p"])
                worker.submit("s", new_task_spec(root, FLOW, FLOW_NAME, "1", "start", "1", input_paths=["1/_parameters/0"]))
                fin = worker.wait(["s"])["s"]
            finally:
                worker.close()
            self.assertTrue(fin["result"]["ok"], fin)
            with open(os.path.join(root, FLOW_NAME, "1", "_meta", "_self.json")) as f:
                tags = json.load(f)["system_tags"]
            self.assertIn("user:dev", tags)
            self.assertIn("runtime:dev", tags)
            self.assertFalse([t for t in tags if t.startswith("production:")])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
