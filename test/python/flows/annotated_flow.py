from metaflow import FlowSpec, step


class AnnotatedFlow(FlowSpec):
    @step(start=True)
    def begin(self):
        self.value = 1
        self.next(self.finish)

    @step(end=True)
    def finish(self):
        self.value += 1


if __name__ == "__main__":
    AnnotatedFlow()
