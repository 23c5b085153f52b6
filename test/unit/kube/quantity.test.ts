import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitTimestamp } from '../../../src/kube/podLogs';
import { formatResource, parseQuantity } from '../../../src/kube/quantity';

describe('quantities and log timestamps', () => {
  it('reads Kubernetes quantities and writes them for people', () => {
    assert.equal(parseQuantity('64Gi'), 64 * 2 ** 30);
    assert.equal(parseQuantity('4096M'), 4096e6);
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('lots'), undefined);
    assert.equal(formatResource('memory', 64 * 2 ** 30), '64 GiB memory');
    assert.equal(formatResource('cpu', 16), '16 CPUs');
    assert.equal(formatResource('ephemeral-storage', 1536 * 2 ** 20), '1.5 GiB disk');
    assert.equal(formatResource('nvidia.com/gpu', 2), '2 nvidia.com/gpu');
  });

  it('splits the kubelet timestamp off a log line', () => {
    assert.deepEqual(splitTimestamp('2026-01-10T10:00:00.123456789Z hello world'), { text: 'hello world', ts: Date.parse('2026-01-10T10:00:00.123Z') });
    assert.deepEqual(splitTimestamp('no timestamp here'), { text: 'no timestamp here' });
  });
});
