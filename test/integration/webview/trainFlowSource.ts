// A Metaflow flow with every kind of step the DAG draws differently, analysed by the real analyzer in the webview tests.
export const TRAIN_FLOW_SOURCE = `from metaflow import FlowSpec, step, kubernetes, retry, timeout, catch, resources, card


class TrainFlow(FlowSpec):
    """Trains one model per shard and ships the good ones."""

    @step
    def start(self):
        """Begin."""
        self.next(self.load_data, self.load_config)

    @kubernetes(cpu=2)
    @retry(times=3)
    @step
    def load_data(self):
        self.next(self.join_inputs)

    @step
    def load_config(self):
        self.next(self.join_inputs)

    @step
    def join_inputs(self, inputs):
        self.next(self.fan_out)

    @step
    def fan_out(self):
        self.shards = [1, 2, 3]
        self.next(self.train, foreach="shards")

    @kubernetes
    @retry
    @timeout(minutes=30)
    @catch(var="failure")
    @resources(memory=4096)
    @step
    def train(self):
        self.next(self.join_models)

    @step
    def join_models(self, inputs):
        self.quality = "good"
        self.next(self.choose)

    @step
    def choose(self):
        self.next({"good": self.deploy, "retrain": self.choose, "bad": self.report}, condition="quality")

    @card
    @step
    def deploy(self):
        self.next(self.end)

    @step
    def report(self, extra):
        self.next(self.end)

    @step
    def end(self):
        pass


class OtherFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;
