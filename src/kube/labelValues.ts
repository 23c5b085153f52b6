// Kubernetes label syntax (metadata labels and selectors): what a valid value is, and how arbitrary text such as a
// flow or step name is turned into one without two different names colliding.
import { createHash } from 'node:crypto';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const LABEL_VALUE_MAX = 63;

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** Why a label value is invalid, or undefined; the rules are Kubernetes' own. */
export function labelValueProblem(value: string): string | undefined {
  if (isValidLabelValue(value)) return undefined;
  return `"${value}" is not a valid label value: at most ${LABEL_VALUE_MAX} characters of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit`;
}

/** Why a label key (`[prefix/]name`) is invalid, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (prefixOk && LABEL_NAME.test(name)) return undefined;
  return `"${key}" is not a valid label key: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit`;
}

/**
 * A valid label value for any text. Valid values pass unchanged; others get their invalid characters replaced and,
 * when changed or too long, a short hash of the original appended, so two names never share a value.
 */
export function sanitizeLabelValue(text: string): string {
  if (isValidLabelValue(text)) return text;
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 8);
  const cleaned = text.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  const head = cleaned.slice(0, LABEL_VALUE_MAX - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/**
 * Parses Metaflow's `k=v,k2=v2` settings (METAFLOW_KUBERNETES_LABELS, node_selector strings). With `requireValue`
 * a bare `k` is an error; otherwise it means an empty value. Throws on a duplicate key or a missing value.
 */
export function parseKeyValueList(text: string, requireValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0 && requireValue) throw new Error(`"${item}" has no value: write key=value`);
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (key === '') throw new Error(`"${item}" has no key: write key=value`);
    if (key in out) throw new Error(`the key "${key}" is given twice`);
    out[key] = eq < 0 ? '' : item.slice(eq + 1).trim();
  }
  return out;
}
