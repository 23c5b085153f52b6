import time

from metaflow import FlowSpec, card, current, step
from metaflow.cards import Markdown, MetaflowCardComponent


class Exploding(MetaflowCardComponent):
    def render(self):
        raise RuntimeError("component exploded <here>")


class Slow(MetaflowCardComponent):
    def render(self):
        time.sleep(30)
        return {"type": "text", "text": "too late"}


class CardErrorsFlow(FlowSpec):
    """Cards that fail in every way a card can fail; the run must still succeed."""

    @card
    @step
    def start(self):
        current.card.append(Markdown("before"))
        current.card.append(Exploding())
        current.card.append(Markdown("after"))
        self.next(self.slow)

    @card(type="blank", timeout=1)
    @step
    def slow(self):
        current.card.append(Slow())
        self.next(self.unknown)

    @card(type="no_such_card")
    @card(type="blank", id="quiet", timeout=1, save_errors=False)
    @step
    def unknown(self):
        current.card["quiet"].append(Slow())
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CardErrorsFlow()
