// What a redeploy changes: the fields of the deployed object and the new manifest that differ, by path.
// The deployment timestamp (an annotation wherever it is copied) changes on every deploy and says nothing
// about the flow: it is not a change.
import { withoutServerFields } from './argoClient';
import type { Json, Manifest } from './types';

const IGNORED_KEY = 'metaflow/deployment_timestamp';

export interface FieldChange {
  /** `spec.templates[3].container.image` */
  path: string;
  kind: 'added' | 'removed' | 'changed';
}

function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

function walk(a: Json | undefined, b: Json | undefined, at: string, out: FieldChange[]): void {
  if (at.endsWith(`.${IGNORED_KEY}`)) return;
  if (a === undefined && b === undefined) return;
  if (a === undefined) return void out.push({ path: at, kind: 'added' });
  if (b === undefined) return void out.push({ path: at, kind: 'removed' });
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (!objA || !objB || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: at, kind: 'changed' });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], join(at, i), out);
    return;
  }
  const ma = a as Record<string, Json>;
  const mb = b as Record<string, Json>;
  for (const key of new Set([...Object.keys(ma), ...Object.keys(mb)])) walk(ma[key], mb[key], join(at, key), out);
}

/** Changes from `deployed` (as read from the cluster) to `next` (as compiled); empty when the same. */
export function manifestChanges(deployed: Manifest, next: Manifest): FieldChange[] {
  const out: FieldChange[] = [];
  walk(withoutServerFields(deployed), withoutServerFields(next), '', out);
  return out;
}
