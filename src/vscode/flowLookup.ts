// Finds the flow and step under a position in an analysed document.
import type * as vscode from 'vscode';
import type { FileAnalysis, FlowInfo, SourceRange, StepInfo } from '../flow/types';
import { toRange } from './ranges';

export function contains(range: SourceRange, position: vscode.Position): boolean {
  const { start, end } = range;
  if (position.line < start.line || position.line > end.line) return false;
  if (position.line === start.line && position.character < start.character) return false;
  if (position.line === end.line && position.character > end.character) return false;
  return true;
}

export function flowAt(analysis: FileAnalysis, position: vscode.Position): FlowInfo | undefined {
  return analysis.flows.find((flow) => contains(flow.range, position));
}

export function stepAt(flow: FlowInfo, position: vscode.Position): StepInfo | undefined {
  return flow.steps.find((step) => contains(step.range, position));
}

/** A step reference under `position`: a step's own name, or a `self.<step>` target of a `self.next(...)`. */
export function stepReferenceAt(
  document: vscode.TextDocument,
  analysis: FileAnalysis,
  position: vscode.Position,
): { flow: FlowInfo; step: StepInfo; range: vscode.Range; isDefinition: boolean } | undefined {
  const flow = flowAt(analysis, position);
  if (!flow) return undefined;
  const enclosing = stepAt(flow, position);
  if (!enclosing) return undefined;
  if (contains(enclosing.nameRange, position)) return { flow, step: enclosing, range: toRange(enclosing.nameRange), isDefinition: true };
  for (const [target, range] of Object.entries(enclosing.targetRanges)) {
    const step = flow.steps.find((s) => s.name === target);
    if (step && contains(range, position)) return { flow, step, range: toRange(range), isDefinition: false };
  }
  // Every `self.<step>` inside the `self.next(...)` call counts, e.g. repeated targets of a switch dict.
  if (enclosing.nextRange && contains(enclosing.nextRange, position)) {
    const wordRange = document.getWordRangeAtPosition(position, /[A-Za-z_][A-Za-z0-9_]*/);
    if (!wordRange) return undefined;
    const before = document.getText(wordRange.with({ start: wordRange.start.translate(0, -Math.min(5, wordRange.start.character)) }));
    if (!before.startsWith('self.')) return undefined;
    const step = flow.steps.find((s) => s.name === document.getText(wordRange));
    if (step) return { flow, step, range: wordRange, isDefinition: false };
  }
  return undefined;
}
