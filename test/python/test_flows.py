"""Flows run through the real worker protocol: semantics of steps, joins, foreach, switch, parameters."""

import gzip
import hashlib
import json
import os
import unittest

from test.python.harness import FlowTestCase, Worker, flow_path, task_spec


class LinearTest(FlowTestCase):
    def test_linear_run_logs_and_current(self):
        run = self.run_flow("linear_flow.py", "LinearFlow")
        self.assertRunOk(run)
        self.assertEqual([s for s, _, _, _ in run.tasks], ["_parameters", "start", "middle", "end"])
        self.assertEqual(self.artifact(run, "end", "final"), 14)
        self.assertEqual(self.artifact(run, "start", "who"), "dev")
        ids = self.artifact(run, "start", "ids")
        self.assertEqual(ids, ("LinearFlow", run.run_id, "start", "1", 0))
        self.assertEqual(self.artifact(run, "start", "pathspec"), "LinearFlow/%s/start/1" % run.run_id)
        self.assertTrue(self.artifact(run, "start", "running"))
        self.assertEqual(self.artifact(run, "start", "ns"), "user:dev")
        self.assertIn("t1", self.artifact(run, "start", "tags"))
        self.assertEqual(run.logs("start", "stdout"), ["start says hi"])
        self.assertEqual(run.logs("middle", "stderr"), ["to stderr"])
        self.assertEqual(run.result("start", 0)["next"], ["middle"])
        self.assertEqual(run.result("end", 0)["next"], [])


class BranchTest(FlowTestCase):
    def test_static_join_inputs_and_merge(self):
        run = self.run_flow("branch_flow.py", "BranchFlow")
        self.assertRunOk(run)
        self.assertEqual(run.result("start")["next"], ["a", "b"])
        self.assertEqual(self.artifact(run, "join", "by_name"), ("from a", "from b"))
        self.assertEqual(self.artifact(run, "join", "by_index"), [1, 2])
        self.assertEqual(self.artifact(run, "join", "count"), 2)
        # A join starts empty: nothing of the branches is visible before merge_artifacts.
        self.assertFalse(self.artifact(run, "join", "has_shared_before_merge"))
        err = self.artifact(run, "join", "conflict_error")
        self.assertIn("UnhandledInMergeArtifactsException", err)
        self.assertIn("conflict", err)
        self.assertIn("*join*", err)
        self.assertEqual(self.artifact(run, "end", "result"), ("same", "from a", "from b"))
        join = self.reader(run, "join", run.task_ids("join")[0])
        self.assertNotIn("conflict", join)

    def test_join_with_wrong_number_of_inputs_names_the_step(self):
        # The scheduler never sends this; the worker, sent it directly, must still refuse it by name.
        run = self.run_flow("branch_flow.py", "BranchFlow")
        self.assertRunOk(run)
        a_path = "%s/a/%s" % (run.run_id, run.task_ids("a")[0])
        worker = Worker(flow_file=flow_path("branch_flow.py"), flow_name="BranchFlow")
        try:
            worker.submit("bad", task_spec(run, "join", "99", input_paths=[a_path]))
            res = worker.wait(["bad"])["bad"]["result"]
        finally:
            worker.close()
        self.assertFalse(res["ok"])
        self.assertFalse(res["retry_allowed"])
        self.assertIn("Join *join* expected 2 inputs", res["exception"]["message"])
        failed = self.reader(run, "join", "99")
        self.assertFalse(failed["_task_ok"])
        self.assertIn("expected 2 inputs", str(failed["_exception"]))


class MergeArtifactsTest(FlowTestCase):
    def test_include_exclude_and_errors(self):
        run = self.run_flow("merge_flow.py", "MergeFlow")
        self.assertRunOk(run)
        self.assertIn("merge_artifacts can only be called in a join and step *start* is not a join",
                      self.artifact(run, "start", "outside_join"))
        missing = self.artifact(run, "join", "missing_error")
        self.assertIn("MissingInMergeArtifactsException", missing)
        self.assertIn("[absent]", missing)
        self.assertIn("mutually exclusive", self.artifact(run, "join", "both_error"))
        self.assertEqual(self.artifact(run, "end", "seen"), ("a", False))


class ForeachTest(FlowTestCase):
    def test_nested_foreach(self):
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        self.assertRunOk(run)
        start = run.result("start")
        self.assertEqual((start["foreach_var"], start["num_splits"], start["next"]), ("letters", 3, ["outer"]))
        self.assertEqual(self.artifact(run, "outer_join", "all_pairs"), ["a1", "a2", "b1", "b2", "c1", "c2"])
        last = self.reader(run, "inner", run.task_id_at("inner", [2, 1]))
        self.assertEqual(last["where"], (1, 2))
        self.assertEqual(last["stack"], [(2, 3, "c"), (1, 2, 2)])
        frames = last["_foreach_stack"]
        self.assertEqual(type(frames[0]).__name__, "ForeachFrame")
        self.assertEqual(frames[1], ("inner", "numbers", 2, 1, "2"))
        self.assertEqual(self.reader(run, "start", run.task_ids("start")[0])["_foreach_values"], ["a", "b", "c"])
        self.assertEqual(self.reader(run, "inner_join", run.task_id_at("inner_join", [0]))["letter"], "a")
        self.assertEqual(self.reader(run, "outer_join", run.task_ids("outer_join")[0])["_foreach_stack"], [])

    def test_foreach_stack_is_pickled_as_main_foreachframe(self):
        run = self.run_flow("foreach_flow.py", "ForeachFlow")
        self.assertRunOk(run)
        reader = self.reader(run, "outer", run.task_ids("outer")[0])
        blob = reader.cache.load(reader.objects["_foreach_stack"])
        self.assertIn(b"\x8c\x08__main__\x94\x8c\x0cForeachFrame\x94", blob)


class FlowModuleClassesTest(FlowTestCase):
    def test_instances_of_classes_defined_in_the_flow_file(self):
        run = self.run_flow("custom_class_flow.py", "CustomClassFlow")
        self.assertRunOk(run)
        start = self.reader(run, "start", run.task_ids("start")[0])
        # Pickled as `__main__.Point`, as Metaflow does (the flow file runs as __main__ there too).
        self.assertIn(b"\x8c\x08__main__\x94\x8c\x05Point", start.cache.load(start.objects["point"]))
        self.assertTrue(start["_foreach_values"][0].startswith("<__main__.Poi"), start["_foreach_values"])
        self.assertEqual(self.artifact(run, "join", "total"), 6)
        self.assertEqual(self.artifact(run, "end", "sum_xy"), 3)


class SwitchTest(FlowTestCase):
    def test_switch_and_recursive_switch(self):
        run = self.run_flow("switch_flow.py", "SwitchFlow")
        self.assertRunOk(run)
        self.assertEqual(run.result("start")["next"], ["big"])
        self.assertEqual(run.result("start")["switch_value"], "big")
        self.assertEqual(len(run.task_ids("loop")), 3)
        self.assertEqual([self.reader(run, "loop", t)["seen"] for t in run.task_ids("loop")], [[0], [1], [2]])
        self.assertEqual(run.result("loop", 2)["next"], ["end"])
        self.assertEqual(run.result("loop", 0)["switch_value"], "again")

    def test_switch_other_branch_from_parameter(self):
        run = self.run_flow("switch_flow.py", "SwitchFlow", parameters={"size": "1"})
        self.assertRunOk(run)
        self.assertEqual(run.task_ids("big"), [])
        self.assertEqual(self.artifact(run, "end", "label"), "small")

    def test_switch_value_not_a_case(self):
        run = self.run_flow("badswitch_flow.py", "BadSwitchFlow")
        self.assertEqual(len(run.failed), 1)
        res = run.failed[0][1]["result"]
        self.assertFalse(res["retry_allowed"])
        self.assertIn("*start*", res["exception"]["message"])
        self.assertIn("'nope'", res["exception"]["message"])


class ParallelTest(FlowTestCase):
    def test_num_parallel(self):
        run = self.run_flow("parallel_flow.py", "ParallelFlow")
        self.assertRunOk(run)
        start = run.result("start")
        self.assertEqual((start["foreach_var"], start["num_splits"]), ("_parallel_ubf_iter", 3))
        # Node 0 is the control task (the scheduler's request says which node each task is).
        nodes = dict((m["task"]["parallel"]["node_index"], m["task"]["task_id"]) for m in run.requests() if m["task"]["step"] == "train")
        control = nodes[0]
        self.assertEqual(run.task_ids("train"), [nodes[0], nodes[1], nodes[2]])
        self.assertEqual(self.artifact(run, "join", "nodes"), [(0, 3, control), (1, 3, control), (2, 3, control)])
        ctl = self.reader(run, "train", control)
        self.assertEqual(len(ctl["_control_mapper_tasks"]), 3)
        self.assertTrue(ctl["_control_task_is_mapper_zero"])
        worker_task = self.reader(run, "train", run.task_ids("train")[1])
        self.assertNotIn("_control_mapper_tasks", worker_task)
        fields = {}
        for task_id in run.task_ids("train")[:2]:
            meta = os.path.join(run.task_path("train", task_id), "_meta")
            for name in os.listdir(meta):
                if name.startswith("sysmeta_"):
                    with open(os.path.join(meta, name)) as f:
                        datum = json.load(f)
                    fields[(task_id, datum["field_name"])] = datum["value"]
        self.assertEqual(fields[(control, "internal_task_type")], "control_task")
        self.assertEqual(fields[(control, "parallel-world-size")], 3)
        self.assertNotIn((run.task_ids("train")[1], "internal_task_type"), fields)

    def test_worker_nodes_may_return_without_next_the_control_task_may_not(self):
        # Metaflow checks only the transitions of tasks its runtime schedules, and the workers are the control task's.
        run = self.run_flow("parallel_worker_return_flow.py", "ParallelWorkerReturnFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "join", "nodes"), [0, 1, 2])
        run = self.run_flow("parallel_worker_return_flow.py", "ParallelWorkerReturnFlow",
                            parameters={"control_returns": "True"})
        # The control task fails; a worker still running then is ended with the run, so more may be listed as failed.
        messages = [fin["result"]["exception"]["message"] for _, fin in run.failed if fin["result"] and fin["result"].get("exception")]
        self.assertEqual(len(messages), 1, messages)
        self.assertIn("without calling self.next()", messages[0])


class ParametersTest(FlowTestCase):
    def test_types_defaults_callables_json_separator(self):
        run = self.run_flow("params_flow.py", "ParamsFlow", 
            parameters={"needed": "yes", "ratio": "0.25", "flag": "true", "config": '{"b": [1, 2]}'}
        )
        self.assertRunOk(run)
        seen = self.artifact(run, "start", "seen")
        self.assertEqual(seen, (3, 0.25, True, {"b": [1, 2]}, ["x", "y"], "ParamsFlow-by-dev", "yes"))
        self.assertIn("not modifiable", self.artifact(run, "start", "readonly"))
        self.assertEqual(self.artifact(run, "end", "again"), 3)
        params = self.reader(run, "_parameters", "0")
        self.assertEqual(params["count"], 3)
        self.assertEqual(params["tags_list"], ["x", "y"])
        info = params["_graph_info"]
        self.assertEqual(info["start_step"], "start")
        self.assertEqual({p["name"] for p in info["parameters"]},
                         {"count", "ratio", "flag", "config", "tags_list", "made", "needed"})

    def test_wrong_type_names_the_parameter(self):
        run = self.run_flow("params_flow.py", "ParamsFlow", parameters={"needed": "x", "count": "many"})
        # Refused before anything runs, naming the parameter and the type it wants.
        self.assertIsNotNone(run.refused)
        self.assertIsNone(run.run_id)
        self.assertIn("parameter 'count'", run.refused.lower())
        self.assertIn("int", run.refused)

    def test_missing_required_parameter(self):
        run = self.run_flow("params_flow.py", "ParamsFlow")
        message = run.failure_message()
        self.assertIn("parameter 'needed' is required", message.lower())

    def test_a_default_function_that_raises_names_the_parameter(self):
        run = self.run_flow("bad_default_flow.py", "BadDefaultFlow")
        message = run.failure_message()
        self.assertIn("'broken'", message)
        self.assertIn("KeyError", message)

    def test_unknown_parameter(self):
        run = self.run_flow("params_flow.py", "ParamsFlow", parameters={"needed": "x", "nope": "1"})
        self.assertIn("--nope", run.failure_message())


class ConfigIncludeFileTest(FlowTestCase):
    def test_config_config_expr_and_include_file(self):
        cfg = '{"region": "northeurope", "model": {"lr": 0.5}, "env": {"FROM_CONFIG": "yes"}}'
        # Configs reach a run as Metaflow's --config-value does: METAFLOW_FLOW_CONFIG_VALUE.
        run = self.run_flow("config_flow.py", "ConfigFlow", env={"METAFLOW_FLOW_CONFIG_VALUE": json.dumps({"cfg": json.loads(cfg)})})
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "region"), "northeurope")
        self.assertEqual(self.artifact(run, "start", "lr"), 0.5)
        self.assertEqual(self.artifact(run, "start", "env_value"), "yes")
        self.assertEqual(self.artifact(run, "start", "note_lines"), ["first note", "second note"])
        self.assertEqual(self.artifact(run, "end", "cfg_type"), "ConfigValue")
        self.assertEqual(self.artifact(run, "start", "project"),
                         ("studio_demo", "user.dev", False, "studio_demo.user.dev.ConfigFlow"))
        params = self.reader(run, "_parameters", "0")
        self.assertEqual(params["cfg"]["region"], "northeurope")
        # IncludeFile as Metaflow stores it: a descriptor to a gzip'd upload under <datatools root>/<Flow>/<sha1>.
        included = params["notes"]
        self.assertEqual(type(included).__module__ + "." + type(included).__name__, "metaflow.includefile.IncludedFile")
        self.assertEqual(params.info["notes"]["type"], "<class 'metaflow.includefile.IncludedFile'>")
        content = b"first note\nsecond note\n"
        # METAFLOW_DATASTORE_SYSROOT_LOCAL is set: the upload goes under <sysroot>/data, as Metaflow's DATATOOLS_LOCALROOT.
        self.assertEqual(included.descriptor["url"], "local://" + os.path.join(self.tmp, "data", "ConfigFlow", hashlib.sha1(content).hexdigest()))
        self.assertEqual((included.descriptor["type"], included.descriptor["sub-type"], included.descriptor["size"]), ("uploader-v2", "uploaded", len(content)))
        with open(included.descriptor["url"][len("local://"):], "rb") as f:
            self.assertEqual(gzip.decompress(f.read()), content)
        self.assertEqual(type(params["cfg"]), dict)
        info = params["_graph_info"]
        self.assertIn({"name": "cfg", "type": "Config"}, info["parameters"])
        self.assertEqual(info["decorators"][0]["name"], "project")
        self.assertEqual(info["decorators"][0]["attributes"]["name"], "studio_demo")
        decos = dict((d["name"], d["attributes"]) for d in info["steps"]["start"]["decorators"])
        self.assertEqual(decos["environment"], {"vars": {"FROM_CONFIG": "yes"}})
        self.assertEqual(decos["retry"]["times"], 2)
        self.assertEqual(decos["resources"]["memory"], 8192)
        self.assertEqual(decos["card"]["type"], "default")

    def test_bad_config_json_names_the_config(self):
        run = self.run_flow("config_flow.py", "ConfigFlow", env={"METAFLOW_FLOW_CONFIG_VALUE": json.dumps({"cfg": "{not json"})})
        message = run.failure_message()
        self.assertIn("Config 'cfg'", message)

    def test_missing_include_file_names_the_parameter(self):
        run = self.run_flow("config_flow.py", "ConfigFlow", parameters={"notes": "no_such_file.txt"})
        message = run.failure_message()
        self.assertIn("IncludeFile 'notes'", message)
        self.assertIn("no_such_file.txt", message)


class CatchEnvironmentTest(FlowTestCase):
    def test_catch_after_retries_and_environment(self):
        run = self.run_flow("catch_flow.py", "CatchFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "env"), "hello-env")
        self.assertEqual(len(run.task_ids("boom")), 1)
        # @retry(times=1): the first attempt failed and was retried, the second failed into @catch.
        self.assertEqual([(e["attempt"], e["will_retry"]) for e in run.finished_events("boom")], [(0, True), (1, False)])
        boom = self.reader(run, "boom", run.task_ids("boom")[0])
        self.assertEqual(boom.attempt, 1)
        self.assertEqual(boom["failure"].type, "builtins.ValueError")
        self.assertTrue(boom["_task_ok"])
        self.assertFalse(boom["_success"])
        self.assertEqual(self.artifact(run, "end", "failure_type"), "builtins.ValueError")
        info = self.reader(run, "_parameters", "0")["_graph_info"]
        decos = [d["name"] for d in info["steps"]["start"]["decorators"]]
        self.assertEqual(decos, ["secrets", "environment"])
        self.assertEqual(info["steps"]["start"]["decorators"][0]["attributes"]["sources"], ["inline.my-secret"])

    def test_catch_fallback_when_attempt_exceeds_retries(self):
        # The attempt after every retry (the one the scheduler allows @catch) runs only the fallback.
        run = self.run_flow("catch_flow.py", "CatchFlow")
        start = "%s/start/%s" % (run.run_id, run.task_ids("start")[0])
        worker = Worker(flow_file=flow_path("catch_flow.py"), flow_name="CatchFlow")
        try:
            worker.submit("fb", task_spec(run, "boom", "50", attempt=2, max_user_code_retries=1, input_paths=[start]))
            res = worker.wait(["fb"])["fb"]["result"]
        finally:
            worker.close()
        self.assertTrue(res["ok"])
        self.assertEqual(res["next"], ["end"])
        reader = self.reader(run, "boom", "50")
        self.assertIn("FailureHandledByCatch", reader["failure"].type)
        self.assertNotIn("partial", reader)


class ErrorMessagesTest(FlowTestCase):
    def test_empty_foreach(self):
        run = self.run_flow("errors_flow.py", "ErrorsFlow")
        message = run.failure_message()
        self.assertIn("*items*", message)
        self.assertIn("*start*", message)
        self.assertIn("zero splits", message)

    def test_unpicklable_artifact(self):
        run = self.run_flow("errors_flow.py", "ErrorsFlow", parameters={"mode": "pickle"})
        res = run.failed[0][1]["result"]
        self.assertIn("*start*", res["exception"]["message"])
        self.assertIn("'lock'", res["exception"]["message"])
        self.assertIn("pickle", res["exception"]["message"])
        reader = self.reader(run, "start", run.task_ids("start")[0])
        self.assertFalse(reader["_task_ok"])

    def test_root_user_is_refused(self):
        run = self.run_flow("linear_flow.py", "LinearFlow", user="root")
        message = run.failure_message()
        self.assertIn("METAFLOW_USER", message)
        self.assertIn("'root'", message)


if __name__ == "__main__":
    unittest.main()
