// The one message protocol between the DAG panel host (src/vscode/dagPanel.ts) and its webview (webview/).
// It lives under src/ so that both sides import it and nothing in src/ reaches into webview/.
// Full snapshots, never deltas: the webview can be reloaded at any time and redraws from the last one.
import type { PositionedGraph, StepRunState } from '../layout/types';
import type { TimelineModel } from '../runs/timeline';
import type { RunStatus } from '../runs/types';

/** `live`: the panel follows the flow's runs as they go. `past`: a run picked elsewhere (the Artifact Explorer) is shown. */
export type RunMode = 'live' | 'past';

/** The run a drawing shows: the header names it, and says whether it is the live one. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  mode?: RunMode;
}

/**
 * What the panel can do with a step. `showTasks` lists the step's tasks in the shown run, to open their logs;
 * `showPod` shows the pod (and its Events) of a task of the step that ran on Kubernetes.
 */
export type StepAction = 'runStep' | 'resumeFromStep' | 'showTasks' | 'showPod';
export const STEP_ACTIONS: readonly StepAction[] = ['runStep', 'resumeFromStep', 'showTasks', 'showPod'];

/** Where "Run flow" runs the flow: on this machine (absent) or every step on Kubernetes. */
export type RunTarget = 'kubernetes';

export interface DagSnapshot {
  /** Absolute path of the flow file (shown in the header; used in messages back). */
  file: string;
  /** Flows defined in that file, for the flow picker; `graph.flow` is the one drawn. */
  flows: string[];
  graph: PositionedGraph;
  /** Lint errors of the flow that are not about one step (shown in a banner). */
  flowErrors: string[];
  /** Present while or after a run is shown: its id and overall status. */
  run?: RunSummary;
  /** What starts the flow once deployed (schedule, events, upstream flows), one line each; absent when nothing but a manual trigger. */
  triggers?: string[];
}

/** The run shown, as a full snapshot: every step's state and the timeline of its task attempts. */
export interface RunStateMessage extends RunSummary {
  type: 'runState';
  steps: Record<string, StepRunState>;
  timeline?: TimelineModel;
  /** Steps with a task attempt that ran on Kubernetes: they have a pod to show. */
  podSteps?: string[];
}

export type HostToWebview =
  | { type: 'snapshot'; snapshot: DagSnapshot }
  | RunStateMessage
  | { type: 'empty'; message: string }
  | { type: 'command'; command: 'fit' | 'zoomIn' | 'zoomOut' | 'resetZoom' | 'exportSvg' };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'revealStep'; file: string; flow: string; step: string }
  | { type: 'selectFlow'; file: string; flow: string }
  | { type: 'exportSvg'; flow: string; svg: string }
  | { type: 'stepAction'; action: StepAction; file: string; flow: string; step: string }
  | { type: 'runFlow'; file: string; flow: string; target?: RunTarget }
  /** A task of the shown run, by pathspec (`Flow/run/step/task`). */
  | { type: 'showTaskLogs'; pathspec: string }
  /** Leave the past run shown and follow the flow's live runs again. */
  | { type: 'showLive' }
  | { type: 'error'; message: string };
