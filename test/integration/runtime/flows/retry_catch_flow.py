import os
import time

from metaflow import FlowSpec, catch, current, retry, step, timeout


class RetryCatchFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.flaky)

    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        print("attempt", current.retry_count)
        if current.retry_count < 2:
            raise RuntimeError("flaky failure %d" % current.retry_count)
        self.attempts = current.retry_count
        self.next(self.caught)

    @catch(var="problem")
    @step
    def caught(self):
        raise KeyError("always")
        self.next(self.slow)

    @retry(times=1, minutes_between_retries=0)
    @timeout(seconds=1)
    @step
    def slow(self):
        print("slow attempt", current.retry_count)
        if current.retry_count == 0:
            time.sleep(30)
        self.next(self.end)

    @step
    def end(self):
        print("done", self.attempts, type(self.problem).__name__)


if __name__ == "__main__":
    RetryCatchFlow()
