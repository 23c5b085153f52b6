// Two runs of a flow side by side: parameters, the artifacts whose values changed in each step (by
// content hash, so nothing is unpickled), and per-step durations. Rendered as Markdown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatastoreClient } from './datastoreClient';
import { formatMs } from './formatting';
import type { RunSummary } from './types';

export interface ArtifactChange {
  step: string;
  name: string;
  change: 'changed' | 'added' | 'removed';
}

export interface StepDurations {
  step: string;
  a?: number;
  b?: number;
  tasksA: number;
  tasksB: number;
}

export interface RunComparison {
  flow: string;
  a: RunSummary;
  b: RunSummary;
  /** Parameter name -> sha in each run (undefined when a run lacks it). */
  parameters: Array<{ name: string; a?: string; b?: string }>;
  artifacts: ArtifactChange[];
  durations: StepDurations[];
}

/** Non-private artifacts of a run's `_parameters` task: its parameters and constants, by sha. */
export function parameterShas(client: DatastoreClient, flow: string, runId: string): Record<string, string> {
  const dir = path.join(client.root, flow, runId, '_parameters');
  let task: string | undefined;
  try {
    task = fs.readdirSync(dir).find((n) => n !== '_meta' && !n.startsWith('.'));
  } catch {
    return {};
  }
  if (!task) return {};
  const arts = client.artifacts(flow, runId, '_parameters', task);
  return Object.fromEntries(arts.artifacts.filter((x) => x.name !== 'name').map((x) => [x.name, x.sha]));
}

function stepShas(client: DatastoreClient, flow: string, runId: string, step: string, taskIds: string[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const id of taskIds) {
    for (const art of client.artifacts(flow, runId, step, id).artifacts) {
      const list = byName.get(art.name) ?? [];
      list.push(art.sha);
      byName.set(art.name, list);
    }
  }
  // A foreach step's tasks may finish in another order in the other run: compare the multiset of values.
  return new Map([...byName].map(([name, shas]) => [name, shas.sort().join(',')]));
}

export function compareRuns(client: DatastoreClient, flow: string, runA: string, runB: string): RunComparison {
  const a = client.run(flow, runA);
  const b = client.run(flow, runB);
  const scanA = client.scan(flow, runA);
  const scanB = client.scan(flow, runB);
  const pa = parameterShas(client, flow, runA);
  const pb = parameterShas(client, flow, runB);
  const parameters = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort().map((name) => ({ name, a: pa[name], b: pb[name] }));
  const steps = [...new Set([...scanA.steps.keys(), ...scanB.steps.keys()])];
  const artifacts: ArtifactChange[] = [];
  const durations: StepDurations[] = [];
  for (const step of steps) {
    const ta = scanA.steps.get(step) ?? [];
    const tb = scanB.steps.get(step) ?? [];
    const span = (tasks: typeof ta) => {
      const starts = tasks.map((t) => t.startedAt).filter((v): v is number => v !== undefined);
      const ends = tasks.map((t) => t.finishedAt).filter((v): v is number => v !== undefined);
      return starts.length && ends.length ? Math.max(...ends) - Math.min(...starts) : undefined;
    };
    durations.push({ step, a: span(ta), b: span(tb), tasksA: ta.length, tasksB: tb.length });
    const sa = stepShas(client, flow, runA, step, ta.map((t) => t.taskId));
    const sb = stepShas(client, flow, runB, step, tb.map((t) => t.taskId));
    for (const name of [...new Set([...sa.keys(), ...sb.keys()])].sort()) {
      const x = sa.get(name);
      const y = sb.get(name);
      if (x === y) continue;
      artifacts.push({ step, name, change: x === undefined ? 'added' : y === undefined ? 'removed' : 'changed' });
    }
  }
  return { flow, a, b, parameters, artifacts, durations };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `values` maps `a:<name>` / `b:<name>` to a readable value when the caller could decode them. */
export function renderComparison(c: RunComparison, values: Record<string, string> = {}, valuesNote?: string): string {
  const lines: string[] = [];
  const head = (r: RunSummary) => `${r.runId} (${r.status}${r.durationMs !== undefined ? `, ${formatMs(r.durationMs)}` : ''})`;
  lines.push(`# ${c.flow}: ${c.a.runId} vs ${c.b.runId}`, '', `| | A | B |`, `|---|---|---|`);
  lines.push(`| run | ${head(c.a)} | ${head(c.b)} |`);
  lines.push(`| started | ${new Date(c.a.startedAt).toISOString()} | ${new Date(c.b.startedAt).toISOString()} |`);
  lines.push(`| tags | ${cell(c.a.tags.join(', ') || '—')} | ${cell(c.b.tags.join(', ') || '—')} |`, '');
  lines.push('## Parameters', '');
  if (valuesNote) lines.push(`_${valuesNote}_`, '');
  if (c.parameters.length === 0) lines.push('No parameters.');
  else {
    lines.push('| parameter | A | B | |', '|---|---|---|---|');
    for (const p of c.parameters) {
      const show = (side: 'a' | 'b', sha?: string) => (sha === undefined ? '—' : cell(values[`${side}:${p.name}`] ?? `sha ${sha.slice(0, 10)}`));
      lines.push(`| ${p.name} | ${show('a', p.a)} | ${show('b', p.b)} | ${p.a === p.b ? 'same' : '**differs**'} |`);
    }
  }
  lines.push('', '## Artifacts whose values changed', '');
  if (c.artifacts.length === 0) lines.push('Every artifact has the same value in both runs.');
  else {
    lines.push('| step | artifact | change |', '|---|---|---|');
    for (const x of c.artifacts) lines.push(`| ${x.step} | ${x.name} | ${x.change === 'added' ? 'only in B' : x.change === 'removed' ? 'only in A' : 'changed'} |`);
  }
  lines.push('', '## Step durations', '', '| step | A | B | tasks A | tasks B |', '|---|---|---|---|---|');
  for (const d of c.durations) lines.push(`| ${d.step} | ${d.a === undefined ? '—' : formatMs(d.a)} | ${d.b === undefined ? '—' : formatMs(d.b)} | ${d.tasksA} | ${d.tasksB} |`);
  return `${lines.join('\n')}\n`;
}
