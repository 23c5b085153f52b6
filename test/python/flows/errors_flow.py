import threading

from metaflow import FlowSpec, Parameter, step


class ErrorsFlow(FlowSpec):
    mode = Parameter("mode", default="empty")

    @step
    def start(self):
        self.items = [] if self.mode == "empty" else [1]
        if self.mode == "pickle":
            self.lock = threading.Lock()
        self.next(self.middle, foreach="items")

    @step
    def middle(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ErrorsFlow()
