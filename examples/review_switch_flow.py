"""A conditional branch: route a batch to manual review or auto-approval, then continue.

    metaflow-studio run examples/review_switch_flow.py --threshold 0.5
"""
from metaflow import FlowSpec, Parameter, step


class ReviewSwitchFlow(FlowSpec):
    """Scores a batch and takes one of two paths depending on its risk."""

    threshold = Parameter("threshold", type=float, default=0.8, help="Risk above this needs a person.")

    @step
    def start(self):
        self.risk = 0.65
        self.route = "review" if self.risk > self.threshold else "approve"
        self.next({"review": self.manual_review, "approve": self.auto_approve}, condition="route")

    @step
    def manual_review(self):
        self.decision = "queued for review"
        self.next(self.notify)

    @step
    def auto_approve(self):
        self.decision = "approved"
        self.next(self.notify)

    @step
    def notify(self):
        print(f"risk {self.risk}: {self.decision}")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ReviewSwitchFlow()
