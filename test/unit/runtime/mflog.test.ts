import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMflogLine, mergeMflogs, mflogTimestamp, parseMflogLine } from '../../../src/datastore/mflog';

describe('mflog lines', () => {
  it('formats Metaflow structured lines with a microsecond UTC timestamp', () => {
    const ms = Date.UTC(2026, 10, 21, 9, 6, 12, 123);
    assert.equal(mflogTimestamp(ms), '2026-11-21T09:06:12.123000');
    assert.equal(formatMflogLine('task', 'hello world', ms, 'id1'), '[MFLOG|0|2026-11-21T09:06:12.123000Z|task|id1]hello world');
  });

  it('parses what it writes, including the persist marker form', () => {
    const line = parseMflogLine('[![MFLOG|0|2026-11-21T09:06:12.123456Z|runtime|abc]x ] y');
    assert.equal(line?.source, 'runtime');
    assert.equal(line?.id, 'abc');
    assert.equal(line?.text, 'x ] y');
    assert.equal(line?.ts, Date.UTC(2026, 10, 21, 9, 6, 12, 123));
    assert.equal(parseMflogLine('plain text'), undefined);
  });

  it('merges runtime and task logs by timestamp', () => {
    const runtime = '[MFLOG|0|2026-11-21T09:00:00.000002Z|runtime|a]second\n[MFLOG|0|2026-11-21T09:00:00.000004Z|runtime|b]fourth\n';
    const task = '[MFLOG|0|2026-11-21T09:00:00.000001Z|task|c]first\n[MFLOG|0|2026-11-21T09:00:00.000003Z|task|d]third\n';
    assert.deepEqual(mergeMflogs([runtime, task]).map((l) => l.text), ['first', 'second', 'third', 'fourth']);
  });
});
