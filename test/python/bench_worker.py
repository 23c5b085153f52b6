"""Micro-benchmark of the worker alone (no scheduler): prints JSON lines, asserts nothing.

    python3 test/python/bench_worker.py [width]
"""

import json
import os
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from test.python.harness import Worker, flow_path, new_task_spec  # noqa: E402


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def emit(name, value, unit, **extra):
    print(json.dumps(dict({"bench": name, "value": round(value, 4), "unit": unit}, **extra)))


class Tasks(object):
    """Sends one flow's tasks to the worker by hand, in a fixed order: the worker's own cost, no scheduler."""

    def __init__(self, worker, root, flow_file, flow_name):
        self.worker = worker
        self.root = root
        self.flow_file = flow_file
        self.flow_name = flow_name

    def spec(self, run_id, step, task_id, **extra):
        return new_task_spec(self.root, self.flow_file, self.flow_name, run_id, step, task_id, **extra)

    def run_one(self, key, spec):
        self.worker.submit(key, spec)
        return self.worker.wait([key])[key]

    def run_chain(self, steps, parameters=None):
        """Runs _parameters then each step after the one before; returns the failed finished messages."""
        run_id = str(int(time.time() * 1e6))
        failed = []
        previous = "%s/_parameters/0" % run_id
        fin = self.run_one(run_id + "/p", self.spec(run_id, "_parameters", "0", parameters=parameters or {}))
        for i, step in enumerate(steps):
            if not (fin["result"] and fin["result"]["ok"]):
                failed.append(fin)
                break
            fin = self.run_one("%s/%s" % (run_id, step), self.spec(run_id, step, str(i + 1), input_paths=[previous]))
            previous = "%s/%s/%d" % (run_id, step, i + 1)
        if not (fin["result"] and fin["result"]["ok"]) and fin not in failed:
            failed.append(fin)
        return failed

    def run_foreach(self, width):
        """A whole foreach wave submitted at once, 16 in flight, as the scheduler does with --max-workers."""
        run_id = str(int(time.time() * 1e6))
        self.run_one(run_id + "/p", self.spec(run_id, "_parameters", "0", parameters={"width": str(width)}))
        self.run_one(run_id + "/s", self.spec(run_id, "start", "1", input_paths=[run_id + "/_parameters/0"]))
        t0 = time.time()
        keys = []
        in_flight = []
        for i in range(width):
            k = "%s/b/%d" % (run_id, i)
            self.worker.submit(k, self.spec(run_id, "body", str(2 + i), split_index=i, input_paths=[run_id + "/start/1"]))
            keys.append(k)
            in_flight.append(k)
            if len(in_flight) >= 16:
                self.worker.wait([in_flight.pop(0)])
        self.worker.wait(keys)
        t_body = time.time() - t0
        paths = ["%s/body/%d" % (run_id, 2 + i) for i in range(width)]
        t1 = time.time()
        res = self.run_one(run_id + "/j", self.spec(run_id, "join", str(width + 2), input_paths=paths))
        t_join = time.time() - t1
        self.run_one(run_id + "/e", self.spec(run_id, "end", str(width + 3), input_paths=["%s/join/%d" % (run_id, width + 2)]))
        return t_body, t_join, res


def main():
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = tempfile.mkdtemp(prefix="mfstudio-bench-")
    try:
        root = os.path.join(tmp, ".metaflow")
        worker = Worker(flow_file=flow_path("linear_flow.py"), flow_name="LinearFlow")
        t0 = time.time()
        failed = Tasks(worker, root, flow_path("linear_flow.py"), "LinearFlow").run_chain(["start", "middle", "end"])
        emit("worker_linear_3_steps_wall", time.time() - t0, "s", failed=len(failed))
        worker.close()
        worker = Worker(flow_file=flow_path("bench_flow.py"), flow_name="BenchFlow")
        tasks = Tasks(worker, root, flow_path("bench_flow.py"), "BenchFlow")
        cpu0 = children_cpu()
        w0 = time.time()
        t_body, t_join, res = tasks.run_foreach(width)
        wall = time.time() - w0
        worker.close()
        cpu = children_cpu() - cpu0
        emit("worker_foreach_wall", wall, "s", width=width, ok=res["result"]["ok"])
        emit("worker_foreach_body_per_task_wall", 1000 * t_body / width, "ms")
        emit("worker_join_wall", t_join, "s", inputs=width)
        emit("worker_cpu_per_task", 1000 * cpu / (width + 4), "ms", note="user+sys of worker and children")
        files = sum(len(f) for _, _, f in os.walk(os.path.join(root, "BenchFlow")))
        emit("worker_files_per_task", files / float(width + 4), "files")
        worker = Worker(flow_file=flow_path("big_artifact_flow.py"), flow_name="BigArtifactFlow")
        t0 = time.time()
        failed = Tasks(worker, root, flow_path("big_artifact_flow.py"), "BigArtifactFlow").run_chain(["start", "middle", "end"])
        wall = time.time() - t0
        worker.close()
        emit("worker_100mb_artifact_run_wall", wall, "s", failed=len(failed),
             note="start stores os.urandom(100 MB), middle reads it, end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
