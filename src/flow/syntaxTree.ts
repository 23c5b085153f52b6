// Small helpers over web-tree-sitter nodes: ranges in our model's shape, and Python-specific unwrapping.
import type { Node } from 'web-tree-sitter';
import type { Position, SourceRange } from './types';

export type SyntaxNode = Node;

export function toPosition(point: { row: number; column: number }): Position {
  return { line: point.row, character: point.column };
}

export function nodeRange(node: SyntaxNode): SourceRange {
  return { start: toPosition(node.startPosition), end: toPosition(node.endPosition) };
}

/** Named children without comments, which the Python AST does not have. */
export function statements(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const child of node.namedChildren) {
    if (child && child.type !== 'comment') out.push(child);
  }
  return out;
}

/** `(expr)` is the same AST node as `expr` in Python. */
export function unwrapParens(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.type === 'parenthesized_expression') {
    const inner = statements(current)[0];
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** `a.b.c` as a list of names, or undefined when the expression is not a plain dotted name. */
export function dottedName(node: SyntaxNode): string[] | undefined {
  const n = unwrapParens(node);
  if (n.type === 'identifier') return [n.text];
  if (n.type === 'attribute') {
    const object = n.childForFieldName('object');
    const attribute = n.childForFieldName('attribute');
    if (!object || !attribute) return undefined;
    const head = dottedName(object);
    return head ? [...head, attribute.text] : undefined;
  }
  return undefined;
}
