"""fork-server mode: one child process per task, forked from a process that imported the flow once.

Children start their own session, their stdout/stderr go to pipes relayed line by line, and their
TaskResult comes back on a third pipe. Everything is multiplexed with `selectors`, so a slow or
silent child never blocks the others; SIGCHLD wakes the loop to reap children.
"""

import errno
import json
import os
import selectors
import signal
import sys
import traceback

from . import protocol_messages as messages
from .channel import LineSplitter
from .flow_cache import execute
from .secret_mask import PipeReporter, SecretMask
from .step_secrets import install_task_secrets


class Child(object):
    def __init__(self, key, pid, out_fd, err_fd, res_fd, mask_fd, channel):
        self.key = key
        self.pid = pid
        self.mask = SecretMask()
        self.fds = {out_fd: LineSplitter(channel, key, "stdout", self.mask),
                    err_fd: LineSplitter(channel, key, "stderr", self.mask), res_fd: None, mask_fd: self.mask}
        self.res_fd = res_fd
        self.mask_fd = mask_fd
        # Descriptor numbers are reused as soon as they are closed, so each child keeps its own set.
        self.open_fds = set(self.fds)
        self.sync_fd = None
        self.result = b""
        self.status = None


class ForkServer(object):
    def __init__(self, channel, flows, max_read=65536):
        self.channel = channel
        self.flows = flows
        self.sel = selectors.DefaultSelector()
        self.children = {}
        self.by_fd = {}
        self.max_read = max_read
        self.stdin_buf = b""
        self.accepting = True
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def _reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.get(pid)
            if child is not None:
                child.status = status
                self._finish(child)

    def _read_fd(self, child, fd, drain):
        # The child signals its session before it can print: output implies `started` is due.
        self._announce(child)
        while fd in child.open_fds:
            try:
                data = os.read(fd, self.max_read)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                data = b""
            if not data:
                self._close_fd(child, fd)
                return
            splitter = child.fds.get(fd)
            if splitter is None:
                child.result += data
            else:
                if splitter is not child.mask:
                    # Output read now was written after every value already in the secrets pipe.
                    self._read_fd(child, child.mask_fd, drain=True)
                splitter.feed(data)
            if not drain:
                return

    def _close_fd(self, child, fd):
        if fd not in child.open_fds:
            return
        child.open_fds.discard(fd)
        self.sel.unregister(fd)
        if self.by_fd.get(fd) is child:
            del self.by_fd[fd]
        os.close(fd)
        splitter = child.fds.get(fd)
        if splitter is not None:
            splitter.flush()

    def _finish(self, child):
        # The child has exited: whatever it wrote is already in the pipes (the secrets first).
        self._announce(child)
        self._read_fd(child, child.mask_fd, drain=True)
        self._close_fd(child, child.mask_fd)
        for fd in list(child.open_fds):
            self._read_fd(child, fd, drain=True)
            self._close_fd(child, fd)
        del self.children[child.pid]
        status = child.status
        exit_code = None
        sig = None
        if os.WIFEXITED(status):
            exit_code = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
        result = None
        if child.result:
            try:
                result = json.loads(child.result.decode("utf-8"))
            except ValueError:
                result = None
        self.channel.send(messages.finished(child.key, exit_code, sig, child.mask.scrub(result)))

    def _start(self, request):
        key = request.get("key")
        spec = request.get("task") or {}
        try:
            loaded = self.flows.get(spec["flow_file"], spec.get("flow_name"))
        except BaseException:
            text = traceback.format_exc()
            self.channel.send(messages.init_error(text))
            self.channel.send(messages.finished(key, 1, None, messages.load_failure_result(text)))
            return
        sys.stdout.flush()
        sys.stderr.flush()
        fds = []
        try:
            for _ in range(5):
                fds.extend(os.pipe())
            out_r, out_w, err_r, err_w, res_r, res_w, sync_r, sync_w, mask_r, mask_w = fds
            pid = os.fork()
        except OSError as e:
            # A long-lived server must not keep the pipes of a task that never started (EMFILE, EAGAIN).
            for fd in fds:
                os.close(fd)
            message = "The worker could not start a process for this task: %s" % e
            self.channel.send(messages.finished(key, None, None, messages.start_failure_result(message, traceback.format_exc())))
            return
        if pid == 0:
            os.close(sync_r)
            self._child(spec, loaded, (out_r, err_r, res_r, mask_r), out_w, err_w, res_w, sync_w, mask_w)
        os.close(sync_w)
        os.close(out_w)
        os.close(err_w)
        os.close(res_w)
        os.close(mask_w)
        child = Child(key, pid, out_r, err_r, res_r, mask_r, self.channel)
        self.children[pid] = child
        for fd in (out_r, err_r, res_r, mask_r):
            os.set_blocking(fd, False)
            self.by_fd[fd] = child
            self.sel.register(fd, 1, ("child", child))
        # `started` promises a process group the scheduler can kill, so it is sent once the child
        # reports that it has its own session (or has exited), without blocking the server.
        child.sync_fd = sync_r
        self.sel.register(sync_r, 1, ("sync", child))

    def _announce(self, child):
        if child.sync_fd is None:
            return
        self.sel.unregister(child.sync_fd)
        os.close(child.sync_fd)
        child.sync_fd = None
        self.channel.send(messages.started(child.key, child.pid))

    def _child(self, spec, loaded, read_fds, out_w, err_w, res_w, sync_w, mask_w):
        code = 1
        try:
            os.setsid()
            os.write(sync_w, b"s")
            os.close(sync_w)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            for fd in read_fds + (self.wake_r, self.wake_w, self.channel.fd):
                os.close(fd)
            for fd in list(self.by_fd) + [c.sync_fd for c in self.children.values() if c.sync_fd is not None]:
                os.close(fd)
            self.sel.close()
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.close(out_w)
            os.close(err_w)
            install_task_secrets(PipeReporter(mask_w))
            result = execute(spec, loaded)
            code = 0 if result.get("ok") else 1
        except BaseException:
            text = traceback.format_exc()
            try:
                sys.stderr.write(text)
            except Exception:
                pass
            result = messages.internal_error_result(text)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        data = json.dumps(result).encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(res_w, view):]
        finally:
            os._exit(code)

    def _handle_stdin(self):
        try:
            data = os.read(0, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            self.accepting = False
            self.sel.unregister(0)
            return
        self.stdin_buf += data
        lines = self.stdin_buf.split(b"\n")
        self.stdin_buf = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            try:
                request = json.loads(line.decode("utf-8"))
            except ValueError:
                sys.stderr.write("metaflow_studio.worker: ignoring a request that is not JSON: %r\n" % line[:200])
                continue
            op = request.get("op")
            if op == "task":
                self._start(request)
            elif op == "shutdown":
                self.accepting = False
                try:
                    self.sel.unregister(0)
                except (KeyError, ValueError):
                    pass
                return

    def _terminate(self, signum, _frame):
        # Children run in their own sessions: take their process groups down with the server.
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        raise SystemExit(128 + signum)

    def serve(self):
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._terminate)
        os.set_blocking(0, False)
        self.sel.register(0, 1, ("stdin", None))
        self.sel.register(self.wake_r, 1, ("wake", None))
        while self.accepting or self.children:
            events = self.sel.select(timeout=1.0)
            for sel_key, _ in events:
                kind, child = sel_key.data
                if kind == "stdin":
                    self._handle_stdin()
                elif kind == "wake":
                    try:
                        while os.read(self.wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                elif kind == "sync":
                    self._announce(child)
                else:
                    # An event of this batch may be stale: its fd can already belong to a newer child.
                    owner = self.by_fd.get(sel_key.fd)
                    if owner is not None:
                        self._read_fd(owner, sel_key.fd, drain=False)
            # SIGCHLD can coalesce or arrive before a pid is registered: always poll.
            self._reap()
