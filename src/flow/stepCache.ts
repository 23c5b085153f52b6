// Per-document cache of extracted steps keyed by their source text, so re-analysis after an edit
// re-reads only the steps whose text changed. A step that only moved down or up is shifted.
import type { RawStep } from './classModel';
import type { MetaflowNames } from './metaflowNames';
import { extractStep } from './stepExtractor';
import type { SourceRange } from './types';
import type { SyntaxNode } from './syntaxTree';

export interface StepCache {
  beginPass(): void;
  read(definition: SyntaxNode, namesSignature: string, names: MetaflowNames): RawStep | undefined;
  endPass(): void;
}

interface Entry {
  row: number;
  step: RawStep | undefined;
}

const shiftRange = (r: SourceRange, d: number): SourceRange => ({
  start: { line: r.start.line + d, character: r.start.character },
  end: { line: r.end.line + d, character: r.end.character },
});

export function shiftStep(step: RawStep, d: number): RawStep {
  if (d === 0) return step;
  const targetRanges: Record<string, SourceRange> = {};
  for (const [k, v] of Object.entries(step.tail.targetRanges)) targetRanges[k] = shiftRange(v, d);
  return {
    ...step,
    line: step.line + d,
    range: shiftRange(step.range, d),
    nameRange: shiftRange(step.nameRange, d),
    decorators: step.decorators.map((dec) => ({ ...dec, range: shiftRange(dec.range, d) })),
    stepDecoratorRange: shiftRange(step.stepDecoratorRange, d),
    parametersRange: shiftRange(step.parametersRange, d),
    parallelDecoratorRange: step.parallelDecoratorRange && shiftRange(step.parallelDecoratorRange, d),
    tail: {
      ...step.tail,
      line: step.tail.line ? step.tail.line + d : 0,
      range: step.tail.range && shiftRange(step.tail.range, d),
      targetRanges,
    },
  };
}

export function createStepCache(): StepCache {
  let previous = new Map<string, Entry>();
  let current = new Map<string, Entry>();
  return {
    beginPass() {
      current = new Map();
    },
    read(definition, namesSignature, names) {
      // Error recovery can shape the same text differently depending on its surroundings.
      if (definition.hasError) return extractStep(definition, names);
      const key = `${namesSignature}\n${definition.startPosition.column}\n${definition.text}`;
      const row = definition.startPosition.row;
      const hit = current.get(key) ?? previous.get(key);
      if (hit) {
        const step = hit.step && shiftStep(hit.step, row - hit.row);
        current.set(key, { row, step });
        return step;
      }
      const step = extractStep(definition, names);
      current.set(key, { row, step });
      return step;
    },
    endPass() {
      previous = current;
    },
  };
}
