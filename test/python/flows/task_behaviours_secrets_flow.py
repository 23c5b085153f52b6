import os

from metaflow import FlowSpec, Parameter, catch, secrets, step

INLINE = [
    {"type": "inline", "id": "1", "options": {"env_vars": {"secret_1": "Pizza is a vegetable.", "SECRET_2": "eels"}}},
]


class InlineSecretsFlow(FlowSpec):
    mode = Parameter("mode", default="ok")

    @secrets(sources=INLINE)
    @step
    def start(self):
        self.seen = (os.environ.get("secret_1"), os.environ.get("SECRET_2"))
        self.next(self.clash)

    @catch(var="clash_error", print_exception=False)
    @secrets(sources=INLINE + [{"type": "inline", "id": "2", "options": {"env_vars": {"SECRET_2": "again"}}}])
    @step
    def clash(self):
        self.clash_ran = True
        self.next(self.bad_name)

    @catch(var="bad_name_error", print_exception=False)
    @secrets(sources=[{"type": "inline", "id": "3", "options": {"env_vars": {"METAFLOW_TOKEN": "x"}}}])
    @step
    def bad_name(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    InlineSecretsFlow()
