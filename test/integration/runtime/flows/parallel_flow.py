from metaflow import FlowSpec, current, parallel, step


class ParallelFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train, num_parallel=3)

    @parallel
    @step
    def train(self):
        self.node = current.parallel.node_index
        self.nodes = current.parallel.num_nodes
        print("node", self.node, "of", self.nodes)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.seen = sorted(i.node for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print("seen", self.seen)


if __name__ == "__main__":
    ParallelFlow()
