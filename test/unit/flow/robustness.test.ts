// Broken and unusual input never throws and still gives sensible results.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mightDefineFlow } from '../../../src/flow/analyzer';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { generateLargeFlow } from '../../../bench/flowGenerator';
import { analyzeText, newAnalyzer, onlyFlow } from './analyzeSource';

describe('robustness', () => {
  let analyzer: FlowAnalyzer;
  before(async () => {
    analyzer = await newAnalyzer();
  });

  test('a file that never mentions Metaflow is not a flow file and is not parsed', () => {
    const text = 'import os\n\nclass A:\n    pass\n(((( broken';
    assert.equal(mightDefineFlow(text), false);
    assert.deepEqual(analyzeText(analyzer, text), { isFlowFile: false, flows: [], syntaxErrors: [] });
  });

  test('importing metaflow without a flow is a flow file with no flows', () => {
    const analysis = analyzeText(analyzer, 'from metaflow import Flow\n\nprint(Flow("X").latest_run)\n');
    assert.equal(analysis.isFlowFile, true);
    assert.deepEqual(analysis.flows, []);
  });

  test('every prefix of a flow being typed analyses without throwing', () => {
    const full = `from metaflow import FlowSpec, step, Parameter

class TypingFlow(FlowSpec):
    x = Parameter("x", default=1)

    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`;
    for (let i = 0; i <= full.length; i += 3) {
      const analysis = analyzeText(analyzer, full.slice(0, i));
      for (const flow of analysis.flows) for (const e of flow.errors) assert.ok(e.line >= 1, `${e.check} has line ${e.line}`);
    }
    assert.deepEqual(onlyFlow(analyzeText(analyzer, full)).errors, []);
  });

  test('a half-typed self.next( gives a syntax error and keeps the other steps', () => {
    const analysis = analyzeText(analyzer, `from metaflow import FlowSpec, step

class Half(FlowSpec):
    @step
    def start(self):
        self.next(

    @step
    def end(self):
        pass
`);
    assert.ok(analysis.syntaxErrors.length >= 1);
    assert.ok(analysis.syntaxErrors.some((e) => e.range.start.line === 5), JSON.stringify(analysis.syntaxErrors));
    const flow = onlyFlow(analysis);
    assert.deepEqual(flow.steps.map((s) => s.name).sort(), ['end', 'start']);
  });

  test('two flows in one file are both found, in source order', () => {
    const analysis = analyzeText(analyzer, `import metaflow
from metaflow import step

class A(metaflow.FlowSpec):
    @step
    def start(self):
        self.next(self.end)
    @step
    def end(self):
        pass

class NotAFlow:
    pass

class B(A):
    @step
    def start(self):
        """Overridden."""
        self.next(self.end)
`);
    assert.deepEqual(analysis.flows.map((f) => f.name), ['A', 'B']);
    const b = analysis.flows[1];
    assert.deepEqual(b.steps.map((s) => s.name), ['start', 'end']);
    assert.equal(b.steps[0].doc, 'Overridden.');
    assert.equal(b.steps[1].line, 9);
    assert.deepEqual(b.baseClasses, ['A']);
    assert.equal(analysis.mainFlow, undefined);
    const withMain = analyzeText(analyzer, `${'from metaflow import FlowSpec, step\n'}class A(FlowSpec):\n    pass\nclass B(A):\n    pass\nif __name__ == '__main__':\n    B()\n`);
    assert.equal(withMain.mainFlow, 'B');
  });

  test('a long chain of joins that also split analyses, reporting each one, instead of exhausting memory', () => {
    let text = 'from metaflow import FlowSpec, step\n\nclass ChainFlow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.a0, self.b0)\n';
    const links = 300;
    for (let i = 0; i < links; i++) {
      const next = i + 1 < links ? `self.a${i + 1}, self.b${i + 1}` : 'self.end';
      text += `    @step\n    def a${i}(self):\n        self.next(self.j${i})\n    @step\n    def b${i}(self):\n        self.next(self.j${i})\n`;
      text += `    @step\n    def j${i}(self, inputs):\n        self.next(${next})\n`;
    }
    text += '    @step\n    def end(self):\n        pass\n';
    const flow = onlyFlow(analyzeText(analyzer, text));
    assert.equal(flow.steps.length, 3 * links + 2);
    const joinSplits = flow.errors.filter((e) => e.check === 'check_num_args');
    assert.equal(joinSplits.length, links - 1); // the last join goes on to end alone
    assert.deepEqual(joinSplits[0].steps, ['j0']);
  });

  test('an operator ending a line outside brackets is a syntax error on that operator', () => {
    const text = 'from metaflow import FlowSpec, step\n\nclass F(FlowSpec):\n    @step\n    def start(self):\n        self.rows = 1 +\n        self.ok = (1 +\n            2) + \\\n            3\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n';
    const { syntaxErrors } = analyzeText(analyzer, text);
    assert.equal(syntaxErrors.length, 1);
    assert.match(syntaxErrors[0].message, /'\+' at the end of the line/);
    assert.deepEqual(syntaxErrors[0].range.start, { line: 5, character: 22 });
  });

  test('a block header missing its colon is reported on that line, not as the whole file', () => {
    const text = 'from metaflow import FlowSpec, step\n\nclass F(FlowSpec):\n    @step\n    def start(self)\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n';
    const { syntaxErrors } = analyzeText(analyzer, text);
    assert.equal(syntaxErrors.length, 1);
    assert.match(syntaxErrors[0].message, /'def' line needs a ':'/);
    assert.equal(syntaxErrors[0].range.start.line, 4);
  });

  test('a 5,000-line flow analyses cleanly', () => {
    const text = generateLargeFlow(300);
    assert.ok(text.split('\n').length >= 5000);
    const flow = onlyFlow(analyzeText(analyzer, text));
    assert.equal(flow.steps.length, 300);
    assert.deepEqual(flow.errors, []);
    assert.deepEqual(new Set(flow.steps.map((s) => s.type)), new Set(['linear', 'join', 'end', 'split-static', 'split-foreach', 'split-switch']));
    assert.equal(flow.graphStructure.at(-1), 'end');
  });

  test('a decorator argument or parameter default nested far deeper than Python allows does not overflow the stack', () => {
    const nested = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const flow = onlyFlow(
      analyzeText(
        analyzer,
        `from metaflow import FlowSpec, step, resources, Parameter\n\nclass Deep(FlowSpec):\n    p = Parameter('p', default=${nested})\n\n    @resources(x=${nested})\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n`,
      ),
    );
    assert.deepEqual(flow.steps.map((s) => s.name).sort(), ['end', 'start']);
    assert.deepEqual(flow.errors, []);
    assert.equal(flow.steps.find((s) => s.name === 'start')!.decorators[0].name, 'resources');
    assert.equal(flow.parameters[0].name, 'p');
  });

  test('a main block with calls nested far deeper than Python allows does not overflow the stack', () => {
    const analysis = analyzeText(
      analyzer,
      `from metaflow import FlowSpec, step\n\nclass Deep(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\nif __name__ == "__main__":\n    ${'f('.repeat(50_000)}${')'.repeat(50_000)}\n    Deep()\n`,
    );
    assert.equal(onlyFlow(analysis).name, 'Deep');
    assert.equal(analysis.mainFlow, 'Deep');
  });

  test('class-level oddities: a step defined twice keeps the last, a non-step override hides a step', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step

class Twice(FlowSpec):
    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.next(self.start)

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    assert.deepEqual(flow.errors, []);
    assert.equal(flow.steps.find((s) => s.name === 'a')!.line, 13);
  });
});
