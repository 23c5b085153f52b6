import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowLayout } from '../../../src/layout/flowLayout';
import { neighbour } from '../../../webview/navigation';
import { showcaseFlow } from './flowBuilder';

test('arrow keys follow edges down and up, and move sideways within a layer', async () => {
  const graph = await new FlowLayout().layout(showcaseFlow());
  const x = (step: string) => graph.nodes.find((n) => n.step === step)?.x ?? NaN;
  const down = neighbour(graph, 'start', 'down');
  assert.ok(down === 'load_data' || down === 'load_config');
  const [left, right] = x('load_data') < x('load_config') ? ['load_data', 'load_config'] : ['load_config', 'load_data'];
  assert.equal(neighbour(graph, left, 'right'), right);
  assert.equal(neighbour(graph, right, 'left'), left);
  assert.equal(neighbour(graph, left, 'left'), undefined, 'nothing further left');
  assert.equal(neighbour(graph, 'load_data', 'down'), 'join_inputs');
  assert.equal(neighbour(graph, 'join_inputs', 'up') === 'load_data' || neighbour(graph, 'join_inputs', 'up') === 'load_config', true);
  assert.equal(neighbour(graph, 'end', 'down'), undefined);
  assert.equal(neighbour(graph, 'start', 'up'), undefined);
  assert.notEqual(neighbour(graph, 'choose', 'down'), 'choose', 'a loop never traps the focus');
  assert.ok(['deploy', 'report'].includes(neighbour(graph, 'choose', 'down') ?? ''));
  assert.equal(neighbour(graph, 'missing', 'down'), undefined);
});
