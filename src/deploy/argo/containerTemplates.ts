// One container template per step (reference §5.2): the pod contract's argv, the @kubernetes resources and
// scheduling, `activeDeadlineSeconds` from @timeout, `retryStrategy` from @retry/@catch, and the output
// parameters the bootstrap writes as files into an emptyDir at /mnt/out.
import type { FlowInfo, StepInfo } from '../../flow/types';
import type { KubernetesAttributes } from '../../kube/kubernetesAttributes';
import { ARGO_OUTPUT_FILES, ARGO_OUTPUTS_DIR, POD_ENV } from '../../kube/podContract';
import { containerResources, downwardApiEnv, podScheduling, podVolumes } from '../../kube/podSpec';
import type { TaskPolicy } from '../../runtime/taskPolicy';
import { argoStepName } from '../names';
import type { Scopes } from './scopes';
import { stepArgs } from './stepCommand';
import type { FlowEvent } from './triggers';
import { type Json, type Manifest, RUN_ID } from './types';

const OUTPUTS_VOLUME = 'mf-outputs';
/** Metaflow waits two minutes between @catch's fallback attempts when the step has no @retry of its own. */
const DEFAULT_RETRY_MINUTES = 2;

export interface StepDeployment {
  step: StepInfo;
  attributes: KubernetesAttributes;
  policy: TaskPolicy;
  /** `@environment(vars=...)`. */
  environment: Record<string, string>;
  /** Whether the step has @retry (its minutes apply) or only @catch. */
  hasRetry: boolean;
}

export interface ContainerContext {
  flow: FlowInfo;
  scopes: Scopes;
  templateName: string;
  namespace: string;
  productionToken: string;
  user: string;
  tags: string[];
  codePackage: { sha: string; url: string };
  /** The flow file relative to the code package root (the pod imports it). */
  flowFile: string;
  /** METAFLOW_* settings by full name. */
  config: Record<string, string | undefined>;
  /** @trigger / @trigger_on_finish events: each one's payload parameter reaches the pods as METAFLOW_ARGO_EVENT_PAYLOAD_<type>_<name>. */
  events?: FlowEvent[];
  /** `--no-auto-emit-argo-events` makes this false: the steps publish no events when they succeed. */
  autoEmitArgoEvents?: boolean;
}

const output = (name: string, file: string): Manifest => ({ name, valueFrom: { path: `${ARGO_OUTPUTS_DIR}/${file}` } });

function outputs(step: StepInfo): Manifest[] {
  const out = [output('task-id', ARGO_OUTPUT_FILES.taskId)];
  if (step.type === 'split-foreach') out.push(output('num-splits', ARGO_OUTPUT_FILES.splits), output('split-cardinality', ARGO_OUTPUT_FILES.splitCardinality));
  if (step.type === 'split-switch') out.push(output('switch-step', ARGO_OUTPUT_FILES.switchStep));
  return out;
}

function inputs(step: StepInfo, ctx: ContainerContext): Manifest[] {
  if (step.name === ctx.flow.start) return [];
  const names = ['input-paths'];
  if (ctx.scopes.bodyEntryOf(step) !== undefined || ctx.scopes.isLastInBody(step)) names.push('split-index');
  if (ctx.scopes.isLastInBody(step)) names.push('root-input-path');
  if (ctx.scopes.foreachJoinOf(step) !== undefined) names.push('split-cardinality');
  return names.map((name) => ({ name }));
}

function environment(d: StepDeployment, ctx: ContainerContext): Manifest[] {
  const c = ctx.config;
  const vars: Record<string, string> = {
    ...d.environment,
    [POD_ENV.codeDs]: 'azure',
    [POD_ENV.codeSha]: ctx.codePackage.sha,
    [POD_ENV.codeUrl]: ctx.codePackage.url,
    [POD_ENV.defaultDatastore]: 'azure',
    [POD_ENV.azureSysroot]: c.METAFLOW_DATASTORE_SYSROOT_AZURE ?? '',
    [POD_ENV.kubernetesWorkload]: '1',
    METAFLOW_USER: 'argo-workflows',
    METAFLOW_OWNER: ctx.user,
    METAFLOW_FLOW_NAME: ctx.flow.name,
    METAFLOW_FLOW_FILENAME: ctx.flowFile,
    METAFLOW_STEP_NAME: d.step.name,
    METAFLOW_RUN_ID: RUN_ID,
    METAFLOW_PRODUCTION_TOKEN: ctx.productionToken,
    METAFLOW_RUNTIME_NAME: 'argo-workflows',
    ARGO_WORKFLOW_TEMPLATE: ctx.templateName,
    ARGO_WORKFLOW_NAME: '{{workflow.name}}',
    ARGO_WORKFLOW_NAMESPACE: ctx.namespace,
  };
  if (c.METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT) vars[POD_ENV.azureEndpoint] = c.METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT;
  if (c.METAFLOW_CARD_AZUREROOT) vars.METAFLOW_CARD_AZUREROOT = c.METAFLOW_CARD_AZUREROOT;
  // The pod lists the payloads that are not `null` as the run's `execution-triggers` metadata.
  for (const e of ctx.events ?? []) vars[`METAFLOW_ARGO_EVENT_PAYLOAD_${e.type}_${e.sanitizedName}`] = `{{workflow.parameters.${e.sanitizedName}}}`;
  // Where a succeeded step publishes its Argo Events (what @trigger_on_finish flows wait for): the in-cluster
  // webhook when one is set, as Metaflow's containers get it. Service headers are secrets: pods get them
  // through @kubernetes(secrets=...), never written into the manifest.
  const webhook = c.METAFLOW_ARGO_EVENTS_INTERNAL_WEBHOOK_URL || c.METAFLOW_ARGO_EVENTS_WEBHOOK_URL;
  if (webhook) {
    vars.METAFLOW_ARGO_EVENTS_WEBHOOK_URL = webhook;
    vars.METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH = c.METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH || 'none';
  }
  if (ctx.autoEmitArgoEvents === false) vars[POD_ENV.autoEmitArgoEvents] = '0';
  const env: Manifest[] = Object.keys(vars)
    .sort()
    .map((name) => ({ name, value: vars[name] }));
  return [...env, ...(downwardApiEnv() as unknown as Manifest[])];
}

function retryStrategy(d: StepDeployment): Manifest | undefined {
  const limit = d.policy.userCodeRetries + d.policy.errorRetries;
  if (limit === 0) return undefined;
  const minutes = d.hasRetry ? d.policy.retryDelayMs / 60_000 : DEFAULT_RETRY_MINUTES;
  return { retryPolicy: 'Always', limit, backoff: { duration: `${minutes}m` } };
}

/** Drops undefined fields so the manifest is plain JSON. */
function json<T>(value: T): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

export function containerTemplate(d: StepDeployment, ctx: ContainerContext): Manifest {
  const { step, attributes: a } = d;
  const retry = retryStrategy(d);
  const volumes = podVolumes(a);
  const scheduling = podScheduling(a);
  const name = argoStepName(step.name);
  const container: Record<string, unknown> = {
    name: 'main',
    image: a.image,
    imagePullPolicy: a.imagePullPolicy,
    args: stepArgs({ flow: ctx.flow, step, scopes: ctx.scopes, maxUserCodeRetries: d.policy.userCodeRetries, retries: retry !== undefined, tags: ctx.tags }),
    env: environment(d, ctx),
    envFrom: a.secrets.length > 0 ? a.secrets.map((s) => ({ secretRef: { name: s } })) : undefined,
    resources: containerResources(a),
    volumeMounts: [{ name: OUTPUTS_VOLUME, mountPath: ARGO_OUTPUTS_DIR }, ...volumes.mounts],
    securityContext: a.securityContext,
    ports: a.port !== undefined ? [{ containerPort: a.port }] : undefined,
  };
  const template: Record<string, unknown> = {
    name: ctx.scopes.isRecursive(step) ? `recursive-${name}` : name,
    activeDeadlineSeconds: a.timeoutSeconds,
    inputs: { parameters: inputs(step, ctx) },
    outputs: { parameters: outputs(step) },
    metadata: {
      labels: { ...a.labels, 'app.kubernetes.io/name': 'metaflow-task', 'app.kubernetes.io/part-of': 'metaflow' },
      annotations: { ...a.annotations, 'metaflow/step_name': step.name, 'metaflow/attempt': retry ? '{{retries}}' : '0' },
    },
    retryStrategy: retry,
    nodeSelector: scheduling.nodeSelector,
    tolerations: scheduling.tolerations,
    serviceAccountName: scheduling.serviceAccountName,
    volumes: [{ name: OUTPUTS_VOLUME, emptyDir: {} }, ...volumes.volumes],
    container,
  };
  return json(template) as Manifest;
}
