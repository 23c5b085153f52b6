// Everything that stops a flow from being deployed to Argo Workflows, found without compiling (the editor
// shows these as diagnostics). Each refusal names the step or line and says what to change.
import type { FlowInfo } from '../../flow/types';
import { resolveKubernetesAttributes } from '../../kube/kubernetesAttributes';
import { taskPolicy } from '../../runtime/taskPolicy';
import type { DeployProblem } from '../deployProblem';
import { resolveWorkflowName } from '../names';
import { flowSchedule } from './schedule';
import { flowEvents } from './triggers';
import type { ArgoCheckOptions } from './types';
import { parameterProblems } from './workflowParameters';

/** Step decorators Argo Workflows cannot run (Metaflow's list, plus AWS Batch, which is another compute backend). */
const UNSUPPORTED_STEP_DECORATORS: Record<string, string> = {
  batch: '@batch runs the step on AWS Batch; an Argo deployment runs every step on Kubernetes. Remove @batch (use @kubernetes or @resources).',
  snowpark: '@snowpark is not supported by Argo Workflows deployments.',
  slurm: '@slurm is not supported by Argo Workflows deployments.',
  nvidia: '@nvidia is not supported by Argo Workflows deployments.',
  nvct: '@nvct is not supported by Argo Workflows deployments.',
  skypilot_step: '@skypilot_step is not supported by Argo Workflows deployments.',
};

const SENSOR_SETTINGS = ['METAFLOW_ARGO_EVENTS_EVENT', 'METAFLOW_ARGO_EVENTS_EVENT_SOURCE', 'METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT'] as const;

export function checkArgo(flow: FlowInfo, options: ArgoCheckOptions): DeployProblem[] {
  const problems: DeployProblem[] = [];
  const add = (message: string, line?: number, step?: string) => problems.push({ target: 'argo-workflows', message, ...(line !== undefined ? { line } : {}), ...(step !== undefined ? { step } : {}) });
  const c = options.config;

  for (const e of flow.errors) add(`The flow is not valid (${e.check}): ${e.message}`, e.line, e.steps[0]);
  if (!flow.start || !flow.end) add('The flow needs a start and an end step before it can be deployed.', flow.line);

  if ((c.METAFLOW_DEFAULT_DATASTORE ?? 'local') !== 'azure') {
    add(
      `Argo Workflows needs a cloud datastore, but the datastore is '${c.METAFLOW_DEFAULT_DATASTORE ?? 'local'}': pods cannot read this machine's files. ` +
        'Set METAFLOW_DEFAULT_DATASTORE=azure and METAFLOW_DATASTORE_SYSROOT_AZURE=<container>/<prefix> (or the metaflow.datastore setting).',
      flow.line,
    );
  } else if (!c.METAFLOW_DATASTORE_SYSROOT_AZURE) {
    add('The Azure datastore has no root: set METAFLOW_DATASTORE_SYSROOT_AZURE=<container>/<prefix>.', flow.line);
  } else if (!c.METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT) {
    add('The Azure datastore has no endpoint: set METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT=https://<account>.blob.core.windows.net/.', flow.line);
  }

  const name = resolveWorkflowName({ flowName: flow.name, name: options.name, project: options.project });
  if (name.problem) add(name.problem, flow.line);

  const { schedule, problem: scheduleProblem } = flowSchedule(flow);
  if (scheduleProblem) add(scheduleProblem.message, scheduleProblem.line);
  for (const p of parameterProblems(flow, schedule !== undefined)) add(p.message, p.line);

  const trigger = flow.decorators.find((d) => d.name === 'trigger');
  const onFinish = flow.decorators.find((d) => d.name === 'trigger_on_finish');
  if (trigger && onFinish) {
    add('@trigger and @trigger_on_finish cannot be used together on Argo Workflows: keep one of them.', onFinish.range.start.line + 1);
  } else if (trigger || onFinish) {
    const { problems: eventProblems } = flowEvents(flow, options.project);
    for (const p of eventProblems) add(p.message, p.line);
    const missing = SENSOR_SETTINGS.filter((s) => !c[s]);
    if (missing.length > 0) {
      add(`@${trigger ? 'trigger' : 'trigger_on_finish'} needs Argo Events settings for its Sensor: set ${missing.join(', ')}.`, (trigger ?? onFinish)!.range.start.line + 1);
    }
  }
  for (const d of flow.decorators) {
    if (d.name === 'exit_hook') add('@exit_hook is not supported by this Argo Workflows compiler yet: remove it to deploy.', d.range.start.line + 1);
  }

  for (const step of flow.steps) {
    for (const d of step.decorators) {
      const why = UNSUPPORTED_STEP_DECORATORS[d.name];
      if (why) add(why, d.range.start.line + 1, step.name);
    }
    if (step.type === 'split-parallel' || step.decorators.some((d) => d.name === 'parallel')) {
      add(
        'num_parallel/@parallel cannot be deployed to Argo Workflows here: Argo runs it as a JobSet of gang-scheduled pods, which this compiler does not produce. ' +
          'Run it with `run --with kubernetes`, or use a foreach instead.',
        step.line,
        step.name,
      );
    }
    try {
      taskPolicy(step, 'remote');
    } catch (err) {
      add((err as Error).message, step.line, step.name);
    }
    const k8s = resolveKubernetesAttributes({ step, config: c });
    for (const p of k8s.problems) add(p.message, step.line, step.name);
  }
  return problems;
}
