"""The pod's side of the Kubernetes executor without a cluster or a blob service: the loader's checks (the
environment it needs, the package's sha1, unpacking that never writes outside its folder), the bootstrap's
task mode on the local datastore (termination message in both forms, exit codes, crashes before the task,
persisted logs) and the metadata tarball both ways."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

from test.python.harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)

from metaflow_studio import pod_loader  # noqa: E402
from metaflow_studio.datastore import LocalTaskFiles  # noqa: E402
from metaflow_studio.pod_metadata_sync import (  # noqa: E402
    MetadataSyncError,
    RawContentStore,
    pack_metadata,
    sync_from_datastore,
    sync_to_datastore,
    unpack_metadata,
)

with open(os.path.join(PYTHON_DIR, "metaflow_studio", "pod_loader.py")) as _f:
    LOADER_SOURCE = _f.read()
RUN = "1790000000000002"
FLOW = """import sys
from metaflow import FlowSpec, Parameter, step


class PodUnitFlow(FlowSpec):
    n = Parameter("n", default=2)

    @step
    def start(self):
        print("start prints", self.n)
        print("start warns", file=sys.stderr)
        self.x = self.n * 2
        self.next(self.end)

    @step
    def end(self):
        if self.x == 14:
            raise ValueError("too big: " + "y" * 6000)
        print("x is", self.x)


if __name__ == "__main__":
    PodUnitFlow()
"""


def tar_bytes(entries):
    """entries: (TarInfo-kwargs dict, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for fields, data in entries:
            fields = dict(fields)
            info = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


class LoaderChecks(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mfs-loader-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_loader(self, env, args=("task",)):
        message = os.path.join(self.dir, "termination-log")
        full = {"PATH": os.environ["PATH"], "METAFLOW_STUDIO_TERMINATION_MESSAGE_PATH": message}
        full.update(env)
        out = subprocess.run([sys.executable, "-c", LOADER_SOURCE] + list(args), cwd=self.dir, env=full,
                             capture_output=True, text=True, timeout=60)
        with open(message) as f:
            return out, json.load(f)

    def test_missing_environment_is_named(self):
        out, message = self.run_loader({"METAFLOW_CODE_DS": "azure", "METAFLOW_CODE_URL": "c/p"})
        self.assertEqual(out.returncode, 1)
        text = message["result"]["exception"]["message"]
        self.assertIn("METAFLOW_CODE_SHA", text)
        self.assertIn("METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT", text)
        self.assertNotIn("METAFLOW_CODE_URL,", text)
        self.assertFalse(message["result"]["ok"])
        self.assertFalse(message["result"]["retry_allowed"])
        self.assertIn("METAFLOW_CODE_SHA", out.stderr)

    def test_bad_values_are_named(self):
        env = {"METAFLOW_CODE_DS": "azure", "METAFLOW_CODE_SHA": "xyz", "METAFLOW_CODE_URL": "c/p",
               "METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT": "https://a.blob.core.windows.net"}
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.package_location(env)
        self.assertIn("METAFLOW_CODE_SHA='xyz' is not a sha1", cm.exception.message)
        env.update(METAFLOW_CODE_SHA="a" * 40, METAFLOW_CODE_URL="justacontainer")
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.package_location(env)
        self.assertIn("METAFLOW_CODE_URL", cm.exception.message)
        env.update(METAFLOW_CODE_URL="c/some/blob", METAFLOW_CODE_DS="s3")
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.package_location(env)
        self.assertIn("METAFLOW_CODE_DS='s3'", cm.exception.message)
        env.update(METAFLOW_CODE_DS="azure")
        self.assertEqual(pod_loader.package_location(env), ("https://a.blob.core.windows.net", "c", "some/blob", "a" * 40))

    def test_no_mode_exits_2(self):
        out, message = self.run_loader({}, args=())
        self.assertEqual(out.returncode, 2)
        self.assertIn("mode", message["result"]["exception"]["message"])

    def test_sha_mismatch_is_refused(self):
        blob = tar_bytes([({"name": "flow.py"}, b"print(1)\n")])
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.check_sha(blob, "0" * 40, "c/p/F/data/00/000")
        self.assertIn("c/p/F/data/00/000", cm.exception.message)
        self.assertIn("0" * 40, cm.exception.message)
        self.assertFalse(cm.exception.retry_allowed)
        import hashlib

        pod_loader.check_sha(blob, hashlib.sha1(blob).hexdigest(), "x")

    def assert_refused(self, entries, why):
        dest = os.path.join(self.dir, "metaflow_code")
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.extract_package(tar_bytes(entries), dest)
        self.assertIn(why, cm.exception.message)
        self.assertFalse(os.path.exists(dest))
        self.assertEqual(sorted(os.listdir(self.dir)), [])

    def test_path_traversal_and_links_out_are_refused(self):
        ok = ({"name": "flow.py"}, b"x")
        self.assert_refused([ok, ({"name": "../evil.py"}, b"x")], "'..' component")
        self.assert_refused([ok, ({"name": "a/../../evil.py"}, b"x")], "'..' component")
        self.assert_refused([ok, ({"name": "/tmp/evil.py"}, b"x")], "absolute path")
        self.assert_refused([ok, ({"name": "up", "type": tarfile.SYMTYPE, "linkname": "../.."}, None)], "link leading out")
        self.assert_refused([ok, ({"name": "d/up", "type": tarfile.SYMTYPE, "linkname": "../../x"}, None)], "link leading out")
        self.assert_refused([ok, ({"name": "abs", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, None)], "absolute path")
        self.assert_refused([ok, ({"name": "hard", "type": tarfile.LNKTYPE, "linkname": "../outside"}, None)], "link leading out")
        self.assert_refused([ok, ({"name": "dev", "type": tarfile.CHRTYPE}, None)], "device")

    def test_a_package_unpacks_and_activates(self):
        blob = tar_bytes([
            ({"name": "flow.py"}, b"print('flow')\n"),
            ({"name": "lib", "type": tarfile.SYMTYPE, "linkname": "sub"}, None),
            ({"name": "sub/helper.py"}, b"X = 1\n"),
            ({"name": ".mf_code/metaflow_studio/__init__.py"}, b""),
        ])
        dest = os.path.join(self.dir, "metaflow_code")
        os.makedirs(os.path.join(dest, "stale"))
        pod_loader.extract_package(blob, dest)
        for rel, text in ((("flow.py",), "print('flow')\n"), (("lib", "helper.py"), "X = 1\n")):
            with open(os.path.join(dest, *rel)) as f:
                self.assertEqual(f.read(), text)
        self.assertFalse(os.path.exists(os.path.join(dest, "stale")))
        env = {"PYTHONPATH": "/user/path"}
        saved = list(sys.path)
        try:
            pod_loader.activate(dest, env)
            self.assertEqual(sys.path[0], os.path.join(dest, ".mf_code"))
        finally:
            sys.path[:] = saved
        self.assertEqual(env["PYTHONPATH"], os.path.join(dest, ".mf_code") + os.pathsep + "/user/path")
        self.assertEqual(env["METAFLOW_EXTRACTED_ROOT"], dest)

    def test_a_package_without_the_embedded_runtime_is_refused(self):
        dest = os.path.join(self.dir, "metaflow_code")
        pod_loader.extract_package(tar_bytes([({"name": "flow.py"}, b"x")]), dest)
        with self.assertRaises(pod_loader.LoaderError) as cm:
            pod_loader.activate(dest, {})
        self.assertIn(".mf_code/metaflow_studio", cm.exception.message)

    def test_an_oversized_failure_is_cut_to_fit(self):
        result = pod_loader.failure_result("X", "m" * 3000, "line\n" * 2000 + "raise here")
        data = pod_loader.fitted_failure_message(result)
        self.assertLessEqual(len(data), pod_loader.MAX_TERMINATION_MESSAGE_BYTES)
        parsed = json.loads(data)
        self.assertTrue(parsed["result"]["exception"]["traceback"].endswith("raise here"))
        self.assertTrue(parsed["result"]["exception"]["message"].startswith("mmm"))

    def test_workload_identity_needs_all_three_variables(self):
        self.assertIsNone(pod_loader.workload_identity_credential({"AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t"}))
        self.assertIsNone(pod_loader.workload_identity_credential({}))


class TaskMode(unittest.TestCase):
    """pod_bootstrap.main(["task"]) as the loader calls it, with the package already unpacked."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="mfs-pod-")
        code = os.path.join(cls.base, "metaflow_code")
        os.makedirs(code)
        with open(os.path.join(code, "podunit.py"), "w") as f:
            f.write(FLOW)
        with open(os.path.join(code, "broken.py"), "w") as f:
            f.write("from metaflow import FlowSpec\nclass Broken(FlowSpec)\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, True)

    def pod(self, spec, args=("task",), raw_spec=None):
        message = os.path.join(self.base, "termination-log")
        if os.path.exists(message):
            os.unlink(message)
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": PYTHON_DIR, "METAFLOW_STUDIO_TERMINATION_MESSAGE_PATH": message,
               "HOME": self.base}
        if raw_spec is not None or spec is not None:
            env["METAFLOW_STUDIO_TASK_SPEC"] = raw_spec if raw_spec is not None else json.dumps(spec)
        code = "import sys\nfrom metaflow_studio import pod_bootstrap\nsys.exit(pod_bootstrap.main(sys.argv[1:]))"
        out = subprocess.run([sys.executable, "-c", code] + list(args), cwd=self.base, env=env, capture_output=True, text=True,
                             timeout=120)
        with open(message) as f:
            return out, json.load(f)

    def spec(self, step, task_id, **extra):
        spec = {"kind": "step", "flow_file": "podunit.py", "flow_name": "PodUnitFlow", "datastore_root": "/not/used",
                "run_id": extra.pop("run_id", RUN), "step": step, "task_id": task_id, "attempt": 0, "max_user_code_retries": 0,
                "input_paths": [], "user_name": "dev", "tags": []}
        spec.update(extra)
        return spec

    def run_params(self, run_id, n):
        out, message = self.pod(self.spec("_parameters", "0", run_id=run_id, kind="params", parameters={"n": str(n)}))
        self.assertEqual(out.returncode, 0, out.stderr)
        return message

    def task_dir(self, run_id, step, task_id):
        return os.path.join(self.base, ".metaflow", "PodUnitFlow", run_id, step, task_id)

    def test_a_step_succeeds_streams_and_persists_its_logs(self):
        self.assertEqual(self.run_params(RUN, 5), {"v": 1, "result": {"ok": True, "next": ["start"], "retry_allowed": True}})
        out, message = self.pod(self.spec("start", "1", input_paths=["%s/_parameters/0" % RUN]))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(message, {"v": 1, "result": {"ok": True, "next": ["end"], "retry_allowed": True}})
        self.assertIn("start prints 5\n", out.stdout)
        self.assertIn("start warns\n", out.stderr)
        self.assertNotIn("start warns", out.stdout)
        task = self.task_dir(RUN, "start", "1")
        with open(os.path.join(task, "0.task_stdout.log")) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], r"^\[MFLOG\|0\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\|task\|[0-9a-f]{8}\d{9}\]start prints 5$")
        with open(os.path.join(task, "0.task_stderr.log")) as f:
            self.assertTrue(f.read().endswith("]start warns\n"))
        self.assertTrue(os.path.exists(os.path.join(task, "0.DONE.lock")))
        # The task's metadata is local here already: nothing to carry through the datastore.
        self.assertFalse(os.path.exists(os.path.join(task, "0.local_metadata")))

    def test_a_failed_step_with_a_large_result_leaves_it_in_the_datastore(self):
        run = RUN + "1"
        self.run_params(run, 7)
        out, message = self.pod(self.spec("start", "1", run_id=run, input_paths=["%s/_parameters/0" % run]))
        self.assertEqual(out.returncode, 0, out.stderr)
        out, message = self.pod(self.spec("end", "2", run_id=run, input_paths=["%s/start/1" % run]))
        self.assertEqual(out.returncode, 1)
        key = "PodUnitFlow/%s/end/2/0.studio_result.json" % run
        self.assertEqual(message, {"v": 1, "result_key": key})
        with open(os.path.join(self.base, ".metaflow", *key.split("/"))) as f:
            result = json.load(f)
        self.assertFalse(result["ok"])
        self.assertIn("too big: yyy", result["exception"]["message"])
        self.assertIn("ValueError", out.stderr)

    def test_a_failed_step_with_a_small_result_reports_it_inline(self):
        run = RUN + "2"
        self.run_params(run, 2)
        out, message = self.pod(self.spec("end", "2", run_id=run, input_paths=["%s/start/9" % run]))
        self.assertEqual(out.returncode, 1)
        self.assertFalse(message["result"]["ok"])
        self.assertIn("start/9", message["result"]["exception"]["message"])

    def test_a_flow_that_does_not_import_is_reported(self):
        out, message = self.pod(self.spec("start", "1", flow_file="broken.py", input_paths=["x/_parameters/0"]))
        self.assertEqual(out.returncode, 1)
        self.assertEqual(message["result"]["exception"]["type"], "FlowImportError")
        self.assertFalse(message["result"]["retry_allowed"])
        self.assertIn("SyntaxError", message["result"]["exception"]["traceback"])

    def test_crashes_before_the_task_still_write_the_message(self):
        out, message = self.pod(None)
        self.assertEqual(out.returncode, 1)
        self.assertIn("METAFLOW_STUDIO_TASK_SPEC", message["result"]["exception"]["message"])
        out, message = self.pod(None, raw_spec="{not json")
        self.assertEqual(out.returncode, 1)
        self.assertIn("is not JSON", message["result"]["exception"]["message"])
        out, message = self.pod(self.spec("start", "1", flow_file="missing.py"))
        self.assertEqual(out.returncode, 1)
        self.assertIn("missing.py is not in the code package", message["result"]["exception"]["message"])
        out, message = self.pod(self.spec("start", "1", flow_file="../outside.py"))
        self.assertIn("must be a path inside the code package", message["result"]["exception"]["message"])
        out, message = self.pod(self.spec("start", "1", run_id=""))
        self.assertIn("lacks run_id", message["result"]["exception"]["message"])

    def test_unknown_modes_and_arguments_are_refused(self):
        out, message = self.pod(None, args=("deploy",))
        self.assertEqual(out.returncode, 2)
        self.assertIn("Unknown pod mode deploy", message["result"]["exception"]["message"])
        self.assertIn("task", message["result"]["exception"]["message"])
        out, message = self.pod(self.spec("start", "1"), args=("task", "--extra"))
        self.assertEqual(out.returncode, 2)


class MetadataTarball(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mfs-meta-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.pod_root = os.path.join(self.dir, "pod", ".metaflow")
        meta = os.path.join(self.pod_root, "F", "5", "s", "3", "_meta")
        os.makedirs(meta)
        with open(os.path.join(meta, "_self.json"), "w") as f:
            f.write('{"task_id": "3"}')
        with open(os.path.join(meta, "sysmeta_attempt_1.json"), "w") as f:
            f.write('{"value": "0"}')
        os.makedirs(os.path.join(self.pod_root, "F", "5", "_meta"))
        with open(os.path.join(self.pod_root, "F", "5", "_meta", "_self.json"), "w") as f:
            f.write('{"from": "pod"}')

    def test_round_trip_through_the_content_store(self):
        store_root = os.path.join(self.dir, "store", ".metaflow")
        cas = RawContentStore("F", local_root=store_root)
        files = LocalTaskFiles(os.path.join(store_root, "F", "5", "s", "3"))
        key = sync_to_datastore(self.pod_root, cas, files, 0)
        with open(os.path.join(store_root, "F", "5", "s", "3", "0.local_metadata")) as f:
            self.assertEqual(f.read(), json.dumps(key))
        with open(os.path.join(store_root, "F", "data", key[:2], key + "_meta")) as f:
            self.assertEqual(json.load(f), {"cas_raw": True, "cas_version": 1})
        with tarfile.open(os.path.join(store_root, "F", "data", key[:2], key), "r:gz") as tar:
            names = tar.getnames()
        self.assertIn(".metaflow/F/5/s/3/_meta/_self.json", names)
        self.assertTrue(all(n == ".metaflow" or n.startswith(".metaflow/") for n in names))
        # The launcher's own run object is kept; the task's files arrive.
        launcher = os.path.join(self.dir, "launcher", ".metaflow")
        os.makedirs(os.path.join(launcher, "F", "5", "_meta"))
        with open(os.path.join(launcher, "F", "5", "_meta", "_self.json"), "w") as f:
            f.write('{"from": "launcher"}')
        written = sync_from_datastore(launcher, cas, files, 0)
        self.assertEqual(sorted(written), ["F/5/s/3/_meta/_self.json", "F/5/s/3/_meta/sysmeta_attempt_1.json"])
        with open(os.path.join(launcher, "F", "5", "_meta", "_self.json")) as f:
            self.assertEqual(f.read(), '{"from": "launcher"}')
        self.assertEqual(pack_metadata(self.pod_root)[:2], b"\x1f\x8b")

    def test_a_missing_record_and_a_hostile_tarball_are_refused(self):
        files = LocalTaskFiles(os.path.join(self.dir, "nowhere"))
        with self.assertRaises(MetadataSyncError) as cm:
            sync_from_datastore(self.dir, RawContentStore("F", local_root=self.dir), files, 0)
        self.assertIn("0.local_metadata", str(cm.exception).replace("local_metadata file", "0.local_metadata"))
        evil = tar_bytes([({"name": ".metaflow/../../evil"}, b"x")])
        with self.assertRaises(MetadataSyncError):
            unpack_metadata(evil, os.path.join(self.dir, "target"))
        outside = tar_bytes([({"name": "elsewhere/file"}, b"x")])
        with self.assertRaises(MetadataSyncError):
            unpack_metadata(outside, os.path.join(self.dir, "target"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "target")))


if __name__ == "__main__":
    unittest.main()
