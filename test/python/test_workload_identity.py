"""Workload identity in pods: the credential the loader and the tasks' chain build from AZURE_FEDERATED_TOKEN_FILE,
AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_AUTHORITY_HOST, against an https token endpoint on 127.0.0.1 that
records what it is sent (Entra's client-credentials exchange with a jwt-bearer assertion). Code needing the
Azure SDK runs in Debian's /usr/bin/python3, as the Azure tests' flows do."""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from test.python.azure_support import JsonServer, run_azure_json
from test.python.harness import PYTHON_DIR

TENANT = "0d6c3a2b-0000-4000-8000-000000000001"
CLIENT = "5e2f0c1d-0000-4000-8000-000000000002"
SUBJECT = "system:serviceaccount:ml:runner"


def jwt(claims):
    part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")  # noqa: E731
    return "%s.%s.%s" % (part({"alg": "RS256", "typ": "JWT"}), part(claims), "c2ln")


def federated_token(subject=SUBJECT, marker="1"):
    now = int(time.time())
    return jwt({"aud": ["api://AzureADTokenExchange"], "sub": subject, "iss": "https://oidc.example/", "exp": now + 3600,
                "iat": now, "marker": marker})


class Entra(object):
    """Entra's token endpoint for a federated credential: grants a token only to the expected tenant, client
    and assertion subject, as Entra does, and records each exchange."""

    def __init__(self, cert, key):
        self.requests = []
        self.server = JsonServer("POST", self.answer, tls=(cert, key))
        self.authority = self.server.origin

    def answer(self, handler):
        form = dict(urllib.parse.parse_qsl(handler.rfile.read(int(handler.headers["content-length"])).decode()))
        payload = form.get("client_assertion", "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        self.requests.append({"path": handler.path, "form": form, "claims": claims})
        if handler.path != "/%s/oauth2/v2.0/token" % TENANT or form.get("client_id") != CLIENT or claims.get("sub") != SUBJECT:
            return 401, {"error": "invalid_client", "error_codes": [700213], "error_description":
                         "AADSTS700213: No matching federated identity record found for presented assertion subject '%s'." % claims.get("sub")}
        return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": "granted-%s" % claims.get("marker")}

    def close(self):
        self.server.close()


class WorkloadIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mfs-wi-")
        cert, key = os.path.join(cls.dir, "cert.pem"), os.path.join(cls.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-keyout", key,
                        "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        cls.cert = cert
        cls.entra = Entra(cert, key)
        cls.token_file = os.path.join(cls.dir, "token")

    @classmethod
    def tearDownClass(cls):
        cls.entra.close()
        shutil.rmtree(cls.dir, True)

    def setUp(self):
        del self.entra.requests[:]
        with open(self.token_file, "w") as f:
            f.write(federated_token())

    def azure_python(self, code, extra=None):
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("AZURE_", "METAFLOW_STUDIO_AZURE_", "MSI_", "IDENTITY_")))
        env.update(PYTHONPATH=PYTHON_DIR, REQUESTS_CA_BUNDLE=self.cert, AZURE_FEDERATED_TOKEN_FILE=self.token_file,
                   AZURE_CLIENT_ID=CLIENT, AZURE_TENANT_ID=TENANT, AZURE_AUTHORITY_HOST=self.entra.authority)
        env.update(extra or {})
        env = dict((k, v) for k, v in env.items() if v is not None)
        return run_azure_json(code, env)

    def test_the_loader_exchanges_the_token_file_and_reads_it_again_for_each_request(self):
        rotate = "open(%r, 'w').write(%r)" % (self.token_file, federated_token(marker="2"))
        got = self.azure_python("\n".join([
            "import json",
            "from metaflow_studio.pod_loader import workload_identity_credential",
            "c = workload_identity_credential()",
            "a = c.get_token('https://storage.azure.com/.default').token",
            rotate,
            "b = c.get_token('https://vault.azure.net/.default').token",
            "print(json.dumps([a, b, type(c).__name__]))",
        ]))
        self.assertEqual(got[:2], ["granted-1", "granted-2"])
        self.assertIn(got[2], ("WorkloadIdentityCredential", "ClientAssertionCredential"))
        self.assertEqual(len(self.entra.requests), 2)
        first = self.entra.requests[0]
        self.assertEqual(first["path"], "/%s/oauth2/v2.0/token" % TENANT)
        self.assertEqual(first["form"]["grant_type"], "client_credentials")
        self.assertEqual(first["form"]["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        self.assertEqual(first["form"]["scope"], "https://storage.azure.com/.default")
        self.assertEqual([r["claims"]["marker"] for r in self.entra.requests], ["1", "2"])

    def test_the_task_chain_asks_workload_identity_first(self):
        got = self.azure_python("\n".join([
            "import json",
            "from metaflow_studio.azure_credential import create_azure_credential",
            "c = create_azure_credential()",
            "print(json.dumps([c.get_token('https://storage.azure.com/.default').token, [type(m).__name__ for m in c.credentials]]))",
        ]), {"METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT": "http://127.0.0.1:9/none", "METAFLOW_STUDIO_AZURE_TOKEN_SECRET": "s"})
        self.assertEqual(got[0], "granted-1")
        self.assertIn(got[1][0], ("WorkloadIdentityCredential", "ClientAssertionCredential"))
        self.assertEqual(got[1][1:], ["EditorTokenCredential", "DefaultAzureCredential"])

    def test_without_the_variables_the_chain_is_unchanged(self):
        got = self.azure_python("\n".join([
            "import json",
            "from metaflow_studio.azure_credential import default_chain",
            "print(json.dumps([type(m).__name__ for m in default_chain().credentials]))",
        ]), {"AZURE_FEDERATED_TOKEN_FILE": None})
        self.assertEqual(got, ["DefaultAzureCredential"])
        self.assertEqual(self.entra.requests, [])

    def test_a_refused_federation_is_reported_not_passed_over(self):
        with open(self.token_file, "w") as f:
            f.write(federated_token(subject="system:serviceaccount:other:sa"))
        got = self.azure_python("\n".join([
            "import json",
            "from azure.core.exceptions import ClientAuthenticationError",
            "from metaflow_studio.azure_credential import default_chain",
            "try:",
            "    default_chain().get_token('https://storage.azure.com/.default')",
            "    print(json.dumps('granted'))",
            "except ClientAuthenticationError as e:",
            "    print(json.dumps(str(e)))",
        ]))
        self.assertIn("AADSTS700213", got)
        self.assertEqual(len(self.entra.requests), 1)


if __name__ == "__main__":
    unittest.main()
