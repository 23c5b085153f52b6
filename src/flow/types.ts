// The flow model shared by the language service, the layout, the runtime, the CLI and the VS Code layer.
// Positions are 0-based (line, character) like VS Code's; `line` fields meant for people and for
// Metaflow-shaped JSON are 1-based, as Metaflow reports them.

export interface Position {
  line: number;
  character: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

/** Metaflow's serialized step types (`FlowGraph.output_steps`, `_graph_info`). */
export type StepType =
  | 'start'
  | 'linear'
  | 'join'
  | 'end'
  | 'split-static'
  | 'split-foreach'
  | 'split-parallel'
  | 'split-switch';

/**
 * A decorator or keyword argument value as written in source. Python literals map to JSON values
 * (tuples become arrays, `None` becomes null); anything that is not a literal is kept as its
 * source text so that nothing is lost or guessed.
 */
export type LiteralValue =
  | string
  | number
  | boolean
  | null
  | LiteralValue[]
  | { [key: string]: LiteralValue }
  | NonLiteral;

export interface NonLiteral {
  $expr: string;
}

export interface DecoratorInfo {
  /** Decorator name without module prefix: `retry` for `@retry` and `@metaflow.retry`. */
  name: string;
  /** Keyword arguments as written (`@retry(times=3)` gives `{ times: 3 }`). */
  attributes: Record<string, LiteralValue>;
  /** Positional arguments, rarely used (`@card("blank")`). */
  args: LiteralValue[];
  range: SourceRange;
}

export type ParameterKind = 'Parameter' | 'IncludeFile' | 'Config';

export interface ParameterInfo {
  /** Python attribute name on the flow class. */
  attribute: string;
  /** The name given to `Parameter("name", ...)`: the CLI option `--name`. */
  name: string;
  kind: ParameterKind;
  /** `type=` as written: `int`, `float`, `bool`, `str`, `JSONType`; inferred from a literal default when absent. */
  type?: string;
  default?: LiteralValue;
  help?: string;
  required?: boolean;
  separator?: string;
  range: SourceRange;
}

export interface StepInfo {
  name: string;
  type: StepType;
  /** 1-based line of the `def`. */
  line: number;
  /** Whole decorated definition. */
  range: SourceRange;
  /** The function name identifier. */
  nameRange: SourceRange;
  doc?: string;
  /** Every decorator on the step except `@step` itself (which is implied); `@step(start=True)` is reflected in `startAnnotation`. */
  decorators: DecoratorInfo[];
  startAnnotation: boolean;
  endAnnotation: boolean;
  /** Successor step names, in the order written (for switches: the case values in dict order). */
  next: string[];
  /** `foreach="var"` (the artifact iterated over). */
  foreach?: string;
  /** `num_parallel=` as a number, or its source text when not a literal. */
  numParallel?: number | string;
  /** `condition="var"` for switches. */
  condition?: string;
  /** Switch case key -> target step name (keys as Metaflow stores them, e.g. `config:x.y`). */
  switchCases?: Record<string, string>;
  /** Join that closes this split, when the graph walk found one. */
  matchingJoin?: string;
  inFuncs: string[];
  /** Enclosing splits (outermost first). */
  splitParents: string[];
  isInsideForeach: boolean;
  /** Positional parameters including `self` (`inputs` makes 2). */
  numArgs: number;
  hasTailNext: boolean;
  invalidTailNext: boolean;
  /** Range of the final `self.next(...)` call, when there is one. */
  nextRange?: SourceRange;
  /** Range of each target expression in `self.next(...)`, keyed by target step name (for go-to-definition). */
  targetRanges: Record<string, SourceRange>;
}

export interface LintError {
  /** Metaflow's check name, e.g. `check_for_orphans`. */
  check: string;
  message: string;
  /** 1-based line, as Metaflow reports it. */
  line: number;
  range: SourceRange;
  /** Steps this error is about (marked in the DAG). */
  steps: string[];
}

export interface FlowInfo {
  name: string;
  /** 1-based line of the `class`. */
  line: number;
  range: SourceRange;
  nameRange: SourceRange;
  doc?: string;
  baseClasses: string[];
  decorators: DecoratorInfo[];
  parameters: ParameterInfo[];
  /** Steps in Metaflow's `sorted_nodes` order (topological-ish from start), then unreachable ones in source order. */
  steps: StepInfo[];
  start?: string;
  end?: string;
  /** Nested list as in `_graph_info.graph_structure`, e.g. `["start", [["a"], ["b"]], "join", "end"]`. */
  graphStructure: GraphStructure;
  errors: LintError[];
}

export type GraphStructure = Array<string | GraphStructure[]>;

export interface SyntaxProblem {
  message: string;
  range: SourceRange;
}

export interface FileAnalysis {
  /** True when the file imports Metaflow or defines a FlowSpec subclass; cheap to know for non-flow files. */
  isFlowFile: boolean;
  flows: FlowInfo[];
  syntaxErrors: SyntaxProblem[];
  /** The flow class called under `if __name__ == "__main__":`, i.e. the one `python FILE.py` runs. */
  mainFlow?: string;
}

/** A text edit in the shape tree-sitter needs for incremental re-parsing (offsets in UTF-16 code units, as VS Code gives them). */
export interface TextEdit {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: Position;
  oldEndPosition: Position;
  newEndPosition: Position;
}

/** Analyses Python sources into flows. One instance per process; keeps one parse tree per document key for incremental re-parsing. */
export interface FlowAnalyzer {
  /** Full analysis of `text`; with `edits` (applied since the last call for `key`) the previous tree is reused. */
  analyze(key: string, text: string, edits?: TextEdit[]): FileAnalysis;
  /** Drops the cached tree of a closed document. */
  forget(key: string): void;
}

/** The JSON printed by `metaflow-studio graph --json` (DESIGN.md §6). */
export interface GraphJson {
  flows: Array<{
    name: string;
    line: number;
    doc?: string;
    steps: Array<{
      name: string;
      type: StepType;
      line: number;
      next: string[];
      foreach: string | null;
      condition: string | null;
      switch_cases: Record<string, string> | null;
      num_parallel: number | string | null;
      matching_join: string | null;
      decorators: Array<{ name: string; attributes: Record<string, LiteralValue> }>;
    }>;
    parameters: Array<{ name: string; attribute: string; kind: ParameterKind; type: string | null; default: LiteralValue | null; help: string | null; required: boolean }>;
    graph_structure: GraphStructure;
    errors: Array<{ check: string; message: string; line: number }>;
  }>;
  /** Present when the file has syntax errors (1-based lines). */
  syntax_errors?: Array<{ message: string; line: number; column: number }>;
}
