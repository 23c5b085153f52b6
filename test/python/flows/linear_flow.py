from metaflow import FlowSpec, Parameter, current, step


class LinearFlow(FlowSpec):
    """A three-step flow."""

    greeting = Parameter("greeting", default="hi", help="what to say")
    LIMIT = 7

    @step
    def start(self):
        print("start says", self.greeting)
        self.x = 1
        self.who = current.username
        self.ids = (current.flow_name, current.run_id, current.step_name, current.task_id, current.retry_count)
        self.pathspec = current.pathspec
        self.running = current.is_running_flow
        self.ns = current.namespace
        self.tags = sorted(current.tags)
        self.next(self.middle)

    @step
    def middle(self):
        import sys

        print("to stderr", file=sys.stderr)
        self.x += 1
        self.blob = b"\0" * 10
        self.next(self.end)

    @step
    def end(self):
        print("end", self.x, self.LIMIT)
        self.final = self.x * self.LIMIT


if __name__ == "__main__":
    LinearFlow()
