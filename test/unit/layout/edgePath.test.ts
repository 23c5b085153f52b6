import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundedPath } from '../../../webview/edgePath';

test('an orthogonal route becomes a path through the same ends with rounded corners', () => {
  const d = roundedPath([
    { x: 10, y: 0 },
    { x: 10, y: 20 },
    { x: 50, y: 20 },
    { x: 50, y: 60 },
  ]);
  assert.match(d, /^M10 0/);
  assert.match(d, /L50 60$/);
  assert.equal((d.match(/Q/g) ?? []).length, 2, 'one curve per corner');
  assert.match(d, /L10 13Q10 20 17 20/, 'the corner radius is 7');
});

test('short segments shrink the corner radius, and degenerate routes stay valid', () => {
  assert.match(roundedPath([{ x: 0, y: 0 }, { x: 0, y: 4 }, { x: 4, y: 4 }]), /L0 2Q0 4 2 4/);
  assert.equal(roundedPath([{ x: 1, y: 2 }, { x: 3, y: 4 }]), 'M1 2L3 4');
  assert.equal(roundedPath([]), '');
});
