"""The task worker the scheduler talks to (protocol: `src/runtime/workerProtocol.ts`).

    python3 -u -m metaflow_studio.worker --mode fork-server|single [--flow-file F] [--flow-name N]

Requests arrive as JSON lines on stdin; messages leave as JSON lines on a private duplicate of
the original stdout (fd 1 itself is pointed at stderr, so prints made while importing the flow
cannot corrupt the channel).
"""

import argparse
import os
import platform
import sys
import traceback

from . import protocol_messages as messages
from .channel import Channel
from .fork_server import ForkServer
from .single_task import run_single
from .flow_cache import FlowCache


def main(argv=None):
    parser = argparse.ArgumentParser(prog="metaflow_studio.worker")
    parser.add_argument("--mode", choices=("fork-server", "single"), default="fork-server")
    parser.add_argument("--flow-file", default=None)
    parser.add_argument("--flow-name", default=None)
    args = parser.parse_args(argv)
    channel = Channel(os.dup(1))
    os.dup2(2, 1)
    mode = args.mode
    if mode == "fork-server" and not hasattr(os, "fork"):
        mode = "single"
    flows = FlowCache()
    if args.flow_file:
        try:
            flows.preload(args.flow_file, args.flow_name)
        except BaseException:
            channel.send(messages.init_error(traceback.format_exc()))
            return 1
    channel.send(messages.ready(os.getpid(), platform.python_version()))
    if mode == "single":
        return run_single(channel, flows)
    ForkServer(channel, flows).serve()
    # Every child has been reaped and reported; tearing down the imported modules one by one would
    # only make the scheduler wait for this process's exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
