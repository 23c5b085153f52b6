"""The test card types Metaflow ships (and its own suite renders)."""

from metaflow import FlowSpec, card, current, step


class TestCardsFlow(FlowSpec):
    @card(type="test_editable_card")
    @card(type="test_non_editable_card", id="fixed")
    @card(type="test_mock_card", options={"key": "value"})
    @card(type="test_error_card")
    @card(type="test_pathspec_card")
    @card(type="test_image_card")
    @step
    def start(self):
        from metaflow.plugins.cards.card_modules.test_cards import TestStringComponent

        self.value = "mocked-value"
        current.card.append(TestStringComponent("first"))
        current.card.append(TestStringComponent("second"))
        self.next(self.refresh)

    @card(type="test_refresh_card", id="refresh_card")
    @step
    def refresh(self):
        import time

        from metaflow.cards import get_cards
        from metaflow.plugins.cards.card_client import Card
        from metaflow.plugins.cards.exception import CardNotPresentException

        current.card.refresh({"arr": [1, 2]})
        found = None
        for _ in range(50):
            try:
                found = get_cards(current.pathspec, id="refresh_card")
            except CardNotPresentException:
                found = None
            if found:
                break
            time.sleep(0.1)
        self.live_card_is_card = bool(found) and isinstance(found[0], Card)
        self.live_html = found[0].get() if found else None
        current.card.refresh({"arr": [1, 2, 3]})
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    TestCardsFlow()
