"""The worker's outgoing side of the protocol: JSON-lines messages and per-stream line splitting."""

import json
import os
import threading
import time


def now_ms():
    return int(time.time() * 1000)


class Channel(object):
    """JSON-lines writer on the control fd; one lock so threads never interleave messages."""

    def __init__(self, fd):
        self.fd = fd
        self.lock = threading.Lock()

    def send(self, message):
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        with self.lock:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self.fd, view)
                except InterruptedError:
                    continue
                view = view[n:]


class LineSplitter(object):
    def __init__(self, channel, key, stream):
        self.channel = channel
        self.key = key
        self.stream = stream
        self.pending = b""

    def feed(self, data):
        data = self.pending + data
        lines = data.split(b"\n")
        self.pending = lines.pop()
        ts = now_ms()
        for line in lines:
            self.channel.send({"op": "log", "key": self.key, "stream": self.stream, "line": _decode(line), "ts": ts})

    def flush(self):
        if self.pending:
            self.channel.send({"op": "log", "key": self.key, "stream": self.stream, "line": _decode(self.pending), "ts": now_ms()})
            self.pending = b""


def _decode(line):
    if line.endswith(b"\r"):
        line = line[:-1]
    return line.decode("utf-8", errors="replace")
