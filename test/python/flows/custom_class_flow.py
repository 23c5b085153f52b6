from metaflow import FlowSpec, step


class Point(object):
    def __init__(self, x, y):
        self.x = x
        self.y = y


class CustomClassFlow(FlowSpec):
    @step
    def start(self):
        self.point = Point(1, 2)
        self.points = [Point(i, i) for i in range(3)]
        self.next(self.each, foreach="points")

    @step
    def each(self):
        self.doubled = self.input.x * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.doubled for i in inputs)
        self.merge_artifacts(inputs, include=["point"])
        self.next(self.end)

    @step
    def end(self):
        self.sum_xy = self.point.x + self.point.y


if __name__ == "__main__":
    CustomClassFlow()
