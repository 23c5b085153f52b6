// Artifact values need unpickling, so a short stdlib-only python3 program (argv only) loads them from
// the content-addressed store, with the embedded package on PYTHONPATH so Metaflow's own classes load.
import { execFile } from 'node:child_process';

export interface DumpedArtifact {
  name: string;
  type: string;
  size: number;
  value?: string;
  error?: string;
}

export interface DumpedTask {
  path: string;
  attempt: number | null;
  artifacts: DumpedArtifact[];
  error?: string;
}

export const DUMP_SCRIPT = String.raw`
import gzip, io, json, os, pickle, sys
from collections import namedtuple
ForeachFrame = namedtuple("ForeachFrame", ["step", "var", "num_splits", "index", "value"])
def opaque(module, name):
    class Opaque(object):
        def __init__(self, *a, **k): pass
        def __setstate__(self, s): pass
        def __repr__(self): return "<%s.%s object: its class cannot be imported here>" % (module, name)
    return Opaque
class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "ForeachFrame":
            return ForeachFrame
        try:
            return pickle.Unpickler.find_class(self, module, name)
        except Exception:
            return opaque(module, name)
req = json.loads(sys.argv[1])
root, flow, limit = req["root"], req["flow"], req["max_value_size"]
include, private = req.get("include"), req.get("private")
def load(sha):
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
    return Reader(io.BytesIO(blob)).load()
out = []
for task in req["tasks"]:
    rec = {"path": task["path"], "attempt": None, "artifacts": []}
    d = task["dir"]
    attempt = None
    for a in range(5, -1, -1):
        if os.path.exists(os.path.join(d, "%d.DONE.lock" % a)):
            attempt = a
            break
    if attempt is None:
        rec["error"] = "the task has no finished attempt (no DONE.lock), so it has no artifacts"
        out.append(rec)
        continue
    rec["attempt"] = attempt
    with open(os.path.join(d, "%d.data.json" % attempt)) as f:
        data = json.load(f)
    objects, info = data.get("objects", {}), data.get("info", {})
    for name in sorted(objects):
        if include and name not in include:
            continue
        if not private and not include and name.startswith("_"):
            continue
        i = info.get(name, {})
        art = {"name": name, "type": i.get("type", "?"), "size": i.get("size", 0)}
        if limit > 0:
            try:
                text = repr(load(objects[name]))
                if len(text) > limit:
                    text = text[:limit] + "..."
                art["value"] = text
            except Exception as e:
                art["error"] = "cannot unpickle: %s: %s" % (type(e).__name__, e)
        rec["artifacts"].append(art)
    out.append(rec)
sys.stdout.write(json.dumps(out))
`;

export interface DumpRequest {
  root: string;
  flow: string;
  tasks: Array<{ path: string; dir: string }>;
  max_value_size: number;
  include?: string[];
  private?: boolean;
}

export function dumpTasks(python: string, request: DumpRequest, env: NodeJS.ProcessEnv): Promise<DumpedTask[]> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', DUMP_SCRIPT, JSON.stringify(request)], { env, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(new Error(e.code === 'ENOENT' ? `cannot start Python '${python}'; set METAFLOW_STUDIO_PYTHON to an interpreter` : (stderr || err.message).trim()));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as DumpedTask[]);
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    });
  });
}
