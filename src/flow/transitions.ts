// Reads a step's final `self.next(...)` the way Metaflow's `DAGNode._parse` does (metaflow/graph.py).
import { constantValue } from './pythonLiterals';
import type { SourceRange } from './types';
import { type SyntaxNode, dottedName, nodeRange, statements, unwrapParens } from './syntaxTree';

/** Metaflow's internal node types (`DAGNode.type`); null when the transition is missing or malformed. */
export type NodeKind = 'start' | 'linear' | 'join' | 'end' | 'split' | 'foreach' | 'split-switch' | null;

export interface TailNext {
  hasTailNext: boolean;
  invalidTailNext: boolean;
  kind: NodeKind;
  outFuncs: string[];
  /** `foreach=` value when it is a string constant (Metaflow's `foreach_param`); unset otherwise. */
  foreachParam?: string;
  numParallel?: number | string;
  parallelForeach: boolean;
  condition?: string;
  switchCases?: Record<string, string>;
  /** 1-based line of the `self.next` statement, 0 when there is none (as Metaflow's `tail_next_lineno`). */
  line: number;
  range?: SourceRange;
  targetRanges: Record<string, SourceRange>;
  /** Why an invalid transition is invalid, in words for the lint message. */
  problem?: string;
}

function emptyTail(): TailNext {
  return { hasTailNext: false, invalidTailNext: false, kind: null, outFuncs: [], parallelForeach: false, line: 0, targetRanges: {} };
}

const VALID_KEYWORDS = new Set(['foreach', 'num_parallel', 'condition']);

/** The switch dict's cases, or a reason why they cannot be read statically. */
function parseSwitchDict(dict: SyntaxNode, tail: TailNext): Record<string, string> | string {
  const cases: Record<string, string> = {};
  const entries = statements(dict);
  if (entries.length === 0) return 'the switch dict is empty';
  for (const pair of entries) {
    if (pair.type !== 'pair') return `\`${pair.text}\` cannot be read statically; write each case as "key": self.step_name`;
    const keyNode = pair.childForFieldName('key');
    const valueNode = pair.childForFieldName('value');
    if (!keyNode || !valueNode) return 'a switch case is incomplete';
    let key: string | undefined;
    const constant = constantValue(keyNode);
    if (constant !== undefined && constant !== null) {
      // Keys are stored as `json.dumps` would write them.
      key = String(constant);
    } else {
      const path = dottedName(keyNode);
      if (path && path.length === 3 && path[0] === 'self') key = `config:${path[1]}.${path[2]}`;
    }
    if (key === undefined) {
      return `the switch key \`${keyNode.text}\` is not a string or number literal or self.<config>.<key>`;
    }
    const target = dottedName(valueNode);
    if (!target || target.length !== 2 || target[0] !== 'self') {
      return `the switch case \`${keyNode.text}\` must map to a step written as self.step_name, not \`${valueNode.text}\``;
    }
    // defineProperty, not assignment: a case named "__proto__" would otherwise set the prototype.
    Object.defineProperty(cases, key, { value: target[1], enumerable: true, writable: true, configurable: true });
    tail.targetRanges[target[1]] ??= nodeRange(valueNode);
  }
  return cases;
}

export function parseTailNext(body: SyntaxNode | null): TailNext {
  const tail = emptyTail();
  const last = body ? statements(body).at(-1) : undefined;
  if (!last || last.type !== 'expression_statement') return tail;
  const exprs = statements(last);
  const call = exprs.length === 1 ? unwrapParens(exprs[0]) : undefined;
  if (!call || call.type !== 'call') return tail;
  const fn = call.childForFieldName('function');
  const fnPath = fn ? dottedName(fn) : undefined;
  if (!fnPath || fnPath.length !== 2 || fnPath[0] !== 'self' || fnPath[1] !== 'next') return tail;

  tail.hasTailNext = true;
  tail.invalidTailNext = true;
  tail.line = last.startPosition.row + 1;
  tail.range = nodeRange(call);
  const argumentList = call.childForFieldName('arguments');
  const argNodes = argumentList ? statements(argumentList) : [];
  if (argumentList?.type === 'generator_expression') {
    tail.problem = 'self.next() cannot take a generator expression';
    return tail;
  }
  const positional = argNodes.filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat');
  const keywords = argNodes.filter((a) => a.type === 'keyword_argument');
  if (argNodes.some((a) => a.type === 'dictionary_splat')) {
    tail.problem = 'self.next() cannot take **kwargs; write foreach=, num_parallel= or condition= explicitly';
    return tail;
  }
  const keywordValue = (name: string) => keywords.find((k) => k.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? undefined;

  const firstArg = positional.length === 1 ? unwrapParens(positional[0]) : undefined;
  if (firstArg?.type === 'dictionary' && keywordValue('condition')) {
    const cases = parseSwitchDict(firstArg, tail);
    const conditionNode = keywordValue('condition')!;
    const condition = constantValue(conditionNode);
    if (typeof cases === 'object' && typeof condition === 'string' && condition) {
      tail.kind = 'split-switch';
      tail.condition = condition;
      tail.switchCases = cases;
      tail.outFuncs = Object.values(cases);
      tail.invalidTailNext = false;
      return tail;
    }
    tail.problem = typeof cases === 'string' ? cases : `condition= must be a string literal naming an artifact (e.g. condition="mode"), not \`${conditionNode.text}\``;
    // Metaflow leaves a malformed switch with no known targets.
    return tail;
  }

  for (const arg of positional) {
    const a = unwrapParens(arg);
    if (a.type !== 'attribute') {
      tail.problem = `each target must be written as self.step_name; \`${arg.text}\` is not`;
      tail.outFuncs = [];
      return tail;
    }
    const name = a.childForFieldName('attribute')?.text ?? '';
    tail.outFuncs.push(name);
    tail.targetRanges[name] ??= nodeRange(a);
  }

  const names = keywords.map((k) => k.childForFieldName('name')?.text ?? '');
  if (names.length === 1) {
    const [name] = names;
    const valueNode = keywordValue(name)!;
    if (name === 'foreach') {
      tail.kind = 'foreach';
      if (tail.outFuncs.length === 1) {
        const v = constantValue(valueNode);
        if (typeof v === 'string') tail.foreachParam = v;
        tail.invalidTailNext = false;
      } else {
        tail.problem = `a foreach goes to exactly one step, but ${tail.outFuncs.length} are given`;
      }
    } else if (name === 'num_parallel') {
      tail.kind = 'foreach';
      tail.parallelForeach = true;
      if (tail.outFuncs.length === 1) {
        const v = constantValue(valueNode);
        tail.numParallel = typeof v === 'number' ? v : valueNode.text;
        tail.invalidTailNext = false;
      } else {
        tail.problem = `num_parallel= goes to exactly one @parallel step, but ${tail.outFuncs.length} are given`;
      }
    } else if (name === 'condition') {
      tail.problem = 'a switch takes one dict of cases, e.g. self.next({"a": self.a, "b": self.b}, condition="mode")';
    } else {
      tail.problem = `self.next() does not accept the keyword \`${name}\` (only foreach=, num_parallel= or condition=)`;
    }
  } else if (names.length === 0) {
    if (tail.outFuncs.length > 1) {
      tail.kind = 'split';
      tail.invalidTailNext = false;
    } else if (tail.outFuncs.length === 1) {
      tail.kind = 'linear';
      tail.invalidTailNext = false;
    } else {
      tail.problem = 'self.next() names no step to go to';
    }
  } else {
    const unknown = names.filter((n) => !VALID_KEYWORDS.has(n));
    tail.problem = unknown.length
      ? `self.next() does not accept the keyword \`${unknown[0]}\` (only foreach=, num_parallel= or condition=)`
      : `foreach=, num_parallel= and condition= cannot be combined (found ${names.join(', ')})`;
  }
  return tail;
}

/** Python truthiness of a constant keyword value, as `@step(start=True)` is read; non-constants count as false. */
export function isTruthyConstant(node: SyntaxNode | undefined): boolean {
  return node ? Boolean(constantValue(node)) : false;
}
