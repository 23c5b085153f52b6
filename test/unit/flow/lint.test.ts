// Lint behaviour beyond the corpus: every error is reported, options, and robustness of the checks.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { analyzeText, newAnalyzer, onlyFlow } from './analyzeSource';

const NESTED = `from metaflow import FlowSpec, step

class N(FlowSpec):
    @step
    def start(self):
        self.xs = [1]
        self.next(self.outer, foreach="xs")

    @step
    def outer(self):
        self.ys = [1]
        self.next(self.inner, foreach="ys")

    @step
    def inner(self):
        self.next(self.join_inner)

    @step
    def join_inner(self, inputs):
        self.next(self.join_outer)

    @step
    def join_outer(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('lint', () => {
  let analyzer: FlowAnalyzer;
  let strict: FlowAnalyzer;
  before(async () => {
    analyzer = await newAnalyzer();
    strict = await newAnalyzer({ requireNonNestedForeach: true });
  });

  test('check_nested_foreach runs only when asked for', () => {
    assert.deepEqual(onlyFlow(analyzeText(analyzer, NESTED)).errors, []);
    const errors = onlyFlow(analyzeText(strict, NESTED)).errors;
    assert.deepEqual(errors.map((e) => [e.check, e.line, e.steps]), [['check_nested_foreach', 10, ['outer']]]);
  });

  test('independent mistakes are all reported, each with its step and line', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step

class M(FlowSpec):
    @step
    def start(self):
        self.next(self.Bad)

    @step
    def Bad(self, a, b):
        self.next(self.end)

    @step
    def input(self):
        self.next(self.end)

    @step
    def end(self):
        self.next(self.end)
`));
    const summary = flow.errors.map((e) => `${e.check}:${e.line}:${e.steps.join(',')}`);
    for (const expected of [
      'check_reserved_words:13:input',
      'check_step_names:9:Bad',
      'check_num_args:9:Bad',
      'check_that_end_is_end:18:end',
      'check_for_orphans:13:input',
    ]) {
      assert.ok(summary.includes(expected), `${expected} not in ${summary.join(' | ')}`);
    }
    for (const e of flow.errors) assert.ok(e.message.length > 30 && /[.)]$/.test(e.message), `terse message: ${e.message}`);
  });

  test('a flow with no steps reports the missing start and end, and nothing crashes', () => {
    const flow = onlyFlow(analyzeText(analyzer, 'from metaflow import FlowSpec\n\nclass Empty(FlowSpec):\n    pass\n'));
    assert.deepEqual(flow.steps, []);
    assert.deepEqual(flow.errors.map((e) => e.check), ['check_basic_steps', 'check_basic_steps']);
    assert.match(flow.errors[0].message, /no start step/);
    assert.deepEqual(flow.graphStructure, []);
  });

  test('a switch may loop to itself but any other loop is an error', () => {
    const loop = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step

class L(FlowSpec):
    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.next({"again": self.b, "done": self.end}, condition="state")

    @step
    def b(self):
        self.next(self.a)

    @step
    def end(self):
        pass
`));
    const cycle = loop.errors.filter((e) => e.check === 'check_for_acyclicity');
    assert.equal(cycle.length, 1);
    assert.deepEqual([...cycle[0].steps].sort(), ['a', 'b']);
    assert.match(cycle[0].message, /a -> b -> a|b -> a -> b/);
  });

  test('many consecutive splits are analysed without path explosion', () => {
    const parts = ['from metaflow import FlowSpec, step', '', 'class Wide(FlowSpec):'];
    let prev = 'start';
    for (let i = 0; i < 40; i++) {
      parts.push('    @step', `    def ${prev}(self):`, `        self.next(self.a${i}, self.b${i})`);
      parts.push('    @step', `    def a${i}(self):`, `        self.next(self.j${i})`);
      parts.push('    @step', `    def b${i}(self):`, `        self.next(self.j${i})`);
      prev = `j${i}`;
      parts.push('    @step', `    def ${prev}(self, inputs):`, `        self.next(self.${i === 39 ? 'end' : `s${i}`})`);
      if (i < 39) prev = `s${i}`;
    }
    parts.push('    @step', '    def end(self):', '        pass', '');
    const flow = onlyFlow(analyzeText(analyzer, parts.join('\n')));
    assert.deepEqual(flow.errors, []);
    assert.equal(flow.steps.length, 1 + 40 * 3 + 39 + 1);
    assert.equal(flow.steps.find((s) => s.name === 'start')!.matchingJoin, 'j0');
    assert.deepEqual(flow.steps.slice(0, 4).map((s) => s.name), ['start', 'a0', 'b0', 'j0']);
  });

  test('a non-literal foreach passes lint but names no artifact, as in Metaflow', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step
VAR = "items"

class F(FlowSpec):
    @step
    def start(self):
        self.items = [1]
        self.next(self.each, foreach=VAR)

    @step
    def each(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    assert.deepEqual(flow.errors, []);
    const start = flow.steps[0];
    assert.equal(start.type, 'split-foreach');
    assert.equal(start.foreach, undefined);
    assert.equal(start.matchingJoin, 'join');
    assert.equal(flow.steps.find((s) => s.name === 'each')!.isInsideForeach, true);
    assert.equal(flow.steps.find((s) => s.name === 'join')!.isInsideForeach, false);
  });
});
