// The Artifact Explorer's reads on a run of 10,000 tasks: a synthetic Metaflow-format run (written as
// Metaflow's local datastore and metadata provider lay it out) of one foreach step, timed for listing
// the flow's runs, expanding the wide step (its first page of 200 tasks), reading one task's artifacts,
// and the full-run scan an unfinished run's status needs. Prints JSON lines; nothing is asserted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatastoreClient } from '../src/client/datastoreClient';
import { art, MetaflowLayoutWriter } from '../test/unit/client/metaflowLayoutFixture';

const TASKS = 10_000;
const REPEATS = 5;
const FLOW = 'WideFlow';

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Each repeat uses a new client, so no summary cache helps (the OS page cache does, as in use). */
function time(fn: (client: DatastoreClient) => void, root: string): number {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const client = new DatastoreClient(root, { now: () => Date.now() + 3_600_000 });
    const t = performance.now();
    fn(client);
    samples.push(performance.now() - t);
  }
  return median(samples);
}

function main(): void {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-explorer-bench-'));
  const root = path.join(base, '.metaflow');
  try {
    const w = new MetaflowLayoutWriter(root, FLOW);
    const t0 = Date.now() / 1000 - 7200;
    const written = performance.now();
    for (const [runId, finished] of [['1000000000000001', true], ['1000000000000002', false]] as const) {
      w.run(runId, t0 * 1000);
      w.parameters(runId, t0 * 1000, { width: art.int(TASKS) });
      w.task(runId, 'start', '1', { attempts: [{ ok: true, start: t0, end: t0 + 1 }], artifacts: { width: art.int(TASKS) } });
      for (let i = 0; i < TASKS; i++) {
        w.task(runId, 'body', String(i + 2), {
          attempts: [{ ok: true, start: t0 + 2, end: t0 + 3 }],
          artifacts: { square: art.int(i * i), label: art.str(`item ${i}`) },
          foreach: { step: 'body', var: 'items', index: i, value: String(i) },
        });
      }
      if (finished) {
        w.task(runId, 'join', String(TASKS + 2), { attempts: [{ ok: true, start: t0 + 4, end: t0 + 5 }] });
        w.task(runId, 'end', String(TASKS + 3), { attempts: [{ ok: true, start: t0 + 6, end: t0 + 7 }] });
      }
    }
    emit('explorer.write_synthetic_runs', (performance.now() - written) / 1000, 's', { runs: 2, tasks_per_run: TASKS });
    const done = '1000000000000001';
    const stopped = '1000000000000002';
    emit('explorer.list_runs', time((c) => c.listRuns(FLOW), root), 'ms', { runs: 2, note: 'one finished run (end task read), one that stopped in its 10,000-task step (full scan)' });
    emit('explorer.run_status_finished', time((c) => c.run(FLOW, done), root), 'ms', { tasks: TASKS + 3 });
    emit('explorer.run_status_full_scan', time((c) => c.run(FLOW, stopped), root), 'ms', { tasks: TASKS + 1 });
    emit('explorer.expand_wide_step_first_page', time((c) => c.listTasks(FLOW, done, 'body'), root), 'ms', { tasks: TASKS, page: 200 });
    emit('explorer.expand_wide_step_last_page', time((c) => c.listTasks(FLOW, done, 'body', String(TASKS - 200)), root), 'ms', { tasks: TASKS, page: 200 });
    emit('explorer.task_artifacts', time((c) => c.artifacts(FLOW, done, 'body', '5000'), root), 'ms', { artifacts: 3 });
    emit('explorer.list_steps', time((c) => c.listSteps(FLOW, done), root), 'ms', { steps: 4 });
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main();
