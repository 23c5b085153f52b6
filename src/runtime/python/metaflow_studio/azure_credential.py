"""The Azure credential tasks use: the pod's workload identity (when AKS injected its variables), the
editor's token endpoint, then DefaultAzureCredential.

The editor serves short-lived tokens of the account it signed in with on 127.0.0.1 (contract:
src/azure/tokenEndpointContract.ts), so a task started by the editor needs no `az login`. Outside the
editor (a terminal, a pod) the endpoint variables are absent and the chain is Metaflow's own
DefaultAzureCredential. `METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER` picks another provider, as in
Metaflow: `azure-default` (this chain) or `<module>:<callable>` returning a credential object.
"""

import importlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from .azure_errors import MetaflowAzureAuthenticationError, require_sdk

TOKEN_ENDPOINT_ENV = "METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT"
TOKEN_SECRET_ENV = "METAFLOW_STUDIO_AZURE_TOKEN_SECRET"
TOKEN_SECRET_HEADER = "X-Metaflow-Studio-Token-Secret"
PROVIDER_ENV = "METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER"
DEFAULT_PROVIDER = "azure-default"
# Ask again when a cached token has less than this left (Metaflow's datastore uses the same margin).
REFRESH_MARGIN_S = 300


class EditorTokenCredential(object):
    """A TokenCredential reading the editor's token endpoint; tokens cached per scope set, in memory only."""

    def __init__(self, endpoint, secret, timeout=30):
        self._endpoint = endpoint
        self._secret = secret
        self._timeout = timeout
        self._cache = {}

    def __repr__(self):
        # The secret never appears in reprs, logs or error messages.
        return "EditorTokenCredential(%s)" % self._endpoint

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        from azure.identity import CredentialUnavailableError

        key = (tuple(scopes), kwargs.get("tenant_id"))
        cached = self._cache.get(key)
        if cached is not None and cached.expires_on - time.time() > REFRESH_MARGIN_S:
            return cached
        query = [("scope", s) for s in scopes]
        if kwargs.get("tenant_id"):
            query.append(("tenant", kwargs["tenant_id"]))
        url = "%s?%s" % (self._endpoint, urllib.parse.urlencode(query))
        request = urllib.request.Request(url, headers={TOKEN_SECRET_HEADER: self._secret})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            message = _error_message(e)
            if e.code == 503:
                raise CredentialUnavailableError(message="The editor has no Azure token: %s" % message)
            raise MetaflowAzureAuthenticationError("The editor's token endpoint refused the request (%d): %s" % (e.code, message))
        except (urllib.error.URLError, OSError) as e:
            raise CredentialUnavailableError(
                message="The editor's token endpoint %s is not reachable (%s); is the editor still running?"
                % (self._endpoint, getattr(e, "reason", e))
            )
        token = AccessToken(body["access_token"], int(body["expires_on"]))
        self._cache[key] = token
        return token

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


def _error_message(http_error):
    try:
        return json.loads(http_error.read().decode("utf-8")).get("message") or http_error.reason
    except Exception:
        return str(http_error.reason)


def default_chain(environ=None):
    """Workload identity and the editor's endpoint (each when its variables are set), then DefaultAzureCredential."""
    require_sdk()
    from azure.identity import ChainedTokenCredential, DefaultAzureCredential

    # The pod loader's credential (it must stand alone there, so it is defined there once).
    from .pod_loader import workload_identity_credential

    environ = os.environ if environ is None else environ
    members = []
    workload = workload_identity_credential(environ)
    if workload is not None:
        members.append(workload)
    endpoint = environ.get(TOKEN_ENDPOINT_ENV)
    secret = environ.get(TOKEN_SECRET_ENV)
    if endpoint and secret:
        members.append(EditorTokenCredential(endpoint, secret))
    members.append(DefaultAzureCredential())
    return ChainedTokenCredential(*members)


def create_azure_credential(environ=None):
    """The credential of the configured client provider (default: the editor endpoint + DefaultAzureCredential)."""
    environ = os.environ if environ is None else environ
    provider = environ.get(PROVIDER_ENV) or DEFAULT_PROVIDER
    if provider == DEFAULT_PROVIDER:
        return default_chain(environ)
    module_name, _, attr = provider.partition(":")
    if not attr:
        raise MetaflowAzureAuthenticationError(
            "%s=%r is not a known Azure client provider: use '%s' or '<module>:<callable>'." % (PROVIDER_ENV, provider, DEFAULT_PROVIDER)
        )
    require_sdk()
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise MetaflowAzureAuthenticationError("%s=%r cannot be loaded: %s" % (PROVIDER_ENV, provider, e))
    return factory()
