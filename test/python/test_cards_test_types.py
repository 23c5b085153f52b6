"""The test card types Metaflow ships render as Metaflow's do: editable cards join their components,
the mock card shows an artifact, the error card becomes an error card under its own type, and the
refresh card is rendered at the first `current.card.refresh` (readable with `get_cards` inside the
task), its last data update stored as the final one."""

import glob
import json
import os
import re
import unittest

from test.python.harness import SharedFlowTestCase


class TestCardTypesTest(SharedFlowTestCase):
    @classmethod
    def setUpClass(cls):
        super(TestCardTypesTest, cls).setUpClass()
        cls.run_ = cls.run_shared("test_cards_flow.py", "TestCardsFlow")

    def cards(self, step):
        """{card type: html}: the flow has one card of each type on a step."""
        cards = self.stored_cards(self.run_, step)
        for card_type, pages in cards.items():
            self.assertEqual(len(pages), 1, card_type)
        return dict((card_type, pages[0]) for card_type, pages in cards.items())

    def test_the_run_succeeds(self):
        self.assertRunOk(self.run_)

    def test_editable_and_non_editable_cards(self):
        cards = self.cards("start")
        self.assertEqual(cards["test_editable_card"], "first$&#!!@*second")
        # Components go to the one editable card only.
        self.assertEqual(cards["test_non_editable_card"], "")

    def test_mock_pathspec_and_image_cards(self):
        cards = self.cards("start")
        self.assertEqual(cards["test_mock_card"], "mocked-value")
        pathspec = "TestCardsFlow/%s/start/%s" % (self.run_.run_id, self.run_.task_ids("start")[0])
        self.assertRegex(cards["test_pathspec_card"], "^%s [A-Z0-9]{6}$" % re.escape(pathspec))
        self.assertRegex(cards["test_image_card"], r"^<html><img src='data:image/png;base64,[A-Za-z0-9+/=]+' /></html>$")

    def test_a_failing_card_is_saved_as_an_error_card_of_its_type(self):
        html = self.cards("start")["test_error_card"]
        self.assertIn("Card Render Failed With Error", html)
        self.assertIn("Unknown Things Happened", html)

    def test_refresh_card_is_rendered_at_the_first_refresh_and_ends_with_the_last_data(self):
        reader = self.reader(self.run_, "refresh", self.run_.task_ids("refresh")[0])
        self.assertTrue(reader["live_card_is_card"])
        self.assertIn('<h1>{"arr": [1, 2]}</h1>', reader["live_html"])
        final = self.cards("refresh")["test_refresh_card"]
        self.assertIn('<h1>{"arr": [1, 2, 3]}</h1>', final)
        data_files = glob.glob(os.path.join(self.root, "mf.cards", "TestCardsFlow", "runs", self.run_.run_id, "steps",
                                            "refresh", "tasks", "*", "runtime", "*.data.json"))
        with open(data_files[0]) as f:
            data = json.load(f)
        self.assertEqual(data["data"]["user"], {"arr": [1, 2, 3]})
        self.assertEqual(data["data"]["render_seq"], "final")
        self.assertTrue({"mode", "component_update_ts", "components", "render_seq", "user"} <= set(data["data"]))


if __name__ == "__main__":
    unittest.main()
