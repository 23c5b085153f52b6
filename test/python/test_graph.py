"""`_graph_info` as Metaflow 2.19.38 serializes it (expected values observed from Metaflow runs of the same flows)."""

from test.python.harness import SharedFlowTestCase

# step -> (type, matching_join, foreach_artifact, num_parallel, condition)
EXPECTED = {
    "ForeachFlow": (
        ["start", [["outer", [["inner"]], "inner_join"]], "outer_join", "end"],
        {"start": ("split-foreach", "outer_join", "letters", None, None),
         "outer": ("split-foreach", "inner_join", "numbers", None, None),
         "inner": ("linear", None, None, None, None), "inner_join": ("join", None, None, None, None),
         "outer_join": ("join", None, None, None, None), "end": ("end", None, None, None, None)},
    ),
    "SwitchFlow": (
        ["start", [["big", "loop", [[]]], ["small", "loop", [[]]]], "end"],
        {"start": ("split-switch", None, None, None, "kind"), "big": ("linear", None, None, None, None),
         "loop": ("split-switch", None, None, None, "state"), "small": ("linear", None, None, None, None),
         "end": ("end", None, None, None, None)},
    ),
    "ParallelFlow": (
        ["start", "train", "join", "end"],
        {"start": ("split-parallel", "join", None, 3, None), "train": ("linear", None, None, None, None),
         "join": ("join", None, None, None, None), "end": ("end", None, None, None, None)},
    ),
    "BranchFlow": (
        ["start", [["a"], ["b"]], "join", "end"],
        {"start": ("split-static", "join", None, None, None), "a": ("linear", None, None, None, None),
         "b": ("linear", None, None, None, None), "join": ("join", None, None, None, None),
         "end": ("end", None, None, None, None)},
    ),
}
FILES = {"ForeachFlow": "foreach_flow.py", "SwitchFlow": "switch_flow.py", "ParallelFlow": "parallel_flow.py",
         "BranchFlow": "branch_flow.py"}


class GraphInfoTest(SharedFlowTestCase):
    @classmethod
    def setUpClass(cls):
        super(GraphInfoTest, cls).setUpClass()
        # `--until start`: the run writes `_graph_info` in its _parameters task and stops after start.
        cls.runs = dict((name, cls.run_shared(FILES[name], name, until="start")) for name in FILES)

    def graph_info(self, flow_name):
        run = self.runs[flow_name]
        self.assertEqual(run.finished_events("_parameters")[0]["status"], "succeeded")
        return super(GraphInfoTest, self).graph_info(run)

    def check(self, flow_name):
        structure, steps = EXPECTED[flow_name]
        info = self.graph_info(flow_name)
        self.assertEqual(info["graph_structure"], structure)
        got = dict(
            (name, (d["type"], d.get("matching_join"), d.get("foreach_artifact"), d.get("num_parallel"), d.get("condition")))
            for name, d in info["steps"].items()
        )
        self.assertEqual(got, steps)
        for name, d in info["steps"].items():
            self.assertEqual(d["name"], name)
            self.assertTrue(d["source_file"].endswith(FILES[flow_name]))
            self.assertEqual(d["node_info"], {})

    def test_nested_foreach(self):
        self.check("ForeachFlow")

    def test_switch_and_recursive_switch(self):
        self.check("SwitchFlow")
        info = self.graph_info("SwitchFlow")
        self.assertEqual(info["steps"]["loop"]["switch_cases"], {"again": "loop", "done": "end"})
        self.assertEqual(info["steps"]["loop"]["next"], ["loop", "end"])

    def test_parallel(self):
        self.check("ParallelFlow")
        decos = self.graph_info("ParallelFlow")["steps"]["train"]["decorators"]
        self.assertEqual([d["name"] for d in decos], ["parallel"])
        self.assertEqual(decos[0]["attributes"], {})

    def test_static_split(self):
        self.check("BranchFlow")


class AnnotatedEndpointsTest(SharedFlowTestCase):
    def test_start_and_end_annotations(self):
        run = self.run_flow("annotated_flow.py", "AnnotatedFlow")
        self.assertRunOk(run)
        info = self.reader(run, "_parameters", "0")["_graph_info"]
        self.assertEqual((info["start_step"], info["end_step"]), ("begin", "finish"))
        self.assertEqual(info["graph_structure"], ["begin", "finish"])
        self.assertEqual((info["steps"]["begin"]["type"], info["steps"]["finish"]["type"]), ("start", "end"))
        self.assertEqual(self.artifact(run, "finish", "value"), 2)
