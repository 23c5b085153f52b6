from metaflow import FlowSpec, step


class FirstFlow(FlowSpec):
    @step
    def start(self):
        self.which = "first"
        self.next(self.end)

    @step
    def end(self):
        pass


class SecondFlow(FlowSpec):
    @step
    def start(self):
        self.which = "second"
        self.next(self.end)

    @step
    def end(self):
        pass
