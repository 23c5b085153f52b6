// JSON-shaped values written as Python source. JSON's string escapes (\" \\ \n \uXXXX) are all valid in a
// Python string literal, so only the three keywords and the container syntax differ.

export type PythonValue = string | number | boolean | null | PythonValue[] | { [key: string]: PythonValue };

export function pythonLiteral(value: PythonValue, indent = 0): string {
  const pad = ' '.repeat(indent + 4);
  const close = ' '.repeat(indent);
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Python literal`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${pad}${pythonLiteral(v, indent + 4)},`).join('\n')}\n${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)},`).join('\n')}\n${close}}`;
}
