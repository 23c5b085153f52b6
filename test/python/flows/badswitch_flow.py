from metaflow import FlowSpec, step


class BadSwitchFlow(FlowSpec):
    @step
    def start(self):
        self.choice = "nope"
        self.next({"x": self.x, "y": self.end}, condition="choice")

    @step
    def x(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BadSwitchFlow()
