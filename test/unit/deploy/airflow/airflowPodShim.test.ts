// The pod shim runs the loader it is given with the argo-mode arguments and turns the output files into
// the XCom return value; a failing loader's exit code passes through and no XCom is written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AIRFLOW_POD_SHIM } from '../../../../src/deploy/airflow/airflowPodShim';

// A loader standing in for pod_loader.py: it records its argv and writes the argo mode's output files.
const FAKE_LOADER = `
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--outputs") + 1]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "argv.json"), "w") as f:
    json.dump(args, f)
if "--fail" in args:
    sys.exit(3)
with open(os.path.join(out, "task_id"), "w") as f:
    f.write("t-0123abcd\\n")
if "--split" in args:
    with open(os.path.join(out, "split_cardinality"), "w") as f:
        f.write("4")
`;

function runShim(extra: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-shim-'));
  const xcom = path.join(dir, 'xcom', 'return.json');
  const outputs = path.join(dir, 'out');
  const r = spawnSync('python3', ['-c', AIRFLOW_POD_SHIM, Buffer.from(FAKE_LOADER).toString('base64'), 'argo', '--step', 's', ...extra, '--outputs', outputs], {
    env: { ...process.env, METAFLOW_STUDIO_XCOM_FILE: xcom },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr, xcom, argv: JSON.parse(fs.readFileSync(path.join(outputs, 'argv.json'), 'utf8')) as string[] };
}

describe('Airflow pod shim', () => {
  it('passes the mode and arguments to the loader and writes the task id to XCom', () => {
    const r = runShim([]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.argv.slice(0, 3), ['argo', '--step', 's']);
    assert.deepEqual(JSON.parse(fs.readFileSync(r.xcom, 'utf8')), { metaflow_task_id: 't-0123abcd' });
  });

  it('adds a foreach split cardinality', () => {
    const r = runShim(['--split']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(r.xcom, 'utf8')), { metaflow_task_id: 't-0123abcd', metaflow_foreach_cardinality: 4 });
  });

  it("keeps a failing loader's exit code and writes no XCom", () => {
    const r = runShim(['--fail']);
    assert.equal(r.status, 3);
    assert.equal(fs.existsSync(r.xcom), false);
  });
});
