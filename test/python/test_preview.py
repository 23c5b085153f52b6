"""`metaflow_studio.preview`: artifact previews decoded in a short-lived process, never in the editor."""

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest

from test.python.harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)
from metaflow_studio.storage import ContentStore  # noqa: E402

# Debian's interpreter: scripts/setup.sh installs python3-pandas for it.
SYSTEM_PYTHON = "/usr/bin/python3"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


class PreviewTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="mfs-preview-")
        self.store = ContentStore(self.root, "PreviewFlow")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def save(self, blob):
        return self.store.save_blob(blob)

    def preview(self, sha, python=sys.executable, verb=(), **extra):
        request = dict({"root": self.root, "flow": "PreviewFlow", "sha": sha}, **extra)
        out = subprocess.run([python, "-m", "metaflow_studio.preview"] + list(verb), input=json.dumps(request).encode(),
                             env=dict(os.environ, PYTHONPATH=PYTHON_DIR), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        return json.loads(out.stdout)

    def test_scalars_strings_and_containers(self):
        self.assertEqual(self.preview(self.save(pickle.dumps(42, protocol=4))), {"kind": "scalar", "class": "int", "text": "42", "size": 5})
        text = self.preview(self.save(pickle.dumps("x" * 50, protocol=4)), max_chars=10)
        self.assertEqual((text["kind"], text["text"], text["truncated"], text["length"]), ("text", "x" * 10, True, 50))
        doc = self.preview(self.save(pickle.dumps({"a": [1, 2], "b": {"c": None}}, protocol=4)))
        self.assertEqual(doc["kind"], "json")
        self.assertEqual(json.loads(doc["text"]), {"a": [1, 2], "b": {"c": None}})

    def test_bytes_give_size_and_hex_head_and_images_are_recognised(self):
        raw = self.preview(self.save(pickle.dumps(bytes(range(256)) * 2, protocol=4)))
        self.assertEqual((raw["kind"], raw["size"], raw["hex"][:8], len(raw["hex"]), raw["truncated"]), ("bytes", 512, "00010203", 512, True))
        image = self.preview(self.save(pickle.dumps(PNG, protocol=4)))
        self.assertEqual((image["kind"], image["mime"]), ("image", "image/png"))

    def test_class_from_the_flow_file_is_reported_not_imported(self):
        class Local(object):
            pass

        Local.__module__ = "__main__"
        Local.__qualname__ = "Model"
        sys.modules["__main__"].Model = Local
        try:
            blob = pickle.dumps(Local(), protocol=4)
        finally:
            del sys.modules["__main__"].Model
        out = self.preview(self.save(blob))
        self.assertEqual((out["kind"], out["class"]), ("unavailable", "__main__.Model"))
        self.assertIn("defined in the flow file", out["message"])

    def test_too_big_is_refused_before_loading_and_names_class_and_size(self):
        out = self.preview(self.save(pickle.dumps(list(range(1000)), protocol=4)), type="<class 'list'>", size=5000, max_bytes=1000)
        self.assertEqual(out["kind"], "unavailable")
        self.assertIn("<class 'list'> of 4.9 KB is larger than the preview limit of 1000 bytes", out["message"])

    def test_missing_blob_names_its_path(self):
        out = self.preview("ab" * 20)
        self.assertEqual(out["kind"], "unavailable")
        self.assertIn(os.path.join(self.root, "PreviewFlow", "data", "ab", "ab" * 20), out["message"])

    def test_dataframe_first_rows_as_a_table(self):
        script = "import pickle, pandas, sys; sys.stdout.buffer.write(pickle.dumps(pandas.DataFrame({'a': range(100), 'b': ['x'] * 100}), protocol=4))"
        blob = subprocess.run([SYSTEM_PYTHON, "-c", script], stdout=subprocess.PIPE, check=True).stdout
        out = self.preview(self.save(blob), python=SYSTEM_PYTHON, rows=3)
        self.assertEqual((out["kind"], out["columns"], out["rows"], out["shape"]), ("table", ["a", "b"], [["0", "x"], ["1", "x"], ["2", "x"]], [100, 2]))

    def test_values_gives_short_reprs(self):
        request = {"artifacts": {"alpha": self.save(pickle.dumps(0.5, protocol=4)), "name": self.save(pickle.dumps("n" * 300, protocol=4))}}
        out = self.preview(None, verb=["values"], **request)
        self.assertEqual(out["alpha"], "0.5")
        self.assertTrue(out["name"].endswith("...") and len(out["name"]) == 203)


if __name__ == "__main__":
    unittest.main()
