"""Every message the worker sends the scheduler, built here and nowhere else.

The protocol's written form is `src/runtime/workerProtocol.schema.json` (types in workerProtocol.ts);
test/python/test_protocol.py checks each message a real run emits against it. A task's outcome (the
`result` of `finished`) is built by `task_result` and the named failures below.
"""


def ready(pid, python_version):
    return {"op": "ready", "pid": pid, "python_version": python_version}


def init_error(error_text):
    return {"op": "init_error", "error": error_text}


def started(key, pid):
    return {"op": "started", "key": key, "pid": pid}


def log(key, stream, line, ts_ms):
    return {"op": "log", "key": key, "stream": stream, "line": line, "ts": ts_ms}


def finished(key, exit_code, signal_name, result):
    """`result` is None when the task died before reporting one."""
    return {"op": "finished", "key": key, "exit_code": exit_code, "signal": signal_name, "result": result}


def exception_info(kind, message, tb=""):
    return {"type": kind, "message": message, "traceback": tb}


def task_result(ok, next_steps=(), foreach_var=None, num_splits=None, switch_value=None, exception=None,
                retry_allowed=True, effective_decorators=None, unbounded_foreach=None):
    out = {"ok": ok, "next": list(next_steps), "retry_allowed": retry_allowed}
    if foreach_var is not None:
        out["foreach_var"] = foreach_var
    if num_splits is not None:
        out["num_splits"] = num_splits
    if switch_value is not None:
        out["switch_value"] = switch_value
    if unbounded_foreach is not None:
        out["unbounded_foreach"] = unbounded_foreach
    if exception is not None:
        out["exception"] = exception
    if effective_decorators is not None:
        out["effective_decorators"] = effective_decorators
    return out


def _last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else text


def load_failure_result(error_text):
    """The flow module did not import: no attempt of any task can succeed."""
    return task_result(False, exception=exception_info("FlowImportError", _last_line(error_text), error_text),
                       retry_allowed=False)


def internal_error_result(error_text):
    """The worker itself failed around the task (not the user's code): another attempt may work."""
    return task_result(False, exception=exception_info("InternalError", _last_line(error_text), error_text))


def start_failure_result(message, tb):
    """The process for a task could not be started (EMFILE, EAGAIN)."""
    return task_result(False, exception=exception_info("OSError", message, tb))
