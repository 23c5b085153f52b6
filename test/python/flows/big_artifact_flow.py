import os

from metaflow import FlowSpec, Parameter, step


class BigArtifactFlow(FlowSpec):
    megabytes = Parameter("megabytes", default=100)

    @step
    def start(self):
        self.big = os.urandom(self.megabytes << 20)
        self.next(self.middle)

    @step
    def middle(self):
        self.size = len(self.big)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BigArtifactFlow()
