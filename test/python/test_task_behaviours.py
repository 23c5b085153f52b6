"""Task behaviours Metaflow users rely on, through the real worker: @timeout raising in the step,
@catch's recorded types, METAFLOW_RUN_<NAME> parameters, @project names, current.task/current.run
and inline @secrets."""

import os
import tempfile
import unittest

from test.python.harness import FlowTestCase, Worker, flow_path, task_spec


class TimeoutTest(FlowTestCase):
    def test_timeout_raises_in_the_step_and_catch_keeps_what_it_set(self):
        run = self.run_flow("task_behaviours_timeout_flow.py", "TimeoutCatchFlow")
        self.assertRunOk(run)
        start = self.reader(run, "start", run.task_ids("start")[0])
        self.assertEqual(start.attempt, 0, "caught on the attempt that timed out")
        self.assertEqual(start["ex"].type, "metaflow.plugins.timeout_decorator.TimeoutException")
        self.assertIn("Step start timed out after 0 hours, 0 minutes, 1 seconds", start["ex"].exception)
        self.assertIn("Stack when the timeout was raised", start["ex"].exception)
        self.assertIn("time.sleep(30)", start["ex"].exception)
        self.assertTrue(start["check"])
        self.assertNotIn("after_sleep", start)
        self.assertEqual(run.logs("start", "stderr"),
                         ["Step start timed out after 0 hours, 0 minutes, 1 seconds"])

    def test_a_timed_out_attempt_may_be_retried_and_the_alarm_is_armed_while_user_code_runs(self):
        run = self.run_flow("task_behaviours_timeout_flow.py", "TimeoutCatchFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "slow_once", "attempt"), 1)
        # What the worker told the scheduler about the first attempt, which @retry(times=1) then retried.
        first = run.attempts("slow_once")[0]
        self.assertEqual([e["will_retry"] for e in run.finished_events("slow_once")], [True, False])
        self.assertEqual(first["exit_code"], 1, "the task ended by itself, reporting its exception; nothing killed it")
        self.assertIsNone(first["signal"])
        res = first["result"]
        self.assertFalse(res["ok"])
        self.assertTrue(res["retry_allowed"])
        self.assertEqual(res["exception"]["type"], "metaflow.plugins.timeout_decorator.TimeoutException")
        # The end step's @timeout(minutes=1) is armed while its code runs.
        left = self.artifact(run, "end", "alarm_left")
        self.assertTrue(55 <= left <= 60, left)

    def test_catch_fallback_records_metaflows_type_name(self):
        # The attempt after every retry (which the scheduler gives @catch after a crash) runs only the fallback.
        run = self.run_flow("catch_flow.py", "CatchFlow")
        start = "%s/start/%s" % (run.run_id, run.task_ids("start")[0])
        worker = Worker(flow_file=flow_path("catch_flow.py"), flow_name="CatchFlow")
        try:
            worker.submit("fb", task_spec(run, "boom", "50", attempt=2, max_user_code_retries=1, input_paths=[start]))
            self.assertTrue(worker.wait(["fb"])["fb"]["result"]["ok"])
        finally:
            worker.close()
        failure = self.reader(run, "boom", "50")["failure"]
        self.assertEqual(failure.type, "metaflow.plugins.catch_decorator.FailureHandledByCatch")
        self.assertIn("kept failing over 2 attempts", failure.exception)


class SegfaultTest(FlowTestCase):
    def test_a_segfault_is_reported_as_the_signal_after_the_output_before_it(self):
        run = self.run_flow("task_behaviours_segfault_flow.py", "SegfaultFlow")
        step, fin = run.failed[0]
        self.assertEqual(step, "start")
        self.assertEqual(fin["signal"], "SIGSEGV")
        self.assertIsNone(fin["result"])
        self.assertEqual(run.logs("start", "stdout"), ["Crash and burn!"])


ENV = {
    "METAFLOW_RUN_RUN_MODE": "from-env",
    "METAFLOW_RUN_FLAG": "False",
    "METAFLOW_RUN_COUNT": "7",
    "METAFLOW_RUN_NEEDED": "needed-from-env",
}


class ParameterEnvTest(FlowTestCase):
    run_env = dict(ENV, METAFLOW_RUN_NOTES=flow_path("config_notes.txt"))

    def test_parameters_and_include_files_read_metaflow_run_variables(self):
        run = self.run_flow("task_behaviours_env_flow.py", "EnvParamsFlow")
        self.assertRunOk(run)
        with open(flow_path("config_notes.txt")) as f:
            notes = f.read()
        self.assertEqual(self.artifact(run, "start", "seen"),
                         ("from-env", False, 7, "needed-from-env", "set by the flow file", notes))

    def test_the_command_line_wins_over_the_environment(self):
        run = self.run_flow("task_behaviours_env_flow.py", "EnvParamsFlow", parameters={"run-mode": "cli", "count": "3"})
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "seen")[:3], ("cli", False, 3))


class ParameterEnvErrorsTest(FlowTestCase):
    run_env = dict(ENV, METAFLOW_RUN_COUNT="seven")

    def test_a_bad_value_names_the_variable_it_came_from(self):
        run = self.run_flow("task_behaviours_env_flow.py", "EnvParamsFlow")
        message = run.failure_message()
        self.assertIn("parameter 'count'", message.lower())
        self.assertIn("'seven'", message)
        self.assertIn("METAFLOW_RUN_COUNT", message)


class RequiredWithoutEnvTest(FlowTestCase):
    def test_a_missing_required_parameter_names_the_option_and_the_variable(self):
        run = self.run_flow("task_behaviours_env_flow.py", "EnvParamsFlow")
        message = run.failure_message()
        self.assertIn("--needed VALUE", message)
        self.assertIn("METAFLOW_RUN_NEEDED", message)


class ProjectBranchTest(FlowTestCase):
    run_env = ENV

    def test_a_branch_set_by_the_flow_file_names_the_project_branch(self):
        run = self.run_flow("task_behaviours_env_flow.py", "EnvParamsFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "project"),
                         ("env_project", "test.from_header", "env_project.test.from_header.EnvParamsFlow", False))
        # The project is known while deferred defaults are evaluated.
        self.assertEqual(self.artifact(run, "start", "branch_seen"), "test.from_header")
        task_meta = self.reader(run, "start", run.task_ids("start")[0])
        self.assertIsNotNone(task_meta)
        with open(os.path.join(run.task_path("start", run.task_ids("start")[0]), "_meta", "_self.json")) as f:
            sys_tags = __import__("json").load(f)["system_tags"]
        self.assertIn("project:env_project", sys_tags)
        self.assertIn("project_branch:test.from_header", sys_tags)


class ProjectProductionTest(FlowTestCase):
    run_env = dict(ENV, METAFLOW_PRODUCTION="True", METAFLOW_BRANCH="")

    def test_production_without_a_branch_is_prod(self):
        run = self.run_flow("task_behaviours_current_flow.py", "CurrentObjectsFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "project"),
                         ("behaviours", "prod", "behaviours.prod.CurrentObjectsFlow", True, False))


class ProjectConflictTest(FlowTestCase):
    run_env = dict(METAFLOW_BRANCH="other")

    def test_a_branch_in_the_decorator_and_the_environment_is_refused(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        flow_file = os.path.join(tmp, "conflict_flow.py")
        with open(flow_file, "w") as f:
            f.write(
                "from metaflow import FlowSpec, project, step\n\n\n"
                "@project(name='p', branch='mine')\n"
                "class ConflictFlow(FlowSpec):\n"
                "    @step\n    def start(self):\n        self.next(self.end)\n\n"
                "    @step\n    def end(self):\n        pass\n"
            )
        run = self.run_flow(flow_file, "ConflictFlow")
        message = run.failure_message()
        self.assertIn("branch", message)
        self.assertIn("METAFLOW_BRANCH", message)
        self.assertIn("'mine'", message)


class CurrentObjectsTest(FlowTestCase):
    def test_current_task_and_run_are_client_objects_of_the_running_task(self):
        run = self.run_flow("task_behaviours_current_flow.py", "CurrentObjectsFlow")
        self.assertRunOk(run)
        task_id = run.task_ids("start")[0]
        self.assertEqual(self.artifact(run, "start", "task_pathspec"), "CurrentObjectsFlow/%s/start/%s" % (run.run_id, task_id))
        self.assertEqual(self.artifact(run, "start", "run_pathspec"), "CurrentObjectsFlow/%s" % run.run_id)
        self.assertEqual(self.artifact(run, "start", "run_param"), "behaviours/user.dev/greeting")
        self.assertEqual(self.artifact(run, "end", "previous_steps"), ["end", "start"])
        self.assertEqual(self.artifact(run, "start", "project"),
                         ("behaviours", "user.dev", "behaviours.user.dev.CurrentObjectsFlow", False, True))


class InlineSecretsTest(FlowTestCase):
    def test_inline_sources_set_variables_with_metaflows_rules(self):
        run = self.run_flow("task_behaviours_secrets_flow.py", "InlineSecretsFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "seen"), ("Pizza is a vegetable.", "eels"))
        clash = self.artifact(run, "clash", "clash_error")
        self.assertIn("will inject 'SECRET_2' as env var, and it is also added by '1 (inline)'", clash.exception)
        self.assertNotIn("clash_ran", self.reader(run, "clash", run.task_ids("clash")[0]))
        bad = self.artifact(run, "bad_name", "bad_name_error")
        self.assertIn("disallowed env var name 'METAFLOW_TOKEN'", bad.exception)


class DeferredConfigTest(FlowTestCase):
    def test_config_attributes_and_config_expr_are_evaluated_once_the_configs_are_known(self):
        run = self.run_flow("task_behaviours_config_flow.py", "DeferredConfigFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "env"), ("foobar", "43"))
        self.assertEqual(self.artifact(run, "start", "defaults"), (123, 124))
        self.assertEqual(self.artifact(run, "start", "project"), ("test_config", "user.dev"))
        self.assertEqual(self.artifact(run, "start", "item_refused"), "Config values are read-only")
        self.assertEqual(self.artifact(run, "start", "attribute_refused"), "Config values are read-only")
        self.assertEqual(self.artifact(run, "end", "nested_again"), 43, "a config value stored as an artifact reads back")



class ConfigEnvTest(FlowTestCase):
    run_env = {
        "METAFLOW_FLOW_CONFIG_VALUE": '{"config2": {"default_param": 7}}',
        "METAFLOW_FLOW_CONFIG": '{"config": "%s"}' % flow_path("task_behaviours_config.json"),
    }

    def test_configs_read_metaflow_flow_config_and_config_value(self):
        run = self.run_flow("task_behaviours_config_flow.py", "DeferredConfigFlow")
        self.assertRunOk(run)
        self.assertEqual(self.artifact(run, "start", "defaults"), (7, 8))
        self.assertEqual(self.artifact(run, "start", "env"), ("from file", "2"))
        self.assertEqual(self.artifact(run, "start", "project"), ("from_file", "user.dev"))


class ConfigEnvConflictTest(FlowTestCase):
    run_env = {
        "METAFLOW_FLOW_CONFIG_VALUE": '{"config": {"value": 1}}',
        "METAFLOW_FLOW_CONFIG": '{"config": "%s"}' % flow_path("task_behaviours_config.json"),
    }

    def test_a_value_and_a_file_for_one_config_are_refused(self):
        run = self.run_flow("task_behaviours_config_flow.py", "DeferredConfigFlow")
        message = run.failure_message()
        self.assertIn("Config 'config' is given both a value (METAFLOW_FLOW_CONFIG_VALUE) and a file", message)


if __name__ == "__main__":
    unittest.main()
