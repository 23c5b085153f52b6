// Ranges and lines point at the right source text, in UTF-16 columns.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { analyzeText, newAnalyzer, onlyFlow, textAt } from './analyzeSource';

const SOURCE = `from metaflow import FlowSpec, step, retry


class RangeFlow(FlowSpec):
    """Ünïcödé 😀 doc."""

    @retry(times=2)
    @step
    def start(self):
        self.label = "😀😀"; self.next(self.work, self.other)

    @step
    def work(self):
        self.next(self.join)

    @step
    def other(self):
        self.next(self.jion)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('ranges', () => {
  let analyzer: FlowAnalyzer;
  before(async () => {
    analyzer = await newAnalyzer();
  });

  test('flow and step ranges cover their names and definitions', () => {
    const flow = onlyFlow(analyzeText(analyzer, SOURCE));
    assert.equal(flow.line, 4);
    assert.equal(textAt(SOURCE, flow.nameRange), 'RangeFlow');
    assert.equal(flow.doc, 'Ünïcödé 😀 doc.');
    const start = flow.steps.find((s) => s.name === 'start')!;
    assert.equal(start.line, 9);
    assert.equal(textAt(SOURCE, start.nameRange), 'start');
    assert.ok(textAt(SOURCE, start.range).startsWith('@retry(times=2)\n    @step\n    def start(self):'));
    assert.equal(textAt(SOURCE, start.decorators[0].range), '@retry(times=2)');
  });

  test('transition ranges count UTF-16 code units after astral characters', () => {
    const flow = onlyFlow(analyzeText(analyzer, SOURCE));
    const start = flow.steps.find((s) => s.name === 'start')!;
    assert.equal(textAt(SOURCE, start.nextRange!), 'self.next(self.work, self.other)');
    assert.equal(textAt(SOURCE, start.targetRanges.work), 'self.work');
    assert.equal(textAt(SOURCE, start.targetRanges.other), 'self.other');
  });

  test('a lint error underlines the offending target and names the step', () => {
    const flow = onlyFlow(analyzeText(analyzer, SOURCE));
    const unknown = flow.errors.find((e) => e.check === 'check_unknown_transitions')!;
    assert.equal(unknown.line, 18);
    assert.equal(textAt(SOURCE, unknown.range), 'self.jion');
    assert.deepEqual(unknown.steps, ['other']);
    assert.match(unknown.message, /'jion'.*did you mean 'join'/);
  });

  test('syntax errors carry ranges on the broken line', () => {
    const broken = SOURCE.replace('self.next(self.join)', 'self.next(self.join');
    const analysis = analyzeText(analyzer, broken);
    assert.ok(analysis.syntaxErrors.length > 0);
    const lines = analysis.syntaxErrors.map((e) => e.range.start.line + 1);
    assert.ok(lines.every((l) => l >= 14 && l <= 18), `syntax errors at lines ${lines.join(', ')}`);
  });
});
