"""`config_expr` expressions are walked, not evaluated with `eval`: the configs first, then the module's
names, then builtins; unsupported syntax and unknown names are refused with the expression named."""

import sys
import unittest

from test.python.harness import PYTHON_DIR

if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

from metaflow.config_expression import ConfigExpressionError, evaluate  # noqa: E402
from metaflow.config_parameters import ConfigValue, config_expr  # noqa: E402
from metaflow.exception import MetaflowException  # noqa: E402

CONFIGS = {"config": ConfigValue({"value": 42, "name": "Model", "nested": {"items": [1, 2, 3]}})}


def shout(text):
    return text.upper() + "!"


class ConfigExpressionTest(unittest.TestCase):
    def test_calls_attributes_items_and_operators(self):
        self.assertEqual(evaluate("str(config.value)", CONFIGS), "42")
        self.assertEqual(evaluate("config.name.lower()", CONFIGS), "model")
        self.assertEqual(evaluate("config['nested']['items'][1:]", CONFIGS), [2, 3])
        self.assertEqual(evaluate("config.value * 2 + 1 if config.value > 40 else 0", CONFIGS), 85)
        self.assertEqual(evaluate("f'{config.name}-{config.value:04d}'", CONFIGS), "Model-0042")
        self.assertEqual(evaluate("{'a': config.value, **{'b': 1}}", CONFIGS), {"a": 42, "b": 1})
        self.assertEqual(evaluate("not config.value in (1, 2) and 'x' or 'y'", CONFIGS), "x")

    def test_module_names_come_after_the_configs(self):
        self.assertEqual(evaluate("shout(config.name)", CONFIGS, globals()), "MODEL!")
        self.assertEqual(evaluate("config.value", CONFIGS, {"config": "shadowed"}), 42)

    def test_refusals_name_the_expression(self):
        with self.assertRaisesRegex(ConfigExpressionError, r"config_expr\('missing\.x'\): the name 'missing' is not a Config"):
            evaluate("missing.x", CONFIGS)
        with self.assertRaisesRegex(ConfigExpressionError, r"Lambda is not supported"):
            evaluate("(lambda: 1)()", CONFIGS)
        with self.assertRaisesRegex(ConfigExpressionError, r"ListComp is not supported"):
            evaluate("[x for x in config.nested['items']]", CONFIGS)
        with self.assertRaisesRegex(ConfigExpressionError, r"is not a Python expression"):
            evaluate("config.value +", CONFIGS)

    def test_config_expr_uses_the_callers_module_and_reports_failures(self):
        self.assertEqual(config_expr("shout(config.name)")(CONFIGS), "MODEL!")
        self.assertEqual(config_expr("config").nested["items"](CONFIGS), [1, 2, 3])
        with self.assertRaisesRegex(MetaflowException, r"failed: ZeroDivisionError"):
            config_expr("config.value / 0")(CONFIGS)
        unpacked = dict(**config_expr("config"))
        (key, value), = unpacked.items()
        self.assertTrue(key.startswith("_unpacked_delayed_"))
        self.assertEqual(value(CONFIGS)["value"], 42)


if __name__ == "__main__":
    unittest.main()
