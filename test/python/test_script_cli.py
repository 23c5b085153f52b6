"""`metaflow_studio.script_cli`: Metaflow's `python flow.py ...` translated to `metaflow-studio`."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from test.python.harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)
from metaflow_studio.script_cli import (  # noqa: E402
    CliNotFound,
    ScriptCliError,
    _Help,
    locate_cli,
    plan,
)

FLOW = os.path.abspath(os.path.join("proj", "train.py"))


def cli_args(*argv):
    return plan("TrainFlow", FLOW, list(argv), python_executable="/usr/bin/python3").cli_args


class PlanTest(unittest.TestCase):
    def refused(self, *argv):
        with self.assertRaises(ScriptCliError) as caught:
            plan("TrainFlow", FLOW, list(argv))
        return str(caught.exception)

    def test_run_keeps_options_and_parameters_and_names_the_flow(self):
        self.assertEqual(
            cli_args("run", "--max-workers", "2", "--tag", "a", "--alpha", "0.5", "--max-num-splits=7"),
            ["run", FLOW, "--flow", "TrainFlow", "--max-workers", "2", "--tag", "a", "--alpha", "0.5", "--max-num-splits=7"],
        )

    def test_run_uses_the_interpreter_that_ran_the_script(self):
        self.assertEqual(plan("TrainFlow", FLOW, ["run"], python_executable="/opt/py/bin/python").env,
                         {"METAFLOW_STUDIO_PYTHON": "/opt/py/bin/python"})

    def test_no_verb_checks_the_flow_as_metaflow_does(self):
        self.assertEqual(cli_args(), ["check", FLOW, "--flow", "TrainFlow"])
        self.assertEqual(cli_args("--no-pylint"), ["check", FLOW, "--flow", "TrainFlow"])

    def test_check_drops_pylint_warnings_option_and_show_names_the_flow(self):
        self.assertEqual(cli_args("check", "--warnings"), ["check", FLOW, "--flow", "TrainFlow"])
        self.assertEqual(cli_args("show"), ["show", FLOW, "--flow", "TrainFlow"])

    def test_top_level_options_that_mean_something_here(self):
        p = plan("TrainFlow", FLOW, ["--quiet", "--datastore", "local", "--metadata=local", "--environment", "local",
                                     "--no-pylint", "run", "--max-workers", "2"])
        self.assertTrue(p.quiet)
        self.assertEqual(p.cli_args, ["run", FLOW, "--flow", "TrainFlow", "--datastore", "local", "--max-workers", "2"])
        self.assertFalse(plan("TrainFlow", FLOW, ["--quiet", "--not-quiet", "show"]).quiet)

    def test_datastore_root_becomes_the_sysroot_of_a_dot_metaflow_dir(self):
        p = plan("TrainFlow", FLOW, ["--datastore-root", "/data/runs/.metaflow", "run"])
        self.assertEqual(p.env["METAFLOW_DATASTORE_SYSROOT_LOCAL"], os.path.abspath("/data/runs"))
        message = self.refused("--datastore-root", "/data/runs", "run")
        self.assertIn("DIR/.metaflow", message)
        self.assertIn("METAFLOW_DATASTORE_SYSROOT_LOCAL", message)

    def test_options_without_meaning_here_are_refused_by_name(self):
        self.assertIn("--datastore s3", self.refused("--datastore", "s3", "run"))
        self.assertIn("--environment conda", self.refused("--environment", "conda", "run"))
        self.assertIn("--metadata service", self.refused("--metadata=service", "run"))
        self.assertIn("--event-logger", self.refused("--event-logger", "x", "run"))
        self.assertIn("pip install metaflow", self.refused("--package-suffixes", ".py", "run"))

    def test_null_event_logger_and_monitor_are_accepted_others_refused_by_name(self):
        self.assertEqual(cli_args("--event-logger=nullSidecarLogger", "--monitor", "nullSidecarMonitor", "run"),
                         ["run", FLOW, "--flow", "TrainFlow"])
        self.assertIn("--event-logger debugLogger", self.refused("--event-logger", "debugLogger", "run"))
        self.assertIn("nullSidecarMonitor", self.refused("--monitor=debugMonitor", "run"))

    def test_with_is_refused_with_the_decorator_to_add_instead(self):
        for argv in (["--with", "retry", "run"], ["run", "--with", "retry:times=2"], ["run", "--with=retry"]):
            message = self.refused(*argv)
            self.assertIn("@retry", message)
            self.assertIn("--with retry", message)

    def test_run_options_the_command_line_lacks_are_refused_with_the_alternative(self):
        self.assertIn("--namespace", self.refused("run", "--namespace", "x"))
        self.assertIn("--runner-attribute-file", self.refused("run", "--runner-attribute-file", "a.json"))

    def test_run_id_file_is_passed_to_run_resume_and_spin(self):
        self.assertEqual(cli_args("run", "--run-id-file", "run-id", "--tag=\u523a\u8eab means sashimi"),
                         ["run", FLOW, "--flow", "TrainFlow", "--run-id-file", "run-id", "--tag=\u523a\u8eab means sashimi"])
        self.assertEqual(cli_args("resume", "--run-id-file=rid", "train"),
                         ["resume", FLOW, "--flow", "TrainFlow", "--run-id-file=rid", "train"])
        self.assertEqual(cli_args("spin", "--run-id-file", "rid", "train"),
                         ["spin", FLOW, "train", "--flow", "TrainFlow", "--run-id-file", "rid"])

    def test_resume_takes_a_step_and_an_origin_run(self):
        self.assertEqual(cli_args("resume", "train", "--origin-run-id", "17"),
                         ["resume", FLOW, "--flow", "TrainFlow", "train", "--origin-run-id", "17"])
        self.assertIn("--run-id", self.refused("resume", "--run-id", "5"))
        self.assertIn("--clone-only", self.refused("resume", "--clone-only"))

    def test_spin_takes_a_step_or_a_run_and_step(self):
        self.assertEqual(cli_args("spin", "train"), ["spin", FLOW, "train", "--flow", "TrainFlow"])
        self.assertEqual(cli_args("spin", "17/train"), ["spin", FLOW, "train", "--flow", "TrainFlow", "--origin-run-id", "17"])
        self.assertEqual(cli_args("spin", "TrainFlow/17/train"),
                         ["spin", FLOW, "train", "--flow", "TrainFlow", "--origin-run-id", "17"])
        self.assertEqual(cli_args("spin", "--origin-run-id", "9", "train"),
                         ["spin", FLOW, "train", "--flow", "TrainFlow", "--origin-run-id", "9"])
        self.assertIn("17/train runs the step", self.refused("spin", "17/train/4"))
        self.assertIn("--artifacts-module", self.refused("spin", "train", "--artifacts-module", "m"))
        self.assertIn("spin takes one STEP", self.refused("spin"))

    def test_dump_and_logs_prefix_the_flow_name(self):
        self.assertEqual(cli_args("dump", "17/end", "--include", "x,y", "--no-private"),
                         ["dump", "TrainFlow/17/end", "--include", "x,y"])
        self.assertEqual(cli_args("dump", "--max-value-size", "10", "17/end/3"),
                         ["dump", "--max-value-size", "10", "TrainFlow/17/end/3"])
        self.assertEqual(cli_args("logs", "17/start/1", "--stderr"), ["logs", "TrainFlow/17/start/1", "--stderr"])
        self.assertEqual(cli_args("logs", "show", "17/start"), ["logs", "TrainFlow/17/start"])
        self.assertEqual(cli_args("dump", "TrainFlow/17/end"), ["dump", "TrainFlow/17/end"])

    def test_bad_pathspecs_and_verbs_say_what_is_expected(self):
        self.assertIn("RUN_ID/STEP or RUN_ID/STEP/TASK_ID", self.refused("dump", "17"))
        self.assertIn("RUN_ID/STEP or RUN_ID/STEP/TASK_ID", self.refused("logs", "a/b/c/d/e"))
        self.assertIn("--file", self.refused("dump", "17/end", "--file", "out.pkl"))
        self.assertIn("logs scrub", self.refused("logs", "scrub", "17/end"))
        message = self.refused("argo-workflows", "create")
        self.assertIn("'argo-workflows' is not a command", message)
        self.assertIn("run", message)

    def test_help_at_top_level_and_per_verb(self):
        with self.assertRaises(_Help) as top:
            plan("TrainFlow", FLOW, ["--help"])
        self.assertIn("Commands:", top.exception.text)
        with self.assertRaises(_Help) as verb:
            plan("TrainFlow", FLOW, ["dump", "--help"])
        self.assertIn("python train.py dump RUN_ID/STEP", verb.exception.text)


class LocateCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.package = os.path.join(self.tmp, "dist", "python")
        os.makedirs(self.package)

    def touch(self, *parts):
        path = os.path.join(self.tmp, *parts)
        with open(path, "w") as f:
            f.write("")
        return path

    def test_variables_name_node_and_the_cli(self):
        node, cli = self.touch("node"), self.touch("cli.js")
        env = {"METAFLOW_STUDIO_NODE": node, "METAFLOW_STUDIO_CLI": cli}
        self.assertEqual(locate_cli(env, self.package, which=lambda _: None), ([node, cli], {}))

    def test_electron_node_gets_run_as_node(self):
        node, cli = self.touch("code"), self.touch("cli.js")
        env = {"METAFLOW_STUDIO_NODE": node, "METAFLOW_STUDIO_CLI": cli, "METAFLOW_STUDIO_NODE_ELECTRON": "1"}
        self.assertEqual(locate_cli(env, self.package)[1], {"ELECTRON_RUN_AS_NODE": "1"})

    def test_without_variables_the_cli_beside_the_package_and_node_on_path(self):
        cli = self.touch("dist", "cli.js")
        self.assertEqual(locate_cli({}, self.package, which=lambda name: "/bin/" + name),
                         (["/bin/node", os.path.normpath(cli)], {}))

    def test_missing_pieces_are_named(self):
        with self.assertRaises(CliNotFound) as no_cli:
            locate_cli({}, self.package, which=lambda _: None)
        self.assertIn("not found beside", str(no_cli.exception))
        self.touch("dist", "cli.js")
        with self.assertRaises(CliNotFound) as no_node:
            locate_cli({}, self.package, which=lambda _: None)
        self.assertIn("node was not found on PATH", str(no_node.exception))
        with self.assertRaises(CliNotFound) as bad_var:
            locate_cli({"METAFLOW_STUDIO_NODE": os.path.join(self.tmp, "nope")}, self.package)
        self.assertIn("METAFLOW_STUDIO_NODE is set to", str(bad_var.exception))

    def test_an_installed_command_line_is_used_when_nothing_is_beside_the_package(self):
        self.assertEqual(locate_cli({}, self.package, which=lambda name: "/usr/local/bin/" + name),
                         (["/usr/local/bin/metaflow-studio"], {}))


def _env():
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    for var in ("METAFLOW_STUDIO_NODE", "METAFLOW_STUDIO_CLI", "METAFLOW_STUDIO_NODE_ELECTRON"):
        env.pop(var, None)
    return env


class ExecuteTest(unittest.TestCase):
    """The child is a small Python stand-in for the command line; `execute` runs as in a terminal."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def wrapper(self, child_source, quiet=False):
        """Starts `execute` in a process group of its own, as a shell starts a foreground job."""
        child = os.path.join(self.tmp, "child.py")
        with open(child, "w") as f:
            f.write(textwrap.dedent(child_source))
        code = "import sys; from metaflow_studio.script_cli import execute; sys.exit(execute(%r, None, %r))" % (
            [sys.executable, child], quiet)
        return subprocess.Popen([sys.executable, "-c", code], env=_env(), cwd=self.tmp, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def test_exit_status_is_forwarded(self):
        proc = self.wrapper("import sys; sys.exit(7)")
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 7)

    def test_quiet_drops_the_messages_before_a_run(self):
        proc = self.wrapper("""
            print("Creating local datastore in /x/.metaflow")
            print("Metaflow Studio executing TrainFlow for user:me")
            print("2026-01-01 Workflow starting")
        """, quiet=True)
        out, _ = proc.communicate(timeout=30)
        self.assertEqual(out.decode().splitlines(), ["2026-01-01 Workflow starting"])

    def test_ctrl_c_reaches_the_child_once_and_exits_130(self):
        proc = self.wrapper("""
            import signal, sys, time
            got = []
            signal.signal(signal.SIGINT, lambda *a: got.append(1))
            open("ready", "w").close()
            deadline = time.time() + 20
            while not got and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # a second signal, had one been sent, arrives here
            with open("signals", "w") as f:
                f.write(str(len(got)))
            sys.exit(130 if got else 0)
        """)
        ready = os.path.join(self.tmp, "ready")
        deadline = time.time() + 20
        while not os.path.exists(ready) and time.time() < deadline:
            time.sleep(0.05)
        # As a terminal does on Ctrl-C: SIGINT to the foreground process group (the wrapper's own here).
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130)
        with open(os.path.join(self.tmp, "signals")) as f:
            self.assertEqual(f.read(), "1")


class ScriptMessagesTest(unittest.TestCase):
    """`python flow.py ...` itself, up to the point where the command line would start."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.flow = os.path.join(self.tmp, "hello.py")
        with open(self.flow, "w") as f:
            f.write(textwrap.dedent("""
                from metaflow import FlowSpec, step

                class HelloFlow(FlowSpec):
                    @step
                    def start(self):
                        self.next(self.end)

                    @step
                    def end(self):
                        pass

                if __name__ == "__main__":
                    HelloFlow()
            """))

    def script(self, *argv, **env):
        full = _env()
        full.update(env)
        return subprocess.run([sys.executable, self.flow] + list(argv), env=full, cwd=self.tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    def test_a_refused_option_exits_2_naming_it(self):
        done = self.script("--with", "retry", "run")
        self.assertEqual(done.returncode, 2)
        self.assertIn("python hello.py: --with retry", done.stderr.decode())

    def test_without_node_the_message_names_the_variables_and_the_alternative(self):
        done = self.script("run", METAFLOW_STUDIO_CLI=os.path.join(self.tmp, "cli.js"))
        self.assertEqual(done.returncode, 1)
        err = done.stderr.decode()
        self.assertIn("METAFLOW_STUDIO_CLI is set to", err)
        self.assertIn("METAFLOW_STUDIO_NODE", err)
        self.assertIn("metaflow-studio run %s --flow HelloFlow" % self.flow, err)


if __name__ == "__main__":
    unittest.main()
