import os
import sys

from metaflow import FlowSpec, Parameter, current, get_secret, secrets, step
from metaflow.plugins.secrets import get_secret as plugins_get_secret

TOKEN = "tok-9f8e7d6c5b4a"
PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktM\nTU5PUFFSU1RVVldY\n-----END KEY-----"
SOURCES = [
    {"type": "inline", "id": "api", "options": {"env_vars": {"API_TOKEN": TOKEN, "PEM_KEY": PEM}}},
]
FETCHED = "fetched-by-the-flow-31415"


class SecretsMaskingFlow(FlowSpec):
    fail = Parameter("fail", default=False, type=bool)

    @secrets(sources=SOURCES)
    @step
    def start(self):
        self.seen_env = os.environ["API_TOKEN"]
        self.seen_current = (current.secrets.get("API_TOKEN"), current.secrets["PEM_KEY"] == PEM,
                             current.secrets.get("NOT_A_SECRET"), "API_TOKEN" in current.secrets, list(current.secrets))
        print("token is", os.environ["API_TOKEN"], "and that is all")
        sys.stderr.write("key:\n%s\n" % os.environ["PEM_KEY"])
        print(repr(current.secrets))
        fetched = get_secret({"type": "inline", "id": "x", "options": {"env_vars": {"MORE": FETCHED}}})
        self.same_function = fetched == plugins_get_secret({"type": "inline", "id": "x", "options": {"env_vars": {"MORE": FETCHED}}})
        print("fetched", fetched["MORE"])
        if self.fail:
            raise ValueError("refused with %s" % os.environ["API_TOKEN"])
        self.next(self.end)

    @step
    def end(self):
        # Another step without @secrets: nothing injected, and current.secrets is empty.
        self.end_secrets = list(current.secrets)
        print("the end sees", os.environ.get("API_TOKEN"))


if __name__ == "__main__":
    SecretsMaskingFlow()
