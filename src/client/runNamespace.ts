// Which namespace a run belongs to, read from its system tags as Metaflow's Client reads them: a
// deployment's runs carry `production:<token>` (the pods' METAFLOW_PRODUCTION_TOKEN), everything else
// `user:<name>`; `runtime:<name>` says which scheduler ran it (`dev` on the laptop).
import { formatMs, localTime } from './formatting';
import type { RunSummary } from './types';

const tagValue = (tags: readonly string[], prefix: string) => tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);

export interface RunNamespace {
  /** `production:<token>` or `user:<name>`, what `namespace(...)` takes to find the run. */
  namespace: string;
  production: boolean;
  /** `argo-workflows`, `dev`, ... when recorded. */
  runtime?: string;
}

export function runNamespace(systemTags: readonly string[]): RunNamespace | undefined {
  const runtime = tagValue(systemTags, 'runtime:');
  const token = tagValue(systemTags, 'production:');
  if (token) return { namespace: `production:${token}`, production: true, runtime };
  const user = tagValue(systemTags, 'user:');
  return user ? { namespace: `user:${user}`, production: false, runtime } : undefined;
}

/** The run's line in the explorer; a deployment's run names its namespace so it stands out from the user's own. */
export function runDescription(run: RunSummary): string {
  const parts: string[] = [run.status, localTime(run.startedAt)];
  if (run.durationMs !== undefined) parts.push(formatMs(run.durationMs));
  const ns = runNamespace(run.systemTags);
  if (ns?.production) parts.push(ns.runtime && ns.runtime !== 'dev' ? `${ns.namespace} (${ns.runtime})` : ns.namespace);
  if (run.tags.length) parts.push(run.tags.map((t) => `#${t}`).join(' '));
  if (run.originRunId) parts.push(`resumed from ${run.originRunId}`);
  return parts.join(' · ');
}

/** The tooltip's namespace sentence: how to find the run with the Client. */
export function runNamespaceNote(run: RunSummary): string | undefined {
  const ns = runNamespace(run.systemTags);
  if (!ns) return undefined;
  if (!ns.production) return `Namespace ${ns.namespace}`;
  const by = ns.runtime && ns.runtime !== 'dev' ? ` (run by ${ns.runtime})` : '';
  return `Namespace ${ns.namespace}: a deployment's run${by}; the Client finds it with namespace("${ns.namespace}")`;
}
