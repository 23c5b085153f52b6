// An unbounded foreach with real python3, read back through the embedded Client as Metaflow's core tests
// read it: one control task (control_tasks()) recording `_control_mapper_tasks`, a task per item, the join
// fed by the mapper tasks only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { finish, PYTHON_DIR, runner, testEnv, type Workspace, workspace, writeFlow } from './harness';

const UBF_FLOW = `from metaflow import FlowSpec, step, unbounded_test_foreach_internal
from metaflow.plugins import InternalTestUnboundedForeachInput


class UbfFlow(FlowSpec):
    @step
    def start(self):
        self.arr = InternalTestUnboundedForeachInput(["a", "b", "c"])
        self.next(self.inner, foreach="arr")

    @unbounded_test_foreach_internal
    @step
    def inner(self):
        self.my_input = self.input
        self.my_index = self.index
        self.stack = [(i, n) for i, n, _ in self.foreach_stack()]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.got = [i.my_input for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    UbfFlow()
`;

const READ_STEP = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
inner = run["inner"]
tasks = {t.id: t for t in inner.tasks()}
controls = [t.id for t in inner.control_tasks()]
control = tasks[controls[0]]
out = {
    "tasks": sorted(tasks),
    "controls": controls,
    "control_mapper_tasks": control["_control_mapper_tasks"].data,
    "control_metadata": control.metadata_dict.get("internal_task_type"),
    "mappers": dict((tid, [t["my_input"].data, t["my_index"].data, t["stack"].data]) for tid, t in tasks.items() if tid != controls[0]),
    "join_got": run["join"].task["got"].data,
    "successful": run.successful,
}
print(json.dumps(out))
`;

interface Read {
  tasks: string[];
  controls: string[];
  control_mapper_tasks: string[];
  control_metadata?: string;
  mappers: Record<string, [string, number, Array<[number, number | null]>]>;
  join_got: string[];
  successful: boolean;
}

function read(ws: Workspace, pathspec: string): Promise<Read> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', READ_STEP, pathspec], { env: { ...testEnv(ws), PYTHONPATH: PYTHON_DIR, METAFLOW_DATASTORE_SYSROOT_LOCAL: ws.dir }, cwd: ws.dir }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Read);
    });
  });
}

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

describe('unbounded foreach', () => {
  it('runs a control task and a task per item; the Client sees them as after a Metaflow run', async () => {
    const file = writeFlow(ws, 'ubf_flow.py', UBF_FLOW);
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const started = events.filter((e): e is Extract<RunEvent, { event: 'task_started' }> => e.event === 'task_started' && e.step === 'inner').map((e) => e.task_id);
    assert.equal(started.length, 4);

    const got = await read(ws, `UbfFlow/${result.runId}`);
    assert.equal(got.successful, true);
    assert.equal(got.controls.length, 1);
    const control = got.controls[0];
    assert.deepEqual(got.tasks, [control, `${control}-0`, `${control}-1`, `${control}-2`].sort());
    // Metaflow's local metadata tags the control task itself when it creates it.
    const self = JSON.parse(fs.readFileSync(path.join(ws.root, 'UbfFlow', result.runId, 'inner', control, '_meta', '_self.json'), 'utf8')) as { system_tags: string[] };
    assert.ok(self.system_tags.includes('control_task'), JSON.stringify(self));
    assert.equal(got.control_metadata, 'control_task');
    assert.deepEqual(got.control_mapper_tasks, [0, 1, 2].map((i) => `${result.runId}/inner/${control}-${i}`));
    // Each mapper sees its item; the unbounded frame has no cardinality (None), as in Metaflow.
    assert.deepEqual(got.mappers, {
      [`${control}-0`]: ['a', 0, [[0, null]]],
      [`${control}-1`]: ['b', 1, [[1, null]]],
      [`${control}-2`]: ['c', 2, [[2, null]]],
    });
    assert.deepEqual(got.join_got, ['a', 'b', 'c']);
  });

  it('resume clones the control task and its mapper tasks, then runs the failed join', async () => {
    const file = writeFlow(ws, 'ubf_flow.py', UBF_FLOW.replace(
      '        self.got = [i.my_input for i in inputs]\n',
      '        from metaflow import current\n        if current.origin_run_id is None:\n            raise RuntimeError("join fails in the first run")\n        self.got = [i.my_input for i in inputs]\n',
    ));
    const first = await finish((await runner(ws)).run({ flowFile: file, parameterArgs: [] }));
    assert.equal(first.result.status, 'failed');
    const resumed = await finish((await runner(ws)).resume({ flowFile: file }));
    assert.equal(resumed.result.status, 'succeeded', resumed.result.error);
    const inner = resumed.events.filter((e): e is Extract<RunEvent, { event: 'task_finished' }> => e.event === 'task_finished' && e.step === 'inner');
    assert.deepEqual(inner.map((e) => e.status), ['cloned', 'cloned', 'cloned', 'cloned']);
    const got = await read(ws, `UbfFlow/${resumed.result.runId}`);
    assert.equal(got.controls.length, 1);
    assert.equal(got.tasks.length, 4);
    assert.deepEqual(Object.values(got.mappers).map((m) => m[0]).sort(), ['a', 'b', 'c']);
    assert.deepEqual(got.join_got, ['a', 'b', 'c']);
  });

  it('a foreach over an unbounded input into a step without an unbounded-foreach decorator fails with Metaflow\'s message', async () => {
    const file = writeFlow(ws, 'ubf_flow.py', UBF_FLOW.replace('    @unbounded_test_foreach_internal\n', ''));
    const r = await runner(ws);
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /Step \*inner\* has a control task which didn't specify the artifact \*_control_mapper_tasks\*.*@unbounded_test_foreach_internal/);
  });
});
