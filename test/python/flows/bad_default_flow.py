from metaflow import FlowSpec, Parameter, step


def broken_default(ctx):
    return {}["missing"]


class BadDefaultFlow(FlowSpec):
    fine = Parameter("fine", default=1)
    broken = Parameter("broken", default=broken_default)

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BadDefaultFlow()
