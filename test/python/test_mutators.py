"""Flow mutators, step mutators and user step decorators (Metaflow 2.19's `FlowMutator`,
`StepMutator`, `UserStepDecorator`, `@user_step_decorator`) in runs through the real worker."""

import os
import sys
import unittest

from test.python.harness import PYTHON_DIR, SharedFlowTestCase, FlowTestCase


class MutatorRunTest(SharedFlowTestCase):
    """MutatorsFlow runs once; each test reads what it stored."""

    @classmethod
    def setUpClass(cls):
        super(MutatorRunTest, cls).setUpClass()
        cls.run_ = cls.run_shared("mutators_flow.py", "MutatorsFlow")

    def test_the_run_succeeds(self):
        self.assertRunOk(self.run_)
        self.assertEqual([s for s, _, _, _ in self.run_.tasks],
                         ["_parameters", "start", "flaky", "skipped", "swapped", "end"])

    def test_flow_mutator_adds_and_removes_parameters_from_the_config(self):
        self.assertEqual(self.artifact(self.run_, "start", "added_value"), 7)
        self.assertEqual(self.artifact(self.run_, "_parameters", "added"), 7)
        self.assertFalse(self.artifact(self.run_, "start", "has_dropped"))
        params = [p["name"] for p in self.graph_info(self.run_)["parameters"]]
        self.assertIn("added", params)
        self.assertNotIn("dropped", params)

    def test_decorators_added_by_mutators_apply_inside_the_task(self):
        # Inner (added by Outer during pre_mutate) put INNER on every step; add_env merged GREETING.
        self.assertEqual(self.artifact(self.run_, "start", "inner"), "yes")
        self.assertEqual(self.artifact(self.run_, "start", "greeting"), "hello")

    def test_step_mutator_adds_a_user_step_decorator(self):
        self.assertEqual(self.artifact(self.run_, "start", "timed_steps"), ["start"])
        self.assertEqual(self.artifact(self.run_, "start", "timed_after"), "start")

    def test_effective_decorators_reach_the_scheduler_and_graph_info(self):
        effective = self.run_.result("_parameters")["effective_decorators"]
        self.assertEqual([d["name"] for d in effective["flaky"]], ["retry", "environment"])
        self.assertEqual(effective["flaky"][0]["attributes"]["times"], 2)
        self.assertNotIn("retry", [d["name"] for d in effective["start"]])
        self.assertEqual(effective["start"][0]["attributes"]["vars"], {"INNER": "yes", "GREETING": "hello"})
        steps = self.graph_info(self.run_)["steps"]
        self.assertIn("retry", [d["name"] for d in steps["flaky"]["decorators"]])
        self.assertNotIn("retry", [d["name"] for d in steps["start"]["decorators"]])
        # As Metaflow's _graph_info: user decorators after the built-in ones, named by their class path.
        flaky = [(d["name"], d["attributes"]) for d in steps["flaky"]["decorators"]]
        self.assertEqual(flaky[2:], [("__main__.Counter", {"_args": [], "start": 10}),
                                     ("__main__.gobble", {"_args": [], "label": "g"})])
        start = [d["name"] for d in steps["start"]["decorators"]]
        self.assertEqual(start, ["environment", "__main__.timed", "__main__.add_env"])

    def test_class_decorator_pre_and_post_step_and_a_gobbled_exception(self):
        # Counter (inner) sets 11 before the step and adds one after; gobble (outer) caught the ValueError,
        # so the step succeeded and made its own transition.
        self.assertTrue(self.artifact(self.run_, "flaky", "ran_flaky"))
        self.assertEqual(self.artifact(self.run_, "flaky", "counter"), 12)
        self.assertEqual(self.artifact(self.run_, "flaky", "gobbled"), "g:boom")
        self.assertEqual(self.run_.result("flaky")["next"], ["skipped"])

    def test_skipped_and_replaced_steps(self):
        skipped = self.reader(self.run_, "skipped", self.run_.task_ids("skipped")[0])
        self.assertNotIn("should_not_exist", skipped)
        swapped = self.reader(self.run_, "swapped", self.run_.task_ids("swapped")[0])
        self.assertTrue(swapped["replaced"])
        self.assertNotIn("should_not_exist_either", swapped)
        self.assertEqual(self.run_.result("swapped")["next"], ["end"])

    def test_a_flow_without_user_decorators_reports_no_effective_decorators(self):
        run = self.run_flow("linear_flow.py", "LinearFlow")
        self.assertRunOk(run)
        self.assertNotIn("effective_decorators", run.result("_parameters"))


class MutatorRulesTest(FlowTestCase):
    def _run_source(self, source, flow_name):
        path = os.path.join(self.tmp, "flow_%s.py" % flow_name.lower())
        with open(path, "w") as f:
            f.write(source)
        return self.run_flow(path, flow_name)

    def test_mutate_may_not_add_parameters_and_the_failure_names_the_mutator(self):
        run = self._run_source(
            "from metaflow import FlowSpec, FlowMutator, Parameter, step\n"
            "class late(FlowMutator):\n"
            "    def mutate(self, mutable_flow):\n"
            "        mutable_flow.add_parameter('x', Parameter('x', default=1))\n"
            "@late\n"
            "class LateFlow(FlowSpec):\n"
            "    @step\n"
            "    def start(self):\n"
            "        self.next(self.end)\n"
            "    @step\n"
            "    def end(self):\n"
            "        pass\n",
            "LateFlow")
        self.assertEqual(run.failed[0][0], "_parameters")
        message = run.failed[0][1]["result"]["exception"]["message"]
        self.assertIn("Adding parameter 'x'", message)
        self.assertIn("only allowed in the `pre_mutate` method", message)
        self.assertIn("late", message)

    def test_user_step_decorator_must_be_a_generator(self):
        sys.path.insert(0, PYTHON_DIR)
        from metaflow import user_step_decorator
        from metaflow.exception import MetaflowException

        def not_a_generator(step_name, flow, inputs):
            return None

        with self.assertRaisesRegex(MetaflowException, "only decorate generator functions"):
            user_step_decorator(not_a_generator)

    def test_a_decorator_yielding_twice_fails_the_step(self):
        run = self._run_source(
            "from metaflow import FlowSpec, step, user_step_decorator\n"
            "@user_step_decorator\n"
            "def twice(step_name, flow, inputs):\n"
            "    yield\n"
            "    yield\n"
            "class TwiceFlow(FlowSpec):\n"
            "    @twice\n"
            "    @step\n"
            "    def start(self):\n"
            "        self.next(self.end)\n"
            "    @step\n"
            "    def end(self):\n"
            "        pass\n",
            "TwiceFlow")
        self.assertEqual(run.failed[0][0], "start")
        self.assertIn("should only yield once", run.failed[0][1]["result"]["exception"]["message"])


if __name__ == "__main__":
    unittest.main()
