import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskPolicy } from '../../../src/runtime/taskPolicy';
import { flowOf } from './flowBuilder';

function stepWith(decorators: Array<{ name: string; attributes?: Record<string, never> | Record<string, unknown> }>) {
  return flowOf('T', { start: { type: 'start', next: ['end'], decorators: decorators as never }, end: { type: 'end' } }).steps[0];
}

describe('task policy from decorators', () => {
  it('has no retries and no timeout without decorators', () => {
    assert.deepEqual(taskPolicy(stepWith([])), { userCodeRetries: 0, errorRetries: 0, retryDelayMs: 0, timeoutMs: 0 });
  });

  it('retries a local task at once: minutes_between_retries applies only on remote compute', () => {
    assert.deepEqual(taskPolicy(stepWith([{ name: 'retry' }])), { userCodeRetries: 3, errorRetries: 0, retryDelayMs: 0, timeoutMs: 0 });
    assert.equal(taskPolicy(stepWith([{ name: 'retry', attributes: { minutes_between_retries: 5 } }])).retryDelayMs, 0);
    assert.throws(() => taskPolicy(stepWith([{ name: 'retry', attributes: { minutes_between_retries: 'soon' } }])), /minutes_between_retries must be a non-negative number/);
  });

  it('uses @retry defaults (3 times, 2 minutes) and given values on remote compute', () => {
    assert.deepEqual(taskPolicy(stepWith([{ name: 'retry' }]), 'remote'), { userCodeRetries: 3, errorRetries: 0, retryDelayMs: 120_000, timeoutMs: 0 });
    const p = taskPolicy(stepWith([{ name: 'retry', attributes: { times: 1, minutes_between_retries: '0' } }]), 'remote');
    assert.equal(p.userCodeRetries, 1);
    assert.equal(p.retryDelayMs, 0);
  });

  it('gives @catch fallback attempts within Metaflow\'s six attempts', () => {
    assert.equal(taskPolicy(stepWith([{ name: 'catch', attributes: { var: 'e' } }])).errorRetries, 3);
    const both = taskPolicy(stepWith([{ name: 'catch' }, { name: 'retry', attributes: { times: 4 } }]));
    assert.equal(both.userCodeRetries + both.errorRetries + 1, 6);
  });

  it('sums @timeout seconds, minutes and hours', () => {
    assert.equal(taskPolicy(stepWith([{ name: 'timeout', attributes: { seconds: 5, minutes: 1 } }])).timeoutMs, 65_000);
  });

  it('refuses a @timeout without a duration, as Metaflow does, naming the step', () => {
    assert.throws(() => taskPolicy(stepWith([{ name: 'timeout' }])), /@timeout on step \*start\* has no duration: give seconds=, minutes= or hours=/);
    assert.throws(() => taskPolicy(stepWith([{ name: 'timeout', attributes: { seconds: 0, minutes: 0 } }])), /@timeout on step \*start\* has no duration/);
  });

  it('refuses too many retries and non-literal values, naming the step', () => {
    assert.throws(() => taskPolicy(stepWith([{ name: 'retry', attributes: { times: 5 } }])), /@retry\(times=5\) on step \*start\*.*times=4/);
    assert.throws(() => taskPolicy(stepWith([{ name: 'timeout', attributes: { seconds: { $expr: 'LIMIT' } } }])), /@timeout\(seconds=LIMIT\) on step \*start\*/);
  });
});
