from metaflow import FlowSpec, JSONType, Parameter, step


def default_name(ctx):
    return "%s-by-%s" % (ctx.flow_name, ctx.user_name)


class ParamsFlow(FlowSpec):
    count = Parameter("count", default=3, type=int)
    ratio = Parameter("ratio", default=0.5)
    flag = Parameter("flag", default=False, type=bool)
    config = Parameter("config", type=JSONType, default='{"a": 1}')
    tags_list = Parameter("tags-list", default="x,y", separator=",")
    made = Parameter("made", default=default_name)
    needed = Parameter("needed", required=True, help="must be given")

    @step
    def start(self):
        self.seen = (self.count, self.ratio, self.flag, self.config, self.tags_list, self.made, self.needed)
        try:
            self.count = 5
        except AttributeError as e:
            self.readonly = str(e)
        self.next(self.end)

    @step
    def end(self):
        self.again = self.count


if __name__ == "__main__":
    ParamsFlow()
