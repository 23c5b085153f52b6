"""Argo Events: ArgoEvent publishing to a local HTTP webhook (body, headers, errors, retries), the events a
deployed step publishes when it succeeds (names, payload, `.end` alias, failures that never fail the step),
and `current.trigger` built from the payloads the Sensor passes, including runs found through the Client."""

import contextlib
import io
import json
import os
import socket
import sys
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test.python.harness import PYTHON_DIR, FlowTestCase

sys.path.insert(0, PYTHON_DIR)

from metaflow import current  # noqa: E402
from metaflow.events import MetaflowEvent, Trigger  # noqa: E402
from metaflow.integrations import ArgoEvent  # noqa: E402
from metaflow.plugins.argo.argo_events import ArgoEvent as PluginArgoEvent, ArgoEventException  # noqa: E402
from metaflow_studio import argo_events, pod_argo  # noqa: E402

# Settings of the developer's shell that would change what is published where.
_SETTINGS = ("METAFLOW_ARGO_EVENTS_WEBHOOK_URL", "METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH", "METAFLOW_SERVICE_HEADERS",
             "METAFLOW_SERVICE_AUTH_KEY", "METAFLOW_SERVICE_RETRY_COUNT", "ARGO_WORKFLOW_TEMPLATE",
             "METAFLOW_PROFILE", "METAFLOW_HOME", argo_events.AUTO_EMIT_ENV)


class Webhook(object):
    """An Argo Events webhook stand-in on 127.0.0.1: records each POST (headers, JSON body) and answers `status`."""

    def __init__(self, status=200):
        self.status = status
        self.received = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.received.append({"path": self.path, "headers": dict((k.lower(), v) for k, v in self.headers.items()),
                                      "body": json.loads(body.decode("utf-8"))})
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/metaflow-event" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return "http://127.0.0.1:%d/" % port


class SettingsIsolated(unittest.TestCase):
    def setUp(self):
        self.saved = dict((k, os.environ.pop(k)) for k in _SETTINGS if k in os.environ)
        self.home = tempfile.mkdtemp(prefix="mf-home-")
        os.environ["METAFLOW_HOME"] = self.home
        self.hook = Webhook()
        self.addCleanup(self.hook.close)

    def tearDown(self):
        for k in _SETTINGS:
            os.environ.pop(k, None)
        os.environ.update(self.saved)

    def stderr_of(self, fn, *args, **kwargs):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            value = fn(*args, **kwargs)
        return value, err.getvalue()


class ArgoEventPublishTest(SettingsIsolated):
    def test_publish_posts_metaflow_payload_and_returns_the_id(self):
        os.environ["METAFLOW_ARGO_EVENTS_WEBHOOK_URL"] = self.hook.url
        event = ArgoEvent("data.ready", payload={"table": "sales"}).add_to_payload("rows", 42)
        event_id, err = self.stderr_of(event.publish, payload={"extra": "x"})
        self.assertEqual(len(self.hook.received), 1)
        got = self.hook.received[0]
        self.assertEqual(got["path"], "/metaflow-event")
        self.assertEqual(got["headers"]["content-type"], "application/json")
        self.assertNotIn("authorization", got["headers"])
        body = got["body"]
        self.assertEqual(body["name"], "data.ready")
        payload = body["payload"]
        self.assertEqual(payload["id"], event_id)
        self.assertEqual((payload["name"], payload["table"], payload["rows"], payload["extra"]), ("data.ready", "sales", "42", "x"))
        self.assertIs(payload["generated-by-metaflow"], True)
        self.assertIsInstance(payload["timestamp"], int)
        self.assertRegex(payload["utc_date"], r"^\d{8}$")
        self.assertIn("Argo Event (data.ready) published.", err)

    def test_both_import_paths_are_one_class_and_a_callable_name_is_called(self):
        self.assertIs(ArgoEvent, PluginArgoEvent)
        self.hook_url_event = ArgoEvent(lambda: "from.callable", url=self.hook.url)
        self.stderr_of(self.hook_url_event.publish)
        self.assertEqual(self.hook.received[0]["body"]["name"], "from.callable")
        with self.assertRaises(ArgoEventException) as caught:
            ArgoEvent(lambda: 3)
        self.assertIn("Callable for 'name' must return a string, got int", str(caught.exception))

    def test_bearer_token_and_service_headers(self):
        os.environ.update({"METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH": "service", "METAFLOW_SERVICE_AUTH_KEY": "k-123",
                           "METAFLOW_SERVICE_HEADERS": json.dumps({"x-team": "ml"})})
        _, err = self.stderr_of(ArgoEvent("e", url=self.hook.url, access_token="tok-9").publish)
        headers = self.hook.received[0]["headers"]
        self.assertEqual((headers["authorization"], headers["x-api-key"], headers["x-team"]), ("Bearer tok-9", "k-123", "ml"))
        self.assertNotIn("k-123", err)
        self.assertNotIn("tok-9", err)

    def test_webhook_from_the_metaflow_config_file(self):
        with open(os.path.join(self.home, "config.json"), "w") as f:
            json.dump({"METAFLOW_ARGO_EVENTS_WEBHOOK_URL": self.hook.url}, f)
        self.stderr_of(ArgoEvent("from.config").publish)
        self.assertEqual(self.hook.received[0]["body"]["name"], "from.config")

    def test_http_error_is_not_retried_and_raises_or_is_reported(self):
        self.hook.status = 500
        os.environ["METAFLOW_SERVICE_RETRY_COUNT"] = "3"
        with self.assertRaises(ArgoEventException) as caught:
            ArgoEvent("e", url=self.hook.url).publish(ignore_errors=False)
        self.assertEqual(str(caught.exception), "Unable to publish Argo Event (e): HTTP Error 500: Internal Server Error")
        self.assertEqual(len(self.hook.received), 1)
        value, err = self.stderr_of(ArgoEvent("e", url=self.hook.url).publish)
        self.assertIsNone(value)
        self.assertIn("Unable to publish Argo Event (e): HTTP Error 500", err)

    def test_unreachable_webhook_is_retried_then_reported(self):
        os.environ["METAFLOW_SERVICE_RETRY_COUNT"] = "2"
        with self.assertRaises(ArgoEventException) as caught:
            ArgoEvent("e", url=closed_port_url()).publish(ignore_errors=False)
        self.assertIn("Unable to publish Argo Event (e):", str(caught.exception))
        self.assertIn("refused", str(caught.exception).lower())

    def test_missing_url_and_bad_settings_name_the_setting(self):
        with self.assertRaises(ArgoEventException) as caught:
            ArgoEvent("e").publish(ignore_errors=False)
        self.assertIn("set METAFLOW_ARGO_EVENTS_WEBHOOK_URL or pass url=", str(caught.exception))
        os.environ["METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH"] = "token"
        with self.assertRaises(ArgoEventException) as caught:
            ArgoEvent("e", url=self.hook.url).publish(ignore_errors=False)
        self.assertIn("METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH is 'token'; use one of none, service", str(caught.exception))
        self.assertEqual(self.hook.received, [])

    def test_safe_publish_sends_only_inside_a_deployed_workflow(self):
        value, err = self.stderr_of(ArgoEvent("e", url=self.hook.url).safe_publish)
        self.assertIsNone(value)
        self.assertIn("Argo Event (e) was not published. Use ArgoEvent(...).publish(...) to force publish.", err)
        with self.assertRaises(ArgoEventException):
            ArgoEvent("e", url=self.hook.url).safe_publish(ignore_errors=False)
        self.assertEqual(self.hook.received, [])
        os.environ["ARGO_WORKFLOW_TEMPLATE"] = "someflow"
        self.stderr_of(ArgoEvent("e", url=self.hook.url).safe_publish, payload={"k": "v"})
        self.assertEqual(self.hook.received[0]["body"]["payload"]["k"], "v")


class StepEventsTest(SettingsIsolated):
    PROJECT = {"project_name": "shop", "branch_name": "user.alice", "is_user_branch": True, "is_production": False,
               "project_flow_name": "shop.user.alice.UpFlow"}

    def env(self, **extra):
        # What the compiled template sets in a step's container (the process environment stays without it).
        env = {"METAFLOW_ARGO_EVENTS_WEBHOOK_URL": self.hook.url, "METAFLOW_HOME": self.home, "ARGO_WORKFLOW_TEMPLATE": "upflow"}
        env.update(extra)
        return env

    def test_end_step_event_carries_what_trigger_on_finish_filters_on(self):
        sent, _ = self.stderr_of(argo_events.emit_step_events, "UpFlow", "argo-up-1", "end", "t-0000abcd", "end",
                                 self.PROJECT, self.env())
        self.assertEqual(sent, ["metaflow.shop.user.alice.UpFlow.end"])
        body = self.hook.received[0]["body"]
        self.assertEqual(body["name"], "metaflow.shop.user.alice.UpFlow.end")
        p = body["payload"]
        self.assertEqual(p["id"], "UpFlow/argo-up-1/end/t-0000abcd")
        self.assertEqual(p["pathspec"], p["id"])
        self.assertEqual((p["flow_name"], p["run_id"], p["step_name"], p["task_id"]), ("UpFlow", "argo-up-1", "end", "t-0000abcd"))
        self.assertEqual((p["project_name"], p["branch_name"], p["is_user_branch"], p["project_flow_name"]),
                         ("shop", "user.alice", "True", "shop.user.alice.UpFlow"))
        # False project fields are left out, as Metaflow leaves them.
        self.assertNotIn("is_production", p)
        self.assertEqual(p["auto-generated-by-metaflow"], "True")

    def test_custom_end_step_also_publishes_the_end_alias_and_other_steps_only_their_own(self):
        self.stderr_of(argo_events.emit_step_events, "UpFlow", "argo-up-1", "finish", "t-1", "finish", None, self.env())
        self.stderr_of(argo_events.emit_step_events, "UpFlow", "argo-up-1", "start", "t-2", "finish", None, self.env())
        self.assertEqual([r["body"]["name"] for r in self.hook.received],
                         ["metaflow.UpFlow.finish", "metaflow.UpFlow.end", "metaflow.UpFlow.start"])
        self.assertNotIn("project_name", self.hook.received[0]["body"]["payload"])

    def test_no_webhook_or_auto_emit_off_sends_nothing(self):
        sent, err = self.stderr_of(argo_events.emit_step_events, "UpFlow", "r", "end", "t", "end", None,
                                   {"METAFLOW_HOME": self.home, "ARGO_WORKFLOW_TEMPLATE": "upflow"})
        self.assertEqual((sent, err), ([], ""))
        sent, _ = self.stderr_of(argo_events.emit_step_events, "UpFlow", "r", "end", "t", "end", None,
                                 self.env(**{argo_events.AUTO_EMIT_ENV: "0"}))
        self.assertEqual(sent, [])
        self.assertEqual(self.hook.received, [])

    def test_a_failing_webhook_is_reported_on_stderr_and_never_raises(self):
        self.hook.status = 503
        sent, err = self.stderr_of(argo_events.emit_step_events, "UpFlow", "r", "end", "t", "end", None, self.env())
        self.assertEqual(sent, [])
        self.assertIn("Unable to publish Argo Event (metaflow.UpFlow.end): HTTP Error 503", err)
        sent, err = self.stderr_of(argo_events.emit_step_events, "UpFlow", "r", "end", "t", "end", None,
                                   self.env(METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH="bearer"))
        self.assertEqual(sent, [])
        self.assertIn("METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH is 'bearer'", err)

    def test_metadata_records_auto_emit_as_metaflow(self):
        env = {"ARGO_WORKFLOW_TEMPLATE": "t", "ARGO_WORKFLOW_NAME": "w", "ARGO_WORKFLOW_NAMESPACE": "ns", "METAFLOW_OWNER": "o"}
        fields = dict((f, v) for f, v, _, _ in pod_argo.argo_metadata(env, True, 0))
        self.assertEqual(fields["auto-emit-argo-events"], 1)
        env[argo_events.AUTO_EMIT_ENV] = "0"
        fields = dict((f, v) for f, v, _, _ in pod_argo.argo_metadata(env, False, 0))
        self.assertEqual(fields["auto-emit-argo-events"], 0)


class CurrentTriggerTest(unittest.TestCase):
    def tearDown(self):
        current._extra.pop("trigger", None)

    def test_not_triggered_is_none(self):
        self.assertEqual(argo_events.install_trigger({"METAFLOW_ARGO_EVENT_PAYLOAD_event_data_ready": "null"}), [])
        self.assertIsNone(current.trigger)
        self.assertNotIn("trigger", current)

    def test_events_from_the_sensor_payloads_latest_first(self):
        env = {
            "METAFLOW_ARGO_EVENT_PAYLOAD_event_data_ready": json.dumps({"name": "data.ready", "id": "ev-1", "timestamp": 1796601600, "t": "x"}),
            "METAFLOW_ARGO_EVENT_PAYLOAD_event_model_done": json.dumps({"name": "model.done", "id": "ev-2", "timestamp": 1796601700}),
            "METAFLOW_ARGO_EVENT_PAYLOAD_event_other": "null",
        }
        argo_events.install_trigger(env)
        trigger = current.trigger
        self.assertIsInstance(trigger, Trigger)
        self.assertEqual(trigger.event.name, "model.done")
        self.assertEqual([(e.name, e.id, e.type) for e in trigger.events], [("model.done", "ev-2", "event"), ("data.ready", "ev-1", "event")])
        self.assertEqual(trigger.event.timestamp.timestamp(), 1796601700)
        self.assertIsNone(trigger.runs)
        self.assertIsNone(trigger.run)
        self.assertEqual(trigger["data.ready"].id, "ev-1")
        self.assertIn("model.done", trigger)
        self.assertNotIn("other", trigger)
        self.assertEqual([e.name for e in trigger], ["model.done", "data.ready"])

    def test_a_payload_that_is_not_json_still_counts(self):
        argo_events.install_trigger({"METAFLOW_ARGO_EVENT_PAYLOAD_event_raw": "not json"})
        self.assertEqual(current.trigger.events, [MetaflowEvent(name=None, id=None, timestamp=None, type="event")])


class TriggerRunsTest(FlowTestCase):
    """@trigger_on_finish: the run event's id is the upstream end task's pathspec; `.run` opens it with the Client."""

    def test_run_events_open_the_upstream_run(self):
        run = self.run_flow("linear_flow.py")
        self.assertRunOk(run)
        end_task = run.task_ids("end")[0]
        saved = os.environ.get("METAFLOW_DATASTORE_SYSROOT_LOCAL")
        os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = self.tmp
        self.addCleanup(lambda: os.environ.pop("METAFLOW_DATASTORE_SYSROOT_LOCAL") if saved is None
                        else os.environ.__setitem__("METAFLOW_DATASTORE_SYSROOT_LOCAL", saved))
        trigger = Trigger([{"name": "metaflow.LinearFlow.end", "id": "LinearFlow/%s/end/%s" % (run.run_id, end_task),
                            "timestamp": 1796601600, "type": "run"}])
        self.assertEqual(trigger.event.type, "run")
        self.assertEqual(trigger.run.pathspec, "LinearFlow/%s" % run.run_id)
        self.assertEqual([r.id for r in trigger.runs], [run.run_id])
        self.assertEqual(trigger["LinearFlow"].id, run.run_id)
        self.assertTrue(trigger.run.successful)
        from_runs = Trigger.from_runs([trigger.run])
        self.assertEqual([(e.name, e.id, e.type) for e in from_runs.events],
                         [("metaflow.LinearFlow.end", "LinearFlow/%s/end/%s" % (run.run_id, end_task), "run")])


if __name__ == "__main__":
    unittest.main()
