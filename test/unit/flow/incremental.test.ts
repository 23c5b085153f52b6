// Re-analysis with edits (reusing the previous tree) must give exactly what a cold parse gives,
// including for text with characters outside ASCII and outside the BMP (UTF-16 surrogate pairs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import { textEditFor } from '../../../src/flow/textEdits';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { FLOW_FIXTURES } from './fixturePaths';

describe('incremental re-analysis', () => {
  let warm: FlowAnalyzer;
  let cold: FlowAnalyzer;
  before(async () => {
    warm = await createFlowAnalyzer();
    cold = await createFlowAnalyzer();
  });

  const applyAndCompare = (key: string, text: string, start: number, end: number, insert: string): string => {
    const edit = textEditFor(text, start, end, insert);
    const next = text.slice(0, start) + insert + text.slice(end);
    const incremental = warm.analyze(key, next, [edit]);
    cold.forget('cold');
    assert.deepEqual(incremental, cold.analyze('cold', next));
    return next;
  };

  test('editing a step body after non-ASCII text matches a cold parse', () => {
    let text = readFileSync(join(FLOW_FIXTURES, 'broken_unicode.py'), 'utf8');
    warm.analyze('u', text);
    // Rename the label after the emoji, then retarget the transition: columns after 🚀 are UTF-16 units.
    const at = text.indexOf('naïve 🚀🚀') + 'naïve 🚀🚀'.length;
    text = applyAndCompare('u', text, at, at, ' ✨ extra');
    const next = text.indexOf('self.next(self.end)');
    text = applyAndCompare('u', text, next + 'self.next(self.'.length, next + 'self.next(self.end'.length, 'finish');
    const result = warm.analyze('u', text);
    assert.equal(result.flows[0].errors.some((e) => e.check === 'check_unknown_transitions'), true);
    const target = result.flows[0].steps.find((s) => s.name === 'start')!.targetRanges.finish;
    const line = text.split('\n')[target.start.line];
    assert.equal(line.slice(target.start.character, target.end.character), 'self.finish');
  });

  test('a sequence of random edits over every fixture matches cold parses', () => {
    // A deterministic generator keeps failures reproducible.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const snippets = ['x', '\n', '    ', 'self.next(self.end)\n', '😀', 'é', '', '@step\n    def extra(self):\n        self.next(self.end)\n', ')', '"""doc"""'];
    for (const name of ['static_split.py', 'switch_in_foreach.py', 'decorators.py', 'broken_unicode.py', 'inheritance.py']) {
      let text = readFileSync(join(FLOW_FIXTURES, name), 'utf8');
      const key = `random-${name}`;
      warm.analyze(key, text);
      for (let i = 0; i < 25; i++) {
        let start = random(text.length + 1);
        let end = Math.min(text.length, start + random(12));
        // Never split a surrogate pair: VS Code never sends such an edit.
        const isLow = (k: number) => k > 0 && k < text.length && /[\uDC00-\uDFFF]/.test(text[k]);
        if (isLow(start)) start -= 1;
        if (isLow(end)) end += 1;
        text = applyAndCompare(key, text, start, end, snippets[random(snippets.length)]);
      }
    }
  });

  test('several edits in one call are applied in order', () => {
    let text = readFileSync(join(FLOW_FIXTURES, 'linear.py'), 'utf8');
    warm.analyze('multi', text);
    const edits = [];
    const first = text.indexOf('self.data = [1, 2, 3]');
    edits.push(textEditFor(text, first, first + 'self.data'.length, 'self.values'));
    text = text.slice(0, first) + 'self.values' + text.slice(first + 'self.data'.length);
    const second = text.indexOf('def train');
    edits.push(textEditFor(text, second + 4, second + 9, 'fit'));
    text = `${text.slice(0, second + 4)}fit${text.slice(second + 9)}`;
    const result = warm.analyze('multi', text, edits);
    cold.forget('cold');
    assert.deepEqual(result, cold.analyze('cold', text));
    assert.deepEqual(result.flows[0].steps.map((s) => s.name), ['start', 'fit', 'end']);
    assert.ok(result.flows[0].errors.some((e) => e.check === 'check_unknown_transitions' && e.steps[0] === 'start'));
  });

  test('edits that do not describe the new text fall back to a full parse', () => {
    const text = readFileSync(join(FLOW_FIXTURES, 'linear.py'), 'utf8');
    warm.analyze('bad', text);
    const changed = text.replace('self.next(self.train)', 'self.next(self.end)');
    const bogus = textEditFor(text, 0, 0, 'zz');
    cold.forget('cold');
    assert.deepEqual(warm.analyze('bad', changed, [bogus]), cold.analyze('cold', changed));
  });

  test('an unchanged document is not analysed again, and forget drops it', () => {
    const text = readFileSync(join(FLOW_FIXTURES, 'foreach.py'), 'utf8');
    const first = warm.analyze('same', text);
    assert.equal(warm.analyze('same', text), first);
    warm.forget('same');
    const again = warm.analyze('same', text);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
  });
});
