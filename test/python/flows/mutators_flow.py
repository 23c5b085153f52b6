"""Flow and step mutators and user step decorators, as Metaflow 2.19 users write them."""

import os

from metaflow import (
    Config,
    FlowMutator,
    FlowSpec,
    Parameter,
    StepMutator,
    UserStepDecorator,
    environment,
    retry,
    step,
    user_step_decorator,
)


@user_step_decorator
def timed(step_name, flow, inputs):
    flow.timed_steps = getattr(flow, "timed_steps", []) + [step_name]
    yield
    flow.timed_after = step_name


@user_step_decorator
def gobble(step_name, flow, inputs, attributes):
    try:
        yield
    except ValueError as e:
        flow.gobbled = "%s:%s" % (attributes.get("label"), e)


@user_step_decorator
def skip_it(step_name, flow, inputs):
    yield {}


@user_step_decorator
def replace_with(step_name, flow, inputs):
    def instead(flow_self):
        flow_self.replaced = True
        return True  # make the transition the replaced step would have made

    yield instead


class Counter(UserStepDecorator):
    def init(self, start=0):
        self.start = start

    def pre_step(self, step_name, flow, inputs=None):
        flow.counter = self.start + 1

    def post_step(self, step_name, flow, exception=None):
        flow.counter += 1
        if exception:
            return exception, None
        return None, None


class add_env(StepMutator):
    """Adds @environment from the config and the `timed` user decorator to its step."""

    def init(self, key="STEP_MUTATOR"):
        self.key = key

    def mutate(self, mutable_step):
        value = mutable_step.flow.cfg.greeting
        env = dict(next((k["vars"] for n, _, _, k in mutable_step.decorator_specs if n == "environment"), {}))
        env[self.key] = value
        mutable_step.add_decorator(environment, deco_kwargs={"vars": env}, duplicates=mutable_step.OVERRIDE)
        mutable_step.add_decorator(timed)


class Inner(FlowMutator):
    def pre_mutate(self, mutable_flow):
        for _, s in mutable_flow.steps:
            s.add_decorator("environment:vars={\"INNER\": \"yes\"}", duplicates=s.IGNORE)


class Outer(FlowMutator):
    """pre_mutate adds a parameter, a retry on `flaky`, removes the retry of `start` and adds Inner."""

    def pre_mutate(self, mutable_flow):
        mutable_flow.add_parameter("added", Parameter("added", default=mutable_flow.cfg.size))
        mutable_flow.flaky.add_decorator(retry, deco_kwargs={"times": 2})
        mutable_flow.start.remove_decorator("retry")
        mutable_flow.remove_parameter("dropped")
        mutable_flow.add_decorator(Inner)

    def mutate(self, mutable_flow):
        try:
            mutable_flow.add_parameter("late", Parameter("late", default=1))
        except Exception as e:
            os.environ["MUTATE_REFUSED"] = str(e)


@Outer
class MutatorsFlow(FlowSpec):
    cfg = Config("cfg", default_value={"greeting": "hello", "size": 7})
    dropped = Parameter("dropped", default=3)

    @retry(times=1)
    @add_env(key="GREETING")
    @step
    def start(self):
        self.greeting = os.environ.get("GREETING")
        self.inner = os.environ.get("INNER")
        self.added_value = self.added
        self.has_dropped = hasattr(self, "dropped")
        self.next(self.flaky)

    @gobble(label="g")
    @Counter(start=10)
    @step
    def flaky(self):
        self.ran_flaky = True
        if self.ran_flaky:
            # Gobbled by @gobble: Metaflow then makes the step's own transition.
            raise ValueError("boom")
        self.next(self.skipped)

    @skip_it
    @step
    def skipped(self):
        self.should_not_exist = True
        self.next(self.swapped)

    @replace_with
    @step
    def swapped(self):
        self.should_not_exist_either = True
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    MutatorsFlow()
