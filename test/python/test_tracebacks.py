from test.python.harness import FlowTestCase


class UserTracebackTest(FlowTestCase):
    def test_a_failing_step_shows_its_own_frames_not_the_runtime(self):
        run = self.run_flow("raising_flow.py", "RaisingFlow")
        stderr = "\n".join(run.logs("start", "stderr"))
        self.assertIn("Traceback (most recent call last):", stderr)
        self.assertIn('raising_flow.py", line 13, in start', stderr)
        self.assertIn('raising_flow.py", line 6, in check_limit', stderr)
        self.assertIn("ValueError: limit 3 is too low", stderr)
        self.assertNotIn("metaflow_studio", stderr)
        self.assertNotIn("step_wrappers", stderr)
        self.assertEqual(run.logs("start", "stdout"), ["checking the limit"])
