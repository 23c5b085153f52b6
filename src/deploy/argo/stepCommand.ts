// The argv of a step's container (src/kube/podContract.ts, mode `argo`): no shell, every value its own
// argument. Argo substitutes the `{{...}}` placeholders before the container starts. The loader itself is the
// command, given once in the template's `templateDefaults` (podLoaderCommand): inlined in every container it
// would make a large flow's template exceed what a cluster stores.
import type { FlowInfo, StepInfo } from '../../flow/types';
import { ARGO_OUTPUTS_DIR } from '../../kube/podContract';
import type { Scopes } from './scopes';
import { RUN_ID } from './types';

export interface StepCommandInput {
  flow: FlowInfo;
  step: StepInfo;
  scopes: Scopes;
  maxUserCodeRetries: number;
  /** The template has a retryStrategy, so `{{retries}}` is defined. */
  retries: boolean;
  tags: string[];
}

/** The workflow parameters the start step turns into the run's `_parameters` task. */
export function parameterArgs(flow: FlowInfo): string[] {
  return flow.parameters.filter((p) => p.kind !== 'Config').flatMap((p) => ['--param', `${p.name}={{workflow.parameters.${p.name}}}`]);
}

/** The container command every step template inherits from `templateDefaults`. */
export function podLoaderCommand(podLoaderSource: string): string[] {
  return ['python3', '-c', podLoaderSource];
}

/** The mode arguments after the loader command. */
export function stepArgs(input: StepCommandInput): string[] {
  const { flow, step, scopes } = input;
  const isStart = step.name === flow.start;
  const argv = ['argo', '--step', step.name, '--run-id', RUN_ID, '--creation-timestamp', '{{workflow.creationTimestamp}}'];
  argv.push('--input-paths', isStart ? '' : '{{inputs.parameters.input-paths}}');
  if (scopes.bodyEntryOf(step) !== undefined || scopes.isLastInBody(step)) argv.push('--split-index', '{{inputs.parameters.split-index}}');
  if (scopes.isLastInBody(step)) argv.push('--root-input-path', '{{inputs.parameters.root-input-path}}');
  if (scopes.foreachJoinOf(step) !== undefined) argv.push('--split-cardinality', '{{inputs.parameters.split-cardinality}}');
  argv.push('--retry-count', input.retries ? '{{retries}}' : '0', '--max-user-code-retries', String(input.maxUserCodeRetries));
  for (const tag of input.tags) argv.push('--tag', tag);
  if (isStart) argv.push(...parameterArgs(flow));
  argv.push('--outputs', ARGO_OUTPUTS_DIR);
  return argv;
}
