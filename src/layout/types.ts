// A flow graph positioned for drawing: computed in the extension host (elkjs), drawn by the webview.
import type { StepType } from '../flow/types';

export type StepStatus = 'idle' | 'pending' | 'running' | 'succeeded' | 'failed' | 'retrying';

export type EdgeKind = 'normal' | 'foreach' | 'parallel' | 'switch' | 'loop' | 'join';

export interface Point {
  x: number;
  y: number;
}

/** Live run state of one step, folded from the runtime's event stream. */
export interface StepRunState {
  status: StepStatus;
  /** Tasks of this step finished / expected (foreach fan-out progress). */
  tasksDone?: number;
  tasksTotal?: number;
  tasksFailed?: number;
  /** Tasks running now, and tasks whose failed attempt waits for a retry (a fan-out shows a count per state). */
  tasksRunning?: number;
  tasksRetrying?: number;
  /** Highest attempt number seen (0 = first try). */
  retries?: number;
  /** From the step's first task start to its last task end, once the step is done. */
  durationMs?: number;
  /** Why the step failed (the failing task's error), shown in the node's tooltip. */
  message?: string;
}

export interface PositionedNode {
  step: string;
  type: StepType;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Decorator names shown as badges (`kubernetes`, `retry`, ...). */
  badges: string[];
  doc?: string;
  /** Lint messages about this step; non-empty marks the node as erroneous. */
  errors: string[];
  /** For split-foreach steps: the artifact iterated over. */
  foreach?: string;
  /** For switch steps: the condition artifact. */
  condition?: string;
  /** Set on the flow's start and end steps, whatever their serialized type (a start that splits is `split-*`). */
  terminal?: 'start' | 'end';
  /** For split-parallel steps: `num_parallel` as written. */
  numParallel?: number | string;
  run: StepRunState;
}

export interface PositionedEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  /** Switch case key or foreach variable, drawn on the edge. */
  label?: string;
  labelPosition?: Point;
  /** Polyline from source to target (start point, bend points, end point). */
  points: Point[];
}

export interface PositionedGraph {
  flow: string;
  width: number;
  height: number;
  nodes: PositionedNode[];
  edges: PositionedEdge[];
}
