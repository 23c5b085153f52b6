from metaflow import FlowSpec, step


class MergeFlow(FlowSpec):
    @step
    def start(self):
        self.base = 1
        try:
            self.merge_artifacts([])
        except Exception as e:
            self.outside_join = str(e)
        self.next(self.a, self.b)

    @step
    def a(self):
        self.only_a = "a"
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        try:
            self.merge_artifacts(inputs, include=["only_a", "absent"])
        except Exception as e:
            self.missing_error = "%s: %s" % (type(e).__name__, e)
        try:
            self.merge_artifacts(inputs, include=["only_a"], exclude=["base"])
        except Exception as e:
            self.both_error = str(e)
        self.merge_artifacts(inputs, include=["only_a"])
        self.next(self.end)

    @step
    def end(self):
        self.seen = (self.only_a, hasattr(self, "base"))


if __name__ == "__main__":
    MergeFlow()
