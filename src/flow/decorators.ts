// Decorators as written: name without module prefix, literal keyword and positional arguments.
import { literalValue, nonLiteral } from './pythonLiterals';
import type { DecoratorInfo, LiteralValue } from './types';
import { type SyntaxNode, dottedName, nodeRange, statements, unwrapParens } from './syntaxTree';

export interface ParsedDecorator {
  info: DecoratorInfo;
  /** Dotted path of the decorator's callee (`['metaflow', 'retry']`), when it is a plain name. */
  path?: string[];
  /** Keyword argument value nodes, for callers that need more than the literal value. */
  keywordNodes: Map<string, SyntaxNode>;
}

export function parseDecorator(decorator: SyntaxNode): ParsedDecorator {
  const expr = statements(decorator)[0];
  const attributes: Record<string, LiteralValue> = {};
  const args: LiteralValue[] = [];
  const keywordNodes = new Map<string, SyntaxNode>();
  let callee = expr ? unwrapParens(expr) : undefined;
  if (callee?.type === 'call') {
    const argumentList = callee.childForFieldName('arguments');
    callee = callee.childForFieldName('function') ?? undefined;
    for (const arg of argumentList ? statements(argumentList) : []) {
      if (arg.type === 'keyword_argument') {
        const key = arg.childForFieldName('name')?.text;
        const value = arg.childForFieldName('value');
        if (!key || !value) continue;
        // defineProperty, not assignment: a keyword named __proto__ would otherwise set the prototype.
        Object.defineProperty(attributes, key, { value: literalValue(value), enumerable: true, writable: true, configurable: true });
        keywordNodes.set(key, value);
      } else if (arg.type === 'dictionary_splat') {
        attributes['**'] = nonLiteral(arg);
      } else {
        args.push(arg.type === 'list_splat' ? nonLiteral(arg) : literalValue(arg));
      }
    }
  }
  const path = callee ? dottedName(callee) : undefined;
  const name = path ? path[path.length - 1] : (callee?.text ?? decorator.text.replace(/^@\s*/, ''));
  return { info: { name, attributes, args, range: nodeRange(decorator) }, path, keywordNodes };
}
