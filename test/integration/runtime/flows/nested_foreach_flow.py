from metaflow import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.outer = ["a", "b"]
        self.next(self.mid, foreach="outer")

    @step
    def mid(self):
        self.letter = self.input
        self.inner = [1, 2, 3]
        self.next(self.leaf, foreach="inner")

    @step
    def leaf(self):
        self.tag = "%s%d" % (self.letter, self.input)
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.tags = [i.tag for i in inputs]
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.all_tags = [i.tags for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print("all", self.all_tags)


if __name__ == "__main__":
    NestedForeachFlow()
