from metaflow import FlowSpec, current, step
from metaflow.cards import Markdown


class CardWithoutDecoratorFlow(FlowSpec):
    """`current.card` in a step without @card: Metaflow fails the step, and so do we, saying how to fix it."""

    @step
    def start(self):
        current.card.append(Markdown("no card here"))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CardWithoutDecoratorFlow()
