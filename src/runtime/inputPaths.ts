// Metaflow's `--input-paths` encoding (`metaflow/util.py compress_list`): a comma list, a
// `prefix:suffix,suffix` list, or `!` + base64(zlib(zlib(text))) once the text reaches 500 chars.
import * as zlib from 'node:zlib';

const SEPARATOR = ',';
const RANGE = ':';
const ZLIB_MARKER = '!';
const ZLIB_MIN = 500;

function longestCommonPrefix(items: string[]): string {
  if (items.length === 0) return '';
  let min = items[0];
  let max = items[0];
  for (const s of items) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  let i = 0;
  while (i < min.length && i < max.length && min[i] === max[i]) i++;
  return min.slice(0, i);
}

export function compressList(items: string[]): string {
  const bad = items.find((x) => x.includes(SEPARATOR) || x.includes(RANGE) || x.includes(ZLIB_MARKER));
  if (bad !== undefined) throw new Error(`item '${bad}' includes a delimiter character so it can't be compressed`);
  const lcp = longestCommonPrefix(items);
  const text = items.length < 2 || !lcp ? items.join(SEPARATOR) : `${lcp}${RANGE}${items.map((e) => e.slice(lcp.length)).join(SEPARATOR)}`;
  if (text.length < ZLIB_MIN) return text;
  return ZLIB_MARKER + zlib.deflateSync(zlib.deflateSync(Buffer.from(text, 'utf8'))).toString('base64');
}

export function decompressList(text: string): string[] {
  const decoded = text.startsWith(ZLIB_MARKER) ? zlib.inflateSync(zlib.inflateSync(Buffer.from(text.slice(1), 'base64'))).toString('utf8') : text;
  if (decoded.includes(RANGE)) {
    const [prefix, suffixes] = decoded.split(RANGE);
    return suffixes.split(SEPARATOR).map((s) => prefix + s);
  }
  return decoded.split(SEPARATOR);
}
