from metaflow import FlowSpec, Parameter, step


class WideForeachFlow(FlowSpec):
    width = Parameter("width", type=int, default=200)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.square = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.squares = [i.square for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print("count", len(self.squares))


if __name__ == "__main__":
    WideForeachFlow()
