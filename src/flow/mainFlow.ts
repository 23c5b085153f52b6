// Which flow `python FILE.py` runs: the class called in the module's `if __name__ == "__main__":` block.
import { type SyntaxNode, dottedName, statements, unwrapParens } from './syntaxTree';

function isMainGuard(condition: SyntaxNode | null): boolean {
  if (!condition) return false;
  const text = condition.text.replace(/\s+/g, '').replace(/'/g, '"');
  return text === '__name__=="__main__"' || text === '"__main__"==__name__';
}

export function mainFlowName(root: SyntaxNode, flowNames: Set<string>): string | undefined {
  for (const stmt of statements(root)) {
    if (stmt.type !== 'if_statement' || !isMainGuard(stmt.childForFieldName('condition'))) continue;
    const found = findCall(stmt.childForFieldName('consequence'), flowNames);
    if (found) return found;
  }
  return undefined;
}

/** The first call of a flow class in source order; iterative, as a file being typed may nest without limit. */
function findCall(node: SyntaxNode | null, flowNames: Set<string>): string | undefined {
  const pending: SyntaxNode[] = node ? [node] : [];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (current.type === 'call') {
      const fn = current.childForFieldName('function');
      const path = fn ? dottedName(unwrapParens(fn)) : undefined;
      if (path?.length === 1 && flowNames.has(path[0])) return path[0];
    }
    pending.push(...statements(current).reverse());
  }
  return undefined;
}
