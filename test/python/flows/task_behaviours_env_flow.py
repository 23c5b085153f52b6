import os

from metaflow import FlowSpec, IncludeFile, Parameter, current, project, step

# As Metaflow's own tests do: values set while the flow file loads count as if the command line had set them.
os.environ["METAFLOW_RUN_FROM_HEADER"] = "set by the flow file"
os.environ.setdefault("METAFLOW_BRANCH", "from_header")


def branch_default(ctx):
    return current.branch_name


@project(name="env_project")
class EnvParamsFlow(FlowSpec):
    run_mode = Parameter("run-mode", default="default-mode")
    flag = Parameter("flag", default=True, type=bool)
    count = Parameter("count", default=1)
    needed = Parameter("needed", required=True)
    from_header = Parameter("from_header", default="default")
    branch_seen = Parameter("branch_seen", default=branch_default)
    notes = IncludeFile("notes", required=False)

    @step
    def start(self):
        self.seen = (self.run_mode, self.flag, self.count, self.needed, self.from_header, self.notes)
        self.project = (current.project_name, current.branch_name, current.project_flow_name, current.is_production)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    EnvParamsFlow()
