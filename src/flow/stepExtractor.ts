// One `@step` method -> RawStep: decorators, arguments, docstring and final transition.
import type { RawStep } from './classModel';
import { parseDecorator } from './decorators';
import { docstringOf } from './docstrings';
import type { MetaflowNames } from './metaflowNames';
import type { DecoratorInfo, SourceRange } from './types';
import { type SyntaxNode, nodeRange, statements } from './syntaxTree';
import { isTruthyConstant, parseTailNext } from './transitions';

/** Decorators whose class sets `IS_PARALLEL` in Metaflow. */
const PARALLEL_DECORATORS = new Set(['parallel', 'pytorch_parallel']);

/** `len(func.args.args)`: positional parameters, not `*args`, keyword-only or positional-only ones. */
export function countPositionalArgs(parameters: SyntaxNode | null): number {
  let count = 0;
  for (const p of parameters ? statements(parameters) : []) {
    if (p.type === 'positional_separator') {
      count = 0;
      continue;
    }
    if (p.type === 'list_splat_pattern' || p.type === 'keyword_separator' || p.type === 'dictionary_splat_pattern') break;
    if (p.type === 'typed_parameter' && statements(p).some((c) => c.type === 'list_splat_pattern' || c.type === 'dictionary_splat_pattern')) break;
    count += 1;
  }
  return count;
}

/**
 * Returns undefined when the definition is not a step. `decorated` is the `decorated_definition`
 * (or the bare `function_definition`).
 */
export function extractStep(decorated: SyntaxNode, names: MetaflowNames): RawStep | undefined {
  const fn = decorated.type === 'decorated_definition' ? decorated.childForFieldName('definition') : decorated;
  if (!fn || fn.type !== 'function_definition') return undefined;
  const decoratorNodes = decorated.type === 'decorated_definition' ? statements(decorated).filter((n) => n.type === 'decorator') : [];
  let stepDecorator: SyntaxNode | undefined;
  let startAnnotation = false;
  let endAnnotation = false;
  const decorators: DecoratorInfo[] = [];
  let parallelDecoratorRange: SourceRange | undefined;
  for (const node of decoratorNodes) {
    const parsed = parseDecorator(node);
    const calleeIsStep = parsed.path !== undefined && isStepPath(parsed.path, names);
    if (calleeIsStep && !stepDecorator) {
      stepDecorator = node;
      startAnnotation = isTruthyConstant(parsed.keywordNodes.get('start'));
      endAnnotation = isTruthyConstant(parsed.keywordNodes.get('end'));
      continue;
    }
    decorators.push(parsed.info);
    if (PARALLEL_DECORATORS.has(parsed.info.name)) parallelDecoratorRange ??= parsed.info.range;
  }
  if (!stepDecorator) return undefined;
  const nameNode = fn.childForFieldName('name');
  const parameters = fn.childForFieldName('parameters');
  const body = fn.childForFieldName('body');
  const numArgs = countPositionalArgs(parameters);
  const tail = parseTailNext(body);
  if (tail.kind === 'linear' && numArgs > 1) tail.kind = 'join';
  return {
    name: nameNode?.text ?? '',
    line: fn.startPosition.row + 1,
    range: nodeRange(decorated),
    nameRange: nodeRange(nameNode ?? fn),
    doc: docstringOf(body),
    decorators,
    stepDecoratorRange: nodeRange(stepDecorator),
    startAnnotation,
    endAnnotation,
    numArgs,
    parametersRange: nodeRange(parameters ?? nameNode ?? fn),
    parallelDecoratorRange,
    tail,
  };
}

function isStepPath(path: string[], names: MetaflowNames): boolean {
  if (path.length === 1) return names.step.has(path[0]);
  return path.length === 2 && names.modules.has(path[0]) && path[1] === 'step';
}

