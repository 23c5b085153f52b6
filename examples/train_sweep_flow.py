"""A hyper-parameter sweep: train one model per learning rate in parallel, keep the best.

    metaflow-studio run examples/train_sweep_flow.py --epochs 30
"""
import math
import random

from metaflow import FlowSpec, Parameter, current, retry, step


def make_dataset(n, seed):
    rng = random.Random(seed)
    points = []
    for _ in range(n):
        x = rng.uniform(-3, 3)
        points.append((x, 1 if x + rng.gauss(0, 0.8) > 0 else 0))
    return points


class TrainSweepFlow(FlowSpec):
    """Logistic regression trained with several learning rates; the best one wins."""

    epochs = Parameter("epochs", type=int, default=20, help="Passes over the training data.")
    learning_rates = Parameter(
        "learning_rates", default="0.01,0.05,0.1,0.5", separator=",", help="Comma-separated rates to try."
    )

    @step
    def start(self):
        self.data = make_dataset(400, seed=42)
        self.rates = [float(r) for r in self.learning_rates]
        self.next(self.train, foreach="rates")

    @retry(times=2, minutes_between_retries=0)
    @step
    def train(self):
        """Train one model; `self.input` is this branch's learning rate."""
        self.rate = self.input
        w, b = 0.0, 0.0
        for _ in range(self.epochs):
            for x, y in self.data:
                p = 1 / (1 + math.exp(-(w * x + b)))
                w -= self.rate * (p - y) * x
                b -= self.rate * (p - y)
        correct = sum(1 for x, y in self.data if (w * x + b > 0) == (y == 1))
        self.accuracy = correct / len(self.data)
        print(f"task {current.task_id}: rate={self.rate} accuracy={self.accuracy:.3f}")
        self.next(self.pick_best)

    @step
    def pick_best(self, inputs):
        """Join: compare every branch and keep the best model's rate."""
        best = max(inputs, key=lambda branch: branch.accuracy)
        self.best_rate = best.rate
        self.best_accuracy = best.accuracy
        self.results = {branch.rate: branch.accuracy for branch in inputs}
        self.next(self.end)

    @step
    def end(self):
        print(f"best learning rate {self.best_rate} with accuracy {self.best_accuracy:.3f}")


if __name__ == "__main__":
    TrainSweepFlow()
