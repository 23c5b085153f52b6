from metaflow import FlowSpec, Parameter, current, parallel, step


class ParallelWorkerReturnFlow(FlowSpec):
    """Worker nodes of a num_parallel fan-out return early, without self.next(); node 0 may too."""

    control_returns = Parameter("control_returns", default=False, type=bool)

    @step
    def start(self):
        self.next(self.train, num_parallel=3)

    @parallel
    @step
    def train(self):
        self.node = current.parallel.node_index
        if current.parallel.node_index != 0 or self.control_returns:
            return
        self.next(self.join)

    @step
    def join(self, inputs):
        self.nodes = sorted(i.node for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParallelWorkerReturnFlow()
