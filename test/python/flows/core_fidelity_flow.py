"""Behaviours Metaflow's own core suite checks: card types from extension packages and
`taskspec_card`, @environment seen by the cards, `current.card[id]` with an unknown id,
`current.tags` a set the flow may keep and add to, `current.task`/`current.run` as artifacts,
a parameter default reading `ctx.configs.<name>.<key>`, a `config_expr` expression using a name of
this module, and `@environment(**config)`."""

from metaflow import Config, FlowSpec, Parameter, card, config_expr, current, environment, step


def from_config(ctx):
    return ctx.configs.settings.base + 1


def label(number):
    return "%d at " % number


class CoreFidelityFlow(FlowSpec):
    settings = Config("settings", default_value={"base": 41})
    env_config = Config("env_config", default_value={"vars": {"FROM_UNPACKED_CONFIG": "yes"}})
    derived = Parameter("derived", default=from_config, type=int)

    @environment(vars={"METAFLOW_CARD_NO_WARNING": "True"})
    @card(type="extension_pathspec_card", options={"prefix": config_expr("label(settings.base)")}, save_errors=False)
    @card(type="extension_editable_card", save_errors=False)
    @card(type="extension_broken_card", save_errors=False)
    @card(type="taskspec_card")
    @card(type="test_editable_card", id="named")
    @step
    def start(self):
        from metaflow.plugins.cards.card_modules.test_cards import TestStringComponent

        current.card.append(TestStringComponent("appended"))
        current.card["xyz"].append(TestStringComponent("lost"))
        current.card["named"].append(TestStringComponent("by id"))
        self.tags = current.tags
        self.tags.update({"added in the flow"})
        self.task_obj = current.task
        self.run_obj = current.run
        self.next(self.end)

    @environment(**env_config)
    @step
    def end(self):
        import os

        self.seen_tags = set(current.tags)
        self.from_unpacked = os.environ.get("FROM_UNPACKED_CONFIG")
