"""The argo mode of the pod bootstrap without a cluster: deterministic task ids (checked against the shell
pipeline Metaflow's containers use), the input-path forms the compiled templates pass, parameter values
as Argo hands them over, and the output files the next templates read."""

import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

from test.python.harness import FLOWS, PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)

from metaflow_studio import pod_argo  # noqa: E402
from metaflow_studio.graph import FlowGraph  # noqa: E402

TS = "2026-12-06T22:40:00Z"


def shell_task_id(text):
    """`echo <text> | md5sum | cut -d ' ' -f 1 | tail -c 9`, as the container of a Metaflow Argo step runs it."""
    out = subprocess.run(["md5sum"], input=(text + "\n").encode(), capture_output=True, check=True)
    return "t-" + out.stdout.decode().split(" ")[0][-8:]


def graph_of(file_name, cls_name):
    spec = importlib.util.spec_from_file_location("argo_test_" + cls_name, os.path.join(FLOWS, file_name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return FlowGraph(getattr(module, cls_name))


def argv(step, input_paths=None, **extra):
    out = ["--step", step, "--run-id", "argo-wf-1", "--creation-timestamp", TS, "--max-user-code-retries", "0",
           "--outputs", "/tmp/unused"]
    if input_paths is not None:
        out += ["--input-paths", input_paths]
    for key, value in extra.items():
        flag = "--" + key.replace("_", "-")
        for v in value if isinstance(value, list) else [value]:
            out += [flag, str(v)]
    return out


class TaskIdTest(unittest.TestCase):
    def test_ids_are_the_shell_pipelines(self):
        cases = [
            ("start", ""),
            ("a", "argo-wf-1/start/t-1234abcd"),
            ("inner", "argo-wf-1/outer/t-00ff00ff"),
        ]
        for step, paths in cases:
            for index in (None, 0, 7):
                text = "%s-%s-%s-%s" % (step, TS, paths, "" if index is None else index)
                self.assertEqual(pod_argo.task_id(step, TS, paths, index), shell_task_id(text))

    def test_ids_are_never_numeric_and_differ_by_index(self):
        ids = set(pod_argo.task_id("body", TS, "argo-wf-1/start/t-1", i) for i in range(50))
        self.assertEqual(len(ids), 50)
        for tid in ids:
            self.assertRegex(tid, r"^t-[0-9a-f]{8}$")

    def test_start_hashes_no_inputs(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        args = pod_argo.parse_args(argv("start", "ignored"))
        self.assertEqual(pod_argo.step_task_id(graph, args), shell_task_id("start-%s--" % TS))

    def test_last_body_step_matches_the_joins_regenerated_ids(self):
        graph = graph_of("foreach_flow.py", "ForeachFlow")
        split = "argo-wf-1/outer/t-0badcafe"
        join = pod_argo.parse_args(argv("inner_join", split, split_cardinality=2))
        paths = pod_argo.resolve_input_paths(graph, join)
        body_ids = []
        for i in range(2):
            # `inner` is first and last body step: it hashes its own input path (the split task) and index.
            body = pod_argo.parse_args(argv("inner", split, split_index=i))
            body_ids.append("argo-wf-1/inner/" + pod_argo.step_task_id(graph, body))
        self.assertEqual(paths, body_ids)

    def test_a_deeper_body_step_hashes_the_root_input_path(self):
        graph = graph_of("foreach_flow.py", "ForeachFlow")
        args = pod_argo.parse_args(argv("inner", "argo-wf-1/mid/t-11111111", split_index=3,
                                        root_input_path="argo-wf-1/outer/t-22222222"))
        self.assertEqual(pod_argo.step_task_id(graph, args),
                         shell_task_id("inner-%s-argo-wf-1/outer/t-22222222-3" % TS))


class InputPathTest(unittest.TestCase):
    def test_compressed_forms(self):
        self.assertEqual(pod_argo.decompress_paths("r/a/t-1"), ["r/a/t-1"])
        self.assertEqual(pod_argo.decompress_paths("r/a/t-1,r/b/t-2"), ["r/a/t-1", "r/b/t-2"])
        self.assertEqual(pod_argo.decompress_paths("argo-x/:a/t-1,b/t-2"), ["argo-x/a/t-1", "argo-x/b/t-2"])
        packed = "!" + base64.b64encode(zlib.compress(zlib.compress(b"argo-x/body/:t-1,t-2,t-3"))).decode()
        self.assertEqual(pod_argo.decompress_paths(packed), ["argo-x/body/t-1", "argo-x/body/t-2", "argo-x/body/t-3"])

    def test_start_has_no_parents(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        self.assertEqual(pod_argo.resolve_input_paths(graph, pod_argo.parse_args(argv("start"))), [])

    def test_switch_merge_keeps_the_branch_that_ran(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        raw = "argo-wf-1/:big/t-aaaaaaaa,small/{{tasks.small.outputs.parameters.task-id}}"
        args = pod_argo.parse_args(argv("loop", raw))
        self.assertEqual(pod_argo.resolve_input_paths(graph, args), ["argo-wf-1/big/t-aaaaaaaa"])
        encoded = base64.b64encode(raw.encode()).decode()
        args = pod_argo.parse_args(argv("loop", encoded))
        self.assertEqual(pod_argo.resolve_input_paths(graph, args), ["argo-wf-1/big/t-aaaaaaaa"])

    def test_a_skipped_switch_counts_only_when_no_branch_ran(self):
        # end's parents: loop (a switch that may go straight to end).
        self.assertEqual(pod_argo.merge_paths(["r/loop/t-1", "r/x/{{tasks.x.outputs.parameters.task-id}}"], ["loop"]),
                         ["r/loop/t-1"])
        self.assertEqual(pod_argo.merge_paths(["r/sw/t-1", "r/branch/t-2"], ["sw"]), ["r/branch/t-2"])
        # Two switches skipped here: the later one in the DAG (listed first) wins.
        self.assertEqual(pod_argo.merge_paths(["r/early/t-1", "r/late/t-2"], ["late", "early"]), ["r/late/t-2"])

    def test_skippable_steps_are_the_switch_parents_latest_first(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        self.assertEqual(pod_argo.skippable_steps(graph, "end"), ["loop"])
        self.assertEqual(pod_argo.skippable_steps(graph, "big"), ["start"])

    def test_no_parent_ran_is_refused(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        args = pod_argo.parse_args(argv("loop", "argo-wf-1/big/{{tasks.big.outputs.parameters.task-id}}"))
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "no upstream task of loop ran"):
            pod_argo.resolve_input_paths(graph, args)

    def test_foreach_join_needs_the_cardinality(self):
        graph = graph_of("foreach_flow.py", "ForeachFlow")
        args = pod_argo.parse_args(argv("outer_join", "argo-wf-1/start/t-1"))
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "outer_join needs --split-cardinality"):
            pod_argo.resolve_input_paths(graph, args)

    def test_bad_arguments_name_the_problem(self):
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "--retry-count must be an integer, got '{{retries}}'"):
            pod_argo.parse_args(argv("start", retry_count="{{retries}}"))
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "--step"):
            pod_argo.parse_args(["--run-id", "r", "--creation-timestamp", TS, "--max-user-code-retries", "0", "--outputs", "d"])


class PlanTest(unittest.TestCase):
    def test_start_runs_the_parameters_task_first(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        args = pod_argo.parse_args(argv("start", param=['size="7"', "alpha=null", 'beta={"k": [1, 2]}', "gamma=plain"]))
        tid = pod_argo.step_task_id(graph, args)
        params, step = pod_argo.plan_tasks(args, graph, {"run_id": "argo-wf-1"}, tid)
        self.assertEqual(params["kind"], "params")
        self.assertEqual(params["task_id"], tid + "-params")
        self.assertEqual(params["parameters"], {"size": "7", "beta": '{"k": [1, 2]}', "gamma": "plain"})
        self.assertEqual(step["input_paths"], ["argo-wf-1/_parameters/%s-params" % tid])
        self.assertNotIn("split_index", step)

    def test_first_body_step_gets_its_split_index(self):
        graph = graph_of("foreach_flow.py", "ForeachFlow")
        args = pod_argo.parse_args(argv("outer", "argo-wf-1/start/t-1", split_index=2))
        params, step = pod_argo.plan_tasks(args, graph, {"run_id": "argo-wf-1"}, "t-x")
        self.assertIsNone(params)
        self.assertEqual(step["split_index"], 2)
        self.assertEqual(step["input_paths"], ["argo-wf-1/start/t-1"])

    def test_datastore_must_be_the_cloud_one(self):
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "METAFLOW_DEFAULT_DATASTORE is 'local'"):
            pod_argo.datastore_from_env({"METAFLOW_DEFAULT_DATASTORE": "local"})
        self.assertEqual(
            pod_argo.datastore_from_env({"METAFLOW_DEFAULT_DATASTORE": "azure", "METAFLOW_DATASTORE_SYSROOT_AZURE": "c/p",
                                         "METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT": "https://e"}),
            {"type": "azure", "sysroot": "c/p", "endpoint": "https://e"})


class FlowFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        for name in ("foreach_flow.py", "switch_flow.py"):
            shutil.copy(os.path.join(FLOWS, name), self.dir)

    def test_found_by_class_or_named(self):
        self.assertEqual(pod_argo.find_flow_file(self.dir, "SwitchFlow", {}), os.path.join(self.dir, "switch_flow.py"))
        self.assertEqual(pod_argo.find_flow_file(self.dir, "SwitchFlow", {"METAFLOW_FLOW_FILENAME": "foreach_flow.py"}),
                         os.path.join(self.dir, "foreach_flow.py"))
        with self.assertRaisesRegex(pod_argo.ArgoModeError, "defines NoFlow \\(none does\\); set METAFLOW_FLOW_FILENAME"):
            pod_argo.find_flow_file(self.dir, "NoFlow", {})


class OutputsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def test_foreach_split_writes_splits_and_cardinality(self):
        graph = graph_of("foreach_flow.py", "ForeachFlow")
        pod_argo.write_outputs(self.dir, graph["start"], "t-12345678", {"ok": True, "next": ["outer"], "num_splits": 3})
        self.assertEqual(json.loads(self.read("splits")), [0, 1, 2])
        self.assertEqual(json.loads(self.read("split_cardinality")), 3)
        self.assertEqual(self.read("task_id"), "t-12345678")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "switch_step")))

    def test_switch_writes_the_chosen_step(self):
        graph = graph_of("switch_flow.py", "SwitchFlow")
        pod_argo.write_outputs(self.dir, graph["start"], "t-1", {"ok": True, "next": ["small"]})
        self.assertEqual(self.read("switch_step"), "small")
        self.assertEqual(sorted(os.listdir(self.dir)), ["switch_step", "task_id"])


if __name__ == "__main__":
    unittest.main()
