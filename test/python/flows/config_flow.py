import os

from metaflow import (
    Config, FlowSpec, IncludeFile, card, config_expr, current, environment, project, resources, retry, step,
)


@project(name="studio_demo")
class ConfigFlow(FlowSpec):
    cfg = Config("cfg", default_value={"region": "westeurope", "model": {"lr": 0.1}})
    notes = IncludeFile("notes", default="config_notes.txt")

    @card
    @retry(times=2)
    @resources(memory=8192)
    @environment(vars=config_expr("cfg.env"))
    @step
    def start(self):
        self.region = self.cfg.region
        self.lr = self.cfg.model.lr
        self.env_value = os.environ.get("FROM_CONFIG")
        self.note_lines = self.notes.splitlines()
        self.project = (current.project_name, current.branch_name, current.is_production, current.project_flow_name)
        self.next(self.end)

    @step
    def end(self):
        self.cfg_type = type(self.cfg).__name__


if __name__ == "__main__":
    ConfigFlow()
