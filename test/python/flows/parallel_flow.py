from metaflow import FlowSpec, current, parallel, step


class ParallelFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train, num_parallel=3)

    @parallel
    @step
    def train(self):
        self.node = (current.parallel.node_index, current.parallel.num_nodes, current.parallel.control_task_id)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.nodes = sorted(i.node for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParallelFlow()
