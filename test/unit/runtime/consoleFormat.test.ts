import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsoleFormatter, consoleTimestamp } from '../../../src/runtime/consoleFormat';

const base = { ts: new Date(2026, 10, 21, 9, 6, 12, 123).getTime(), flow: 'F', run_id: '1795' };

describe("Metaflow's console shape", () => {
  it('prints local timestamps with milliseconds', () => {
    assert.equal(consoleTimestamp(base.ts), '2026-11-21 09:06:12.123');
  });

  it('prefixes task lines with run/step/task and the pid once known', () => {
    const f = new ConsoleFormatter();
    const started = f.format({ ...base, event: 'task_started', pathspec: 'F/1795/start/1', step: 'start', task_id: '1', attempt: 0, pid: 42 });
    assert.deepEqual(started, [{ text: '2026-11-21 09:06:12.123 [1795/start/1 (pid 42)] Task is starting.', toStderr: false }]);
    const log = f.format({ ...base, event: 'log', pathspec: 'F/1795/start/1', step: 'start', task_id: '1', attempt: 0, stream: 'stdout', line: 'hello', source: 'task' });
    assert.equal(log[0].text, '2026-11-21 09:06:12.123 [1795/start/1 (pid 42)] hello');
  });

  it('says when a failed task will be retried, and puts failures on stderr', () => {
    const f = new ConsoleFormatter();
    const done = { ...base, event: 'task_finished' as const, pathspec: 'F/1795/a/2', step: 'a', task_id: '2', attempt: 0, status: 'failed' as const, duration_ms: 5, error: 'ValueError: x' };
    assert.deepEqual(f.format({ ...done, will_retry: true }), [{ text: '2026-11-21 09:06:12.123 [1795/a/2] Task failed: ValueError: x. Retrying.', toStderr: true }]);
    assert.match(f.format({ ...done, will_retry: false })[0].text, /will not be retried/);
    assert.match(f.format({ ...base, event: 'run_finished', pathspec: 'F/1795', status: 'failed', duration_ms: 1, error: 'boom' })[0].text, /Workflow failed \(run F\/1795\): boom/);
  });
});
