import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphWalker, type Launch, pathspecIndex } from '../../../src/runtime/graphWalk';
import { flowOf } from './flowBuilder';

const foreachFlow = flowOf('F', {
  start: { type: 'split-foreach', next: ['body'], foreach: 'items' },
  body: { type: 'linear', next: ['join'] },
  join: { type: 'join', next: ['end'] },
  end: { type: 'end' },
});

function path(l: Launch, id: string): { step: string; path: string; foreach: Launch['foreach']; iteration: number[] } {
  return { step: l.step, path: `R/${l.step}/${id}`, foreach: l.foreach, iteration: l.iteration };
}

describe('GraphWalker', () => {
  it('starts from the _parameters task at index start[][]', () => {
    const w = new GraphWalker(foreachFlow, 100);
    const s = w.start('R/_parameters/0');
    assert.equal(s.step, 'start');
    assert.deepEqual(s.inputPaths, ['R/_parameters/0']);
    assert.equal(s.index, 'start[][]');
  });

  it('fans a foreach out in split-index order and joins the inputs in that order, whatever order they finish in', () => {
    const w = new GraphWalker(foreachFlow, 100);
    const s = w.start('R/_parameters/0');
    const fan = w.finished(path(s, '1'), { next: ['body'], foreach_var: 'items', num_splits: 3 });
    assert.equal(fan.error, undefined);
    assert.deepEqual(fan.launches.map((l) => [l.index, l.splitIndex]), [['body[0][]', 0], ['body[1][]', 1], ['body[2][]', 2]]);
    const ids = ['2', '3', '4'];
    assert.deepEqual(w.finished(path(fan.launches[2], ids[2]), { next: ['join'] }).launches, []);
    assert.deepEqual(w.finished(path(fan.launches[0], ids[0]), { next: ['join'] }).launches, []);
    const join = w.finished(path(fan.launches[1], ids[1]), { next: ['join'] });
    assert.equal(join.launches.length, 1);
    assert.deepEqual(join.launches[0].inputPaths, ['R/body/2', 'R/body/3', 'R/body/4']);
    assert.equal(join.launches[0].index, 'join[][]');
    assert.deepEqual(w.pendingJoins(), []);
  });

  it('refuses an empty foreach and one above --max-num-splits, naming the step', () => {
    const w = new GraphWalker(foreachFlow, 2);
    const s = w.start('R/_parameters/0');
    const empty = w.finished(path(s, '1'), { next: ['body'], foreach_var: 'items', num_splits: 0 });
    assert.match(empty.error ?? '', /foreach in step \*start\* over 'items' has nothing to iterate over/);
    const w2 = new GraphWalker(foreachFlow, 2);
    const many = w2.finished(path(w2.start('R/_parameters/0'), '1'), { next: ['body'], foreach_var: 'items', num_splits: 3 });
    assert.match(many.error ?? '', /yielded 3 child tasks, which is more than the current maximum of 2.*--max-num-splits/);
  });

  it('nests foreach indices and pops one level per join', () => {
    const flow = flowOf('N', {
      start: { type: 'split-foreach', next: ['mid'], foreach: 'outer' },
      mid: { type: 'split-foreach', next: ['leaf'], foreach: 'inner' },
      leaf: { type: 'linear', next: ['ij'] },
      ij: { type: 'join', next: ['oj'] },
      oj: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const w = new GraphWalker(flow, 100);
    const mids = w.finished(path(w.start('R/_parameters/0'), '1'), { next: ['mid'], foreach_var: 'outer', num_splits: 2 }).launches;
    const leaves = w.finished(path(mids[1], 'm1'), { next: ['leaf'], foreach_var: 'inner', num_splits: 2 }).launches;
    assert.deepEqual(leaves.map((l) => l.index), ['leaf[1,0][]', 'leaf[1,1][]']);
    w.finished(path(leaves[0], 'l0'), { next: ['ij'] });
    const ij = w.finished(path(leaves[1], 'l1'), { next: ['ij'] }).launches;
    assert.deepEqual(ij.map((l) => l.index), ['ij[1][]']);
    assert.deepEqual(ij[0].inputPaths, ['R/leaf/l0', 'R/leaf/l1']);
    assert.deepEqual(w.finished(path(ij[0], 'j1'), { next: ['oj'] }).launches, []);
    assert.deepEqual(w.pendingJoins(), [{ join: 'oj', got: 1, expected: 2 }]);
  });

  it('joins a static split once every branch arrived, inputs in branch order', () => {
    const flow = flowOf('B', {
      start: { type: 'split-static', next: ['a', 'b'] },
      a: { type: 'linear', next: ['join'] },
      b: { type: 'linear', next: ['join'] },
      join: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const w = new GraphWalker(flow, 100);
    const [a, b] = w.finished(path(w.start('R/_parameters/0'), '1'), { next: ['a', 'b'] }).launches;
    assert.equal(w.finished(path(b, '3'), { next: ['join'] }).launches.length, 0);
    const join = w.finished(path(a, '2'), { next: ['join'] }).launches;
    assert.deepEqual(join[0].inputPaths, ['R/a/2', 'R/b/3']);
  });

  it('counts loop iterations of a switch that goes back to itself', () => {
    const flow = flowOf('L', {
      start: { type: 'start', next: ['loop'] },
      loop: { type: 'split-switch', next: ['loop', 'end'], condition: 'state', switchCases: { again: 'loop', done: 'end' } },
      end: { type: 'end' },
    });
    const w = new GraphWalker(flow, 100);
    const first = w.finished(path(w.start('R/_parameters/0'), '1'), { next: ['loop'] }).launches[0];
    assert.equal(first.index, 'loop[][0]');
    const second = w.finished(path(first, '2'), { next: ['loop'] }).launches[0];
    assert.equal(second.index, 'loop[][1]');
    const end = w.finished(path(second, '3'), { next: ['end'] }).launches[0];
    assert.equal(end.index, 'end[][]');
  });

  it('says which value a switch got when it is not one of the cases', () => {
    const flow = flowOf('S', {
      start: { type: 'split-switch', next: ['a', 'b'], condition: 'kind', switchCases: { x: 'a', y: 'b' } },
      a: { type: 'linear', next: ['end'] },
      b: { type: 'linear', next: ['end'] },
      end: { type: 'end' },
    });
    const w = new GraphWalker(flow, 100);
    const out = w.finished(path(w.start('R/_parameters/0'), '1'), { next: [], switch_value: 'z' });
    assert.match(out.error ?? '', /switch step \*start\*.*\(value "z"\).*'kind' must be one of the cases "x", "y"/);
  });

  it('starts every num_parallel node together and joins all of them', () => {
    const flow = flowOf('P', {
      start: { type: 'split-parallel', next: ['train'], numParallel: 3 },
      train: { type: 'linear', next: ['join'], decorators: [{ name: 'parallel' }] },
      join: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const w = new GraphWalker(flow, 1);
    const nodes = w.finished(path(w.start('R/_parameters/0'), '1'), { next: ['train'], foreach_var: '_parallel_ubf_iter', num_splits: 3 }).launches;
    assert.deepEqual(nodes.map((n) => n.parallel), [{ nodeIndex: 0, numNodes: 3 }, { nodeIndex: 1, numNodes: 3 }, { nodeIndex: 2, numNodes: 3 }]);
    w.finished(path(nodes[0], '2'), { next: ['join'] });
    w.finished(path(nodes[2], '2_node_2'), { next: ['join'] });
    const join = w.finished(path(nodes[1], '2_node_1'), { next: ['join'] }).launches;
    assert.deepEqual(join[0].inputPaths, ['R/train/2', 'R/train/2_node_1', 'R/train/2_node_2']);
  });

  it('rejects a transition that differs from the static graph and a join input from a foreign step', () => {
    const w = new GraphWalker(foreachFlow, 100);
    const bad = w.finished(path(w.start('R/_parameters/0'), '1'), { next: ['end'] });
    assert.match(bad.error ?? '', /expected to go to \*body\*, but self.next\(\) was called with \*end\*/);
    const flow = flowOf('J', {
      start: { type: 'split-static', next: ['a', 'b'] },
      a: { type: 'linear', next: ['join'] },
      b: { type: 'linear', next: ['join'] },
      join: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const w2 = new GraphWalker(flow, 100);
    flow.steps.find((s) => s.name === 'join')!.inFuncs = ['a'];
    const out = w2.finished({ step: 'b', path: 'R/b/3', foreach: [], iteration: [] }, { next: ['join'] });
    assert.match(out.error ?? '', /join step \*join\* got an input from step \*b\*, which is not one of its inputs \(a\)/);
  });

  it('formats pathspec indices as Metaflow does', () => {
    assert.equal(pathspecIndex('s', { foreach: [{ step: 'a', index: 2, numSplits: 3 }, { step: 'b', index: 0, numSplits: 1 }], iteration: [1, 4] }), 's[2,0][1,4]');
  });
});
