"""The embedded package's Azure side without a blob service: root rules, the missing-SDK message, the
editor token endpoint credential (against a real HTTP server here), the credential chain and provider,
and how Azure SDK errors become Metaflow exceptions. Code needing the Azure SDK runs in Debian's
/usr/bin/python3 (python3-azure), as the Azure tests' flows do."""

import json
import os
import subprocess
import sys
import unittest

from test.python.azure_support import JsonServer, run_azure_json
from test.python.harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)

from metaflow.exception import MetaflowException  # noqa: E402
from metaflow_studio.azure_storage import parse_sysroot  # noqa: E402


def run_azure_python(code, env=None):
    """Runs `code` in the SDK interpreter; its last stdout line is JSON."""
    full_env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    for name in ("METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT", "METAFLOW_STUDIO_AZURE_TOKEN_SECRET", "METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER"):
        full_env.pop(name, None)
    full_env.update(env or {})
    return run_azure_json(code, full_env)


class TokenServer(object):
    """The token endpoint's contract (src/azure/tokenEndpointContract.ts), answering what a test scripts."""

    def __init__(self, secret, answers):
        self.requests = []
        self.secret = secret
        self.answers = answers
        self.server = JsonServer("GET", self.answer)
        self.url = "%s/token" % self.server.origin

    def answer(self, handler):
        given = handler.headers.get("X-Metaflow-Studio-Token-Secret")
        self.requests.append({"path": handler.path, "secret": given})
        if given != self.secret:
            return 401, {"error": "unauthorized", "message": "wrong secret"}
        return self.answers.pop(0)

    def close(self):
        self.server.close()


GET_TWICE = r"""
import json
from metaflow_studio.azure_credential import EditorTokenCredential
import os
cred = EditorTokenCredential(os.environ["EP"], os.environ["SECRET"])
out = {}
try:
    a = cred.get_token("https://storage.azure.com/.default")
    b = cred.get_token("https://storage.azure.com/.default")
    out.update(token=a.token, expires_on=a.expires_on, same=a is b)
except Exception as e:
    out.update(error=type(e).__name__, message=str(e), module=type(e).__module__)
out["repr"] = repr(cred)
print(json.dumps(out))
"""


class AzureRootRules(unittest.TestCase):
    def test_refuses_what_metaflow_refuses_showing_value_and_rule(self):
        cases = {"/c/p": "may not start with '/'", "c/p/": "may not end with '/'", "c//p": "may not contain '//'", "": "needs a container"}
        for value, rule in cases.items():
            with self.assertRaises(MetaflowException) as caught:
                parse_sysroot(value)
            self.assertIn(rule, str(caught.exception))
            self.assertIn("METAFLOW_DATASTORE_SYSROOT_AZURE=%r" % value, str(caught.exception))

    def test_splits_container_and_prefix_without_normalizing(self):
        self.assertEqual(parse_sysroot("mf"), ("mf", None))
        self.assertEqual(parse_sysroot("mf/a/b.c"), ("mf", "a/b.c"))


class MissingSdk(unittest.TestCase):
    def test_opening_the_azure_datastore_without_the_sdk_gives_the_install_command(self):
        code = r"""
import importlib.abc, json, sys
class NoAzure(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "azure" or name.startswith("azure."):
            raise ModuleNotFoundError("No module named %r" % name, name=name)
sys.meta_path.insert(0, NoAzure())
from metaflow.exception import MetaflowException
from metaflow_studio.azure_datastore import open_backend
try:
    open_backend({"type": "azure", "sysroot": "mf/x", "endpoint": "https://acct.blob.core.windows.net/"})
    print(json.dumps({"opened": True}))
except MetaflowException as e:
    print(json.dumps({"type": type(e).__name__, "message": str(e)}))
"""
        out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=PYTHON_DIR), capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertEqual(result["type"], "MetaflowAzurePackageError")
        self.assertIn("pip install azure-identity azure-storage-blob", result["message"])
        self.assertNotIn("Traceback", out.stderr)

    def test_the_local_datastore_never_needs_the_sdk(self):
        code = r"""
import sys, json
from metaflow_studio.azure_datastore import open_backend
print(json.dumps({"backend": open_backend(None), "local": open_backend({"type": "local", "sysroot": "/x"}), "azure_loaded": "azure" in sys.modules}))
"""
        out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=PYTHON_DIR), capture_output=True, text=True, timeout=60)
        self.assertEqual(json.loads(out.stdout.strip()), {"backend": None, "local": None, "azure_loaded": False})


class EditorTokenEndpoint(unittest.TestCase):
    SECRET = "s3cr3t-per-run-value-never-printed-0123456"

    def test_asks_once_per_scope_with_the_secret_header_and_caches(self):
        server = TokenServer(self.SECRET, [(200, {"access_token": "tok-1", "expires_on": 4102444800, "token_type": "Bearer"})])
        try:
            out = run_azure_python(GET_TWICE, {"EP": server.url, "SECRET": self.SECRET})
        finally:
            server.close()
        self.assertEqual((out["token"], out["expires_on"], out["same"]), ("tok-1", 4102444800, True))
        self.assertEqual(len(server.requests), 1)
        self.assertEqual(server.requests[0]["secret"], self.SECRET)
        self.assertEqual(server.requests[0]["path"], "/token?scope=https%3A%2F%2Fstorage.azure.com%2F.default")
        self.assertNotIn(self.SECRET, out["repr"])

    def test_a_token_about_to_expire_is_fetched_again(self):
        import time

        soon = int(time.time()) + 60
        server = TokenServer(self.SECRET, [(200, {"access_token": "old", "expires_on": soon, "token_type": "Bearer"}),
                                           (200, {"access_token": "new", "expires_on": soon + 3600, "token_type": "Bearer"})])
        try:
            out = run_azure_python(GET_TWICE, {"EP": server.url, "SECRET": self.SECRET})
        finally:
            server.close()
        self.assertEqual(len(server.requests), 2)
        self.assertFalse(out["same"])

    def test_no_editor_credential_lets_the_chain_go_on_and_says_why(self):
        server = TokenServer(self.SECRET, [(503, {"error": "credential_unavailable", "message": "not signed in: run 'Metaflow: Sign in to Azure'"})])
        try:
            out = run_azure_python(GET_TWICE, {"EP": server.url, "SECRET": self.SECRET})
        finally:
            server.close()
        self.assertEqual(out["error"], "CredentialUnavailableError")
        self.assertIn("Sign in to Azure", out["message"])

    def test_a_refused_secret_is_an_authentication_error_without_the_secret(self):
        server = TokenServer("another-secret", [])
        try:
            out = run_azure_python(GET_TWICE, {"EP": server.url, "SECRET": self.SECRET})
        finally:
            server.close()
        self.assertEqual(out["error"], "MetaflowAzureAuthenticationError")
        self.assertIn("(401)", out["message"])
        self.assertNotIn(self.SECRET, out["message"])


class CredentialChain(unittest.TestCase):
    CHAIN = r"""
import json
from metaflow.plugins.azure import create_azure_credential
cred = create_azure_credential()
print(json.dumps({"type": type(cred).__name__, "members": [type(c).__name__ for c in getattr(cred, "credentials", [])]}))
"""

    def test_editor_endpoint_first_then_default_azure_credential(self):
        out = run_azure_python(self.CHAIN, {"METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT": "http://127.0.0.1:9/token", "METAFLOW_STUDIO_AZURE_TOKEN_SECRET": "x"})
        self.assertEqual(out, {"type": "ChainedTokenCredential", "members": ["EditorTokenCredential", "DefaultAzureCredential"]})

    def test_outside_the_editor_default_azure_credential_alone(self):
        self.assertEqual(run_azure_python(self.CHAIN), {"type": "ChainedTokenCredential", "members": ["DefaultAzureCredential"]})

    def test_a_named_client_provider_is_used_and_a_bad_one_is_named(self):
        out = run_azure_python(self.CHAIN, {"METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER": "azure.identity:AzureCliCredential"})
        self.assertEqual(out["type"], "AzureCliCredential")
        bad = run_azure_python(r"""
import json
from metaflow.plugins.azure import create_azure_credential
try:
    create_azure_credential()
except Exception as e:
    print(json.dumps({"type": type(e).__name__, "message": str(e)}))
""", {"METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER": "aws-default"})
        self.assertEqual(bad["type"], "MetaflowAzureAuthenticationError")
        self.assertIn("'aws-default'", bad["message"])


class SdkErrors(unittest.TestCase):
    def test_each_failure_names_account_container_and_fix(self):
        out = run_azure_python(r"""
import json
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError, ServiceRequestError
from metaflow.exception import MetaflowException
from metaflow_studio.azure_errors import translate
def err(cls, msg, code=None, status=None):
    e = cls(message=msg)
    e.error_code = code
    e.status_code = status
    return e
cases = {
  "missing": err(ResourceNotFoundError, "The specified container does not exist.", "ContainerNotFound", 404),
  "forbidden": err(HttpResponseError, "This request is not authorized.", "AuthorizationPermissionMismatch", 403),
  "expired": err(ClientAuthenticationError, "Server failed to authenticate the request.", "InvalidAuthenticationInfo", 401),
  "unreachable": ServiceRequestError("Connection refused"),
}
out = {}
for name, e in cases.items():
    m = translate(e, "acct", "mf", "writing mf/x/F/1/start/1/0.data.json", "https://acct.blob.core.windows.net")
    out[name] = {"type": type(m).__name__, "is_mf": isinstance(m, MetaflowException), "message": str(m)}
print(json.dumps(out))
""")
        for name, result in out.items():
            self.assertTrue(result["is_mf"], name)
            self.assertIn("acct", result["message"], name)
        self.assertEqual(out["missing"]["type"], "MetaflowAzureResourceError")
        self.assertIn("Container 'mf' does not exist", out["missing"]["message"])
        self.assertEqual(out["forbidden"]["type"], "MetaflowAzureAuthorizationError")
        self.assertIn("Storage Blob Data Contributor", out["forbidden"]["message"])
        self.assertEqual(out["expired"]["type"], "MetaflowAzureAuthenticationError")
        self.assertIn("Sign in to Azure", out["expired"]["message"])
        self.assertEqual(out["unreachable"]["type"], "MetaflowAzureStorageError")
        self.assertIn("https://acct.blob.core.windows.net", out["unreachable"]["message"])


if __name__ == "__main__":
    unittest.main()
