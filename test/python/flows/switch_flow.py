from metaflow import FlowSpec, Parameter, step


class SwitchFlow(FlowSpec):
    size = Parameter("size", default=5)

    @step
    def start(self):
        self.kind = "big" if self.size > 3 else "small"
        self.count = 0
        self.next({"big": self.big, "small": self.small}, condition="kind")

    @step
    def big(self):
        self.label = "BIG"
        self.next(self.loop)

    @step
    def small(self):
        self.label = "small"
        self.next(self.loop)

    @step
    def loop(self):
        self.count += 1
        self.seen = list(self._iteration_stack)
        self.state = "again" if self.count < 3 else "done"
        self.next({"again": self.loop, "done": self.end}, condition="state")

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SwitchFlow()
