// FileAnalysis -> the JSON that `metaflow-studio graph --json` prints (DESIGN.md §6).
import type { FileAnalysis, GraphJson } from './types';

export function toGraphJson(analysis: FileAnalysis): GraphJson {
  const json: GraphJson = {
    flows: analysis.flows.map((flow) => ({
      name: flow.name,
      line: flow.line,
      ...(flow.doc !== undefined ? { doc: flow.doc } : {}),
      steps: flow.steps.map((s) => ({
        name: s.name,
        type: s.type,
        line: s.line,
        next: s.next,
        foreach: s.foreach ?? null,
        condition: s.condition ?? null,
        switch_cases: s.switchCases ?? null,
        num_parallel: s.numParallel ?? null,
        matching_join: s.matchingJoin ?? null,
        decorators: s.decorators.map((d) => ({ name: d.name, attributes: d.attributes })),
      })),
      parameters: flow.parameters.map((p) => ({
        name: p.name,
        attribute: p.attribute,
        kind: p.kind,
        type: p.type ?? null,
        default: p.default ?? null,
        help: p.help ?? null,
        required: p.required ?? false,
      })),
      graph_structure: flow.graphStructure,
      errors: flow.errors.map((e) => ({ check: e.check, message: e.message, line: e.line })),
    })),
  };
  if (analysis.syntaxErrors.length) {
    json.syntax_errors = analysis.syntaxErrors.map((e) => ({ message: e.message, line: e.range.start.line + 1, column: e.range.start.character + 1 }));
  }
  return json;
}
