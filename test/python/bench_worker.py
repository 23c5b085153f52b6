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

from test.python.harness import Walker, Worker, flow_path  # noqa: E402


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def emit(name, value, unit, **extra):
    print(json.dumps(dict({"bench": name, "value": round(value, 4), "unit": unit}, **extra)))


class ConcurrentWalker(Walker):
    """Submits a whole foreach wave at once, as the scheduler does with --max-workers."""

    def run_foreach(self, width):
        run_id = str(int(time.time() * 1e6))
        key = run_id + "/p"
        self.worker.submit(key, self.base(run_id, "_parameters", "0", kind="params",
                                          parameters={"width": str(width)}))
        self.worker.wait([key])
        self.worker.submit(run_id + "/s", self.base(run_id, "start", "1", input_paths=[run_id + "/_parameters/0"]))
        self.worker.wait([run_id + "/s"])
        t0 = time.time()
        keys = []
        in_flight = []
        for i in range(width):
            k = "%s/b/%d" % (run_id, i)
            self.worker.submit(k, self.base(run_id, "body", str(2 + i), split_index=i, input_paths=[run_id + "/start/1"]))
            keys.append(k)
            in_flight.append(k)
            if len(in_flight) >= 16:
                self.worker.wait([in_flight.pop(0)])
        self.worker.wait(keys)
        t_body = time.time() - t0
        paths = ["%s/body/%d" % (run_id, 2 + i) for i in range(width)]
        t1 = time.time()
        self.worker.submit(run_id + "/j", self.base(run_id, "join", str(width + 2), input_paths=paths))
        res = self.worker.wait([run_id + "/j"])[run_id + "/j"]
        t_join = time.time() - t1
        self.worker.submit(run_id + "/e", self.base(run_id, "end", str(width + 3), input_paths=["%s/join/%d" % (run_id, width + 2)]))
        self.worker.wait([run_id + "/e"])
        return t_body, t_join, res


def main():
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = tempfile.mkdtemp(prefix="mfstudio-bench-")
    try:
        root = os.path.join(tmp, ".metaflow")
        worker = Worker(extra_args=["--flow-file", flow_path("bench_flow.py")])
        walker = ConcurrentWalker(worker, root, flow_path("bench_flow.py"), "BenchFlow")
        t0 = time.time()
        run = Walker(worker, root, flow_path("linear_flow.py"), "LinearFlow").run()
        emit("worker_linear_3_steps_wall", time.time() - t0, "s", failed=len(run.failed))
        cpu0 = children_cpu()
        w0 = time.time()
        t_body, t_join, res = walker.run_foreach(width)
        wall = time.time() - w0
        worker.close()
        cpu = children_cpu() - cpu0
        emit("worker_foreach_wall", wall, "s", width=width, ok=res["result"]["ok"])
        emit("worker_foreach_body_per_task_wall", 1000 * t_body / width, "ms")
        emit("worker_join_wall", t_join, "s", inputs=width)
        emit("worker_cpu_per_task", 1000 * cpu / (width + 4), "ms", note="user+sys of worker and children")
        files = sum(len(f) for _, _, f in os.walk(os.path.join(root, "BenchFlow")))
        emit("worker_files_per_task", files / float(width + 4), "files")
        worker = Worker(extra_args=["--flow-file", flow_path("big_artifact_flow.py")])
        t0 = time.time()
        run = Walker(worker, root, flow_path("big_artifact_flow.py"), "BigArtifactFlow").run()
        wall = time.time() - t0
        worker.close()
        emit("worker_100mb_artifact_run_wall", wall, "s", failed=len(run.failed),
             note="start stores os.urandom(100 MB), middle reads it, end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
