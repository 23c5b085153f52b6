// Reads a local Metaflow datastore (`.metaflow`) lazily: flows -> runs -> steps -> tasks -> artifacts.
// Only files are read, only those a node needs, and listings are paged, so a step of 10,000 tasks
// returns its first page at once. A missing or corrupt file becomes the `error` of the node it belongs
// to, naming the path; the rest of the tree still reads.
import * as path from 'node:path';
import { LOCAL_VIEW, type FileView } from './fileView';
import { scanRunTasks, listStepNames } from './runScanner';
import { readSelf, registeredAt, stringList } from './selfFiles';
import { listTaskIds, readTask, safeMtime } from './taskReader';
import { TaskMetadata } from './taskMetadata';
import type { ArtifactSummary, FlowSummary, Page, RunSummary, StepSummary, TaskArtifacts, TaskSummary } from './types';

/** A run with no task in progress, no end, and nothing new for this long has stopped. */
const IDLE_MS = 30_000;
const NOT_FLOWS = new Set(['mf.cards']);

export interface ClientOptions {
  /** Runs known to be going on (the editor's own runs); their status is `running` whatever the files say. */
  isActive?: (pathspec: string) => boolean;
  now?: () => number;
  /** How files are read: the local file system unless a remote datastore's snapshot is given. */
  view?: FileView;
}

function pageOf<T>(all: T[], cursor: string | undefined, size: number): { slice: T[]; cursor?: string } {
  const start = cursor ? Number(cursor) : 0;
  if (!Number.isInteger(start) || start < 0) throw new Error(`invalid page cursor '${cursor}'`);
  const end = Math.min(all.length, start + size);
  return { slice: all.slice(start, end), cursor: end < all.length ? String(end) : undefined };
}

function firstDir(dir: string, view: FileView): string | undefined {
  try {
    return view.list(dir).find((e) => e.isDirectory && e.name !== '_meta' && !e.name.startsWith('.'))?.name;
  } catch {
    return undefined;
  }
}

export class DatastoreClient {
  /** Finished runs never change; their summaries are kept until `invalidate`. */
  private readonly finished = new Map<string, RunSummary>();
  private readonly view: FileView;

  constructor(
    readonly root: string,
    private readonly options: ClientOptions = {},
  ) {
    this.view = options.view ?? LOCAL_VIEW;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  invalidate(flow?: string, runId?: string): void {
    if (!flow) this.finished.clear();
    else this.finished.delete(`${flow}/${runId ?? ''}`);
    if (flow && !runId) for (const key of [...this.finished.keys()]) if (key.startsWith(`${flow}/`)) this.finished.delete(key);
  }

  listFlows(): FlowSummary[] {
    let entries;
    try {
      entries = this.view.list(this.root);
    } catch (err) {
      throw new Error(`cannot read the datastore ${this.root}: ${(err as Error).message}`);
    }
    return entries
      .filter((e) => e.isDirectory && !e.name.startsWith('.') && !NOT_FLOWS.has(e.name))
      .map((e) => {
        const flow: FlowSummary = { name: e.name };
        try {
          const latest = this.view.read(path.join(this.root, e.name, 'latest_run')).toString('utf8').trim();
          if (latest) flow.latestRun = latest;
        } catch {
          // no `latest_run` yet: a flow only ever resumed or spun
        }
        return flow;
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Run ids newest first, by their `_self.json` time (the order Metaflow's Client iterates in). */
  runIds(flow: string): string[] {
    const flowDir = path.join(this.root, flow);
    const ids = this.view
      .list(flowDir)
      .filter((e) => e.isDirectory && e.name !== '_meta' && e.name !== 'data' && !e.name.startsWith('.'))
      .map((e) => e.name);
    const started = new Map(ids.map((id) => [id, registeredAt(path.join(flowDir, id), this.view)]));
    return ids.sort((a, b) => started.get(b)! - started.get(a)! || b.localeCompare(a));
  }

  listRuns(flow: string, cursor?: string, pageSize = 50): Page<RunSummary> {
    const ids = this.runIds(flow);
    const page = pageOf(ids, cursor, pageSize);
    return { items: page.slice.map((id) => this.run(flow, id)), cursor: page.cursor, total: ids.length };
  }

  run(flow: string, runId: string): RunSummary {
    const key = `${flow}/${runId}`;
    const cached = this.finished.get(key);
    if (cached) return cached;
    const summary = this.readRun(flow, runId);
    if (summary.status !== 'running' && !summary.error) this.finished.set(key, summary);
    return summary;
  }

  private readRun(flow: string, runId: string): RunSummary {
    const runDir = path.join(this.root, flow, runId);
    const pathspec = `${flow}/${runId}`;
    const summary: RunSummary = { flow, runId, pathspec, status: 'running', startedAt: safeMtime(runDir, this.view), tags: [], systemTags: [], endStep: 'end' };
    try {
      const self = readSelf(runDir, this.view);
      if (typeof self.ts_epoch === 'number') summary.startedAt = self.ts_epoch;
      summary.user = self.user_name;
      summary.tags = stringList(self.tags);
      summary.systemTags = stringList(self.system_tags);
    } catch (err) {
      summary.error = (err as Error).message;
    }
    const params = path.join(runDir, '_parameters');
    const paramsTask = firstDir(params, this.view);
    let startStep = 'start';
    if (paramsTask) {
      const meta = TaskMetadata.read(path.join(params, paramsTask), this.view);
      summary.endStep = meta.string('end_step') ?? 'end';
      startStep = meta.string('start_step') ?? 'start';
    }
    const startTask = firstDir(path.join(runDir, startStep), this.view);
    if (startTask) {
      const origin = TaskMetadata.read(path.join(runDir, startStep, startTask), this.view).string('origin-run-id');
      if (origin && origin !== 'None') summary.originRunId = origin;
    }
    this.settleStatus(summary);
    return summary;
  }

  private settleStatus(summary: RunSummary): void {
    const { flow, runId } = summary;
    const endDir = path.join(this.root, flow, runId, summary.endStep);
    const endTasks = this.view.exists(endDir) ? listTaskIds(endDir, this.view).map((id) => readTask(this.root, flow, runId, summary.endStep, id, 'status', this.view)) : [];
    const endDone = endTasks.find((t) => t.status === 'succeeded');
    if (endDone) {
      summary.status = 'succeeded';
      summary.finishedAt = endDone.finishedAt;
    } else {
      let scan;
      try {
        scan = scanRunTasks(this.root, flow, runId, 'status', this.view);
      } catch (err) {
        summary.error = summary.error ?? `cannot read ${path.join(this.root, flow, runId)}: ${(err as Error).message}`;
        summary.status = 'incomplete';
        return;
      }
      const tasks = [...scan.steps.values()].flat();
      const finishedAt = tasks.reduce((m, t) => Math.max(m, t.finishedAt ?? 0), 0);
      if (this.options.isActive?.(summary.pathspec) || tasks.some((t) => t.status === 'running')) summary.status = 'running';
      else if (tasks.some((t) => t.status === 'failed')) summary.status = 'failed';
      else if (this.now() - Math.max(scan.lastActivity, finishedAt, summary.startedAt) < IDLE_MS) summary.status = 'running';
      else summary.status = 'incomplete';
      if (summary.status !== 'running' && finishedAt > 0) summary.finishedAt = finishedAt;
    }
    if (summary.finishedAt !== undefined) summary.durationMs = Math.max(0, summary.finishedAt - summary.startedAt);
    else if (summary.status === 'running') summary.durationMs = Math.max(0, this.now() - summary.startedAt);
  }

  listSteps(flow: string, runId: string): StepSummary[] {
    const runDir = path.join(this.root, flow, runId);
    return listStepNames(runDir, this.view).map((name) => {
      const step: StepSummary = { flow, runId, name, pathspec: `${flow}/${runId}/${name}` };
      try {
        step.taskCount = listTaskIds(path.join(runDir, name), this.view).length;
        const ts = readSelf(path.join(runDir, name), this.view).ts_epoch;
        if (typeof ts === 'number') step.startedAt = ts;
      } catch (err) {
        step.error = (err as Error).message;
      }
      return step;
    });
  }

  /** One page of a step's tasks; only the tasks of the page are read. */
  listTasks(flow: string, runId: string, step: string, cursor?: string, pageSize = 200): Page<TaskSummary> {
    const stepDir = path.join(this.root, flow, runId, step);
    const ids = listTaskIds(stepDir, this.view);
    const page = pageOf(ids, cursor, pageSize);
    return {
      items: page.slice.map((id) => {
        const { attempts: _attempts, ...task } = readTask(this.root, flow, runId, step, id, 'summary', this.view);
        return task;
      }),
      cursor: page.cursor,
      total: ids.length,
    };
  }

  task(flow: string, runId: string, step: string, taskId: string): TaskSummary {
    const { attempts: _attempts, ...task } = readTask(this.root, flow, runId, step, taskId, 'summary', this.view);
    return task;
  }

  /**
   * Artifacts of the newest attempt, if it finished (Metaflow shows none while a newer attempt runs):
   * name, sha, type and size from `data.json`, else from the `_meta` artifact files (sha only).
   */
  artifacts(flow: string, runId: string, step: string, taskId: string, includePrivate = false): TaskArtifacts {
    const taskPathspec = `${flow}/${runId}/${step}/${taskId}`;
    const taskDir = path.join(this.root, flow, runId, step, taskId);
    const task = readTask(this.root, flow, runId, step, taskId, 'summary', this.view);
    if (task.error) return { task: taskPathspec, artifacts: [], error: task.error };
    const attempt = task.attempt!;
    if (!task.done) return { task: taskPathspec, attempt, artifacts: [], error: `attempt ${attempt} has not finished (no ${attempt}.DONE.lock in ${taskDir}), so it has no artifacts yet` };
    const keep = (name: string) => includePrivate || !name.startsWith('_');
    const make = (name: string, sha: string, info?: { type?: unknown; size?: unknown; encoding?: unknown }): ArtifactSummary => ({
      pathspec: `${taskPathspec}/${name}`,
      taskPathspec,
      name,
      sha,
      type: typeof info?.type === 'string' ? info.type : undefined,
      size: typeof info?.size === 'number' ? info.size : undefined,
      encoding: typeof info?.encoding === 'string' ? info.encoding : undefined,
      attempt,
    });
    const dataFile = path.join(taskDir, `${attempt}.data.json`);
    let dataError: string | undefined;
    try {
      const data = JSON.parse(this.view.read(dataFile).toString('utf8')) as { objects?: Record<string, string>; info?: Record<string, { type?: unknown; size?: unknown; encoding?: unknown }> };
      if (!data.objects || typeof data.objects !== 'object') throw new Error('it has no "objects" map');
      const artifacts = Object.entries(data.objects)
        .filter(([name]) => keep(name))
        .map(([name, sha]) => make(name, String(sha), data.info?.[name]))
        .sort((a, b) => a.name.localeCompare(b.name));
      return { task: taskPathspec, attempt, artifacts };
    } catch (err) {
      dataError = `cannot read ${dataFile}: ${(err as Error).message}`;
    }
    // Metaflow's Client reads the per-artifact metadata files instead; they carry the sha but not the type.
    const meta = TaskMetadata.read(taskDir, this.view);
    const prefix = `${attempt}_artifact_`;
    const artifacts: ArtifactSummary[] = [];
    for (const file of meta.artifactFiles.filter((f) => f.startsWith(prefix))) {
      const name = file.slice(prefix.length, -'.json'.length);
      if (!keep(name)) continue;
      try {
        const body = JSON.parse(this.view.read(path.join(meta.dir, file)).toString('utf8')) as { sha?: unknown; content_type?: unknown };
        if (typeof body.sha === 'string') artifacts.push(make(name, body.sha, { encoding: body.content_type }));
      } catch {
        // skipped; the data.json error below already names the task
      }
    }
    artifacts.sort((a, b) => a.name.localeCompare(b.name));
    return { task: taskPathspec, attempt, artifacts, error: artifacts.length ? undefined : dataError };
  }

  /** Every task of a run with its attempts; for past-run drawing and comparison, not for tree paging. */
  scan(flow: string, runId: string) {
    return scanRunTasks(this.root, flow, runId, 'attempts', this.view);
  }
}
