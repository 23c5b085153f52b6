import assert from 'node:assert/strict';
import { test } from 'node:test';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import { FlowLayout } from '../../../src/layout/flowLayout';
import type { PositionedGraph, PositionedNode, Point } from '../../../src/layout/types';
import { buildFlow, largeFlow, showcaseFlow } from './flowBuilder';

function onBoundary(p: Point, n: PositionedNode): boolean {
  const eps = 1.5;
  const insideX = p.x >= n.x - eps && p.x <= n.x + n.width + eps;
  const insideY = p.y >= n.y - eps && p.y <= n.y + n.height + eps;
  const onVertical = Math.abs(p.x - n.x) <= eps || Math.abs(p.x - (n.x + n.width)) <= eps;
  const onHorizontal = Math.abs(p.y - n.y) <= eps || Math.abs(p.y - (n.y + n.height)) <= eps;
  return insideX && insideY && (onVertical || onHorizontal);
}

function assertWellFormed(graph: PositionedGraph): void {
  const byStep = new Map(graph.nodes.map((n) => [n.step, n]));
  for (const n of graph.nodes) {
    for (const v of [n.x, n.y, n.width, n.height]) assert.ok(Number.isFinite(v), `${n.step} has a non-finite coordinate`);
    assert.ok(n.width > 0 && n.height > 0, `${n.step} has no size`);
    assert.ok(n.x >= 0 && n.y >= 0 && n.x + n.width <= graph.width && n.y + n.height <= graph.height, `${n.step} lies outside the graph bounds`);
  }
  for (let i = 0; i < graph.nodes.length; i += 1) {
    for (let j = i + 1; j < graph.nodes.length; j += 1) {
      const a = graph.nodes[i];
      const b = graph.nodes[j];
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.step} overlaps ${b.step}`);
    }
  }
  for (const e of graph.edges) {
    assert.ok(e.points.length >= 2, `${e.id} has no route`);
    for (const p of e.points) assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y), `${e.id} has a non-finite point`);
    const from = byStep.get(e.from);
    const to = byStep.get(e.to);
    assert.ok(from && to);
    assert.ok(onBoundary(e.points[0], from), `${e.id} does not start on ${e.from}: ${JSON.stringify(e.points[0])}`);
    assert.ok(onBoundary(e.points[e.points.length - 1], to), `${e.id} does not end on ${e.to}: ${JSON.stringify(e.points.at(-1))}`);
  }
}

test('lays out every kind of step with finite, non-overlapping positions and edges attached to their nodes', async () => {
  const flow = showcaseFlow();
  const graph = await new FlowLayout().layout(flow);
  assert.equal(graph.flow, 'TrainFlow');
  assert.deepEqual(graph.nodes.map((n) => n.step), flow.steps.map((s) => s.name), 'nodes keep Metaflow order');
  assert.deepEqual(graph.nodes.map((n) => n.type), flow.steps.map((s) => s.type));
  assertWellFormed(graph);
  const start = graph.nodes.find((n) => n.step === 'start');
  const end = graph.nodes.find((n) => n.step === 'end');
  assert.ok(start && end && start.y < end.y, 'the flow reads top to bottom');
});

test('labels switch cases with their key and foreach edges with the iterated artifact, and draws a switch to itself as a loop', async () => {
  const graph = await new FlowLayout().layout(showcaseFlow());
  const edge = (id: string) => {
    const e = graph.edges.find((x) => x.id === id);
    assert.ok(e, `no edge ${id}`);
    return e;
  };
  assert.equal(edge('fan_out->train').kind, 'foreach');
  assert.equal(edge('fan_out->train').label, 'shards');
  assert.equal(edge('choose->deploy').kind, 'switch');
  assert.equal(edge('choose->deploy').label, 'good');
  assert.equal(edge('choose->report').label, 'bad');
  const loop = edge('choose->choose');
  assert.equal(loop.kind, 'loop');
  assert.equal(loop.label, 'retrain');
  assert.ok(loop.points.length >= 3, 'a loop is routed around its node');
  assert.equal(edge('load_data->join_inputs').kind, 'join');
  assert.equal(edge('start->load_data').kind, 'normal');
  for (const e of graph.edges.filter((x) => x.label !== undefined)) {
    assert.ok(e.labelPosition && Number.isFinite(e.labelPosition.x) && Number.isFinite(e.labelPosition.y), `${e.id} label has no position`);
  }
  const choose = graph.nodes.find((n) => n.step === 'choose');
  assert.equal(choose?.condition, 'quality');
  assert.equal(graph.nodes.find((n) => n.step === 'fan_out')?.foreach, 'shards');
});

test('carries badges, lint errors and run status through to the nodes', async () => {
  const graph = await new FlowLayout().layout(showcaseFlow(), {
    train: { status: 'running', tasksDone: 37, tasksTotal: 100, retries: 1 },
    start: { status: 'succeeded' },
  });
  const node = (step: string) => graph.nodes.find((n) => n.step === step);
  assert.deepEqual(node('train')?.run, { status: 'running', tasksDone: 37, tasksTotal: 100, retries: 1 });
  assert.equal(node('start')?.run.status, 'succeeded');
  assert.equal(node('end')?.run.status, 'idle');
  assert.deepEqual(node('load_data')?.badges, ['kubernetes', 'retry']);
  assert.deepEqual(node('report')?.errors, ['Step report has a bad signature.']);
  assert.deepEqual(node('deploy')?.errors, []);
  assert.equal(node('start')?.doc, 'Begin.');
});

test('sizes cards from their name and badges', async () => {
  const flow = buildFlow('SizeFlow', [
    { name: 'start', next: ['a_rather_long_step_name_that_needs_room'] },
    { name: 'a_rather_long_step_name_that_needs_room', next: ['badged'] },
    { name: 'badged', next: ['end'], decorators: ['kubernetes', 'retry', 'timeout', 'catch', 'resources', 'environment', 'card'] },
    { name: 'end' },
  ]);
  const graph = await new FlowLayout().layout(flow);
  const node = (step: string) => graph.nodes.find((n) => n.step === step) as PositionedNode;
  assert.ok(node('a_rather_long_step_name_that_needs_room').width > node('start').width);
  assert.ok(node('badged').height > node('start').height, 'badge rows make a card taller');
  assertWellFormed(graph);
});

class CountingElk {
  calls = 0;
  private readonly elk = new ELK();
  layout(graph: ElkNode): Promise<ElkNode> {
    this.calls += 1;
    return this.elk.layout(graph);
  }
}

test('re-uses positions when only run state or non-structural details change, and lays out again when the structure changes', async () => {
  const elk = new CountingElk();
  const layout = new FlowLayout({ elk });
  const first = await layout.layout(showcaseFlow());
  const withRun = await layout.layout(showcaseFlow(), { train: { status: 'failed' } });
  const edited = showcaseFlow();
  edited.steps[1].doc = 'Now documented.';
  edited.steps[1].line += 3;
  edited.errors = [];
  const afterEdit = await layout.layout(edited);
  assert.equal(elk.calls, 1, 'status, docs, lines and lint errors do not re-run elkjs');
  assert.deepEqual(layout.stats, { computed: 1, reused: 2 });
  assert.deepEqual(withRun.nodes.map((n) => [n.x, n.y]), first.nodes.map((n) => [n.x, n.y]));
  assert.equal(withRun.nodes.find((n) => n.step === 'train')?.run.status, 'failed');
  assert.equal(afterEdit.nodes.find((n) => n.step === 'report')?.errors.length, 0);
  assert.equal(afterEdit.nodes.find((n) => n.step === 'load_data')?.doc, 'Now documented.');

  withRun.nodes[0].x = -999;
  withRun.edges[0].points[0].x = -999;
  const again = await layout.layout(showcaseFlow());
  assert.equal(again.nodes[0].x, first.nodes[0].x, 'callers cannot corrupt the cache through a returned graph');
  assert.equal(again.edges[0].points[0].x, first.edges[0].points[0].x);

  const restructured = showcaseFlow();
  restructured.steps[1].decorators.push({ ...restructured.steps[1].decorators[0], name: 'timeout' });
  await layout.layout(restructured);
  assert.equal(elk.calls, 2, 'a new badge changes the card size and needs a new layout');
});

test('evicts the least recently used structure beyond the cache size', async () => {
  const elk = new CountingElk();
  const layout = new FlowLayout({ elk, cacheSize: 1 });
  const a = buildFlow('A', [{ name: 'start', next: ['end'] }, { name: 'end' }]);
  const b = buildFlow('B', [{ name: 'start', next: ['middle'] }, { name: 'middle', next: ['end'] }, { name: 'end' }]);
  await layout.layout(a);
  await layout.layout(b);
  await layout.layout(a);
  assert.equal(elk.calls, 3);
});

test('skips edges to steps that do not exist instead of failing', async () => {
  const flow = buildFlow('BrokenFlow', [{ name: 'start', next: ['missing', 'end'] }, { name: 'end' }], {
    errors: [{ check: 'check_valid_transitions', message: 'Step start specifies an unknown transition to missing.', steps: ['start'] }],
  });
  const graph = await new FlowLayout().layout(flow);
  assert.deepEqual(graph.edges.map((e) => e.id), ['start->end']);
  assertWellFormed(graph);
});

test('lays out a 300-step flow', async () => {
  const flow = largeFlow(300);
  assert.ok(flow.steps.length >= 290);
  const graph = await new FlowLayout().layout(flow);
  assert.equal(graph.nodes.length, flow.steps.length);
  assertWellFormed(graph);
});
