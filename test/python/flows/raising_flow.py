from metaflow import FlowSpec, step


def check_limit(limit):
    if limit < 5:
        raise ValueError("limit %d is too low" % limit)


class RaisingFlow(FlowSpec):
    @step
    def start(self):
        print("checking the limit")
        check_limit(3)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RaisingFlow()
