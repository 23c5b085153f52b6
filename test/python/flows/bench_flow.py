from metaflow import FlowSpec, Parameter, step


class BenchFlow(FlowSpec):
    width = Parameter("width", default=1000)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.y = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.y for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
