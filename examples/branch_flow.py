"""A static branch: compute features two ways at once, then join them.

    metaflow-studio run examples/branch_flow.py
"""
from metaflow import FlowSpec, step


class BranchFlow(FlowSpec):
    """Two independent feature builders joined into one table."""

    @step
    def start(self):
        self.customers = ["ada", "grace", "linus", "margaret"]
        self.next(self.text_features, self.count_features)

    @step
    def text_features(self):
        self.features = {name: {"initial": name[0].upper()} for name in self.customers}
        self.next(self.join)

    @step
    def count_features(self):
        self.features = {name: {"letters": len(name)} for name in self.customers}
        self.next(self.join)

    @step
    def join(self, inputs):
        """Merge the two feature sets; `inputs.<branch>` reaches each branch by name."""
        self.table = {
            name: {**inputs.text_features.features[name], **inputs.count_features.features[name]}
            for name in inputs.text_features.customers
        }
        self.next(self.end)

    @step
    def end(self):
        for name, row in self.table.items():
            print(name, row)


if __name__ == "__main__":
    BranchFlow()
