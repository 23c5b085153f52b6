"""Argo Events in deployed runs: the webhook settings ArgoEvent publishes with, the events a deployed step
publishes when it succeeds (so flows deployed with @trigger_on_finish start), and `current.trigger` from the
payloads the Sensor passes to the workflow.

Settings are read when an event is published, not when a module is imported, with Metaflow's names:
METAFLOW_<NAME> from the environment, else `METAFLOW_<NAME>` in the Metaflow configuration file
($METAFLOW_HOME/config[_$METAFLOW_PROFILE].json, METAFLOW_HOME defaulting to ~/.metaflowconfig).
"""

import json
import os
import sys

WEBHOOK_URL = "ARGO_EVENTS_WEBHOOK_URL"
WEBHOOK_AUTH = "ARGO_EVENTS_WEBHOOK_AUTH"
WEBHOOK_AUTH_MODES = ("none", "service")
SERVICE_HEADERS = "SERVICE_HEADERS"
SERVICE_AUTH_KEY = "SERVICE_AUTH_KEY"
SERVICE_RETRY_COUNT = "SERVICE_RETRY_COUNT"
DEFAULT_RETRY_COUNT = 5
# Set by the Argo compiler in every step's container: `0` turns the step's events off
# (`argo-workflows create --no-auto-emit-argo-events`); absent means on, Metaflow's default.
AUTO_EMIT_ENV = "METAFLOW_STUDIO_AUTO_EMIT_ARGO_EVENTS"
# The fields of the `@project` a step's events carry, used by @trigger_on_finish Sensors to filter.
PROJECT_FIELDS = ("project_name", "branch_name", "is_user_branch", "is_production", "project_flow_name")
# One variable per @trigger / @trigger_on_finish event: `<prefix><type>_<sanitized event name>` holding the
# payload of the event that triggered the run, or `null` (Argo's None) when another event did.
EVENT_PAYLOAD_PREFIX = "METAFLOW_ARGO_EVENT_PAYLOAD_"


class SettingError(ValueError):
    """A setting ArgoEvent needs has a value it cannot use; the message names the setting."""


def _config_file(environ):
    home = environ.get("METAFLOW_HOME") or os.path.join(os.path.expanduser("~"), ".metaflowconfig")
    profile = environ.get("METAFLOW_PROFILE")
    return os.path.join(home, "config_%s.json" % profile if profile else "config.json")


def _config_values(environ):
    path = _config_file(environ)
    try:
        with open(path, "r", encoding="utf-8") as f:
            values = json.load(f)
    except FileNotFoundError:
        return {}, path
    except (OSError, ValueError) as e:
        raise SettingError("The Metaflow configuration file %s cannot be read: %s" % (path, e))
    if not isinstance(values, dict):
        raise SettingError("The Metaflow configuration file %s must hold a JSON object." % path)
    return values, path


def setting(name, environ=None, default=None):
    """METAFLOW_<name> from the environment, else from the configuration file, else `default`."""
    environ = os.environ if environ is None else environ
    key = "METAFLOW_" + name
    if environ.get(key):
        return environ[key]
    values, _ = _config_values(environ)
    value = values.get(key)
    return default if value in (None, "") else value


def webhook_url(environ=None):
    return setting(WEBHOOK_URL, environ)


def webhook_auth(environ=None):
    mode = str(setting(WEBHOOK_AUTH, environ, "none")).strip().lower()
    if mode not in WEBHOOK_AUTH_MODES:
        raise SettingError("METAFLOW_%s is %r; use one of %s." % (WEBHOOK_AUTH, mode, ", ".join(WEBHOOK_AUTH_MODES)))
    return mode


def service_headers(environ=None):
    """The metadata service's headers (METAFLOW_SERVICE_HEADERS, a JSON object, plus x-api-key from
    METAFLOW_SERVICE_AUTH_KEY), sent with `service` webhook auth. Their values are never shown."""
    raw = setting(SERVICE_HEADERS, environ, {})
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SettingError("METAFLOW_%s must be a JSON object of header names to values." % SERVICE_HEADERS)
    if not isinstance(raw, dict):
        raise SettingError("METAFLOW_%s must be a JSON object of header names to values." % SERVICE_HEADERS)
    headers = dict((str(k), str(v)) for k, v in raw.items())
    key = setting(SERVICE_AUTH_KEY, environ)
    if key:
        headers["x-api-key"] = str(key)
    return headers


def retry_count(environ=None):
    raw = setting(SERVICE_RETRY_COUNT, environ, DEFAULT_RETRY_COUNT)
    try:
        count = int(raw)
    except (TypeError, ValueError):
        raise SettingError("METAFLOW_%s is %r; it must be a whole number of attempts." % (SERVICE_RETRY_COUNT, raw))
    return max(count, 1)


def auto_emit_enabled(environ):
    return environ.get(AUTO_EMIT_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def step_event_names(flow_name, step, end_step, project):
    """`metaflow.<project flow name or flow>.<step>`, plus the `.end` alias @trigger_on_finish listens to
    when the flow's end step has another name."""
    prefix = "metaflow.%s" % ((project or {}).get("project_flow_name") or flow_name)
    names = ["%s.%s" % (prefix, step)]
    if step == end_step and step != "end":
        names.append("%s.end" % prefix)
    return names


def step_event(name, flow_name, run_id, step, task_id, project, environ):
    """An ArgoEvent with the payload Metaflow's deployed steps publish (values as strings, as
    add_to_payload stores them; Sensors compare `auto-generated-by-metaflow` with 'True')."""
    from metaflow.plugins.argo.argo_events import ArgoEvent

    pathspec = "/".join((flow_name, str(run_id), step, str(task_id)))
    event = ArgoEvent(name=name)
    event._environ = environ
    for key, value in (("id", pathspec), ("pathspec", pathspec), ("flow_name", flow_name), ("run_id", run_id),
                       ("step_name", step), ("task_id", task_id)):
        event.add_to_payload(key, value)
    for key in PROJECT_FIELDS:
        if (project or {}).get(key):
            event.add_to_payload(key, project[key])
    event.add_to_payload("auto-generated-by-metaflow", True)
    return event


def emit_step_events(flow_name, run_id, step, task_id, end_step, project, environ):
    """After a deployed step succeeded: publish its events when a webhook is configured. A failure is written
    to stderr by ArgoEvent and never fails the step; without a webhook nothing is sent. Returns the names sent."""
    if not auto_emit_enabled(environ):
        return []
    try:
        url = webhook_url(environ)
    except SettingError as e:
        sys.stderr.write("Unable to publish Argo Events for step %s: %s\n" % (step, e))
        return []
    if not url:
        return []
    published = []
    for name in step_event_names(flow_name, step, end_step, project):
        if step_event(name, flow_name, run_id, step, task_id, project, environ).safe_publish(ignore_errors=True):
            published.append(name)
    return published


def triggers_from_environ(environ):
    """The events that triggered this run (Metaflow's `execution-triggers` entries), from the payload
    variables the compiled template sets: a payload that is not JSON still counts (fields unknown), a
    `null` one (Argo's None: another event triggered the run) does not."""
    triggers = []
    for key in sorted(environ):
        if not key.startswith(EVENT_PAYLOAD_PREFIX) or environ[key] == "null":
            continue
        try:
            payload = json.loads(environ[key])
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        triggers.append({
            "timestamp": payload.get("timestamp"),
            "id": payload.get("id"),
            "name": payload.get("name"),
            "type": key[len(EVENT_PAYLOAD_PREFIX):].split("_", 1)[0],
        })
    return triggers


def install_trigger(environ):
    """`current.trigger` for the step about to run, when events triggered the run."""
    from metaflow import current
    from metaflow.events import Trigger

    triggers = triggers_from_environ(environ)
    if triggers:
        current._update_env({"trigger": Trigger([dict(t) for t in triggers])})
    return triggers
