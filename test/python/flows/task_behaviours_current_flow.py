import os

from metaflow import FlowSpec, Parameter, current, project, step


def greeting_default(ctx):
    # Evaluated while the run's parameters are: the project is already known, as under Metaflow.
    return "%s/%s/%s" % (current.project_name, current.branch_name, ctx.parameter_name)


@project(name="behaviours")
class CurrentObjectsFlow(FlowSpec):
    greeting = Parameter("greeting", default=greeting_default)
    mode = Parameter("run-mode", default="default-mode")
    flag = Parameter("flag", default=True, type=bool)
    count = Parameter("count", default=1)

    @step
    def start(self):
        self.task_pathspec = current.task.pathspec
        self.run_pathspec = current.run.pathspec
        self.run_param = current.run["_parameters"].task.data.greeting
        self.project = (current.project_name, current.branch_name, current.project_flow_name, current.is_production,
                        current.is_user_branch)
        self.task_obj = current.task
        self.next(self.end)

    @step
    def end(self):
        self.previous_steps = [s.id for s in current.run]


if __name__ == "__main__":
    CurrentObjectsFlow()
