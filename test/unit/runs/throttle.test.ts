import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throttle, type Timers } from '../../../src/runs/throttle';

function manualTimers() {
  let nextId = 1;
  const pending = new Map<number, () => void>();
  const timers: Timers = {
    setTimeout: (fn) => {
      const id = nextId++;
      pending.set(id, fn);
      return id;
    },
    clearTimeout: (h) => pending.delete(h as number),
  };
  const elapse = () => {
    const fns = [...pending.values()];
    pending.clear();
    fns.forEach((f) => f());
  };
  return { timers, elapse, count: () => pending.size };
}

test('first call runs at once; calls within the interval collapse into one trailing call with the newest value', () => {
  const t = manualTimers();
  const seen: number[] = [];
  const f = throttle((v: number) => seen.push(v), 100, t.timers);
  f(1);
  f(2);
  f(3);
  assert.deepEqual(seen, [1]);
  t.elapse();
  assert.deepEqual(seen, [1, 3]);
  t.elapse();
  assert.deepEqual(seen, [1, 3]);
  assert.equal(t.count(), 0, 'idle after a quiet interval');
  f(4);
  assert.deepEqual(seen, [1, 3, 4]);
});

test('flush runs the pending call now; cancel drops it', () => {
  const t = manualTimers();
  const seen: string[] = [];
  const f = throttle((v: string) => seen.push(v), 100, t.timers);
  f('a');
  f('b');
  f.flush();
  assert.deepEqual(seen, ['a', 'b']);
  f('c');
  f.cancel();
  t.elapse();
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(t.count(), 0);
});

test('real timers: the trailing call arrives after the interval', async () => {
  const seen: number[] = [];
  const f = throttle((v: number) => seen.push(v), 20);
  f(1);
  f(2);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(seen, [1, 2]);
  f.cancel();
});
