// The one message protocol between the DAG panel host (src/vscode/dagPanel.ts) and its webview (webview/).
// It lives under src/ so that both sides import it and nothing in src/ reaches into webview/.
// Full snapshots, never deltas: the webview can be reloaded at any time and redraws from the last one.
import type { PositionedGraph, StepRunState } from '../layout/types';

export interface DagSnapshot {
  /** Absolute path of the flow file (shown in the header; used in messages back). */
  file: string;
  /** Flows defined in that file, for the flow picker; `graph.flow` is the one drawn. */
  flows: string[];
  graph: PositionedGraph;
  /** Lint errors of the flow that are not about one step (shown in a banner). */
  flowErrors: string[];
  /** Present while or after a run is shown: its id and overall status. */
  run?: { runId: string; status: 'running' | 'succeeded' | 'failed' | 'cancelled' };
}

export type HostToWebview =
  | { type: 'snapshot'; snapshot: DagSnapshot }
  | { type: 'runState'; runId: string; status: 'running' | 'succeeded' | 'failed' | 'cancelled'; steps: Record<string, StepRunState> }
  | { type: 'empty'; message: string }
  | { type: 'command'; command: 'fit' | 'zoomIn' | 'zoomOut' | 'resetZoom' | 'exportSvg' };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'revealStep'; file: string; flow: string; step: string }
  | { type: 'selectFlow'; file: string; flow: string }
  | { type: 'exportSvg'; flow: string; svg: string }
  | { type: 'error'; message: string };
