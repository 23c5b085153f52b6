// Flow language service figures on a generated 300-step, ~5,000-line flow: grammar load, cold
// analysis (parse + graph + lint), re-analysis after a one-line edit inside one step, memory.
import { createFlowAnalyzer } from '../src/flow/analyzer';
import { textEditFor } from '../src/flow/textEdits';
import { generateLargeFlow } from './flowGenerator';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 1000) / 1000, unit, ...extra }));
}

const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const steps = 300;
  const text = generateLargeFlow(steps);
  const lines = text.split('\n').length;
  const meta = { steps, lines };

  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const analyzer = await createFlowAnalyzer();
  emit('flow.grammar_load', performance.now() - t0, 'ms');

  const cold: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const result = analyzer.analyze(`cold-${i}`, text);
    cold.push(performance.now() - start);
    if (result.flows[0]?.steps.length !== steps || result.flows[0].errors.length !== 0) throw new Error('generated flow did not analyse cleanly');
    analyzer.forget(`cold-${i}`);
  }
  emit('flow.cold_analysis', median(cold), 'ms', { ...meta, first: Math.round(cold[0] * 1000) / 1000, runs: cold.length });

  // Alternate between two values on one line in the middle step's body, so every run is a real change.
  let doc = text;
  analyzer.analyze('doc', doc);
  const anchor = doc.indexOf('self.value = sum(totals.values())', Math.floor(doc.length / 2));
  const edits: number[] = [];
  for (let i = 0; i < 101; i++) {
    const numberAt = doc.indexOf('+ ', anchor) + 2;
    const numberEnd = doc.indexOf('\n', numberAt);
    const replacement = String(1000 + i);
    const edit = textEditFor(doc, numberAt, numberEnd, replacement);
    doc = doc.slice(0, numberAt) + replacement + doc.slice(numberEnd);
    const start = performance.now();
    analyzer.analyze('doc', doc, [edit]);
    edits.push(performance.now() - start);
  }
  emit('flow.incremental_one_line_edit', median(edits), 'ms', { ...meta, runs: edits.length, p90: Math.round([...edits].sort((a, b) => a - b)[90] * 1000) / 1000 });

  // A new line inside a step moves every later step down: cached steps are shifted, not re-read.
  const insertAt = doc.indexOf('\n', anchor) + 1;
  const inserted = '        self.extra = 1\n';
  const insertEdit = textEditFor(doc, insertAt, insertAt, inserted);
  doc = doc.slice(0, insertAt) + inserted + doc.slice(insertAt);
  const s2 = performance.now();
  analyzer.analyze('doc', doc, [insertEdit]);
  emit('flow.incremental_line_insert', performance.now() - s2, 'ms', meta);

  gc?.();
  const mem = process.memoryUsage();
  emit('flow.heap_used_after', (mem.heapUsed - heapBefore) / 1048576, 'MiB', { note: 'JS heap growth with one cached document' });
  emit('flow.rss', mem.rss / 1048576, 'MiB');
  analyzer.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
