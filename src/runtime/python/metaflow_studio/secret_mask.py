"""Secret values never leave the worker in output: each task reports the values its secrets gave,
and the worker's relay replaces them in every output line and in the task's reported failure before
anything reaches the scheduler (so neither the event stream, the Output channel, the CLI nor the
persisted logs ever hold them).

In fork-server mode the task is a child process: it writes the values as JSON lines on a pipe of its
own, before any user code runs; the relay drains that pipe before it passes on each chunk of output,
so a value is known before any output written after it was fetched. In single mode the task shares
the relay's process and adds the values directly.
"""

import json
import os

MASK = "*****"


class SecretMask(object):
    def __init__(self):
        self._values = []
        self._pending = b""

    def add(self, values):
        pieces = set(self._values)
        for value in values:
            if not isinstance(value, str):
                continue
            # A multi-line value (a PEM key) is relayed a line at a time: each of its lines is masked too.
            for piece in [value] + value.splitlines():
                piece = piece.rstrip("\r")
                if piece.strip():
                    pieces.add(piece)
        # Longest first, so a value containing another is masked whole.
        self._values = sorted(pieces, key=len, reverse=True)

    def __bool__(self):
        return bool(self._values)

    def apply(self, text):
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def scrub(self, obj):
        """A copy of a JSON-like object with every string masked."""
        if not self._values:
            return obj
        if isinstance(obj, str):
            return self.apply(obj)
        if isinstance(obj, dict):
            return {k: self.scrub(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        return obj

    def feed(self, data):
        """Bytes from a task's secrets pipe: complete JSON lines of {"values": [...]}."""
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError:
                # Only the task's reporter writes here; a stray write must not stop the relay.
                continue
            if isinstance(message, dict) and isinstance(message.get("values"), list):
                self.add(message["values"])

    def flush(self):
        if self._pending.strip():
            self.feed(b"\n")


class PipeReporter(object):
    """The task's end of the secrets pipe (fork-server mode); writes block until the relay has them."""

    def __init__(self, fd):
        self.fd = fd

    def __call__(self, values):
        data = (json.dumps({"values": list(values)}) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
