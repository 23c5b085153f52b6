// A triggered Workflow as the project's run event stream (src/runtime/events.ts), so an Argo run shows in
// the DAG panel, the Output channel and the explorer through the same fold as a local run. Argo's
// controller keeps the run's state in the Workflow's status.nodes; this reads it on an interval and emits
// what changed: run_started, task_started / task_finished per step pod, the pods' log lines, run_finished.
import { createHash } from 'node:crypto';
import type { FlowInfo } from '../../flow/types';
import type { RunEvent } from '../../runtime/events';
import { argoStepName } from '../names';
import type { Manifest } from './types';

interface NodeStatus {
  id: string;
  name: string;
  displayName?: string;
  type: string;
  templateName?: string;
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  inputs?: { parameters?: Array<{ name: string; value?: string }> };
  outputs?: { parameters?: Array<{ name: string; value?: string }>; exitCode?: string };
}

export interface ArgoRunWatchOptions {
  flow: FlowInfo;
  namespace: string;
  workflowName: string;
  /** Reads the Workflow (ArgoClient.get('Workflow', ...)); undefined once deleted. */
  read: () => Promise<Manifest | undefined>;
  /** Follows a pod's log (KubeClient.followLogs); without it no log lines are emitted. */
  followLogs?: (namespace: string, pod: string, container: string, onLine: (line: string) => void) => { stop(): void };
  /** The datastore root the pods write to, for run_started. */
  datastoreRoot: string;
  intervalMs?: number;
  now?: () => number;
}

const ARGO_CONTAINER = 'main';

/** Metaflow's deterministic Argo task id (reference §5.4), from the inputs Argo recorded for the node. */
export function argoTaskId(step: string, creationTimestamp: string, isStart: boolean, inputs: Record<string, string>): string {
  const hashed = isStart ? '' : (inputs['root-input-path'] ?? inputs['input-paths'] ?? '');
  const index = isStart ? '' : (inputs['split-index'] ?? '');
  const digest = createHash('md5').update(`${step}-${creationTimestamp}-${hashed}-${index}\n`, 'utf8').digest('hex');
  return `t-${digest.slice(-8)}`;
}

function params(list: Array<{ name: string; value?: string }> | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).filter((p) => p.value !== undefined).map((p) => [p.name, p.value!]));
}

const ms = (iso: string | undefined, fallback: number): number => (iso ? Date.parse(iso) : fallback);

export class ArgoRunWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private started = false;
  private readonly taskStarted = new Map<string, { taskId: string; attempt: number; step: string; ts: number }>();
  private readonly taskFinished = new Set<string>();
  private readonly logs = new Map<string, { stop(): void }>();
  private readonly stepsByTemplate: Map<string, string>;
  readonly runId: string;
  /** Resolves when the run finished (or the Workflow disappeared). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly options: ArgoRunWatchOptions,
    private readonly emit: (event: RunEvent) => void,
  ) {
    this.runId = `argo-${options.workflowName}`;
    this.stepsByTemplate = new Map(options.flow.steps.map((s) => [argoStepName(s.name), s.name]));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  start(): this {
    void this.poll();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const l of this.logs.values()) l.stop();
    this.logs.clear();
    this.resolveDone();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    let finished = false;
    try {
      const wf = await this.options.read();
      finished = wf === undefined ? true : this.apply(wf);
    } catch {
      // A failed read (a dropped connection) is retried at the next interval.
    }
    if (finished) return this.stop();
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.options.intervalMs ?? 1000);
  }

  /** Emits what is new in this snapshot; true when the run is over. */
  apply(wf: Manifest): boolean {
    const flow = this.options.flow.name;
    const meta = wf.metadata as { creationTimestamp?: string };
    const status = (wf.status ?? {}) as { phase?: string; startedAt?: string; finishedAt?: string; message?: string; nodes?: Record<string, NodeStatus> };
    const created = meta.creationTimestamp ?? '';
    const pathspec = `${flow}/${this.runId}`;
    const base = { flow, run_id: this.runId };
    if (!this.started) {
      this.started = true;
      const args = ((wf.spec as { arguments?: { parameters?: Array<{ name: string; value?: string }> } } | undefined)?.arguments?.parameters ?? []);
      const parameters: Record<string, unknown> = {};
      for (const p of args) {
        try {
          parameters[p.name] = p.value === undefined ? undefined : JSON.parse(p.value);
        } catch {
          parameters[p.name] = p.value;
        }
      }
      this.emit({ ...base, event: 'run_started', ts: ms(status.startedAt ?? created, this.now()), kind: 'run', pathspec, datastore_root: this.options.datastoreRoot, parameters, tags: [] });
    }
    const nodes = Object.values(status.nodes ?? {})
      .filter((n) => n.type === 'Pod' && n.templateName !== undefined && this.stepsByTemplate.has(n.templateName))
      .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
    for (const node of nodes) {
      const step = this.stepsByTemplate.get(node.templateName!)!;
      const phase = node.phase ?? 'Pending';
      if (phase === 'Pending' && !node.startedAt) continue;
      const inputs = params(node.inputs?.parameters);
      const outputs = params(node.outputs?.parameters);
      const attempt = Number(/\((\d+)\)$/.exec(node.name)?.[1] ?? 0);
      let started = this.taskStarted.get(node.id);
      if (!started) {
        const taskId = outputs['task-id'] ?? argoTaskId(step, created, step === this.options.flow.start, inputs);
        started = { taskId, attempt, step, ts: ms(node.startedAt, this.now()) };
        this.taskStarted.set(node.id, started);
        const foreachIndex = inputs['split-index'];
        this.emit({
          ...base,
          event: 'task_started',
          ts: started.ts,
          pathspec: `${pathspec}/${step}/${taskId}`,
          step,
          task_id: taskId,
          attempt,
          ...(foreachIndex !== undefined && /^\d+$/.test(foreachIndex) ? { foreach_indices: [Number(foreachIndex)] } : {}),
        });
        this.followLog(node, started);
      }
      const terminal = phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
      if (terminal && !this.taskFinished.has(node.id)) {
        this.taskFinished.add(node.id);
        this.logs.get(node.id)?.stop();
        this.logs.delete(node.id);
        const end = ms(node.finishedAt, this.now());
        const exit = node.outputs?.exitCode;
        const splits = outputs['num-splits'];
        this.emit({
          ...base,
          event: 'task_finished',
          ts: end,
          pathspec: `${pathspec}/${step}/${started.taskId}`,
          step,
          task_id: started.taskId,
          attempt: started.attempt,
          status: phase === 'Succeeded' ? 'succeeded' : 'failed',
          duration_ms: Math.max(0, end - started.ts),
          // Argo retries a failed pod as a sibling node, which this watch reports as the next attempt.
          will_retry: false,
          ...(exit !== undefined && /^-?\d+$/.test(exit) ? { exit_code: Number(exit) } : {}),
          ...(phase !== 'Succeeded' && node.message ? { error: node.message } : {}),
          ...(splits !== undefined && /^\d+$/.test(splits) ? { num_splits: Number(splits) } : {}),
        });
      }
    }
    const runPhase = status.phase ?? '';
    if (runPhase === 'Succeeded' || runPhase === 'Failed' || runPhase === 'Error') {
      const end = ms(status.finishedAt, this.now());
      this.emit({
        ...base,
        event: 'run_finished',
        ts: end,
        pathspec,
        status: runPhase === 'Succeeded' ? 'succeeded' : 'failed',
        duration_ms: Math.max(0, end - ms(status.startedAt ?? created, end)),
        ...(runPhase !== 'Succeeded' && status.message ? { error: status.message } : {}),
      });
      return true;
    }
    return false;
  }

  /** Argo names a step's pod `<workflow>-<template>-<the node id's suffix>`. */
  private followLog(node: NodeStatus, task: { taskId: string; attempt: number; step: string }): void {
    const follow = this.options.followLogs;
    if (!follow) return;
    const wf = this.options.workflowName;
    const suffix = node.id.startsWith(`${wf}-`) ? node.id.slice(wf.length + 1) : node.id;
    const pod = `${wf}-${node.templateName}-${suffix}`;
    const flow = this.options.flow.name;
    this.logs.set(
      node.id,
      follow(this.options.namespace, pod, ARGO_CONTAINER, (line) =>
        this.emit({
          event: 'log',
          ts: this.now(),
          flow,
          run_id: this.runId,
          pathspec: `${flow}/${this.runId}/${task.step}/${task.taskId}`,
          step: task.step,
          task_id: task.taskId,
          attempt: task.attempt,
          stream: 'stdout',
          line,
          source: 'task',
        }),
      ),
    );
  }
}
