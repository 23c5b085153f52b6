"""The worker's outgoing side of the protocol: JSON-lines messages and per-stream line splitting."""

import json
import os
import threading
import time

from . import protocol_messages as messages


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
    def __init__(self, channel, key, stream, mask=None):
        self.channel = channel
        self.key = key
        self.stream = stream
        # The task's secret values (secret_mask.SecretMask): replaced in every line before it is sent.
        self.mask = mask
        # Pieces of the unfinished line: joined once its newline comes, so output without newlines
        # (progress bars redrawn with \r) costs linear time, not a copy of the whole line per read.
        self.pending = []

    def feed(self, data):
        if b"\n" not in data:
            if data:
                self.pending.append(data)
            return
        lines = data.split(b"\n")
        if self.pending:
            self.pending.append(lines[0])
            lines[0] = b"".join(self.pending)
        rest = lines.pop()
        self.pending = [rest] if rest else []
        ts = now_ms()
        for line in lines:
            self._send(_decode(line), ts)

    def flush(self):
        if self.pending:
            line = b"".join(self.pending)
            self.pending = []
            self._send(_decode(line), now_ms())

    def _send(self, text, ts):
        if self.mask:
            text = self.mask.apply(text)
        self.channel.send(messages.log(self.key, self.stream, text, ts))


def _decode(line):
    if line.endswith(b"\r"):
        line = line[:-1]
    return line.decode("utf-8", errors="replace")
