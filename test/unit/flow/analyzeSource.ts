// Test helper: one analyzer per test file, and text-in/analysis-out shortcuts.
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FileAnalysis, FlowAnalyzer, FlowInfo } from '../../../src/flow/types';

export async function newAnalyzer(options: { requireNonNestedForeach?: boolean } = {}): Promise<FlowAnalyzer> {
  return createFlowAnalyzer(options);
}

let counter = 0;

export function analyzeText(analyzer: FlowAnalyzer, text: string): FileAnalysis {
  counter += 1;
  return analyzer.analyze(`mem-${counter}`, text);
}

export function onlyFlow(analysis: FileAnalysis): FlowInfo {
  if (analysis.flows.length !== 1) throw new Error(`expected one flow, got ${analysis.flows.length}`);
  return analysis.flows[0];
}

/** The source text a range covers (UTF-16 columns, as the ranges are). */
export function textAt(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  const lines = text.split('\n');
  if (range.start.line === range.end.line) return lines[range.start.line].slice(range.start.character, range.end.character);
  return [lines[range.start.line].slice(range.start.character), ...lines.slice(range.start.line + 1, range.end.line), lines[range.end.line].slice(0, range.end.character)].join('\n');
}
