from metaflow import FlowSpec, step


class SwitchInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.sizes = [5, 50, 500]
        self.next(self.route, foreach="sizes")

    @step
    def route(self):
        self.n = self.input
        self.kind = "big" if self.n > 10 else "small"
        self.next({"big": self.big, "small": self.small}, condition="kind")

    @step
    def big(self):
        self.label = "big:%d" % self.n
        self.next(self.after)

    @step
    def small(self):
        self.label = "small:%d" % self.n
        self.next(self.after)

    @step
    def after(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.labels = [i.label for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print("labels", self.labels)


if __name__ == "__main__":
    SwitchInForeachFlow()
