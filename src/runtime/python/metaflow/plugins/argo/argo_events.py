"""`ArgoEvent`: publish a named event with a payload to the Argo Events webhook, which starts the flows
deployed with @trigger on that name (Metaflow's `metaflow.plugins.argo.argo_events`, also
`metaflow.integrations.ArgoEvent`). The webhook settings are read at publish time
(metaflow_studio/argo_events.py); header values and tokens never appear in a message."""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from metaflow.exception import MetaflowException

# Metaflow does not wait longer for the webhook: the task would stay running.
PUBLISH_TIMEOUT_SECONDS = 60


class ArgoEventException(MetaflowException):
    headline = "Argo Event Exception"


class ArgoEvent(object):
    """A named event with a payload for Argo Events.

    name: the event's name, or a callable returning it; url: the webhook (default: the
    ARGO_EVENTS_WEBHOOK_URL setting); payload: key-value pairs delivered with the event (they set parameters of
    the triggered flows); access_token: sent as a bearer token."""

    def __init__(self, name, url=None, payload=None, access_token=None):
        if callable(name):
            name = name()
            if not isinstance(name, str):
                raise ArgoEventException("Callable for 'name' must return a string, got %s" % type(name).__name__)
        self._name = name
        self._url = url
        self._payload = dict(payload or {})
        self._access_token = access_token
        # The settings' source: the process environment, or the one a deployed step was started with.
        self._environ = None

    def add_to_payload(self, key, value):
        """Sets `key` in the payload to `str(value)` (replacing it); returns the event."""
        self._payload[key] = str(value)
        return self

    def safe_publish(self, payload=None, ignore_errors=True):
        """Publishes only inside a deployed workflow (ARGO_WORKFLOW_TEMPLATE is set); elsewhere, such as a
        local run, nothing is sent."""
        return self.publish(payload=payload, force=False, ignore_errors=ignore_errors)

    def publish(self, payload=None, force=True, ignore_errors=True):
        """Sends the event and returns its id once the webhook accepted it. With `ignore_errors` a failure
        is written to stderr (and None returned); otherwise it raises ArgoEventException."""
        environ = os.environ if self._environ is None else self._environ
        if not force and not environ.get("ARGO_WORKFLOW_TEMPLATE"):
            return self._fail("Argo Event (%s) was not published. Use ArgoEvent(...).publish(...) to force publish." % self._name,
                              ignore_errors)
        try:
            return self._send(payload or {}, environ)
        except Exception as e:
            return self._fail("Unable to publish Argo Event (%s): %s" % (self._name, e), ignore_errors)

    def _fail(self, message, ignore_errors):
        if not ignore_errors:
            raise ArgoEventException(message)
        print(message, file=sys.stderr)
        return None

    def _send(self, extra, environ):
        from metaflow_studio import argo_events as settings

        url = self._url or settings.webhook_url(environ)
        if not url:
            raise settings.SettingError("no webhook URL: set METAFLOW_%s or pass url= to ArgoEvent" % settings.WEBHOOK_URL)
        headers = {"Content-Type": "application/json"}
        if self._access_token:
            headers["Authorization"] = "Bearer %s" % self._access_token
        if settings.webhook_auth(environ) == "service":
            headers.update(settings.service_headers(environ))
        body = {
            "name": self._name,
            "payload": dict(
                {
                    "name": self._name,
                    "id": str(uuid.uuid4()),
                    "timestamp": int(time.time()),
                    "utc_date": datetime.now(timezone.utc).strftime("%Y%m%d"),
                    "generated-by-metaflow": True,
                },
                **dict(self._payload, **extra)
            ),
        }
        request = urllib.request.Request(url, method="POST", headers=headers, data=json.dumps(body).encode("utf-8"))
        attempts = settings.retry_count(environ)
        for attempt in range(attempts):
            try:
                urllib.request.urlopen(request, timeout=PUBLISH_TIMEOUT_SECONDS).close()
                break
            except urllib.error.HTTPError:
                # The webhook answered: sending the same request again would not change its answer.
                raise
            except urllib.error.URLError:
                if attempt == attempts - 1:
                    raise
                time.sleep(2 ** attempt)
        print("Argo Event (%s) published." % self._name, file=sys.stderr)
        return body["payload"]["id"]
