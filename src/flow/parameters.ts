// `x = Parameter("x", ...)`, `IncludeFile`, `Config` class attributes -> ParameterInfo.
import { type MetaflowNames, parameterKindOf } from './metaflowNames';
import { literalValue, stringLiteral } from './pythonLiterals';
import type { LiteralValue, ParameterInfo } from './types';
import { type SyntaxNode, dottedName, nodeRange, statements, unwrapParens } from './syntaxTree';

function inferredType(node: SyntaxNode): string | undefined {
  let n = unwrapParens(node);
  if (n.type === 'unary_operator') n = unwrapParens(n.childForFieldName('argument') ?? n);
  switch (n.type) {
    case 'integer':
      return 'int';
    case 'float':
      return 'float';
    case 'true':
    case 'false':
      return 'bool';
    case 'string':
    case 'concatenated_string':
      return stringLiteral(n) === undefined ? undefined : 'str';
    default:
      return undefined;
  }
}

/** The assignment inside a class-body statement, when it binds one plain name. */
export function assignedName(stmt: SyntaxNode): { name: string; value?: SyntaxNode; node: SyntaxNode } | undefined {
  if (stmt.type !== 'expression_statement') return undefined;
  const assignment = statements(stmt)[0];
  if (!assignment || assignment.type !== 'assignment') return undefined;
  const left = assignment.childForFieldName('left');
  if (!left || left.type !== 'identifier') return undefined;
  return { name: left.text, value: assignment.childForFieldName('right') ?? undefined, node: assignment };
}

export function extractParameter(stmt: SyntaxNode, names: MetaflowNames): ParameterInfo | undefined {
  const assigned = assignedName(stmt);
  if (!assigned?.value) return undefined;
  const call = unwrapParens(assigned.value);
  if (call.type !== 'call') return undefined;
  const fn = call.childForFieldName('function');
  const kind = fn ? parameterKindOf(fn, names) : undefined;
  if (!kind) return undefined;
  const argumentList = call.childForFieldName('arguments');
  const args = argumentList ? statements(argumentList) : [];
  const positional = args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat' && a.type !== 'list_splat');
  const keywords = new Map<string, SyntaxNode>();
  for (const a of args) {
    if (a.type !== 'keyword_argument') continue;
    const key = a.childForFieldName('name')?.text;
    const value = a.childForFieldName('value');
    if (key && value) keywords.set(key, value);
  }
  const nameNode = positional[0] ?? keywords.get('name');
  const info: ParameterInfo = {
    attribute: assigned.name,
    name: (nameNode && stringLiteral(nameNode)) ?? assigned.name,
    kind,
    range: nodeRange(stmt),
  };
  const typeNode = keywords.get('type');
  const defaultNode = kind === 'Config' ? (keywords.get('default_value') ?? keywords.get('default')) : keywords.get('default');
  if (typeNode) {
    const path = dottedName(typeNode);
    info.type = path ? path[path.length - 1] : typeNode.text;
  } else if (defaultNode) {
    info.type = inferredType(defaultNode);
  }
  if (!info.type && kind === 'Parameter') info.type = 'str';
  if (defaultNode) info.default = literalValue(defaultNode);
  const help = keywords.get('help');
  if (help) {
    const text = stringLiteral(help);
    if (text !== undefined) info.help = text;
  }
  const required = keywords.get('required');
  if (required) {
    const v: LiteralValue = literalValue(required);
    if (typeof v === 'boolean') info.required = v;
  }
  const separator = keywords.get('separator');
  if (separator) {
    const text = stringLiteral(separator);
    if (text !== undefined) info.separator = text;
  }
  return info;
}
