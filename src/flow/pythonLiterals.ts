// Python literal expressions -> JSON-shaped values, without evaluating anything (like `ast.literal_eval`).
import type { LiteralValue, NonLiteral } from './types';
import { type SyntaxNode, statements, unwrapParens } from './syntaxTree';

export function nonLiteral(node: SyntaxNode): NonLiteral {
  return { $expr: node.text };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

function decodeEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
    } else if (next === '\r' && body[i + 2] === '\n') {
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(m, 8));
      i += m.length;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))) {
      out += String.fromCodePoint(parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
      out += String.fromCodePoint(parseInt(body.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (next === 'U' && /^[0-9a-fA-F]{8}$/.test(body.slice(i + 2, i + 10))) {
      const code = parseInt(body.slice(i + 2, i + 10), 16);
      out += code <= 0x10ffff ? String.fromCodePoint(code) : body.slice(i, i + 10);
      i += 9;
    } else {
      // Python keeps unknown escapes (and \N{...}, which needs the Unicode name table) as written.
      out += ch;
    }
  }
  return out;
}

/** The value of one `string` node, or undefined for bytes and f-strings with interpolations. */
export function stringValue(node: SyntaxNode): string | undefined {
  const text = node.text;
  const prefixMatch = /^[A-Za-z]*/.exec(text)!;
  const prefix = prefixMatch[0].toLowerCase();
  if (prefix.includes('b')) return undefined;
  const rest = text.slice(prefix.length);
  const quote = rest.startsWith('"""') || rest.startsWith("'''") ? rest.slice(0, 3) : rest.slice(0, 1);
  if (quote !== '"' && quote !== "'" && quote !== '"""' && quote !== "'''") return undefined;
  if (!rest.endsWith(quote) || rest.length < quote.length * 2) return undefined;
  let body = rest.slice(quote.length, rest.length - quote.length);
  if (prefix.includes('f')) {
    if (node.namedChildren.some((c) => c?.type === 'interpolation')) return undefined;
    body = body.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
  }
  return prefix.includes('r') ? body : decodeEscapes(body);
}

/** A string literal, possibly implicitly concatenated (`"a" "b"`). */
export function stringLiteral(node: SyntaxNode): string | undefined {
  const n = unwrapParens(node);
  if (n.type === 'string') return stringValue(n);
  if (n.type === 'concatenated_string') {
    let out = '';
    for (const part of statements(n)) {
      const v = part.type === 'string' ? stringValue(part) : undefined;
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  return undefined;
}

function numberValue(node: SyntaxNode): number | undefined {
  const raw = node.text.replace(/_/g, '');
  if (/[jJ]$/.test(raw)) return undefined;
  if (node.type === 'integer') {
    const lower = raw.toLowerCase();
    if (lower.startsWith('0x')) return parseInt(lower.slice(2), 16);
    if (lower.startsWith('0o')) return parseInt(lower.slice(2), 8);
    if (lower.startsWith('0b')) return parseInt(lower.slice(2), 2);
    const v = Number(raw.replace(/[lL]$/, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  const v = Number(raw);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * What Metaflow's graph parser reads from a keyword of `self.next(...)`: only a constant
 * (`ast.Constant`), never a computed expression. Returns undefined for anything else.
 */
export function constantValue(node: SyntaxNode): string | number | boolean | null | undefined {
  const n = unwrapParens(node);
  switch (n.type) {
    case 'string':
    case 'concatenated_string':
      return stringLiteral(n);
    case 'integer':
    case 'float':
      return numberValue(n);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'none':
      return null;
    default:
      return undefined;
  }
}

/** Python's tokenizer refuses brackets nested deeper than this ("too many nested parentheses"). */
const MAX_NESTING = 200;

/**
 * `ast.literal_eval`-like: literals and containers of literals. A non-literal part is kept as
 * `{ $expr }` where it stands, so a container keeps what is known.
 */
export function literalValue(node: SyntaxNode, depth = 0): LiteralValue {
  const n = unwrapParens(node);
  // Deeper than Python would parse: kept as written rather than walked (which could overflow the stack).
  if (depth > MAX_NESTING) return nonLiteral(n);
  switch (n.type) {
    case 'string':
    case 'concatenated_string':
    case 'integer':
    case 'float':
    case 'true':
    case 'false':
    case 'none': {
      const v = constantValue(n);
      return v === undefined ? nonLiteral(n) : v;
    }
    case 'unary_operator': {
      const operand = n.childForFieldName('argument');
      const op = n.childForFieldName('operator')?.text;
      if (operand && (op === '-' || op === '+')) {
        const inner = unwrapParens(operand);
        if (inner.type === 'integer' || inner.type === 'float') {
          const v = numberValue(inner);
          if (v !== undefined) return op === '-' ? -v : v;
        }
      }
      return nonLiteral(n);
    }
    case 'list':
    case 'tuple': {
      const items: LiteralValue[] = [];
      for (const child of statements(n)) {
        if (child.type === 'list_splat' || child.type === 'parenthesized_list_splat') return nonLiteral(n);
        items.push(literalValue(child, depth + 1));
      }
      return items;
    }
    case 'dictionary': {
      // Entries become own properties: a key such as "__proto__" stays data (assignment would set the prototype).
      const out: Array<[string, LiteralValue]> = [];
      for (const child of statements(n)) {
        if (child.type !== 'pair') return nonLiteral(n);
        const keyNode = child.childForFieldName('key');
        const valueNode = child.childForFieldName('value');
        if (!keyNode || !valueNode) return nonLiteral(n);
        const key = constantValue(keyNode);
        if (key === undefined) return nonLiteral(n);
        // JSON object keys are strings, as `json.dumps` would write them.
        out.push([key === null ? 'null' : String(key), literalValue(valueNode, depth + 1)]);
      }
      return Object.fromEntries(out);
    }
    default:
      return nonLiteral(n);
  }
}
