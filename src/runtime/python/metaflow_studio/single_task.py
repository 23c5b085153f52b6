"""single mode: run exactly one task in this process (no fork: Windows, or by setting), relaying
its output with reader threads."""

import json
import os
import sys
import threading
import time
import traceback

from .channel import LineSplitter
from . import protocol_messages as messages
from .flow_cache import execute
from .secret_mask import SecretMask
from .step_secrets import install_task_secrets

IDLE_GRACE = 0.5


def run_single(channel, flows):
    line = sys.stdin.buffer.readline()
    while line and not line.strip():
        line = sys.stdin.buffer.readline()
    if not line:
        return 0
    request = json.loads(line.decode("utf-8"))
    if request.get("op") != "task":
        return 0
    key = request.get("key")
    spec = request.get("task") or {}
    try:
        loaded = flows.get(spec["flow_file"], spec.get("flow_name"))
    except BaseException:
        text = traceback.format_exc()
        channel.send(messages.init_error(text))
        channel.send(messages.finished(key, 1, None, messages.load_failure_result(text)))
        return 1
    channel.send(messages.started(key, os.getpid()))
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    readers = []
    mask = SecretMask()
    install_task_secrets(mask.add)
    # When each reader began waiting for data (None while it relays some).
    waiting = {}
    for stream, target in (("stdout", 1), ("stderr", 2)):
        r, w = os.pipe()
        os.dup2(w, target)
        os.close(w)
        splitter = LineSplitter(channel, key, stream, mask)

        def pump(fd=r, splitter=splitter):
            while True:
                waiting[fd] = time.monotonic()
                data = os.read(fd, 65536)
                waiting[fd] = None
                if not data:
                    break
                splitter.feed(data)
            splitter.flush()
            os.close(fd)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        readers.append((thread, r, splitter))
    try:
        result = execute(spec, flows.loaded)
    except BaseException:
        text = traceback.format_exc()
        sys.stderr.write(text)
        result = messages.internal_error_result(text)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    for thread, fd, splitter in readers:
        while thread.is_alive():
            thread.join(0.05)
            since = waiting.get(fd)
            if thread.is_alive() and since is not None and time.monotonic() - since > IDLE_GRACE:
                # Only a process the task left running still holds the pipe, and it may never close it:
                # what the task wrote has been relayed (a read returns at once while data is there).
                splitter.flush()
                break
    code = 0 if result.get("ok") else 1
    channel.send(messages.finished(key, code, None, mask.scrub(result)))
    return code
