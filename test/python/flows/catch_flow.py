import os

from metaflow import FlowSpec, catch, environment, retry, secrets, step


class CatchFlow(FlowSpec):
    @environment(vars={"GREETING": "hello-env"})
    @secrets(sources=["inline.my-secret"])
    @step
    def start(self):
        self.env = os.environ.get("GREETING")
        self.next(self.boom)

    @catch(var="failure", print_exception=False)
    @retry(times=1)
    @step
    def boom(self):
        self.partial = 1
        raise ValueError("boom in attempt %d" % int(os.environ.get("ATTEMPT_HINT", "0")))
        self.next(self.end)

    @step
    def end(self):
        self.failure_type = self.failure.type if self.failure is not None else None


if __name__ == "__main__":
    CatchFlow()
