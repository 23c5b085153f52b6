"""@secrets sources, Key Vault secret ids and env-var names with Metaflow's rules, and the masking of secret values in
everything a task's output becomes (run events, persisted logs, the failure reported to the scheduler)."""

import glob
import os
import unittest

import sys

from test.python.harness import PYTHON_DIR, FlowTestCase

sys.path.insert(0, PYTHON_DIR)

from metaflow.exception import MetaflowException  # noqa: E402
from metaflow.plugins.secrets.az_key_vault import (  # noqa: E402
    MetaflowAzureKeyVaultBadSecret,
    MetaflowAzureKeyVaultBadSecretName,
    MetaflowAzureKeyVaultBadSecretPath,
    MetaflowAzureKeyVaultBadSecretType,
    MetaflowAzureKeyVaultBadSecretVersion,
    MetaflowAzureKeyVaultBadVault,
    env_var_name,
    resolve_secret_id,
)
from metaflow.plugins.secrets.providers import provider_for  # noqa: E402
from metaflow.plugins.secrets.secret_spec import parse_source  # noqa: E402
from metaflow_studio.secret_mask import MASK, SecretMask  # noqa: E402

VERSION = "ec96f02080254f109c51a1f14cdb1931"
PREFIX = "https://myvault.vault.azure.net/"


class KeyVaultIdTest(unittest.TestCase):
    def test_full_urls_name_vault_secret_and_version(self):
        ref = resolve_secret_id("https://myvault.vault.azure.net/secrets/db-pass/%s" % VERSION, None)
        self.assertEqual((ref.vault_url, ref.name, ref.version), ("https://myvault.vault.azure.net", "db-pass", VERSION))
        ref = resolve_secret_id("https://gov-vault.vault.usgovcloudapi.net/secrets/x/", None)
        self.assertEqual((ref.vault_url, ref.name, ref.version), ("https://gov-vault.vault.usgovcloudapi.net", "x", None))
        for domain in ("vault.azure.cn", "vault.microsoftazure.de"):
            self.assertEqual(resolve_secret_id("https://abc.%s/secrets/s1" % domain, None).name, "s1")

    def test_short_ids_need_the_prefix(self):
        with self.assertRaises(MetaflowAzureKeyVaultBadSecret) as cm:
            resolve_secret_id("db-pass", None)
        self.assertIn("METAFLOW_AZURE_KEY_VAULT_PREFIX", str(cm.exception))
        ref = resolve_secret_id("db-pass", PREFIX)
        self.assertEqual((ref.vault_url, ref.name, ref.version), ("https://myvault.vault.azure.net", "db-pass", None))
        ref = resolve_secret_id("db-pass/%s" % VERSION, PREFIX.rstrip("/"))
        self.assertEqual(ref.version, VERSION)
        with self.assertRaises(MetaflowAzureKeyVaultBadSecret):
            resolve_secret_id("a/b/c", PREFIX)
        with self.assertRaises(MetaflowAzureKeyVaultBadSecret):
            resolve_secret_id("", PREFIX)

    def test_each_rule_has_its_own_error(self):
        cases = [
            ("https://myvault.example.com/secrets/x", MetaflowAzureKeyVaultBadVault, "bad key vault domain"),
            ("https://my--vault.vault.azure.net/secrets/x", MetaflowAzureKeyVaultBadVault, "bad key vault name my--vault"),
            ("https://ab.vault.azure.net/secrets/x", MetaflowAzureKeyVaultBadVault, "bad key vault name ab"),
            ("https://%s.vault.azure.net/secrets/x" % ("v" * 25), MetaflowAzureKeyVaultBadVault, "bad key vault name"),
            ("https://myvault.vault.azure.net/keys/x", MetaflowAzureKeyVaultBadSecretType, "bad secret type keys"),
            ("https://myvault.vault.azure.net/secrets", MetaflowAzureKeyVaultBadSecretPath, "bad secret uri path"),
            ("https://myvault.vault.azure.net/secrets/x/%s/y" % VERSION, MetaflowAzureKeyVaultBadSecretPath, "bad secret uri path"),
            ("https://myvault.vault.azure.net/secrets/1x", MetaflowAzureKeyVaultBadSecretName, "bad secret name 1x"),
            ("https://myvault.vault.azure.net/secrets/a_b", MetaflowAzureKeyVaultBadSecretName, "bad secret name a_b"),
            ("https://myvault.vault.azure.net/secrets/%s" % ("a" * 128), MetaflowAzureKeyVaultBadSecretName, "bad secret name"),
            ("https://myvault.vault.azure.net/secrets/x/%s" % VERSION[:31], MetaflowAzureKeyVaultBadSecretVersion, "bad secret version"),
        ]
        for secret_id, error, message in cases:
            with self.subTest(secret_id=secret_id):
                with self.assertRaises(error) as cm:
                    resolve_secret_id(secret_id, None)
                self.assertIn(message, str(cm.exception))
        self.assertEqual(resolve_secret_id("https://myvault.vault.azure.net/secrets/%s" % ("a" * 127), None).name, "a" * 127)

    def test_env_var_names(self):
        self.assertEqual(env_var_name("db-pass.word/x"), "db_pass_word_x")
        self.assertEqual(env_var_name("PLAIN"), "PLAIN")


class SourceTest(unittest.TestCase):
    def test_typed_plain_and_dict_sources(self):
        spec = parse_source("az-key-vault.https://myvault.vault.azure.net/secrets/x", environ={})
        self.assertEqual((spec.backend, spec.secret_id), ("az-key-vault", "https://myvault.vault.azure.net/secrets/x"))
        spec = parse_source("db-pass", environ={"METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE": "azure-key-vault"})
        self.assertEqual((spec.backend, spec.secret_id), ("azure-key-vault", "db-pass"))
        with self.assertRaises(MetaflowException) as cm:
            parse_source("db-pass", environ={})
        self.assertIn("METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE", str(cm.exception))
        spec = parse_source({"type": "az-key-vault", "id": "x", "options": {"env_var_name": "DB"}, "role": "r1"}, role="r0", environ={})
        self.assertEqual((spec.options, spec.role), ({"env_var_name": "DB"}, "r1"))
        self.assertEqual(parse_source({"type": "inline", "id": "x"}, role="r0", environ={}).role, "r0")
        self.assertEqual(parse_source("inline.x", environ={"METAFLOW_DEFAULT_SECRETS_ROLE": "r2"}).role, "r2")
        with self.assertRaises(MetaflowException):
            parse_source({"type": "inline", "id": 3}, environ={})
        with self.assertRaises(MetaflowException):
            parse_source(["inline.x"], environ={})

    def test_backends(self):
        self.assertEqual(provider_for("az-key-vault").TYPE, "az-key-vault")
        self.assertEqual(provider_for("azure-key-vault").TYPE, "az-key-vault")
        with self.assertRaises(MetaflowException) as cm:
            provider_for("aws-secrets-manager")
        self.assertIn("Unknown secrets backend type aws-secrets-manager (available types: az-key-vault, azure-key-vault)",
                      str(cm.exception))


class SecretMaskTest(unittest.TestCase):
    def test_values_lines_of_multiline_values_and_longest_first(self):
        mask = SecretMask()
        self.assertEqual(mask.apply("nothing to hide"), "nothing to hide")
        mask.add(["abc", "abcdef", "line one\r\nline two\n", " "])
        self.assertEqual(mask.apply("x abcdef y abc"), "x %s y %s" % (MASK, MASK))
        self.assertEqual(mask.apply(">> line two <<"), ">> %s <<" % MASK)
        self.assertEqual(mask.apply("a b"), "a b", "a whitespace-only value is not masked")
        self.assertEqual(mask.scrub({"m": ["abc!", 3, None]}), {"m": [MASK + "!", 3, None]})

    def test_pipe_messages_arrive_in_pieces(self):
        mask = SecretMask()
        mask.feed(b'{"values": ["s3cr')
        self.assertEqual(mask.apply("s3cret"), "s3cret")
        mask.feed(b'et"]}\nnot json\n')
        self.assertEqual(mask.apply("s3cret"), MASK)


class MaskedRunTest(FlowTestCase):
    TOKEN = "tok-9f8e7d6c5b4a"
    PEM_LINES = ("QUJDREVGR0hJSktM", "TU5PUFFSU1RVVldY")
    FETCHED = "fetched-by-the-flow-31415"

    def assertNothingLeaks(self, run):
        texts = [str(e) for e in run.events] + [str(m) for m in run.messages()]
        for path in glob.glob(os.path.join(run.root, run.flow_name, run.run_id, "*", "*", "*.log")):
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
        self.assertTrue(any(p.endswith(".log") for p in glob.glob(os.path.join(run.root, run.flow_name, run.run_id, "start", "*", "*"))))
        for text in texts:
            for value in (self.TOKEN, self.FETCHED) + self.PEM_LINES:
                self.assertNotIn(value, text)

    def check_mode(self, mode):
        run = self.run_flow("secrets_masking_flow.py", "SecretsMaskingFlow", env={"METAFLOW_STUDIO_WORKER": mode})
        self.assertRunOk(run)
        self.assertEqual(run.worker_mode, mode)
        self.assertEqual(self.artifact(run, "start", "seen_env"), self.TOKEN)
        self.assertEqual(self.artifact(run, "start", "seen_current"), (self.TOKEN, True, None, True, ["API_TOKEN", "PEM_KEY"]))
        self.assertTrue(self.artifact(run, "start", "same_function"))
        self.assertEqual(self.artifact(run, "end", "end_secrets"), [])
        out = run.logs("start", "stdout")
        self.assertIn("token is %s and that is all" % MASK, out)
        self.assertIn("<secrets API_TOKEN, PEM_KEY>", out)
        self.assertIn("fetched %s" % MASK, out)
        # Every line of a multi-line value is masked, its header lines too.
        self.assertEqual(run.logs("start", "stderr"), ["key:", MASK, MASK, MASK, MASK])
        self.assertIn("the end sees None", run.logs("end", "stdout"))
        self.assertNothingLeaks(run)

        failed = self.run_flow("secrets_masking_flow.py", "SecretsMaskingFlow", parameters={"fail": "True"},
                               env={"METAFLOW_STUDIO_WORKER": mode})
        self.assertEqual(len(failed.failed), 1)
        self.assertEqual(failed.failure_message(), "refused with %s" % MASK)
        self.assertTrue(any("ValueError: refused with %s" % MASK in line for line in failed.logs("start", "stderr")))
        self.assertNothingLeaks(failed)

    def test_fork_server_masks_every_value(self):
        self.check_mode("fork-server")

    def test_process_per_task_masks_every_value(self):
        self.check_mode("process")


if __name__ == "__main__":
    unittest.main()
