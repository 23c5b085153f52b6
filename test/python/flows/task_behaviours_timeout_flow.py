import time

from metaflow import FlowSpec, catch, current, retry, step, timeout


class TimeoutCatchFlow(FlowSpec):
    @catch(var="ex", print_exception=False)
    @timeout(seconds=1)
    @step
    def start(self):
        self.check = True
        time.sleep(30)
        self.after_sleep = True
        self.next(self.slow_once)

    @retry(times=1)
    @timeout(seconds=1)
    @step
    def slow_once(self):
        self.attempt = current.retry_count
        if current.retry_count == 0:
            time.sleep(30)
        self.next(self.end)

    @timeout(minutes=1)
    @step
    def end(self):
        import signal

        # The alarm belongs to this step only while its code runs.
        self.alarm_left = signal.alarm(0)


if __name__ == "__main__":
    TimeoutCatchFlow()
