// Argo's template language, the subset compiled Metaflow templates use: `{{a.b.c}}` tags, `{{=expr}}`
// expressions (expr-lang: member access, `?.`, `??`, ternary, comparisons, &&/||, nil, toBase64), and `when`
// conditions evaluated after substitution (bare words compare as strings, as Argo's evaluator lets them).
// Anything outside the subset throws, naming what it met.

export type Value = string | number | boolean | null | undefined | Value[] | { [key: string]: Value };
export type Scope = Record<string, Value>;

export class UnsupportedFeature extends Error {}

/** Replace every `{{...}}` in `text`. `resolveTag` returns undefined to leave a tag as written (Argo keeps
 * references it cannot resolve, such as outputs of a task that did not run). */
export function substitute(text: string, scope: Scope, resolveTag: (path: string) => string | undefined): string {
  return text.replace(/\{\{(.*?)\}\}/gs, (whole, inner: string) => {
    const body = inner.trim();
    if (body.startsWith('=')) return stringify(evaluate(body.slice(1), scope));
    const value = resolveTag(body);
    return value === undefined ? whole : value;
  });
}

export function stringify(value: Value): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string };

const OPERATORS = ['?.', '??', '==', '!=', '<=', '>=', '&&', '||', '(', ')', '[', ']', '.', '?', ':', '!', '<', '>', ','];

function tokenize(source: string, bareWords: boolean): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new UnsupportedFeature(`unterminated string in expression: ${source}`);
      tokens.push({ kind: 'str', text: source.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op && !(bareWords && op === '.' && tokens.length && tokens[tokens.length - 1]!.kind === 'id')) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    // A `when` may compare bare words that hold `-`, `.` or `/` (a step name, a task id): one token.
    const word = bareWords ? /^[^\s()=!<>&|'"]+/.exec(source.slice(i)) : /^[A-Za-z_$][\w$]*|^\d+(\.\d+)?/.exec(source.slice(i));
    if (!word) throw new UnsupportedFeature(`unexpected '${c}' in expression: ${source}`);
    tokens.push({ kind: /^\d+(\.\d+)?$/.test(word[0]) ? 'num' : 'id', text: word[0] });
    i += word[0].length;
  }
  return tokens;
}

/** Evaluate an expr-lang expression against `scope`. */
export function evaluate(source: string, scope: Scope): Value {
  return new Parser(tokenize(source, false), scope, source, false).parseAll();
}

/** A `when` condition after substitution, as Argo evaluates it. */
export function evaluateWhen(source: string): boolean {
  const value = new Parser(tokenize(source, true), {}, source, true).parseAll();
  if (typeof value !== 'boolean') throw new UnsupportedFeature(`when condition is not a boolean: ${source}`);
  return value;
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  toBase64: ([v]) => Buffer.from(stringify(v), 'utf8').toString('base64'),
  fromBase64: ([v]) => Buffer.from(stringify(v), 'base64').toString('utf8'),
  toJson: ([v]) => JSON.stringify(v),
  fromJSON: ([v]) => JSON.parse(stringify(v)) as Value,
  string: ([v]) => stringify(v),
};

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: Scope,
    private readonly source: string,
    private readonly bareWords: boolean,
  ) {}

  parseAll(): Value {
    const value = this.ternary();
    if (this.pos !== this.tokens.length) this.fail(`unexpected '${this.tokens[this.pos]!.text}'`);
    return value;
  }

  private fail(what: string): never {
    throw new UnsupportedFeature(`${what} in expression: ${this.source}`);
  }

  private peek(text: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  private eat(text: string): boolean {
    if (!this.peek(text)) return false;
    this.pos++;
    return true;
  }

  private expect(text: string): void {
    if (!this.eat(text)) this.fail(`expected '${text}'`);
  }

  private ternary(): Value {
    const cond = this.nullish();
    if (!this.eat('?')) return cond;
    const yes = this.ternary();
    this.expect(':');
    const no = this.ternary();
    return cond ? yes : no;
  }

  private nullish(): Value {
    let left = this.or();
    while (this.eat('??')) {
      const right = this.or();
      left = left === null || left === undefined ? right : left;
    }
    return left;
  }

  private or(): Value {
    let left = this.and();
    while (this.eat('||')) {
      const right = this.and();
      left = Boolean(left) || Boolean(right);
    }
    return left;
  }

  private and(): Value {
    let left = this.comparison();
    while (this.eat('&&')) {
      const right = this.comparison();
      left = Boolean(left) && Boolean(right);
    }
    return left;
  }

  private comparison(): Value {
    const left = this.unary();
    for (const op of ['==', '!=', '<=', '>=', '<', '>']) {
      if (!this.eat(op)) continue;
      const right = this.unary();
      if (op === '==') return equal(left, right);
      if (op === '!=') return !equal(left, right);
      const [a, b] = [Number(left), Number(right)];
      if (Number.isNaN(a) || Number.isNaN(b)) this.fail(`'${op}' on non-numbers`);
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
    return left;
  }

  private unary(): Value {
    if (this.eat('!')) return !this.unary();
    return this.postfix();
  }

  private postfix(): Value {
    let value = this.primary();
    for (;;) {
      const optional = this.eat('?.');
      if (optional || this.eat('.')) {
        const t = this.tokens[this.pos++];
        if (!t || t.kind !== 'id') this.fail('expected a member name');
        value = member(value, t.text, optional, this);
      } else if (this.eat('[')) {
        const key = this.ternary();
        this.expect(']');
        value = member(value, stringify(key), false, this);
      } else {
        return value;
      }
    }
  }

  private primary(): Value {
    const t = this.tokens[this.pos++];
    if (!t) this.fail('unexpected end');
    if (t.kind === 'str') return t.text;
    if (t.kind === 'num') return Number(t.text);
    if (t.kind === 'op') {
      if (t.text !== '(') this.fail(`unexpected '${t.text}'`);
      const inner = this.ternary();
      this.expect(')');
      return inner;
    }
    if (t.text === 'true') return true;
    if (t.text === 'false') return false;
    if (t.text === 'nil') return null;
    if (this.peek('(')) {
      const fn = FUNCTIONS[t.text];
      if (!fn) this.fail(`unsupported function ${t.text}()`);
      this.pos++;
      const args: Value[] = [];
      while (!this.eat(')')) {
        args.push(this.ternary());
        this.eat(',');
      }
      return fn(args);
    }
    if (this.bareWords) return t.text;
    if (!(t.text in this.scope)) this.fail(`unknown name '${t.text}'`);
    return this.scope[t.text];
  }

  failMember(name: string): never {
    this.fail(`no member '${name}'`);
  }
}

function member(value: Value, name: string, optional: boolean, parser: Parser): Value {
  if (value === null || value === undefined) {
    if (optional) return undefined;
    parser.failMember(name);
  }
  if (typeof value !== 'object' || Array.isArray(value)) parser.failMember(name);
  return value[name];
}

function equal(a: Value, b: Value): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return stringify(a) === stringify(b);
}
