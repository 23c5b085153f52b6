from metaflow import FlowSpec, step


class SegfaultFlow(FlowSpec):
    @step
    def start(self):
        import ctypes

        print("Crash and burn!")
        ctypes.string_at(0)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SegfaultFlow()
