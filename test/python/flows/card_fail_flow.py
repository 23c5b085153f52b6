from metaflow import FlowSpec, card, current, step
from metaflow.cards import Markdown


class CardFailFlow(FlowSpec):
    """A step with a card whose own code fails: the failure stands and no card is made."""

    @card
    @step
    def start(self):
        current.card.append(Markdown("never shown"))
        raise ValueError("step code failed")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CardFailFlow()
