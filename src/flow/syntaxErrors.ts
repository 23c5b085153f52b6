// Syntax errors from tree-sitter's ERROR and MISSING nodes, as SyntaxProblems with ranges.
import type { SyntaxProblem } from './types';
import { type SyntaxNode, nodeRange } from './syntaxTree';

const MAX_PROBLEMS = 50;

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The first bracket in `text` that is never closed, ignoring strings and comments roughly. */
function unclosedBracket(text: string): string | undefined {
  const stack: string[] = [];
  const code = text.replace(/#[^\n]*/g, '').replace(/("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/g, '""');
  for (const ch of code) {
    if (ch in CLOSERS) stack.push(ch);
    else if (stack.length && CLOSERS[stack[stack.length - 1]] === ch) stack.pop();
  }
  return stack[0];
}

function describe(node: SyntaxNode): string {
  if (node.isMissing) return `Syntax error: '${node.type}' is missing here.`;
  const text = node.text.trim();
  if (!text) return 'Syntax error: Python cannot read this line.';
  const open = unclosedBracket(text);
  if (open) return `Syntax error: '${open}' is never closed. Add the matching '${CLOSERS[open]}'.`;
  const first = text.split('\n')[0].slice(0, 40);
  return `Syntax error: Python cannot read '${first}${first.length < text.length ? '…' : ''}'. Look for a typo, or a missing ':', comma or bracket.`;
}

const BRACKETED = new Set(['parenthesized_expression', 'argument_list', 'list', 'dictionary', 'set', 'tuple', 'subscript', 'generator_expression', 'list_comprehension', 'dictionary_comprehension', 'set_comprehension', 'parameters', 'type_parameter']);

/** Inside brackets, or inside text tree-sitter could not read (an unclosed bracket is reported there). */
function insideBrackets(node: SyntaxNode): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (BRACKETED.has(n.type) || n.isError) return true;
    if (n.type.endsWith('statement') || n.type === 'block' || n.type === 'module') return false;
  }
  return false;
}

const OPERATOR_NODES = new Set(['binary_operator', 'boolean_operator', 'comparison_operator']);

/**
 * tree-sitter-python reads `x = 1 +` followed by a new line as one expression spanning both lines,
 * which Python refuses outside brackets. Only lines that end in an operator can hold that mistake,
 * so a scan of the text finds them and the tree is consulted there alone (cheap on every keystroke).
 */
const LINE_ENDING_IN_OPERATOR = /(\*\*|\/\/|<<|>>|==|!=|<=|>=|[-+*/%@&|^<>]|\band|\bor|\bin|\bis)[ \t]*(?:#[^\n]*)?$/gm;

function danglingOperators(root: SyntaxNode, text: string): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  let row = 0;
  let scanned = 0;
  for (const match of text.matchAll(LINE_ENDING_IN_OPERATOR)) {
    const index = match.index ?? 0;
    for (let i = text.indexOf('\n', scanned); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) row += 1;
    scanned = index;
    const column = index - (text.lastIndexOf('\n', index - 1) + 1);
    const operator = root.descendantForPosition({ row, column });
    const expression = operator?.parent;
    if (!operator || !expression || !OPERATOR_NODES.has(expression.type) || operator.text !== match[1]) continue;
    const right = operator.nextSibling;
    if (!right || right.startPosition.row === operator.endPosition.row || insideBrackets(expression)) continue;
    const lineEnd = text.indexOf('\n', operator.endIndex);
    if (text.slice(operator.endIndex, lineEnd === -1 ? text.length : lineEnd).trimEnd().endsWith('\\')) continue;
    problems.push({
      message: `Syntax error: '${operator.text}' at the end of the line has nothing after it. Finish the expression on this line, or wrap it in parentheses to continue on the next one.`,
      range: nodeRange(operator),
    });
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems;
}

const BLOCK_HEADER = /^(\s*)(async\s+def|def|class|if|elif|else|for|async\s+for|while|with|async\s+with|try|except|finally|match|case)\b/;

/**
 * A block header without its ':' makes tree-sitter give up on everything after it, so the ERROR
 * node may cover the whole file; the first header line that does not end in ':' (brackets closed,
 * comments ignored) is where the mistake almost always is.
 */
function missingColon(node: SyntaxNode): SyntaxProblem | undefined {
  const lines = node.text.split('\n');
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i].replace(/#.*$/, '').replace(/("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')/g, '""');
    const startsHeader = depth === 0 && BLOCK_HEADER.test(code);
    for (const ch of code) {
      if (ch === '(' || ch === '[' || ch === '{') depth += 1;
      else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth -= 1;
    }
    const trimmed = code.trimEnd();
    if (startsHeader && depth === 0 && !trimmed.endsWith(':') && !trimmed.endsWith('\\') && !/:\s*\S/.test(trimmed.replace(/\(.*\)|\[.*\]|\{.*\}|lambda[^:]*:/g, ''))) {
      const row = node.startPosition.row + i;
      const column = i === 0 ? node.startPosition.column : 0;
      const keyword = trimmed.trim().split(/\s+/)[0];
      return {
        message: `Syntax error: the '${keyword}' line needs a ':' at its end.`,
        range: { start: { line: row, character: column + trimmed.length - trimmed.trimStart().length }, end: { line: row, character: column + trimmed.length } },
      };
    }
  }
  return undefined;
}

export function collectSyntaxErrors(root: SyntaxNode, text: string): SyntaxProblem[] {
  const dangling = danglingOperators(root, text);
  if (!root.hasError) return dangling;
  // The line after a dangling operator often fails to parse too; that is the same mistake, named once.
  const knockOn = new Set(dangling.map((p) => p.range.start.line + 1));
  return [...dangling, ...treeErrors(root).filter((p) => !knockOn.has(p.range.start.line))].slice(0, MAX_PROBLEMS);
}

function treeErrors(root: SyntaxNode): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: SyntaxNode): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    if (node.isError || node.isMissing) {
      const colon = node.isError && node.endPosition.row > node.startPosition.row ? missingColon(node) : undefined;
      problems.push(colon ?? { message: describe(node), range: nodeRange(node) });
      return;
    }
    if (!node.hasError) return;
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return problems;
}
