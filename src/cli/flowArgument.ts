// The flow a deploy verb acts on: the one `python FLOW.py <verb>` would deploy (the flow the file runs
// as a script), or the one --flow names. One rule for every verb, so a file with several flows is never
// deployed by guesswork.
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { analyzeFile } from '../flow/analyzeFile';
import { createFlowAnalyzer } from '../flow/analyzer';
import type { FileAnalysis, FlowInfo } from '../flow/types';
import type { CliIO } from './command';

export interface FlowArgument {
  flow: FlowInfo;
  /** Absolute path of FLOW.py. */
  full: string;
  /** FLOW.py as messages name it (relative to the working directory). */
  label: string;
}

/** The chosen flow, or why there is none (a phrase that follows the file's name). */
function chooseFlow(analysis: FileAnalysis, flowName: string | undefined): FlowInfo | string {
  const names = analysis.flows.map((f) => f.name).join(', ');
  if (analysis.flows.length === 0) return "defines no flow: no class derives from metaflow's FlowSpec";
  if (flowName !== undefined) return analysis.flows.find((f) => f.name === flowName) ?? `has no flow named '${flowName}'; it defines ${names}`;
  const main = analysis.mainFlow ? analysis.flows.find((f) => f.name === analysis.mainFlow) : undefined;
  if (main) return main;
  if (analysis.flows.length === 1) return analysis.flows[0];
  return `defines ${analysis.flows.length} flows (${names}); choose one with --flow NAME`;
}

/** Throws an Error naming FLOW.py when it is missing or no flow of it can be chosen. */
export async function loadFlowArgument(file: string, flowName: string | undefined, io: CliIO): Promise<FlowArgument> {
  const full = resolve(io.cwd, file);
  const label = relative(io.cwd, full) || file;
  if (!existsSync(full)) throw new Error(`${label}: no such file`);
  const analyzer = await createFlowAnalyzer();
  try {
    const flow = chooseFlow(analyzeFile(analyzer, full), flowName);
    if (typeof flow === 'string') throw new Error(`${label} ${flow}.`);
    return { flow, full, label };
  } finally {
    analyzer.dispose();
  }
}
