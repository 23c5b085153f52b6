"""What a Metaflow Studio pod does once its code package is unpacked (pod_loader.py hands over here).

    main(["task"])   run the TaskSpec in METAFLOW_STUDIO_TASK_SPEC (contract: src/kube/podContract.ts)

Mode `task` runs the task with the worker's own single-task runner (single_task.run_single, the path local
runs take without fork), so a step behaves in a pod exactly as on the laptop. Around it:
  * the spec's `flow_file` is taken relative to the unpacked package; metadata goes to `.metaflow` in the
    pod's working folder (local metadata), task data to the datastore the spec names;
  * each line the task prints goes at once to the container's stdout or stderr (the executor follows the
    pod's log) and, as mflog lines with source `task`, to `<attempt>.task_stdout.log` / `task_stderr.log`
    in the datastore: the files Metaflow's remote tasks write (the launcher keeps `runtime_*` for itself);
  * the pod's metadata is then synced to the datastore (pod_metadata_sync.py);
  * last, the TaskResult goes to the termination message, `{"v":1,"result":...}`, or, when that would not
    fit in 4096 bytes, to `<Flow>/<run>/<step>/<task>/<attempt>.studio_result.json` in the datastore with
    `{"v":1,"result_key":"<that path>"}` as the message.
Exit code 0 when the step succeeded, 1 when it failed or the pod could not run it, 2 for a bad invocation.
"""

import io
import json
import os
import sys
import threading
import time
import traceback
import uuid

from . import protocol_messages as messages
from .pod_loader import (
    ENV_EXTRACTED_ROOT,
    MAX_TERMINATION_MESSAGE_BYTES,
    CODE_DIR,
    encode_message,
    fitted_failure_message,
    write_termination_message,
)

ENV_TASK_SPEC = "METAFLOW_STUDIO_TASK_SPEC"
RESULT_FILE = "studio_result.json"
# As Metaflow's `--max-log-size` default: each stream's persisted log keeps its first 10 MB.
MAX_LOG_BYTES = 10 << 20
# Pod facts recorded as task metadata, as Metaflow's Kubernetes decorator records them.
POD_METADATA = (
    ("kubernetes-pod-name", "METAFLOW_KUBERNETES_POD_NAME"),
    ("kubernetes-pod-namespace", "METAFLOW_KUBERNETES_POD_NAMESPACE"),
    ("kubernetes-pod-id", "METAFLOW_KUBERNETES_POD_ID"),
    ("kubernetes-pod-service-account-name", "METAFLOW_KUBERNETES_SERVICE_ACCOUNT_NAME"),
    ("kubernetes-node-ip", "METAFLOW_KUBERNETES_NODE_IP"),
)


class BootstrapError(Exception):
    def __init__(self, message, retry_allowed=False):
        Exception.__init__(self, message)
        self.message = message
        self.retry_allowed = retry_allowed


def _trimmed_traceback(exc):
    from .tracebacks import user_traceback

    return user_traceback(exc)


# ---------------------------------------------------------------- logs


def _mflog_timestamp(micros):
    seconds, rest = divmod(micros, 1000000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%06d" % rest


class StreamLog(object):
    """One stream's persisted log: mflog lines with strictly increasing timestamps and ids that sort as
    written (Metaflow's reader orders by both), cut after MAX_LOG_BYTES with a note, as the local runtime."""

    def __init__(self, stream, id_prefix, max_bytes=MAX_LOG_BYTES):
        self.stream = stream
        self.id_prefix = id_prefix
        self.max_bytes = max_bytes
        self.lines = []
        self.size = 0
        self.truncated = False
        self.last_micros = 0
        self.seq = 0

    def _line(self, source, text, ms):
        micros = max(int(ms * 1000), self.last_micros + 1)
        self.last_micros = micros
        line_id = "%s%09d" % (self.id_prefix, self.seq)
        self.seq += 1
        return "[MFLOG|0|%sZ|%s|%s]%s" % (_mflog_timestamp(micros), source, line_id, text)

    def add(self, text, ms):
        if self.truncated:
            return
        line = self._line("task", text, ms)
        size = len(line.encode("utf-8")) + 1
        if self.size + size > self.max_bytes:
            self.truncated = True
            return
        self.size += size
        self.lines.append(line)

    def render(self):
        lines = list(self.lines)
        if self.truncated:
            note = "[log truncated: the %s of this attempt exceeded %d MB]" % (self.stream, self.max_bytes >> 20)
            lines.append(self._line("runtime", note, time.time() * 1000))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else None


class PodRelay(object):
    """Stands where the worker's channel to the scheduler stands: each `log` message is written to the
    container's own stdout/stderr (descriptors saved before the task redirects 1 and 2) and kept for the
    datastore; the `finished` message's result is kept for the termination message."""

    def __init__(self, out_fd, err_fd):
        self.fds = {"stdout": out_fd, "stderr": err_fd}
        prefix = uuid.uuid4().hex[:8]
        self.logs = {"stdout": StreamLog("stdout", prefix), "stderr": StreamLog("stderr", prefix)}
        self.lock = threading.Lock()
        self.result = None
        self.init_error = None

    def send(self, message):
        op = message.get("op")
        if op == "log":
            stream = message["stream"]
            with self.lock:
                _write_all(self.fds[stream], (message["line"] + "\n").encode("utf-8", errors="replace"))
                self.logs[stream].add(message["line"], message["ts"])
        elif op == "finished":
            self.result = message.get("result")
        elif op == "init_error":
            self.init_error = message.get("error")


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except InterruptedError:
            continue


class _OneRequest(object):
    """run_single reads its one request from stdin; a pod has no stdin, so the request is handed over here."""

    def __init__(self, line):
        self.buffer = io.BytesIO(line)

    def read(self, *args):
        return ""

    def readline(self, *args):
        return ""


# ---------------------------------------------------------------- task mode


def load_spec(code_dir, datastore_root, environ=None):
    environ = os.environ if environ is None else environ
    raw = environ.get(ENV_TASK_SPEC)
    if not raw:
        raise BootstrapError("The pod's environment lacks %s (the TaskSpec JSON the Kubernetes executor sets)." % ENV_TASK_SPEC)
    try:
        spec = json.loads(raw)
    except ValueError as e:
        raise BootstrapError("%s is not JSON: %s" % (ENV_TASK_SPEC, e))
    if not isinstance(spec, dict):
        raise BootstrapError("%s must be a JSON object (a TaskSpec)." % ENV_TASK_SPEC)
    missing = [k for k in ("flow_file", "flow_name", "run_id", "step", "task_id") if not spec.get(k)]
    if missing:
        raise BootstrapError("The TaskSpec in %s lacks %s." % (ENV_TASK_SPEC, ", ".join(missing)))
    rel = str(spec["flow_file"]).replace("\\", "/")
    if rel.startswith("/") or ".." in rel.split("/"):
        raise BootstrapError("The TaskSpec's flow_file %r must be a path inside the code package." % spec["flow_file"])
    flow_file = os.path.join(code_dir, *rel.split("/"))
    if not os.path.isfile(flow_file):
        raise BootstrapError("The flow file %s is not in the code package (unpacked in %s)." % (rel, code_dir))
    datastore = spec.get("datastore")
    if datastore and datastore.get("type") == "azure" and not datastore.get("endpoint"):
        endpoint = environ.get("METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT")
        if endpoint:
            datastore = dict(datastore, endpoint=endpoint)
    return dict(spec, flow_file=flow_file, datastore_root=datastore_root, datastore=datastore)


def _task_files(spec):
    """The attempt files of the spec's task (Azure blobs or the local task folder) and the backend (or None)."""
    from .azure_datastore import open_backend
    from .datastore import LocalTaskFiles, task_dir

    backend = open_backend(spec.get("datastore"))
    ids = (spec["flow_name"], str(spec["run_id"]), spec["step"], str(spec["task_id"]))
    if backend is not None:
        return backend.task_files(*ids), backend
    return LocalTaskFiles(task_dir(spec["datastore_root"], *ids)), None


def _write_attempt_file(files, name, data):
    if hasattr(files, "write_bytes"):
        files.write_bytes(name, data)
        return
    from .storage import atomic_write, makedirs

    makedirs(files.path)
    atomic_write(os.path.join(files.path, name), data)


def _record_pod_metadata(spec, environ):
    attempt_tags = ["attempt_id:%d" % int(spec.get("attempt", 0))]
    record_metadata(spec, [(field, environ[var], field, attempt_tags) for field, var in POD_METADATA if environ.get(var)])


def record_metadata(spec, data):
    """Adds metadata (field, value, type, tags) to a task that has started (its task folder exists) before the pod syncs it."""
    from .datastore import MetadataWriter, task_dir
    from .task_context import system_tags

    ids = (spec["flow_name"], str(spec["run_id"]), spec["step"], str(spec["task_id"]))
    if not data or not os.path.isdir(task_dir(spec["datastore_root"], *ids)):
        return
    user = spec.get("user_name") or ""
    writer = MetadataWriter(spec["datastore_root"], *ids, user=user, tags=spec.get("tags") or [], system_tags=system_tags(user))
    writer.ensure_dirs()
    writer.register_metadata(data)


def run_attempt(spec, relay):
    """The task through run_single, with the pod's descriptors 1 and 2 kept for the relay."""
    from .flow_cache import FlowCache
    from .single_task import run_single

    os.chdir(os.path.dirname(spec["flow_file"]))
    request = json.dumps({"op": "task", "key": "pod", "task": spec}).encode("utf-8") + b"\n"
    saved_stdin = sys.stdin
    sys.stdin = _OneRequest(request)
    try:
        run_single(relay, FlowCache())
    finally:
        sys.stdin = saved_stdin
    if relay.result is None:
        raise BootstrapError("The task ended without a result%s." % (": %s" % relay.init_error if relay.init_error else ""), True)
    return relay.result


def finish(spec, result, relay, environ):
    """Logs, metadata and an oversized result into the datastore; returns (termination message bytes, final result)."""
    attempt = int(spec.get("attempt", 0))
    try:
        files, backend = _task_files(spec)
    except Exception as e:
        sys.stderr.write("metaflow-studio: the datastore could not be opened to save the task's logs: %s\n" % e)
        result = _with_failure(result, e)
        return fitted_failure_message(result), result
    for stream in ("stdout", "stderr"):
        data = relay.logs[stream].render()
        if data is not None:
            try:
                _write_attempt_file(files, "%d.task_%s.log" % (attempt, stream), data)
            except Exception as e:
                sys.stderr.write("metaflow-studio: the task's %s could not be saved to the datastore: %s\n" % (stream, e))
    if backend is not None:
        from .pod_metadata_sync import RawContentStore, sync_to_datastore

        try:
            _record_pod_metadata(spec, environ)
            sync_to_datastore(spec["datastore_root"], RawContentStore(spec["flow_name"], backend=backend), files, attempt)
        except Exception as e:
            sys.stderr.write("metaflow-studio: the task's metadata could not be saved to the datastore: %s\n" % e)
            result = _with_failure(result, e)
    message = encode_message({"result": result})
    if len(message) <= MAX_TERMINATION_MESSAGE_BYTES:
        return message, result
    name = "%d.%s" % (attempt, RESULT_FILE)
    key = "/".join((spec["flow_name"], str(spec["run_id"]), spec["step"], str(spec["task_id"]), name))
    try:
        _write_attempt_file(files, name, json.dumps(result).encode("utf-8"))
    except Exception as e:
        sys.stderr.write("metaflow-studio: the task's result could not be saved to the datastore: %s\n" % e)
        return fitted_failure_message(result), result
    return encode_message({"result_key": key}), result


def _with_failure(result, err):
    """A successful step whose bookkeeping failed counts as failed: the launcher could not see its metadata."""
    if not result.get("ok"):
        return result
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return dict(result, ok=False, retry_allowed=True,
                exception=messages.exception_info(type(err).__name__, "The step ran but its metadata was not saved: %s" % text, ""))


def run_task_mode(argv, environ=None):
    environ = os.environ if environ is None else environ
    if argv:
        sys.stderr.write("metaflow-studio: mode task takes no arguments (got %s)\n" % " ".join(argv))
        write_termination_message(fitted_failure_message(_crash_result("BootstrapError", "mode task takes no arguments", "", False)))
        return 2
    base = os.getcwd()
    code_dir = environ.get(ENV_EXTRACTED_ROOT) or os.path.join(base, CODE_DIR)
    datastore_root = os.path.join(base, ".metaflow")
    out_fd, err_fd = os.dup(1), os.dup(2)
    relay = PodRelay(out_fd, err_fd)
    try:
        spec = load_spec(code_dir, datastore_root, environ)
        os.makedirs(datastore_root, exist_ok=True)
        result = run_attempt(spec, relay)
    except BootstrapError as e:
        sys.stderr.write("metaflow-studio: %s\n" % e.message)
        write_termination_message(fitted_failure_message(_crash_result("BootstrapError", e.message, "", e.retry_allowed)))
        return 1
    except Exception as e:
        tb = _trimmed_traceback(e)
        sys.stderr.write(tb)
        write_termination_message(fitted_failure_message(_crash_result(type(e).__name__, str(e) or type(e).__name__, tb, True)))
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    message, result = finish(spec, result, relay, environ)
    write_termination_message(message)
    return 0 if result.get("ok") else 1


def _crash_result(kind, message, tb, retry_allowed):
    return messages.task_result(False, exception=messages.exception_info(kind, message, tb), retry_allowed=retry_allowed)


def _run_argo_mode(argv):
    from .pod_argo import run_argo_mode

    return run_argo_mode(argv)


# `argo`: one step of a deployed Argo workflow (pod_argo.py).
MODES = {"task": run_task_mode, "argo": _run_argo_mode}


def main(argv):
    if not argv or argv[0] not in MODES:
        given = argv[0] if argv else "(none)"
        message = "Unknown pod mode %s: the modes are %s." % (given, ", ".join(sorted(MODES)))
        sys.stderr.write("metaflow-studio: %s\n" % message)
        write_termination_message(fitted_failure_message(_crash_result("BootstrapError", message, "", False)))
        return 2
    return MODES[argv[0]](list(argv[1:]))
