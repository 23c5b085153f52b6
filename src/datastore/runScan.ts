// Reads what resume and spin need from a finished (or crashed) run: each task's done attempt, success,
// foreach/iteration position and transition. Those live in pickled artifacts, so a short stdlib-only
// python3 program (argv only, no shell) reads them; it never imports user code.
import { execFile } from 'node:child_process';

export interface ScannedTask {
  step: string;
  task_id: string;
  attempt: number;
  done: boolean;
  ok: boolean;
  /** Foreach indices, outermost first (`_foreach_stack[*].index`). */
  foreach: Array<number | null>;
  iteration: number[];
  next: string[];
  foreach_var: string | null;
  num_splits: number | null;
}

export const SCAN_SCRIPT = String.raw`
import gzip, io, json, os, pickle, sys
from collections import namedtuple
ForeachFrame = namedtuple("ForeachFrame", ["step", "var", "num_splits", "index", "value"])
class Opaque(object):
    def __init__(self, *a, **k): pass
    def __setstate__(self, s): pass
class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "ForeachFrame":
            return ForeachFrame
        try:
            return pickle.Unpickler.find_class(self, module, name)
        except Exception:
            return Opaque
root, flow, run = sys.argv[1], sys.argv[2], sys.argv[3]
run_dir = os.path.join(root, flow, run)
cache = {}
def load(sha):
    if sha in cache:
        return cache[sha]
    path = os.path.join(root, flow, "data", sha[:2], sha)
    with open(path, "rb") as f:
        blob = f.read()
    raw = False
    try:
        with open(path + "_meta") as f:
            raw = json.load(f).get("cas_raw", False)
    except Exception:
        pass
    if not raw:
        blob = gzip.decompress(blob)
    value = Reader(io.BytesIO(blob)).load()
    cache[sha] = value
    return value
out = []
for step in sorted(os.listdir(run_dir)):
    step_dir = os.path.join(run_dir, step)
    if step == "_meta" or not os.path.isdir(step_dir):
        continue
    for task in sorted(os.listdir(step_dir)):
        task_dir = os.path.join(step_dir, task)
        if task == "_meta" or not os.path.isdir(task_dir):
            continue
        attempt = None
        for a in range(5, -1, -1):
            if os.path.exists(os.path.join(task_dir, "%d.attempt.json" % a)) or os.path.exists(os.path.join(task_dir, "%d.data.json" % a)):
                attempt = a
                break
        if attempt is None:
            continue
        rec = {"step": step, "task_id": task, "attempt": attempt, "done": False, "ok": False, "foreach": [], "iteration": [], "next": [], "foreach_var": None, "num_splits": None}
        if os.path.exists(os.path.join(task_dir, "%d.DONE.lock" % attempt)):
            rec["done"] = True
            try:
                with open(os.path.join(task_dir, "%d.data.json" % attempt)) as f:
                    objects = json.load(f).get("objects", {})
                def get(name, default=None):
                    sha = objects.get(name)
                    return load(sha) if sha else default
                rec["ok"] = bool(get("_task_ok", False))
                rec["foreach"] = [getattr(fr, "index", None) for fr in (get("_foreach_stack", []) or [])]
                rec["iteration"] = [int(i) for i in (get("_iteration_stack", []) or [])]
                tr = get("_transition")
                if tr:
                    rec["next"] = list(tr[0] or [])
                    rec["foreach_var"] = tr[1] if len(tr) > 1 else None
                if rec["foreach_var"]:
                    n = get("_foreach_num_splits")
                    rec["num_splits"] = int(n) if n is not None else None
            except Exception as e:
                rec["ok"] = False
                rec["error"] = "%s: %s" % (type(e).__name__, e)
        out.append(rec)
sys.stdout.write(json.dumps(out))
`;

export function scanRun(python: string, root: string, flow: string, run: string, env: NodeJS.ProcessEnv): Promise<ScannedTask[]> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', SCAN_SCRIPT, root, flow, run], { env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`cannot read run ${flow}/${run} in ${root}: ${(stderr || err.message).trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as ScannedTask[]);
      } catch (e) {
        reject(new Error(`cannot read run ${flow}/${run}: ${(e as Error).message}`));
      }
    });
  });
}

export function scannedIndex(t: ScannedTask): string {
  return `${t.step}[${t.foreach.map((i) => (i === null ? 'None' : String(i))).join(',')}][${t.iteration.join(',')}]`;
}
