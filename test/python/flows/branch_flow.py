from metaflow import FlowSpec, step


class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.shared = "same"
        self.conflict = 0
        self.next(self.a, self.b)

    @step
    def a(self):
        self.va = "from a"
        self.conflict = 1
        self.next(self.join)

    @step
    def b(self):
        self.vb = "from b"
        self.conflict = 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.by_name = (inputs.a.va, inputs.b.vb)
        self.by_index = [inp.conflict for inp in inputs]
        self.first = inputs[0].conflict
        self.count = len(list(inputs))
        self.has_shared_before_merge = hasattr(self, "shared")
        try:
            self.merge_artifacts(inputs)
        except Exception as e:
            self.conflict_error = "%s: %s" % (type(e).__name__, e)
        self.merge_artifacts(inputs, exclude=["conflict"])
        self.next(self.end)

    @step
    def end(self):
        self.result = (self.shared, self.va, self.vb)


if __name__ == "__main__":
    BranchFlow()
