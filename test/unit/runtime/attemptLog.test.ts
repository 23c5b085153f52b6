import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseMflogLine } from '../../../src/datastore/mflog';
import { AttemptLog } from '../../../src/datastore/taskLogs';

function persisted(log: AttemptLog, stream: 'stdout' | 'stderr'): { file: string; texts: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attempt-log-'));
  try {
    log.persist((name) => path.join(dir, `0.${name}`), 0);
    const file = path.join(dir, `0.runtime_${stream}.log`);
    const content = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    return { file: content, texts: content.split('\n').filter(Boolean).map((l) => parseMflogLine(l)?.text ?? l) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('per-attempt log capture', () => {
  it('when the task saved its own output (a pod), keeps only the runtime\u2019s lines, so nothing is stored twice', () => {
    const log = new AttemptLog(1024, 'a');
    log.add('stdout', 'task', 'trained 22', 1);
    log.add('stderr', 'task', 'a warning', 2);
    log.add('stderr', 'runtime', 'Task failed: out of memory', 3);
    const names = (files: Array<[string, string]>) => files.map(([name, text]) => [name, text.split('\n').filter(Boolean).map((l) => parseMflogLine(l)?.text)]);
    assert.deepEqual(names(log.render(4, { withoutTaskLines: true })), [['runtime_stderr.log', ['Task failed: out of memory']]]);
    assert.deepEqual(names(log.render(4)), [
      ['runtime_stdout.log', ['trained 22']],
      ['runtime_stderr.log', ['a warning', 'Task failed: out of memory']],
    ]);
  });

  it('keeps the runtime’s own messages after the task output hit the size limit', () => {
    const log = new AttemptLog(400, '1.0.');
    for (let i = 0; i < 20; i++) log.add('stderr', 'task', `task line ${i} ${'x'.repeat(40)}`, 1000 + i);
    log.add('stderr', 'runtime', 'Task timed out after 5 s (@timeout); killing its processes.', 2000);
    const { texts } = persisted(log, 'stderr');
    assert.ok(texts.includes('Task timed out after 5 s (@timeout); killing its processes.'), texts.join('\n'));
  });

  it('stops taking task lines once one was cut, so the kept log has no gaps', () => {
    const log = new AttemptLog(200, '1.0.');
    log.add('stdout', 'task', 'first', 1);
    log.add('stdout', 'task', 'y'.repeat(300), 2);
    log.add('stdout', 'task', 'short', 3);
    const { texts } = persisted(log, 'stdout');
    assert.equal(texts[0], 'first');
    assert.ok(!texts.includes('short'), texts.join('\n'));
  });

  it('counts the limit in bytes, not characters', () => {
    const log = new AttemptLog(2000, '1.0.');
    for (let i = 0; i < 40; i++) log.add('stdout', 'task', 'é'.repeat(30), i);
    const { file } = persisted(log, 'stdout');
    const taskBytes = Buffer.byteLength(file.split('\n').filter((l) => !l.includes('[log truncated')).join('\n'));
    assert.ok(taskBytes <= 2000, `${taskBytes} bytes kept under a 2000-byte limit`);
  });
});
