// Steps as the language service reads them from a real flow source, for the Kubernetes unit tests.
import type { StepInfo } from '../../../src/flow/types';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';

/** `body` is the class body's steps (indented 4 spaces); a start and end step are added around them when missing. */
export async function stepsOf(body: string): Promise<Map<string, StepInfo>> {
  const analyzer = await createFlowAnalyzer();
  const source = `from metaflow import FlowSpec, step, kubernetes, resources, timeout, retry, catch, parallel, batch\n\nclass KubeFlow(FlowSpec):\n${body}\n\nif __name__ == "__main__":\n    KubeFlow()\n`;
  const analysis = analyzer.analyze('kube_flow.py', source);
  if (analysis.syntaxErrors.length) throw new Error(`test flow has syntax errors: ${JSON.stringify(analysis.syntaxErrors)}`);
  const flow = analysis.flows[0];
  if (!flow) throw new Error('test flow not found');
  return new Map(flow.steps.map((s) => [s.name, s]));
}
