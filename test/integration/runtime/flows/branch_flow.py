from metaflow import FlowSpec, step


class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.a, self.b)

    @step
    def a(self):
        self.x = 10
        self.next(self.join)

    @step
    def b(self):
        self.x = 20
        self.next(self.join)

    @step
    def join(self, inputs):
        self.xs = [inputs.a.x, inputs.b.x]
        self.next(self.end)

    @step
    def end(self):
        print("xs", self.xs)


if __name__ == "__main__":
    BranchFlow()
