"""Azure Key Vault as a `@secrets` backend (`az-key-vault`, also spelled `azure-key-vault`).

Secret ids, with Metaflow's rules:
  https://<vault><domain>/secrets/<name>[/<version>]   domain: .vault.azure.net, .vault.azure.cn,
                                                       .vault.usgovcloudapi.net, .vault.microsoftazure.de
  <name> or <name>/<version>                          under METAFLOW_AZURE_KEY_VAULT_PREFIX
Vault names are 3-24 characters of [A-Za-z0-9-] without '--'; secret names start with a letter and
hold up to 127 of [A-Za-z0-9-]; versions are 32 alphanumerics. A secret gives one variable: named by
options["env_var_name"] or else by the secret's name, with '-', '.' and '/' turned into '_'.
"""

import os
import re
from urllib.parse import urlparse

from metaflow.exception import MetaflowException

from . import SecretsProvider

KEY_VAULT_DOMAINS = (".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net", ".vault.microsoftazure.de")
INSTALL_HINT = "pip install azure-keyvault-secrets azure-identity (Debian/Ubuntu: apt-get install python3-azure)"
READER_ROLE = "Key Vault Secrets User"

_VAULT_NAME = re.compile(r"(?!.*--)[a-zA-Z0-9-]{3,24}")
_SECRET_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]{0,126}")
_VERSION = re.compile(r"[a-zA-Z0-9]{32}")


class MetaflowAzureKeyVaultBadVault(MetaflowException):
    headline = "Bad Key Vault"


class MetaflowAzureKeyVaultBadSecretType(MetaflowException):
    headline = "Bad Key Vault object type"


class MetaflowAzureKeyVaultBadSecretPath(MetaflowException):
    headline = "Bad Key Vault secret path"


class MetaflowAzureKeyVaultBadSecretName(MetaflowException):
    headline = "Bad Key Vault secret name"


class MetaflowAzureKeyVaultBadSecretVersion(MetaflowException):
    headline = "Bad Key Vault secret version"


class MetaflowAzureKeyVaultBadSecret(MetaflowException):
    headline = "Bad Key Vault secret id"


class MetaflowAzureKeyVaultPackageError(MetaflowException):
    headline = "Missing package 'azure-keyvault-secrets'"


class KeyVaultSecretRef(object):
    def __init__(self, vault_url, name, version):
        self.vault_url = vault_url
        self.name = name
        self.version = version


def _check_url(url):
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    domain = next((d for d in KEY_VAULT_DOMAINS if host.endswith(d)), None)
    if domain is None:
        raise MetaflowAzureKeyVaultBadVault(
            "bad key vault domain %s: the vault host must end with one of %s" % (url, ", ".join(KEY_VAULT_DOMAINS))
        )
    vault = host[: -len(domain)]
    if not _VAULT_NAME.fullmatch(vault):
        raise MetaflowAzureKeyVaultBadVault(
            "bad key vault name %s: 3-24 letters, digits or '-', without '--'" % vault
        )
    parts = parsed.path.strip("/").split("/")
    if len(parts) < 2 or len(parts) > 3:
        raise MetaflowAzureKeyVaultBadSecretPath(
            "bad secret uri path %s: expected /secrets/<name>[/<version>]" % parsed.path
        )
    if parts[0] != "secrets":
        raise MetaflowAzureKeyVaultBadSecretType("bad secret type %s: only 'secrets' are supported" % parts[0])
    if not _SECRET_NAME.fullmatch(parts[1]):
        raise MetaflowAzureKeyVaultBadSecretName(
            "bad secret name %s: a letter, then up to 126 letters, digits or '-'" % parts[1]
        )
    if len(parts) == 3 and not _VERSION.fullmatch(parts[2]):
        raise MetaflowAzureKeyVaultBadSecretVersion("bad secret version %s: 32 letters or digits" % parts[2])
    return KeyVaultSecretRef("%s://%s" % (parsed.scheme, parsed.netloc), parts[1], parts[2] if len(parts) == 3 else None)


def resolve_secret_id(secret_id, prefix):
    """The vault URL, secret name and version a secret id names; raises naming the broken rule."""
    if not secret_id:
        raise MetaflowAzureKeyVaultBadSecret("empty secret id is not supported")
    if secret_id.startswith("https://"):
        return _check_url(secret_id)
    parts = secret_id.strip("/").split("/")
    if len(parts) > 2:
        raise MetaflowAzureKeyVaultBadSecret(
            "unsupported partial secret %s: write <name> or <name>/<version>, or the full "
            "https://<vault>.vault.azure.net/secrets/<name> URL" % secret_id
        )
    if not prefix:
        raise MetaflowAzureKeyVaultBadSecret(
            "cannot use simple secret id %s without setting METAFLOW_AZURE_KEY_VAULT_PREFIX "
            "(e.g. https://myvault.vault.azure.net/)" % secret_id
        )
    return _check_url("%s/secrets/%s" % (prefix.rstrip("/"), secret_id))


def env_var_name(key):
    return key.replace("-", "_").replace(".", "_").replace("/", "_")


def _credential():
    from metaflow.plugins.azure import create_azure_credential

    return create_azure_credential()


def _describe_failure(error, ref):
    """The SDK's error as a sentence naming the vault, the secret and what to do (never the value)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )

    where = "secret '%s' in Key Vault %s" % (ref.name, ref.vault_url)
    if isinstance(error, ResourceNotFoundError):
        version = " (version %s)" % ref.version if ref.version else ""
        return "%s%s does not exist: check the name and METAFLOW_AZURE_KEY_VAULT_PREFIX" % (where, version)
    if isinstance(error, ClientAuthenticationError) and getattr(error, "status_code", None) != 403:
        return ("could not sign in to read %s: %s. Sign in with 'Metaflow: Sign in to Azure' in VS Code, "
                "`az login`, or AZURE_* environment variables" % (where, getattr(error, "message", error)))
    if isinstance(error, HttpResponseError) and getattr(error, "status_code", None) == 403:
        return ("access to %s was refused (403): assign the signed-in identity the role '%s' on the vault "
                "(or an access policy allowing Get on secrets)" % (where, READER_ROLE))
    if isinstance(error, ServiceRequestError):
        return "Key Vault %s is unreachable: %s" % (ref.vault_url, getattr(error, "message", error))
    return "reading %s failed: %s" % (where, getattr(error, "message", error))


class AzureKeyVaultSecretsProvider(SecretsProvider):
    TYPE = "az-key-vault"

    def __init__(self, environ=os.environ):
        self.environ = environ

    def get_secret_as_dict(self, secret_id, options=None, role=None):
        options = options or {}
        ref = resolve_secret_id(secret_id, self.environ.get("METAFLOW_AZURE_KEY_VAULT_PREFIX"))
        try:
            from azure.keyvault.secrets import SecretClient
        except ImportError as e:
            raise MetaflowAzureKeyVaultPackageError(
                "Key Vault secrets need the Azure SDK for Python in the interpreter that runs the flow "
                "(%s). Install it with: %s" % (e, INSTALL_HINT)
            )
        client = SecretClient(vault_url=ref.vault_url, credential=_credential())
        try:
            secret = client.get_secret(ref.name, ref.version)
        except MetaflowException:
            raise
        except Exception as e:
            raise MetaflowException(_describe_failure(e, ref))
        finally:
            client.close()
        name = options.get("env_var_name") or secret.name
        return {env_var_name(name): secret.value}
