"""The flow module imported in this worker process (once), and running a task against it."""

import os

from .flowloader import load_flow, select_flow
from .task import run_task


class FlowCache(object):
    """The flow module imported in this process (one at a time: it lives in `__main__`)."""

    def __init__(self):
        self.loaded = None

    def get(self, flow_file, flow_name):
        path = os.path.abspath(flow_file)
        if self.loaded is None or self.loaded.flow_file != path:
            self.loaded = load_flow(path, flow_name)
        self.loaded = select_flow(self.loaded, flow_name)
        return self.loaded

    def preload(self, flow_file, flow_name):
        """Import at startup; with several flows and no name, the tasks choose later."""
        self.loaded = load_flow(os.path.abspath(flow_file), flow_name)


def execute(spec, loaded):
    return run_task(spec, loaded)
