import os

from metaflow import Config, FlowSpec, Parameter, config_expr, current, environment, project, step


def param_default(ctx):
    return ctx.configs["config2"]["default_param"] + 1


@project(name=config_expr("config").project_name)
class DeferredConfigFlow(FlowSpec):
    config = Config("config", default_value={"value": 42, "str_value": "foobar", "project_name": "test_config",
                                             "nested": {"value": 43}})
    config2 = Config("config2", default_value={"default_param": 123})
    default_from_config = Parameter("default_from_config", default=config_expr("config2").default_param, type=int)
    default_from_func = Parameter("default_from_func", default=param_default, type=int)

    @environment(vars={"normal": config.str_value, "nested": config_expr("config").nested["value"]})
    @step
    def start(self):
        self.env = (os.environ.get("normal"), os.environ.get("nested"))
        self.defaults = (self.default_from_config, self.default_from_func)
        self.project = (current.project_name, current.branch_name)
        self.nested = self.config.nested
        try:
            self.config["value"] = 5
        except TypeError as e:
            self.item_refused = str(e)
        try:
            self.config.value = 5
        except TypeError as e:
            self.attribute_refused = str(e)
        self.next(self.end)

    @step
    def end(self):
        self.nested_again = self.nested.value


if __name__ == "__main__":
    DeferredConfigFlow()
