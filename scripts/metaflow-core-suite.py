#!/usr/bin/env python3
"""Metaflow's own core test suite (test/core of Metaflow 2.19.38) against the embedded runtime.

Usage (from the repository root, after `npm run --silent build`):

    python3 scripts/metaflow-core-suite.py CHECKOUT [--tests a,b] [--graphs x,y] [--jobs 2]
        [--out report.json] [--logs DIR] [--scratch DIR] [--keep] [--timeout SECONDS] [--baseline]

CHECKOUT is the root of an extracted Metaflow 2.19.38 source tree (the folder holding `metaflow/`
and `test/core/`); this script never downloads it. Every (graph, test) pair that Metaflow's own
formatter accepts is generated into a scratch folder with that formatter, exactly as Metaflow's
run_tests.py does for the `python3-all-local` context of its contexts.json (its env, top-level and
run options, and disabled tests), and then:

  - run and resume are Metaflow's command lines, `python -B test_flow.py <top options> run
    --run-id-file run-id <run options>` (and `resume [STEP]` when the test asks), with the embedded
    package (src/runtime/python) first on PYTHONPATH: the flow imports OUR `metaflow`, whose script
    entry point hands the command to `node dist/cli.js`. Only this invocation differs from Metaflow's.
  - the checks are Metaflow's own: `python check_flow.py CliCheck|MetadataCheck RUN_ID <top options>`
    with the REAL Metaflow of CHECKOUT on PYTHONPATH, reading the datastore our run wrote (CliCheck's
    `dump`/`logs`/`tag`/`card` commands also run on the real Metaflow).

Only the `cli` executor of the context is run: the `api` executor drives the same command line
through Metaflow's Runner, which needs Metaflow's own `--runner-attribute-file` handshake.

--baseline runs the same pairs with the checkout's Metaflow doing the runs as well: pairs that fail
there fail on this machine for reasons of its own (say, Metaflow's extension test packages not
installed), not because of the embedded runtime.

Prints pairs passed / pairs run by test, writes each failing pair's commands and output to
--logs (default: metaflow-core-suite-logs in the temp dir, never the repository), and the whole result as JSON to --out. Failures carry
a `signature` (the last exception line of the failing phase) to group them by cause. Not part of
`npm test`: it needs a Metaflow checkout, which CI does not have.
"""

import argparse
import concurrent.futures
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED = os.path.join(REPO, "src", "runtime", "python")
CONTEXT_NAME = "python3-all-local"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Run Metaflow's test/core suite against the embedded runtime.")
    p.add_argument("checkout", help="root of an extracted Metaflow 2.19.38 source tree")
    p.add_argument("--tests", default="", help="comma-separated test class names (default: all)")
    p.add_argument("--graphs", default="", help="comma-separated graph names (default: all)")
    p.add_argument("--jobs", type=int, default=1, help="pairs run at once (default 1)")
    p.add_argument("--out", default="", help="write the JSON report here")
    p.add_argument(
        "--logs", default=os.path.join(tempfile.gettempdir(), "metaflow-core-suite-logs"),
        help="folder for failing pairs' output",
    )
    p.add_argument("--scratch", default="", help="folder for the generated flows (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep each pair's scratch folder")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed per command (default 600)")
    p.add_argument(
        "--baseline", action="store_true",
        help="run and resume with the checkout's own Metaflow too: what this machine lets Metaflow itself pass",
    )
    return p.parse_args(argv)


def _names(value):
    return {v.strip().lower() for v in value.split(",") if v.strip()}


class Suite(object):
    """Metaflow's graphs, tests, formatter and context, loaded from the checkout."""

    def __init__(self, checkout):
        self.checkout = os.path.abspath(checkout)
        self.core = os.path.join(self.checkout, "test", "core")
        if not os.path.isfile(os.path.join(self.core, "run_tests.py")) or not os.path.isdir(
            os.path.join(self.checkout, "metaflow")
        ):
            raise SystemExit(
                "%s is not a Metaflow source tree: expected metaflow/ and test/core/run_tests.py in it" % checkout
            )
        # The formatter and the test classes import the real Metaflow (and its test extensions).
        for path in (self.checkout, self.core, os.path.join(self.core, "tests")):
            if path not in sys.path:
                sys.path.insert(0, path)
        self.formatter_cls = importlib.import_module("metaflow_test.formatter").FlowFormatter
        self.base_test = importlib.import_module("metaflow_test").MetaflowTest
        with open(os.path.join(self.core, "contexts.json")) as f:
            contexts = json.load(f)
        self.context = next(c for c in contexts["contexts"] if c["name"] == CONTEXT_NAME)
        self.checks = [contexts["checks"][name] for name in self.context["checks"]]

    def graphs(self):
        root = os.path.join(self.core, "graphs")
        for name in sorted(os.listdir(root)):
            if name.endswith(".json") and not name.startswith("."):
                with open(os.path.join(root, name)) as f:
                    yield name[:-5], json.load(f)

    def tests(self):
        root = os.path.join(self.core, "tests")
        found = []
        for name in sorted(os.listdir(root)):
            if name.endswith(".py") and not name.startswith("."):
                module = importlib.import_module(name[:-3])
                for attr in dir(module):
                    obj = getattr(module, attr)
                    if (
                        isinstance(obj, type)
                        and issubclass(obj, self.base_test)
                        and obj is not self.base_test
                        and obj.__module__ == module.__name__
                    ):
                        found.append(obj())
        return sorted(found, key=lambda t: (t.PRIORITY, type(t).__name__))

    def pairs(self, only_tests, only_graphs):
        disabled = set(map(str, self.context.get("disabled_tests", [])))
        # --graphs takes a graph's name or its file's name (linear.json holds "single-linear-step").
        graphs = [
            g for stem, g in self.graphs()
            if not only_graphs or g["name"].lower() in only_graphs or stem.lower() in only_graphs
        ]
        for test in self.tests():
            name = type(test).__name__
            if only_tests and name.lower() not in only_tests:
                continue
            if name in disabled:
                continue
            for graph in graphs:
                formatter = self.formatter_cls(graph, test)
                if formatter.valid:
                    yield name, graph["name"], formatter


def _signature(text):
    """The line that names the failure (the last `SomethingError: ...` line, else the last line that says
    error or failed), with timestamps, run ids and the runtime's own preamble taken out so that pairs
    failing for one cause share one signature."""
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("Run 'python")]
    found = None
    for line in reversed(lines):
        if re.match(r"^[\w.]*(Error|Exception|Failed|Exit|Interrupt|Mismatch|NotFound)\b.*", line):
            found = line
            break
    if found is None:
        found = next((l for l in reversed(lines) if "error" in l.lower() or "failed" in l.lower()), None)
    if found is None:
        found = lines[-1] if lines else "(no output)"
    found = found.split(") failed: ")[-1]
    found = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? ", "", found)
    found = re.sub(r"\b\d{6,}\b", "N", found)
    return found[:240]


class PairRun(object):
    def __init__(self, suite, test_name, graph_name, formatter, options):
        self.suite = suite
        self.test_name = test_name
        self.graph_name = graph_name
        self.formatter = formatter
        self.options = options
        self.steps = []  # (phase, argv, returncode, stdout, stderr, seconds)
        self.nonce = os.urandom(8).hex()  # one per pair, so run, resume and checks see the same roots

    def _env(self, pythonpath):
        ctx = self.suite.context
        env = {"USER": os.environ.get("USER", "tester")}
        env.update({k: v.format(nonce=self.nonce) for k, v in ctx["env"].items()})
        env.update(
            {
                # Metaflow's runner asks for en_US.UTF-8, which minimal systems lack; C.UTF-8 is always there.
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                "PATH": os.environ.get("PATH", "."),
                "PYTHONIOENCODING": "utf_8",
                # test/core first, as Metaflow's runner does: it holds metaflow_test and the test extensions.
                "PYTHONPATH": os.pathsep.join([self.suite.core, pythonpath]),
            }
        )
        return env

    def _call(self, phase, argv, cwd, env):
        started = time.time()
        try:
            done = subprocess.run(
                argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=self.options.timeout, check=False,
            )
            rc, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", e.stdout or b"", (e.stderr or b"") + b"\n[timed out]\n"
        self.steps.append(
            (phase, argv, rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.time() - started)
        )
        return rc

    def _flow_cmd(self, verb, extra):
        ctx = self.suite.context
        return (
            [ctx["python"], "-B", "test_flow.py"] + ctx["top_options"] + [verb] + extra
            + ["--run-id-file", "run-id"] + ctx["run_options"]
        )

    def run(self, scratch_root):
        workdir = tempfile.mkdtemp(prefix="%s-%s-" % (self.test_name, self.graph_name), dir=scratch_root)
        started = time.time()
        try:
            result = self._run_in(workdir)
        except Exception as e:  # a driver fault is reported against the pair, never hidden
            result = {"status": "failed", "phase": "driver", "signature": "%s: %s" % (type(e).__name__, e)}
        finally:
            if not self.options.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        result.update(
            {"test": self.test_name, "graph": self.graph_name, "seconds": round(time.time() - started, 2),
             "workdir": workdir if self.options.keep else None}
        )
        return result

    def _run_in(self, workdir):
        f = self.formatter
        with open(os.path.join(workdir, "test_flow.py"), "w") as out:
            out.write(f.flow_code)
        with open(os.path.join(workdir, "check_flow.py"), "w") as out:
            out.write(f.check_code)
        for name in f.copy_files:
            shutil.copy2(os.path.join(self.suite.core, "tests", name), os.path.join(workdir, name))

        ours = self._env(self.suite.checkout if self.options.baseline else EMBEDDED)
        rc = self._call("run", self._flow_cmd("run", []), workdir, ours)
        if rc != 0:
            if f.should_fail:
                pass
            elif f.should_resume:
                rc = self._call(
                    "resume", self._flow_cmd("resume", [f.resume_step] if f.resume_step else []), workdir, ours
                )
                if rc != 0:
                    return self._failed("resume")
            else:
                return self._failed("run")
        elif f.should_fail:
            self.steps.append(("run", [], 0, "", "the flow should have failed but it did not", 0))
            return self._failed("run")

        try:
            with open(os.path.join(workdir, "run-id")) as fh:
                run_id = fh.read()
        except OSError:
            self.steps.append(("run", [], 0, "", "no run-id file was written by --run-id-file", 0))
            return self._failed("run-id-file")

        theirs = self._env(self.suite.checkout)
        failed_checks = []
        for check in self.suite.checks:
            argv = [check["python"], "check_flow.py", check["class"], run_id] + self.suite.context["top_options"]
            if self._call("check:" + check["class"], argv, workdir, theirs) != 0:
                failed_checks.append(check["class"])
        if failed_checks:
            return self._failed("check:" + failed_checks[0], failed_checks)
        return {"status": "passed"}

    def _failed(self, phase, failed_checks=None):
        last = [s for s in self.steps if s[0] == phase] or self.steps[-1:]
        text = last[-1][4] + "\n" + last[-1][3] if last else ""
        log_path = self._write_log()
        return {"status": "failed", "phase": phase, "failed_checks": failed_checks or [],
                "signature": _signature(last[-1][4] if last and last[-1][4].strip() else text), "log": log_path}

    def _write_log(self):
        os.makedirs(self.options.logs, exist_ok=True)
        path = os.path.join(self.options.logs, "%s__%s.log" % (self.test_name, self.graph_name))
        with open(path, "w", encoding="utf-8") as out:
            for phase, argv, rc, stdout, stderr, seconds in self.steps:
                out.write("=== %s (exit %s, %.1f s): %s\n" % (phase, rc, seconds, " ".join(argv)))
                out.write("--- stdout\n%s\n--- stderr\n%s\n" % (stdout, stderr))
        return path


def summarize(results):
    by_test = {}
    for r in results:
        entry = by_test.setdefault(r["test"], {"passed": 0, "run": 0})
        entry["run"] += 1
        entry["passed"] += r["status"] == "passed"
    causes = {}
    for r in results:
        if r["status"] != "passed":
            key = "%s | %s" % (r["phase"], r["signature"])
            causes.setdefault(key, []).append("%s/%s" % (r["test"], r["graph"]))
    return by_test, causes


def main(argv=None):
    options = parse_args(sys.argv[1:] if argv is None else argv)
    options.logs = os.path.abspath(options.logs)
    if not os.path.isfile(os.path.join(REPO, "dist", "cli.js")):
        raise SystemExit("dist/cli.js is missing: build first with `npm run --silent build`")
    suite = Suite(options.checkout)
    pairs = list(suite.pairs(_names(options.tests), _names(options.graphs)))
    if not pairs:
        raise SystemExit("no (graph, test) pair matches --tests/--graphs")
    scratch = options.scratch or tempfile.mkdtemp(prefix="metaflow-core-suite-")
    os.makedirs(scratch, exist_ok=True)
    print("%d pairs, %d at a time, scratch %s, logs %s" % (len(pairs), options.jobs, scratch, options.logs), flush=True)

    results = []
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = [pool.submit(PairRun(suite, t, g, f, options).run, scratch) for t, g, f in pairs]
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            mark = "ok  " if r["status"] == "passed" else "FAIL"
            detail = "" if r["status"] == "passed" else "  [%s] %s" % (r["phase"], r["signature"])
            print("%s %s/%s (%.1f s)%s" % (mark, r["test"], r["graph"], r["seconds"], detail), flush=True)

    results.sort(key=lambda r: (r["test"], r["graph"]))
    by_test, causes = summarize(results)
    passed = sum(v["passed"] for v in by_test.values())
    print("\nPairs passed / pairs run, by test:")
    for name in sorted(by_test):
        print("  %-40s %d/%d" % (name, by_test[name]["passed"], by_test[name]["run"]))
    print("TOTAL %d/%d pairs passed (%.0f s)" % (passed, len(results), time.time() - started))
    print("\nFailures by phase and signature:")
    for key, which in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        print("  %3d  %s\n       e.g. %s" % (len(which), key, ", ".join(which[:3])))
    if options.out:
        with open(options.out, "w") as out:
            json.dump(
                {"context": CONTEXT_NAME, "runtime": "metaflow" if options.baseline else "embedded", "passed": passed, "run": len(results), "by_test": by_test,
                 "causes": causes, "pairs": results}, out, indent=1,
            )
    if not options.scratch and not options.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
