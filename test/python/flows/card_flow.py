from metaflow import FlowSpec, Parameter, card, current, step
from metaflow.cards import Artifact, Error, Image, JSONViewer, Markdown, ProgressBar, Table, ValueBox, VegaChart, YAMLViewer

# A 1x1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f1b1d40000000049454e44ae426082"
)


class CardFlow(FlowSpec):
    """Cards of every kind a step can make."""

    alpha = Parameter("alpha", default=3)

    @card
    @step
    def start(self):
        self.score = 0.75
        self.note = "<b>bold?</b> & more"
        self.picture = PIXEL
        current.card.append(Markdown("# Report <script>alert(1)</script>\n\nSome **strong** text & `code`."))
        current.card.append(Table([["<td>x</td>", 1], ["row2", Artifact({"k": "<v>"})]], headers=["name", "value"]))
        current.card.extend([
            Image(PIXEL, "a <pixel>"),
            ProgressBar(max=10, value=4, label="progress <p>", unit="items"),
            VegaChart({"mark": "bar", "title": "Bars <1>", "data": {"values": [{"a": "x<", "b": 2}]}}),
            Error(ValueError("bad <value>"), "Something failed"),
            ValueBox(title="Accuracy <%>", value=42, theme="success", change_indicator="up <1>"),
            JSONViewer({"k": "<v>", "n": [1, 2]}, title="As JSON"),
            YAMLViewer({"key": "a:b", "items": [1, "two"]}, title="As YAML"),
        ])
        self.collector_kind = type(current.card).__name__
        self.next(self.multi)

    @card(type="blank", id="x", options={"title": "Blank <X>"})
    @card(id="y")
    @step
    def multi(self):
        current.card["x"].append(Markdown("only in **x**"))
        current.card["y"].append(Markdown("only in y"))
        current.card["x"].components["named"] = Markdown("named component")
        self.has_named = "named" in current.card["x"].components
        self.missing = current.card["nope"]
        current.card.append(Markdown("ambiguous"))
        self.next(self.plain)

    @step
    def plain(self):
        self.plain_ok = True
        self.next(self.end)

    @card(type="blank")
    @step
    def end(self):
        bar = ProgressBar(max=2, value=0, label="steps")
        current.card.append(Markdown("cleared away"))
        current.card.clear()
        current.card.append(Markdown("the end"))
        current.card.append(bar)
        current.card.refresh({"stage": "first"}, force=True)
        bar.update(2, metadata="done")


if __name__ == "__main__":
    CardFlow()
