// What follows a deployment: trigger a run (a Workflow from the template), read its status, suspend or
// resume its schedule, delete it. Names are resolved as `create` resolves them, so the same flow file and
// options address the same objects.
import type { FlowInfo, ParameterInfo } from '../../flow/types';
import { checkParameterValue } from '../../runtime/parameterValues';
import { sensorName } from '../names';
import { type ArgoClient, ArgoNotInstalledError } from './argoClient';
import { ARGO_API_VERSION, type Manifest } from './types';

export interface DeploymentRef {
  /** Template name (resolveWorkflowName's). */
  name: string;
  namespace: string;
  /** Where its Sensor is (METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE, else namespace). */
  sensorNamespace: string;
}

export class DeploymentNotFoundError extends Error {}

function notDeployed(ref: DeploymentRef, contextName: string): DeploymentNotFoundError {
  return new DeploymentNotFoundError(
    `No Argo Workflows deployment named '${ref.name}' in namespace ${ref.namespace} of cluster ${contextName}. Deploy it first (argo-workflows create, or Metaflow: Deploy to Argo Workflows), or give the --name/--namespace it was deployed with.`,
  );
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);

/** A command-line value as the JSON a workflow parameter carries (the pod decodes it as Metaflow does). */
export function encodeParameter(p: ParameterInfo, raw: string): string {
  checkParameterValue(p, raw);
  const type = (p.type ?? 'str').replace(/^metaflow\./, '');
  if (type === 'int' || type === 'float') return JSON.stringify(Number(raw));
  if (type === 'bool') return JSON.stringify(TRUE.has(raw.toLowerCase()));
  if (type === 'JSONType') return JSON.stringify(JSON.parse(raw));
  return JSON.stringify(raw);
}

export interface TriggerResult {
  workflowName: string;
  /** `argo-<workflow name>`: the Metaflow run id of the triggered run. */
  runId: string;
  namespace: string;
}

/**
 * Submits a Workflow from the template with the given parameter values (raw command-line text, checked
 * against the flow's types); the others keep the template's defaults.
 */
export async function triggerArgoWorkflow(input: { argo: ArgoClient; ref: DeploymentRef; flow: FlowInfo; parameters: Record<string, string>; user: string }): Promise<TriggerResult> {
  const { argo, ref } = input;
  await argo.ensureInstalled('Workflow', ref.namespace);
  const template = await argo.get('WorkflowTemplate', ref.namespace, ref.name);
  if (!template) throw notDeployed(ref, argo.contextName);
  const declared = new Set((((template.spec as Manifest | undefined)?.arguments as Manifest | undefined)?.parameters as Array<{ name: string }> | undefined ?? []).map((p) => p.name));
  const parameters: Array<{ name: string; value: string }> = [];
  for (const [name, raw] of Object.entries(input.parameters)) {
    const p = input.flow.parameters.find((x) => x.name === name && x.kind !== 'Config');
    if (!p) throw new Error(`'${name}' is not a parameter of ${input.flow.name}; its parameters are ${input.flow.parameters.map((x) => x.name).join(', ') || 'none'}.`);
    if (!declared.has(name)) throw new Error(`The deployed template '${ref.name}' has no parameter '${name}': the flow changed since it was deployed; deploy it again.`);
    parameters.push({ name, value: encodeParameter(p, raw) });
  }
  const workflow: Manifest = {
    apiVersion: ARGO_API_VERSION,
    kind: 'Workflow',
    metadata: { generateName: `${ref.name}-`, namespace: ref.namespace, annotations: { 'metaflow/triggered_by_user': input.user } },
    spec: { workflowTemplateRef: { name: ref.name }, ...(parameters.length ? { arguments: { parameters } } : {}) },
  };
  const created = await argo.submit(workflow);
  const workflowName = String((created.metadata as { name?: string }).name);
  return { workflowName, runId: `argo-${workflowName}`, namespace: ref.namespace };
}

export interface DeploymentStatus {
  name: string;
  namespace: string;
  deployed: boolean;
  owner?: string;
  productionToken?: string;
  deployedAt?: string;
  schedule?: { cron: string; timezone?: string; suspended: boolean };
  sensor?: string;
  /** Newest first. */
  runs: Array<{ runId: string; phase: string; startedAt?: string; finishedAt?: string }>;
}

export async function deploymentStatus(argo: ArgoClient, ref: DeploymentRef): Promise<DeploymentStatus> {
  await argo.ensureInstalled('WorkflowTemplate', ref.namespace);
  const template = await argo.get('WorkflowTemplate', ref.namespace, ref.name);
  if (!template) return { name: ref.name, namespace: ref.namespace, deployed: false, runs: [] };
  const annotations = ((template.metadata as { annotations?: Record<string, string> }).annotations ?? {}) as Record<string, string>;
  const cron = await argo.get('CronWorkflow', ref.namespace, ref.name);
  const cronSpec = cron?.spec as { schedule?: string; schedules?: string[]; timezone?: string; suspend?: boolean } | undefined;
  // `schedules` since Argo 3.6, `schedule` before.
  const cronText = cronSpec?.schedules?.join(', ') ?? cronSpec?.schedule;
  let sensor: Manifest | undefined;
  try {
    sensor = await argo.get('Sensor', ref.sensorNamespace, sensorName(ref.name));
  } catch (err) {
    if (!(err instanceof ArgoNotInstalledError) && (err as { status?: number }).status !== 404) throw err;
  }
  const workflows = await argo.list('Workflow', ref.namespace);
  const runs = workflows
    .filter((w) => ((w.spec as { workflowTemplateRef?: { name?: string } } | undefined)?.workflowTemplateRef?.name ?? '') === ref.name)
    .map((w) => {
      const meta = w.metadata as { name: string; creationTimestamp?: string };
      const status = (w.status ?? {}) as { phase?: string; startedAt?: string; finishedAt?: string };
      return { runId: `argo-${meta.name}`, phase: status.phase || 'Pending', startedAt: status.startedAt ?? meta.creationTimestamp, finishedAt: status.finishedAt || undefined };
    })
    .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  return {
    name: ref.name,
    namespace: ref.namespace,
    deployed: true,
    owner: annotations['metaflow/owner'],
    productionToken: annotations['metaflow/production_token'],
    deployedAt: annotations['metaflow/deployment_timestamp'],
    schedule: cronText ? { cron: cronText, timezone: cronSpec?.timezone, suspended: Boolean(cronSpec?.suspend) } : undefined,
    sensor: sensor ? sensorName(ref.name) : undefined,
    runs,
  };
}

/** Suspends or resumes the deployment's schedule (CronWorkflow `spec.suspend`). */
export async function setScheduleSuspended(argo: ArgoClient, ref: DeploymentRef, suspended: boolean): Promise<void> {
  await argo.ensureInstalled('CronWorkflow', ref.namespace);
  const cron = await argo.get('CronWorkflow', ref.namespace, ref.name);
  if (!cron) {
    const template = await argo.get('WorkflowTemplate', ref.namespace, ref.name);
    if (!template) throw notDeployed(ref, argo.contextName);
    throw new DeploymentNotFoundError(`The deployment '${ref.name}' in namespace ${ref.namespace} has no schedule to ${suspended ? 'suspend' : 'resume'}: the flow has no @schedule.`);
  }
  const next = { ...cron, spec: { ...(cron.spec as Manifest), suspend: suspended } };
  delete (next as Manifest).status;
  await argo.apply('CronWorkflow', next, cron);
}

/** Deletes the template, its CronWorkflow and its Sensor; returns what existed. */
export async function deleteDeployment(argo: ArgoClient, ref: DeploymentRef): Promise<string[]> {
  await argo.ensureInstalled('WorkflowTemplate', ref.namespace);
  const deleted: string[] = [];
  if (await argo.delete('CronWorkflow', ref.namespace, ref.name)) deleted.push(`CronWorkflow ${ref.name}`);
  try {
    if (await argo.delete('Sensor', ref.sensorNamespace, sensorName(ref.name))) deleted.push(`Sensor ${sensorName(ref.name)}`);
  } catch (err) {
    // A cluster without Argo Events has no sensors.
    if ((err as { status?: number }).status !== 404) throw err;
  }
  if (await argo.delete('WorkflowTemplate', ref.namespace, ref.name)) deleted.push(`WorkflowTemplate ${ref.name}`);
  if (deleted.length === 0) throw notDeployed(ref, argo.contextName);
  return deleted;
}
