import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatMflogLine, mergeMflogs, mflogTimestamp, mflogTimestampMicros, parseMflogLine } from '../../../src/datastore/mflog';
import { AttemptLog } from '../../../src/datastore/taskLogs';

const MFLOG = /^(\[!)?\[MFLOG\|(0)\|(.+?)Z\|(.+?)\|(.+?)\](.*)$/s;

/**
 * The order Metaflow's log reader gives one file's lines: it sorts (timestamp text, parsed line) pairs,
 * so ties on the timestamp fall to the persist marker, version, timestamp, source, id, then the text,
 * each compared as bytes.
 */
function metaflowReaderOrder(content: string): string[] {
  const keyed = content.split('\n').filter(Boolean).map((raw) => {
    const m = MFLOG.exec(raw)!;
    return { key: [m[3], m[1] ?? '', m[2], m[3], m[4], m[5], m[6]].map((f) => Buffer.from(f)), text: m[6] };
  });
  keyed.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = Buffer.compare(a.key[i], b.key[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return keyed.map((k) => k.text);
}

function persistedStream(log: AttemptLog, stream: 'stdout' | 'stderr'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mflog-order-'));
  try {
    log.persist((name) => path.join(dir, `0.${name}`), 0);
    return fs.readFileSync(path.join(dir, `0.runtime_${stream}.log`), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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

  it('writes microsecond timestamps from whole microseconds without rounding drift', () => {
    const micros = Date.UTC(2026, 10, 21, 9, 6, 12, 1) * 1000 + 7;
    assert.equal(mflogTimestampMicros(micros), '2026-11-21T09:06:12.001007');
  });

  it("keeps lines flushed together in their order under Metaflow's sort, whatever their texts and sources", () => {
    const log = new AttemptLog(10 * 1048576, '3.1.');
    const expected: string[] = [];
    // Many lines with one timestamp (one read of the pipe), one that went back in time, texts that sort
    // backwards, and runtime lines mixed in: each must still come back in the order it was added.
    for (let i = 0; i < 1200; i++) {
      const text = `${String.fromCharCode(122 - (i % 26))} line ${1200 - i}`;
      const ms = i === 600 ? 999_999 : 1_000_000 + Math.floor(i / 400);
      log.add('stdout', i % 97 === 0 ? 'runtime' : 'task', text, ms);
      expected.push(text);
    }
    const content = persistedStream(log, 'stdout');
    assert.deepEqual(metaflowReaderOrder(content), expected);
    assert.deepEqual(mergeMflogs([content]).map((l) => l.text), expected);
  });

  it('keeps the truncation note after the last kept line', () => {
    const log = new AttemptLog(200, '1.0.');
    for (let i = 0; i < 10; i++) log.add('stderr', 'task', `line ${i} ${'x'.repeat(30)}`, 5_000);
    const order = metaflowReaderOrder(persistedStream(log, 'stderr'));
    assert.match(order[order.length - 1], /^\[log truncated/);
  });
});
