// The worker protocol's written schema, its TypeScript types and the reader of worker messages agree.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { ParallelSpec, TaskResult, TaskSpec, WorkerMessage, WorkerRequest } from '../../../src/runtime/workerProtocol';
import { validateTaskRequest, validateWorkerRequest } from '../../../src/runtime/workerProtocolValidators';
import { readWorkerMessage, validateWorkerMessage } from '../../../src/runtime/workers/workerMessages';

const ROOT = path.resolve(__dirname, '../../..');
const SCHEMA_FILE = path.join(ROOT, 'src/runtime/workerProtocol.schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as { definitions: Record<string, { properties?: Record<string, { const?: string }>; required?: string[]; oneOf?: Array<{ $ref: string }> }> };

// Required<> makes the compiler insist on every field of the type: a field added to one side only fails below.
const PARALLEL: Required<ParallelSpec> = { node_index: 1, num_nodes: 2, control_task_id: '4', main_ip: '127.0.0.1', mapper_tasks: ['1/train/4', '1/train/4_node_1'] };
const FULL_SPEC: Required<TaskSpec> = {
  kind: 'step', flow_file: '/w/flow.py', flow_name: 'F', datastore_root: '/w/.metaflow', run_id: '1', step: 'train', task_id: '4_node_1',
  attempt: 1, max_user_code_retries: 2, input_paths: ['1/start/1'], split_index: 0, user_name: 'tester', tags: ['刺身'],
  origin_run_id: '0', parameters: { alpha: '0.1' }, clone_from: '0/train/4', parallel: PARALLEL, ubf_context: 'ubf_task', env: { A: 'b' },
  datastore: { type: 'azure', sysroot: 'mf-data/studio', endpoint: 'https://acct.blob.core.windows.net' },
};
const FULL_RESULT: Required<TaskResult> = {
  ok: false, next: ['a', 'b'], foreach_var: 'items', num_splits: 3, switch_value: 'fast', unbounded_foreach: false, retry_allowed: true,
  exception: { type: 'ValueError', message: 'bad', traceback: 'Traceback ...' },
  effective_decorators: { start: [{ name: 'retry', attributes: { times: 2 } }] },
};
const EVERY_OP: Record<WorkerMessage['op'], WorkerMessage> = {
  ready: { op: 'ready', pid: 10, python_version: '3.11.7' },
  init_error: { op: 'init_error', error: 'Traceback ...' },
  started: { op: 'started', key: 'start/1/0', pid: 11 },
  log: { op: 'log', key: 'start/1/0', stream: 'stdout', line: 'hello', ts: 1_700_000_000_000 },
  finished: { op: 'finished', key: 'start/1/0', exit_code: 1, signal: null, result: FULL_RESULT },
};

function properties(definition: string): string[] {
  return Object.keys(schema.definitions[definition].properties ?? {}).sort();
}

describe('worker protocol schema', () => {
  it('is compiled into the validators the extension ships (regenerate with scripts/gen-worker-protocol-validators.mjs)', async () => {
    const generator = (await import(pathToFileURL(path.join(ROOT, 'scripts/gen-worker-protocol-validators.mjs')).href)) as { generateValidators(text: string): string };
    const current = fs.readFileSync(path.join(ROOT, 'src/runtime/workerProtocolValidators.ts'), 'utf8');
    assert.equal(current, generator.generateValidators(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  });

  it('names the same fields as the TypeScript types, both ways', () => {
    assert.deepEqual(properties('TaskSpec'), Object.keys(FULL_SPEC).sort());
    assert.deepEqual(properties('ParallelSpec'), Object.keys(PARALLEL).sort());
    assert.deepEqual(properties('TaskResult'), Object.keys(FULL_RESULT).sort());
    const ops = (schema.definitions.WorkerMessage.oneOf ?? []).map((r) => schema.definitions[r.$ref.split('/').pop()!].properties!.op.const);
    assert.deepEqual(ops.sort(), Object.keys(EVERY_OP).sort());
  });

  it('accepts every message of the types, with every optional field and without them', () => {
    for (const m of Object.values(EVERY_OP)) assert.deepEqual(validateWorkerMessage(m), { ok: true, message: m });
    const bare: TaskResult = { ok: true, next: [], retry_allowed: true };
    assert.ok(validateWorkerMessage({ op: 'finished', key: 'k', exit_code: null, signal: 'SIGKILL', result: null }).ok);
    assert.ok(validateWorkerMessage({ op: 'finished', key: 'k', exit_code: 0, signal: null, result: bare }).ok);
    const requests: WorkerRequest[] = [{ op: 'task', key: 'k', task: FULL_SPEC }, { op: 'shutdown' }];
    for (const r of requests) assert.ok(validateWorkerRequest(r), JSON.stringify(r));
    const { parallel: _p, split_index: _s, origin_run_id: _o, parameters: _a, clone_from: _c, env: _e, ...minimal } = FULL_SPEC;
    assert.ok(validateTaskRequest({ op: 'task', key: 'k', task: minimal }));
    assert.equal(validateTaskRequest({ op: 'task', key: 'k', task: { ...minimal, attempt: -1 } }), false);
  });
});

describe('reading worker messages', () => {
  it('names the field of a malformed finished message and still ends the task, with no result', () => {
    const read = readWorkerMessage(JSON.stringify({ ...EVERY_OP.finished, result: { ...FULL_RESULT, next: 'end' } }));
    assert.match(read.problem ?? '', /^worker protocol: 'finished' message: field result\.next must be array$/);
    assert.deepEqual(read.message, { op: 'finished', key: 'start/1/0', exit_code: null, signal: null, result: null });
  });

  it('turns a malformed task message into a log line of that task, and a bad handshake into init_error', () => {
    const log = readWorkerMessage(JSON.stringify({ op: 'log', key: 'a/1/0', stream: 'stdin', line: 'x', ts: 1 }));
    assert.match(log.problem ?? '', /'log' message: field stream must be one of "stdout", "stderr"/);
    assert.equal(log.message?.op === 'log' && log.message.key === 'a/1/0' && log.message.stream === 'stderr' && log.message.line === log.problem, true);
    const ready = readWorkerMessage('{"op":"ready","pid":"12","python_version":"3.11"}');
    assert.deepEqual(ready.message, { op: 'init_error', error: "worker protocol: 'ready' message: field pid must be integer" });
    assert.match(readWorkerMessage('{"op":"started","key":"k","pid":3,"extra":1}').problem ?? '', /unknown field 'extra'/);
    assert.match(readWorkerMessage('{"op":"finished","key":"k","exit_code":0,"signal":null}').problem ?? '', /lacks the field 'result'/);
  });

  it('reports lines that are not messages at all, without acting on them', () => {
    assert.deepEqual(readWorkerMessage('not json'), { problem: 'worker protocol: not a JSON line: not json' });
    assert.deepEqual(readWorkerMessage('{"op":"hello"}'), { problem: 'worker protocol: unknown op "hello" (expected one of ready, init_error, started, log, finished)' });
    assert.deepEqual(readWorkerMessage('[1]'), { problem: 'worker protocol: a message must be a JSON object' });
  });
});
