import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE, describeStep, layoutBadges, nodeSize } from '../../../src/layout/nodeMetrics';

test('badges wrap into rows inside the card and never overflow it', () => {
  const badges = ['kubernetes', 'retry', 'timeout', 'catch', 'resources', 'environment', 'card', 'secrets'];
  const size = nodeSize({ name: 'train', type: 'linear' }, badges);
  const boxes = layoutBadges(badges, size.width);
  assert.equal(boxes.length, badges.length);
  for (const b of boxes) {
    assert.ok(b.x >= NODE.paddingX && b.x + b.width <= size.width - NODE.paddingX, `${b.name} overflows`);
    assert.ok(b.y + NODE.badgeHeight <= size.height, `${b.name} is below the card`);
  }
  assert.ok(new Set(boxes.map((b) => b.y)).size > 1, 'several rows');
  assert.deepEqual(boxes.map((b) => b.text), badges.map((b) => `@${b}`));
});

test('cards grow with their name but stay within bounds', () => {
  assert.equal(nodeSize({ name: 'a', type: 'linear' }, []).width, NODE.minWidth);
  assert.equal(nodeSize({ name: 'a', type: 'linear' }, []).height, NODE.baseHeight);
  assert.ok(nodeSize({ name: 'x'.repeat(30), type: 'linear' }, []).width > NODE.minWidth);
  assert.equal(nodeSize({ name: 'x'.repeat(300), type: 'linear' }, []).width, NODE.maxWidth);
});

test('the kind line says how a step continues', () => {
  assert.equal(describeStep({ type: 'split-foreach', foreach: 'shards' }), 'foreach shards');
  assert.equal(describeStep({ type: 'split-switch', condition: 'quality' }), 'switch on quality');
  assert.equal(describeStep({ type: 'split-parallel', numParallel: 4 }), 'parallel × 4');
  assert.equal(describeStep({ type: 'join' }), 'join');
  assert.equal(describeStep({ type: 'linear' }), 'step');
});
