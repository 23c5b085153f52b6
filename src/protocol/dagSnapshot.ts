// Builds the full snapshot the DAG panel sends to its webview from one file's analysis.
import type { FileAnalysis, FlowInfo } from '../flow/types';
import type { DagSnapshot, RunSummary } from './dagPanel';
import type { PositionedGraph } from '../layout/types';
import { describeFlowTriggers, flowTriggers } from '../deploy/argo/flowTriggers';

/** The flow to draw: the one asked for when the file still defines it, else the first flow of the file. */
export function pickFlow(analysis: FileAnalysis, requested?: string): FlowInfo | undefined {
  return analysis.flows.find((f) => f.name === requested) ?? analysis.flows[0];
}

/** Lint errors that are about the flow as a whole (no step to mark), with the line they point at. */
export function flowLevelErrors(flow: FlowInfo): string[] {
  return flow.errors.filter((e) => e.steps.length === 0).map((e) => `Line ${e.line}: ${e.message}`);
}

function triggersOf(flow: FlowInfo): { triggers?: string[] } {
  const lines = describeFlowTriggers(flowTriggers(flow));
  return lines.length ? { triggers: lines } : {};
}

export function createDagSnapshot(input: { file: string; analysis: FileAnalysis; flow: FlowInfo; graph: PositionedGraph; run?: RunSummary }): DagSnapshot {
  return {
    file: input.file,
    flows: input.analysis.flows.map((f) => f.name),
    graph: input.graph,
    flowErrors: flowLevelErrors(input.flow),
    ...(input.run ? { run: input.run } : {}),
    ...triggersOf(input.flow),
  };
}
