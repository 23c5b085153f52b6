// Typed reading of decorator attribute values (as src/flow gives them, or as `--with kubernetes:k=v` gives them)
// into what the Kubernetes attributes need, each failure a sentence naming where the value came from.

/** Where a value was written, for messages: `@kubernetes(cpu=...)`, `--with kubernetes:cpu=...` or a setting name. */
export interface ValueSource {
  /** `cpu`, or the setting `METAFLOW_KUBERNETES_CPU`. */
  attribute: string;
  /** How the user wrote it, e.g. `@kubernetes(cpu=...)`. */
  written: string;
}

export class AttributeError extends Error {
  constructor(
    readonly source: ValueSource,
    message: string,
  ) {
    super(`${source.written}: ${message}`);
  }
}

function shown(value: unknown): string {
  if (typeof value === 'object' && value !== null && '$expr' in value) return String((value as { $expr: unknown }).$expr);
  return JSON.stringify(value);
}

function literalOnly(src: ValueSource, value: unknown): void {
  if (typeof value === 'object' && value !== null && '$expr' in value) {
    throw new AttributeError(src, `${shown(value)} is not a literal; write the value itself (the flow file is never executed to understand it)`);
  }
}

/** Non-scalar values given as text (settings, `--with` specs) are JSON, as Metaflow reads them. */
function fromJsonText(src: ValueSource, value: unknown, opener: '[' | '{'): unknown {
  if (typeof value !== 'string' || !value.trim().startsWith(opener)) return value;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new AttributeError(src, `is not valid JSON (${(err as Error).message})`);
  }
}

export function readString(src: ValueSource, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  literalOnly(src, value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new AttributeError(src, `${shown(value)} must be a string`);
}

export function readNumber(src: ValueSource, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  literalOnly(src, value);
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(n)) throw new AttributeError(src, `${shown(value)} must be a number`);
  return n;
}

export function readBoolean(src: ValueSource, value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  literalOnly(src, value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new AttributeError(src, `${shown(value)} must be True or False`);
}

/** A list of names; a string is read as a comma-separated list. */
export function readStringList(src: ValueSource, value: unknown): string[] | undefined {
  value = fromJsonText(src, value, '[');
  if (value === undefined || value === null || value === '') return undefined;
  literalOnly(src, value);
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.filter((v) => v !== '');
  throw new AttributeError(src, `${shown(value)} must be a list of strings, e.g. ["name"]`);
}

export function readStringMap(src: ValueSource, value: unknown): Record<string, string> | undefined {
  value = fromJsonText(src, value, '{');
  if (value === undefined || value === null) return undefined;
  literalOnly(src, value);
  if (typeof value !== 'object' || Array.isArray(value)) throw new AttributeError(src, `${shown(value)} must be a dict of strings, e.g. {"key": "value"}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v === null) out[k] = '';
    else throw new AttributeError(src, `the value of "${k}" (${shown(v)}) must be a string`);
  }
  return out;
}

export function readDictList(src: ValueSource, value: unknown): Array<Record<string, unknown>> | undefined {
  value = fromJsonText(src, value, '[');
  if (value === undefined || value === null) return undefined;
  literalOnly(src, value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !('$expr' in v))) {
    return value as Array<Record<string, unknown>>;
  }
  throw new AttributeError(src, `${shown(value)} must be a list of dicts, e.g. [{"key": "k", "operator": "Exists"}]`);
}

export function readDict(src: ValueSource, value: unknown): Record<string, unknown> | undefined {
  value = fromJsonText(src, value, '{');
  if (value === undefined || value === null) return undefined;
  literalOnly(src, value);
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new AttributeError(src, `${shown(value)} must be a dict`);
}

/** Numbers as Kubernetes quantities and Metaflow's string attributes: `4096`, `0.5`, never `4096.0`. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)));
}
