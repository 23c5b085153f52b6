// Docstrings as Metaflow shows them (`graph.py deindent_docstring` semantics).
import { stringLiteral } from './pythonLiterals';
import { type SyntaxNode, statements } from './syntaxTree';

/** Python's `str.splitlines` boundaries (less the ASCII file/group/record separators, never seen in docstrings). */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

export function deindentDocstring(doc: string): string {
  if (!doc) return '';
  let sawFirstLine = false;
  let indent: string | undefined;
  for (const line of doc.split(LINE_BREAK)) {
    if (!line) continue;
    const m = /^[\t ]+/.exec(line);
    indent = m ? m[0] : undefined;
    if (indent !== undefined || sawFirstLine) break;
    sawFirstLine = true;
  }
  if (indent === undefined) return doc;
  return doc.split(`\n${indent}`).join('\n').trim();
}

/** The docstring of a class or function body (its first statement, when that is a string literal). */
export function docstringOf(body: SyntaxNode | null): string | undefined {
  if (!body) return undefined;
  const first = statements(body)[0];
  if (!first || first.type !== 'expression_statement') return undefined;
  const parts = statements(first);
  if (parts.length !== 1) return undefined;
  const raw = stringLiteral(parts[0]);
  if (raw === undefined) return undefined;
  return deindentDocstring(raw);
}
