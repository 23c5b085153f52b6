"""Metaflow cards: `metaflow.cards` components, `current.card`, the HTML cards stored at task end
where Metaflow keeps local cards, error cards, and `get_cards` reading them back."""

import glob
import json
import os
import re
import subprocess
import sys
import unittest
from unittest import mock

from test.python.harness import PYTHON_DIR, SharedFlowTestCase, FlowTestCase

CARD_NAME = re.compile(r"^(?P<type>[A-Za-z0-9_]+)(?:-(?P<id>[A-Za-z0-9_]+))?-(?P<hash>[0-9a-f]{32})\.html$")


def _python_path():
    if PYTHON_DIR not in sys.path:
        sys.path.insert(0, PYTHON_DIR)


class CardRunsTest(SharedFlowTestCase):
    """Both card flows run once; each test reads what they stored."""

    @classmethod
    def setUpClass(cls):
        super(CardRunsTest, cls).setUpClass()
        cls.run_ = cls.run_shared("card_flow.py", "CardFlow")
        cls.errors = cls.run_shared("card_errors_flow.py", "CardErrorsFlow")

    def card_dir(self, run, step):
        task_id = run.task_ids(step)[0]
        return os.path.join(self.root, "mf.cards", run.flow_name, "runs", run.run_id, "steps", step, "tasks",
                            task_id, "cards")

    def cards(self, run, step):
        """{(type, id): html} of a task's stored cards, checking every file name's form."""
        out = {}
        directory = self.card_dir(run, step)
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            match = CARD_NAME.match(name)
            self.assertIsNotNone(match, "card file name %r is not TYPE[-ID]-HASH.html" % name)
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                out[(match.group("type"), match.group("id"))] = f.read()
        return out

    def stderr(self, run, step):
        return "\n".join(run.logs(step, "stderr"))

    def assertSelfContained(self, html):
        self.assertIn("Content-Security-Policy", html)
        self.assertNotIn("<script", html.lower())
        self.assertNotIn("<link", html.lower())
        self.assertIsNone(re.search(r"""(src|href)=["']?(https?:)?//""", html), "card loads a network resource")

    def test_runs_succeed(self):
        self.assertRunOk(self.run_)
        self.assertRunOk(self.errors)

    def test_default_card_is_stored_where_metaflow_keeps_local_cards(self):
        cards = self.cards(self.run_, "start")
        self.assertEqual(list(cards), [("default", None)])
        self.assertEqual(self.artifact(self.run_, "start", "collector_kind"), "CardComponentCollector")

    def test_appended_components_are_rendered_and_escaped(self):
        html = self.cards(self.run_, "start")[("default", None)]
        self.assertSelfContained(html)
        self.assertIn("<h1>Report &lt;script&gt;alert(1)&lt;/script&gt;</h1>", html)
        self.assertIn("Some <strong>strong</strong> text &amp; <code>code</code>.", html)
        self.assertIn("<th>name</th><th>value</th>", html)
        self.assertIn("<td>&lt;td&gt;x&lt;/td&gt;</td>", html)
        self.assertIn("{&#x27;k&#x27;: &#x27;&lt;v&gt;&#x27;}", html)
        self.assertIn('<img src="data:image/png;base64,iVBORw0KGgo', html)
        self.assertIn("<figcaption>a &lt;pixel&gt;</figcaption>", html)
        self.assertIn('<progress value="4.0" max="10.0">', html)
        self.assertIn("progress &lt;p&gt;", html)
        self.assertIn("Bars &lt;1&gt;", html)
        self.assertIn("<td>x&lt;</td>", html)
        self.assertIn("Something failed\n\nValueError(&#x27;bad &lt;value&gt;&#x27;)", html)
        self.assertIn('<div class="mf-valuebox theme-success"><div class="muted">Accuracy &lt;%&gt;</div>'
                      '<div class="value">42</div><div class="muted">up &lt;1&gt;</div></div>', html)
        self.assertIn("<summary>As JSON</summary><pre>{\n  &quot;k&quot;: &quot;&lt;v&gt;&quot;,", html)
        yaml_block = html[html.index("<summary>As YAML</summary>"):]
        self.assertRegex(yaml_block, r"^<summary>As YAML</summary><pre>key: (a:b|&quot;a:b&quot;)\nitems:\n")
        # Components come first, in the order they were added.
        order = [html.index(s) for s in ("Report &lt;script", "<th>name</th>", "a &lt;pixel&gt;", "progress &lt;p&gt;",
                                         "Bars &lt;1&gt;", "Something failed")]
        self.assertEqual(order, sorted(order))

    def test_default_card_shows_the_task(self):
        html = self.cards(self.run_, "start")[("default", None)]
        self.assertIn("CardFlow/%s/start/%s" % (self.run_.run_id, self.run_.task_ids("start")[0]), html)
        self.assertIn("<h2>Flow Parameters</h2>", html)
        params = html[html.index("<h2>Flow Parameters</h2>"):html.index("<h2>Artifacts</h2>")]
        self.assertIn('<span class="name">alpha</span>', params)
        artifacts = html[html.index("<h2>Artifacts</h2>"):]
        self.assertIn('<span class="name">score</span> <span class="muted">float</span><pre>0.75</pre>', artifacts)
        self.assertIn("&#x27;&lt;b&gt;bold?&lt;/b&gt; &amp; more&#x27;", artifacts)
        self.assertNotIn('<span class="name">name</span>', artifacts)
        self.assertNotIn("_task_ok", artifacts)
        self.assertIn("<h2>Image Data</h2>", html)
        self.assertIn("<h2>Task Code</h2>", html)
        self.assertIn("def start(self):", html)

    def test_blank_card_with_id_gets_only_its_components(self):
        cards = self.cards(self.run_, "multi")
        self.assertEqual(sorted(cards), [("blank", "x"), ("default", "y")])
        blank, default = cards[("blank", "x")], cards[("default", "y")]
        self.assertSelfContained(blank)
        self.assertIn("<h1>Blank &lt;X&gt;</h1>", blank)
        self.assertIn("only in <strong>x</strong>", blank)
        self.assertIn("named component", blank)
        self.assertNotIn("only in y", blank)
        self.assertNotIn("Flow Parameters", blank)
        self.assertIn("only in y", default)
        self.assertNotIn("only in <strong>x</strong>", default)
        self.assertNotIn("<p>ambiguous</p>", blank + default)
        self.assertTrue(self.artifact(self.run_, "multi", "has_named"))
        self.assertEqual(self.artifact(self.run_, "multi", "missing"), [])

    def test_misuse_warns_in_the_log_and_on_the_cards(self):
        log = self.stderr(self.run_, "multi")
        self.assertIn("[@card WARNING] `current.card['nope']` is not present.", log)
        self.assertIn("[@card WARNING] `current.card.append` cannot disambiguate between multiple editable cards.", log)
        blank = self.cards(self.run_, "multi")[("blank", "x")]
        self.assertIn("@card WARNING\n\n`current.card[&#x27;nope&#x27;]` is not present.", blank)

    def test_step_without_card_decorator_makes_no_card(self):
        self.assertTrue(self.artifact(self.run_, "plain", "plain_ok"))
        self.assertEqual(self.cards(self.run_, "plain"), {})

    def test_card_info_metadata_is_registered(self):
        task_id = self.run_.task_ids("multi")[0]
        meta_dir = os.path.join(self.root, "CardFlow", self.run_.run_id, "multi", task_id, "_meta")
        infos = []
        for path in glob.glob(os.path.join(meta_dir, "sysmeta_*.json")):
            with open(path) as f:
                datum = json.load(f)
            if datum["type"] == "card-info":
                infos.append(json.loads(datum["value"]))
        self.assertEqual(sorted((i["type"], i["id"]) for i in infos), [("blank", "x"), ("default", "y")])
        names = os.listdir(self.card_dir(self.run_, "multi"))
        for info in infos:
            self.assertIn("%s-%s-%s.html" % (info["type"], info["id"], info["card_uuid"]), names)
            self.assertTrue(info["is_editable"])

    def test_runtime_card_keeps_its_final_data_update(self):
        cards = self.cards(self.run_, "end")
        self.assertEqual(list(cards), [("blank", None)])
        html = cards[("blank", None)]
        self.assertIn("<p>the end</p>", html)
        self.assertNotIn("cleared away", html)
        self.assertIn('<progress value="2.0" max="2.0">', html)
        runtime = os.path.join(os.path.dirname(self.card_dir(self.run_, "end")), "runtime")
        (name,) = os.listdir(runtime)
        self.assertTrue(name.startswith("blank-") and name.endswith(".data.json"), name)
        with open(os.path.join(runtime, name)) as f:
            update = json.load(f)
        self.assertEqual(update["reload_token"], "final")
        bars = [c for c in update["data"].values() if c["type"] == "progressBar"]
        self.assertEqual([(b["value"], b["details"]) for b in bars], [(2, "done")])

    def test_component_that_fails_to_render_becomes_an_error_box(self):
        html = self.cards(self.errors, "start")[("default", None)]
        self.assertIn("<p>before</p>", html)
        self.assertIn("<p>after</p>", html)
        self.assertIn('<pre class="mf-error">Render failed of component named `Exploding`', html)
        self.assertIn("RuntimeError: component exploded &lt;here&gt;", html)

    def test_card_that_times_out_becomes_an_error_card(self):
        cards = self.cards(self.errors, "slow")
        self.assertEqual(list(cards), [("blank", None)])
        html = cards[("blank", None)]
        self.assertSelfContained(html)
        self.assertIn("<h1>Error Card</h1>", html)
        self.assertIn("Card rendering timed out after 1 seconds.", html)
        self.assertIn("time.sleep(30)", html)
        self.assertNotIn("too late", html)
        self.assertIn("[@card WARNING] Card rendering timed out after 1 seconds", self.stderr(self.errors, "slow"))

    def test_unknown_card_type_and_save_errors_false(self):
        cards = self.cards(self.errors, "unknown")
        self.assertEqual(list(cards), [("no_such_card", None)])
        html = cards[("no_such_card", None)]
        self.assertIn("<h1>Error Card</h1>", html)
        self.assertIn("MetaflowCard named no_such_card not found. Check the `type` attribute in @card", html)

    def test_get_cards_reads_them_back(self):
        _python_path()
        from metaflow import Task, namespace
        from metaflow.cards import get_cards
        from metaflow.client import current_namespace

        previous = current_namespace._namespace.value
        namespace(None)
        try:
            with mock.patch.dict(os.environ, {"METAFLOW_DATASTORE_SYSROOT_LOCAL": self.tmp}):
                pathspec = "CardFlow/%s/multi/%s" % (self.run_.run_id, self.run_.task_ids("multi")[0])
                everything = get_cards(pathspec)
                self.assertEqual(sorted((c.type, c.id) for c in everything), [("blank", "x"), ("default", "y")])
                (x,) = get_cards(Task(pathspec), id="x")
                self.assertEqual((x.type, x.id, len(x.hash)), ("blank", "x", 32))
                with open(x.path, encoding="utf-8") as f:
                    self.assertEqual(x.get(), f.read())
                self.assertIn("only in <strong>x</strong>", x.get())
                self.assertEqual([c.id for c in get_cards(pathspec, type="default")], ["y"])
                self.assertEqual(len(get_cards(pathspec, type="nothing")), 0)
                plain = "CardFlow/%s/plain/%s" % (self.run_.run_id, self.run_.task_ids("plain")[0])
                # As Metaflow: a task without any card is an error naming it (a filter matching none is not).
                from metaflow.plugins.cards.exception import CardNotPresentException

                with self.assertRaisesRegex(CardNotPresentException, "Card not found for pathspec %s" % plain):
                    get_cards(plain)
                end = get_cards("CardFlow/%s/end/%s" % (self.run_.run_id, self.run_.task_ids("end")[0]))[0]
                self.assertEqual(end.get_data()["reload_token"], "final")
                with self.assertRaisesRegex(Exception, "Flow/run_id/step/task_id"):
                    get_cards("CardFlow/1")
        finally:
            namespace(previous)


class FailedStepCardTest(FlowTestCase):
    def test_current_card_without_decorator_fails_the_step_with_the_fix(self):
        run = self.run_flow("card_without_decorator_flow.py", "CardWithoutDecoratorFlow")
        ((step, finished),) = run.failed
        self.assertEqual(step, "start")
        message = finished["result"]["exception"]["message"]
        self.assertIn("step 'start', which has no @card decorator", message)
        self.assertIn("add @card above @step", message)

    def test_a_failed_step_keeps_its_failure_and_gets_no_card(self):
        run = self.run_flow("card_fail_flow.py", "CardFailFlow")
        ((step, finished),) = run.failed
        self.assertEqual(step, "start")
        self.assertIn("step code failed", finished["result"]["exception"]["message"])
        cards = os.path.join(self.root, "mf.cards", "CardFailFlow")
        self.assertEqual(glob.glob(os.path.join(cards, "**", "*.html"), recursive=True), [])


class CardHtmlTest(unittest.TestCase):
    def setUp(self):
        _python_path()

    def test_markdown_is_a_safe_subset(self):
        from metaflow_studio.cards_html import markdown_to_html

        html = markdown_to_html(
            "# T\n\n<img src=x onerror=alert(1)>\n\n- [ok](https://example.com/a?b=1&c=2)\n- [bad](javascript:alert(1))\n"
            "\n```\n<b>code</b>\n```\n> quoted *it*"
        )
        self.assertIn("<h1>T</h1>", html)
        self.assertIn("<p>&lt;img src=x onerror=alert(1)&gt;</p>", html)
        self.assertIn('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">ok</a>', html)
        self.assertIn("<li>bad</li>", html)
        self.assertNotIn("javascript:", html)
        self.assertIn("<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>", html)
        self.assertIn("<blockquote><p>quoted <em>it</em></p></blockquote>", html)

    def test_components_render_to_metaflow_shapes(self):
        from metaflow.cards import Artifact, Image, Markdown, Table, VegaChart

        md = Markdown("""
            ## Indented
            text""").render()
        self.assertEqual((md["type"], md["source"]), ("markdown", "\n## Indented\ntext"))
        table = Table([[1, Markdown("m")]], headers=["a", "b"]).render()
        self.assertEqual(table["columns"], ["a", "b"])
        self.assertEqual(table["data"][0][1]["type"], "markdown")
        self.assertEqual(Artifact([1, 2], name="xs").render()["data"], [{"type": "list", "data": "[1, 2]", "name": "xs"}])
        self.assertEqual(Image(b"not an image").render()["type"], "log")
        self.assertIn("Bytes not parsable as image", Image(b"not an image").render()["data"])
        self.assertEqual(VegaChart({"mark": "bar"}).render()["options"], {"actions": False})
        no_frame = Table.from_dataframe([1, 2]).render()
        self.assertEqual(no_frame["columns"], ["Object type list not supported"])

    def test_yaml_without_pyyaml_is_plain_block_yaml(self):
        from metaflow_studio.cards_components import yaml_lines

        text = "\n".join(yaml_lines({"db": {"host": "x:1", "ports": [1, 2]}, "rows": [{"a": 1, "b": [3]}, "s"],
                                      "empty": [], "none": None, "flag": "true"}))
        self.assertEqual(text, 'db:\n  host: "x:1"\n  ports:\n    - 1\n    - 2\nrows:\n  - a: 1\n    b:\n      - 3\n'
                               '  - s\nempty: []\nnone: null\nflag: "true"')

    def test_timeout_interrupts_and_restores_an_armed_timer(self):
        import signal
        import time

        from metaflow_studio.cards_task import call_with_timeout

        signal.setitimer(signal.ITIMER_REAL, 30)
        try:
            started = time.time()
            value, trace = call_with_timeout(lambda: time.sleep(5), 0.2)
            self.assertLess(time.time() - started, 3)
            self.assertIsNone(value)
            self.assertIn("Card rendering timed out after 0.2 seconds", trace)
            self.assertEqual(call_with_timeout(lambda: 7, 0.2), (7, None))
            remaining = signal.getitimer(signal.ITIMER_REAL)[0]
            self.assertTrue(20 < remaining <= 30, remaining)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def test_timeout_off_the_main_thread_abandons_the_render(self):
        import threading
        import time

        from metaflow_studio.cards_task import call_with_timeout

        out = {}
        release = threading.Event()
        thread = threading.Thread(target=lambda: out.update(r=call_with_timeout(lambda: release.wait(10), 0.2)))
        thread.start()
        thread.join(5)
        release.set()
        self.assertFalse(thread.is_alive())
        self.assertIsNone(out["r"][0])
        self.assertIn("timed out after 0.2 seconds", out["r"][1])

    def test_import_metaflow_does_not_load_cards(self):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
        out = subprocess.run(
            [sys.executable, "-c", "import sys, metaflow; print(sorted(m for m in sys.modules if 'card' in m))"],
            env=env, stdout=subprocess.PIPE, check=True).stdout.decode().strip()
        self.assertEqual(out, "[]")


if __name__ == "__main__":
    unittest.main()
