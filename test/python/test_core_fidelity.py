"""Behaviours Metaflow's core suite checks, on one run of flows/core_fidelity_flow.py: card types of
extension packages (a broken package skipped), `taskspec_card`, @environment applied before the cards
are set up, `current.tags` a mutable set, Client objects pickled in Metaflow's versioned state, and
`ctx.configs` with attribute access in a parameter default, `config_expr` expressions and `**config`
in a decorator."""

import os
import pickle
import unittest

from test.python.harness import FLOWS, SharedFlowTestCase

EXTENSIONS_DIR = os.path.join(FLOWS, "card_extensions")


class CoreFidelityTest(SharedFlowTestCase):
    @classmethod
    def setUpClass(cls):
        super(CoreFidelityTest, cls).setUpClass()
        cls.run_ = cls.run_shared("core_fidelity_flow.py", "CoreFidelityFlow", tags=("t1", "second tag"),
                                  env={"PYTHONPATH": EXTENSIONS_DIR})

    def cards(self, step):
        return self.stored_cards(self.run_, step)

    def pathspec(self, step):
        return "CoreFidelityFlow/%s/%s/%s" % (self.run_.run_id, step, self.run_.task_ids(step)[0])

    def test_the_run_succeeds(self):
        self.assertRunOk(self.run_)

    def test_extension_cards_are_found_and_a_broken_package_is_skipped(self):
        cards = self.cards("start")
        # Its prefix option is config_expr("label(settings.base)"): a Config and a function of the flow's module.
        self.assertEqual(cards["extension_pathspec_card"], ["41 at " + self.pathspec("start")])
        # The broken package's type is unknown; with save_errors=False nothing is stored for it.
        self.assertNotIn("extension_broken_card", cards)
        self.assertNotIn("error", cards)

    def test_taskspec_card_renders_the_pathspec(self):
        self.assertEqual(self.cards("start")["taskspec_card"], [self.pathspec("start")])

    def test_components_go_to_the_default_editable_card_without_warnings_when_environment_says_so(self):
        cards = self.cards("start")
        # METAFLOW_CARD_NO_WARNING comes from @environment: the unknown id adds no warning component.
        self.assertEqual(cards["extension_editable_card"], ["appended"])
        self.assertEqual(cards["test_editable_card"], ["by id"])

    def test_current_tags_is_a_set_the_flow_can_keep_and_extend(self):
        tags = self.artifact(self.run_, "start", "tags")
        self.assertIsInstance(tags, set)
        self.assertEqual(tags, {"t1", "second tag", "added in the flow"})
        self.assertEqual(self.artifact(self.run_, "end", "seen_tags"), {"t1", "second tag"})

    def test_client_objects_pickle_in_metaflows_versioned_state(self):
        task_obj = self.artifact(self.run_, "start", "task_obj")
        run_obj = self.artifact(self.run_, "start", "run_obj")
        self.assertEqual(task_obj.pathspec, self.pathspec("start"))
        self.assertEqual(run_obj.pathspec, "CoreFidelityFlow/%s" % self.run_.run_id)
        self.assertEqual(run_obj["start"].id, "start")
        self.assertEqual(task_obj.parent.parent.id, run_obj.id)
        state = task_obj.__getstate__()
        self.assertEqual(state["version"], "2.12.27")
        pathspec, attempt, md, ns, check = state["data"]
        self.assertEqual((pathspec, attempt, md, ns, check),
                         (self.pathspec("start"), None, "local@%s" % os.path.abspath(self.tmp), "user:dev", False))
        # The pickle names Metaflow's class path, so Metaflow's own Client unpickles it too.
        self.assertIn(b"metaflow.client.core", pickle.dumps(task_obj, protocol=4))
        again = pickle.loads(pickle.dumps(run_obj, protocol=4))
        self.assertEqual(again.pathspec, run_obj.pathspec)

    def test_older_and_unknown_pickled_states(self):
        from metaflow.client.core import Task
        from metaflow.exception import MetaflowException

        task = Task.__new__(Task)
        os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = self.tmp
        try:
            task.__setstate__({"version": "2.12.4", "data": [self.pathspec("start"), None, "user:dev", True]})
        finally:
            del os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
        self.assertEqual(task.pathspec, self.pathspec("start"))
        with self.assertRaisesRegex(MetaflowException, r"state version 9\.9\.9 with 1 fields"):
            Task.__new__(Task).__setstate__({"version": "9.9.9", "data": [1]})
        with self.assertRaisesRegex(MetaflowException, r"metadata provider 'service@http://x'"):
            Task.__new__(Task).__setstate__({"version": "2.12.27", "data": ["F/1/s/2", None, "service@http://x", None, False]})

    def test_a_parameter_default_reads_configs_by_attribute(self):
        self.assertEqual(self.artifact(self.run_, "start", "derived"), 42)

    def test_a_config_unpacked_into_a_decorator_gives_its_arguments(self):
        self.assertEqual(self.artifact(self.run_, "end", "from_unpacked"), "yes")


if __name__ == "__main__":
    unittest.main()
