"""What flows import from the embedded `metaflow` package besides FlowSpec and the decorators:
`metaflow.metaflow_current`, `metaflow.plugins` (cards client, test cards, unbounded-foreach input),
the Client's top-level metadata API, Run tag changes, and the message for anything it lacks."""

import json
import os
import subprocess
import sys
import unittest

from test.python.harness import PYTHON_DIR, SharedFlowTestCase, FlowTestCase


def run_python(code, cwd=None, env=None):
    full_env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    full_env.pop("METAFLOW_DATASTORE_SYSROOT_LOCAL", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=60)


class ImportsTest(unittest.TestCase):
    def test_names_flows_and_metaflows_test_suite_import(self):
        out = run_python(
            "from metaflow import FlowMutator, StepMutator, UserStepDecorator, user_step_decorator\n"
            "from metaflow import get_metadata, metadata, default_metadata, get_namespace, namespace\n"
            "from metaflow import default_namespace, unbounded_test_foreach_internal\n"
            "from metaflow.metaflow_current import current\n"
            "import metaflow\n"
            "from metaflow.plugins import InternalTestUnboundedForeachInput\n"
            "from metaflow.plugins.cards.card_client import Card\n"
            "from metaflow.plugins.cards.exception import CardNotPresentException\n"
            "from metaflow.plugins.cards.card_modules.test_cards import TestStringComponent, TestJSONComponent\n"
            "from metaflow.user_decorators.user_step_decorator import StepMutator as S2\n"
            "from metaflow.user_decorators.mutable_flow import MutableFlow\n"
            "import metaflow.cards\n"
            "assert current is metaflow.current\n"
            "assert Card is metaflow.cards.Card\n"
            "assert S2 is StepMutator\n"
            "ubf = InternalTestUnboundedForeachInput(range(3))\n"
            "print(list(ubf), len(ubf), ubf[1], repr(ubf))\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "[0, 1, 2] 3 1 InternalTestUnboundedForeachInput(range(0, 3))")

    def test_a_missing_name_says_the_embedded_runtime_lacks_it(self):
        out = run_python("from metaflow import tl_value\n")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ImportError: `metaflow.tl_value` is not provided by Metaflow Studio's embedded runtime", out.stderr)
        self.assertIn("`metaflow.engine` to `installed`", out.stderr)
        self.assertNotIn("cannot import name", out.stderr)

    def test_a_missing_module_says_the_embedded_runtime_lacks_it(self):
        out = run_python("import metaflow.plugins.kubernetes.kubernetes_decorator\n")
        self.assertIn("ModuleNotFoundError: The module `metaflow.plugins.kubernetes` is not provided by Metaflow "
                      "Studio's embedded runtime", out.stderr)
        self.assertIn("`metaflow.engine` to `installed`", out.stderr)

    def test_probing_attributes_still_answers_false(self):
        out = run_python(
            "import metaflow\n"
            "print(hasattr(metaflow, 'tl_value'), getattr(metaflow, 'tl_value', 'fallback'))\n"
            "try:\n"
            "    import metaflow.nothing_here\n"
            "except ImportError as e:\n"
            "    print('caught', type(e).__name__)\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["False", "fallback", "caught", "ModuleNotFoundError"])


class MissingImportInFlowTest(FlowTestCase):
    def test_the_task_failure_names_the_missing_symbol(self):
        path = os.path.join(self.tmp, "lacking_flow.py")
        with open(path, "w") as f:
            f.write("from metaflow import FlowSpec, step, tl_value\n"
                    "class LackingFlow(FlowSpec):\n"
                    "    @step\n"
                    "    def start(self):\n"
                    "        self.next(self.end)\n"
                    "    @step\n"
                    "    def end(self):\n"
                    "        pass\n")
        run = self.run_flow(path, "LackingFlow")
        self.assertEqual(run.status, "failed")
        # The flow cannot be imported: the run fails as its worker starts, with the message the user reads.
        message = json.dumps([run.error, run.failed])
        self.assertIn("`metaflow.tl_value` is not provided by Metaflow Studio's embedded runtime", message)
        self.assertIn("metaflow.engine", message)


class ClientApiTest(SharedFlowTestCase):
    @classmethod
    def setUpClass(cls):
        super(ClientApiTest, cls).setUpClass()
        cls.run_ = cls.run_shared("linear_flow.py", "LinearFlow")

    def client(self, code, cwd=None):
        prefix = "import metaflow\nfrom metaflow import Run, namespace\nnamespace(None)\n"
        return run_python(prefix + code, cwd=cwd or self.tmp)

    def test_get_metadata_names_the_folder_holding_the_datastore(self):
        out = self.client("print(metaflow.get_metadata())\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "local@%s" % self.tmp)

    def test_metadata_selects_another_folder_and_default_metadata_resets(self):
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(os.path.join(elsewhere, ".metaflow"), exist_ok=True)
        out = self.client(
            "print(metaflow.metadata(%r))\n"
            "print(len(list(metaflow.Metaflow())))\n"
            "print(metaflow.default_metadata())\n"
            "print(len(list(metaflow.Metaflow())))\n" % elsewhere)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["local@%s" % elsewhere, "0", "local@%s" % self.tmp, "1"])

    def test_metadata_refuses_a_service_and_a_folder_without_a_datastore(self):
        out = self.client("metaflow.metadata('service@http://localhost:8080')\n")
        self.assertIn("metadata provider 'service'", out.stderr)
        self.assertIn("metaflow.engine", out.stderr)
        out = self.client("metaflow.metadata('/nonexistent-folder')\n")
        self.assertIn("Could not find directory .metaflow in directory /nonexistent-folder", out.stderr)

    def test_run_tags_change_as_metaflows_local_metadata_writes_them(self):
        pathspec = "LinearFlow/%s" % self.run_.run_id
        out = self.client(
            "r = Run(%r)\n"
            "r.add_tag('a')\n"
            "r.add_tags(['b', 'c'])\n"
            "r.remove_tag('b')\n"
            "r.replace_tag('c', 'd')\n"
            "r.add_tag('user:dev')\n"
            "print(sorted(r.user_tags))\n"
            "print(sorted(Run(%r).user_tags))\n"
            "print('runtime:dev' in r.system_tags, 'runtime:dev' in r.tags, 'a' in r.tags)\n"
            % (pathspec, pathspec))
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines[0], "['a', 'd', 't1']")
        self.assertEqual(lines[1], "['a', 'd', 't1']")
        self.assertEqual(lines[2], "True True True")
        with open(os.path.join(self.root, "LinearFlow", self.run_.run_id, "_meta", "_self.json")) as f:
            stored = json.load(f)
        self.assertEqual(sorted(stored["tags"]), ["a", "d", "t1"])
        self.assertIn("runtime:dev", stored["system_tags"])
        self.assertEqual(stored["run_number"], self.run_.run_id)
        self.assertEqual(stored["flow_id"], "LinearFlow")

    def test_bad_tag_changes_are_refused(self):
        pathspec = "LinearFlow/%s" % self.run_.run_id
        out = self.client("Run(%r).remove_tag('runtime:dev')\n" % pathspec)
        self.assertIn("Cannot remove a tag that is an existing system tag", out.stderr)
        out = self.client("Run(%r).add_tag('')\n" % pathspec)
        self.assertIn("Tags must not be empty string", out.stderr)
        out = self.client("Run(%r).add_tag('x' * 501)\n" % pathspec)
        self.assertIn("Tag is too long 501 > 500", out.stderr)


if __name__ == "__main__":
    unittest.main()
