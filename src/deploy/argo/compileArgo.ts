// FlowInfo -> WorkflowTemplate (+ CronWorkflow for @schedule, Sensor for @trigger/@trigger_on_finish),
// shaped as Metaflow's compiler shapes them (reference §5). Pure: no cluster, no files. Nothing is
// emitted when the flow cannot be deployed: the problems say why.
import type { FlowInfo } from '../../flow/types';
import { resolveKubernetesAttributes } from '../../kube/kubernetesAttributes';
import { taskPolicy } from '../../runtime/taskPolicy';
import { resolveWorkflowName, sensorName } from '../names';
import { checkArgo } from './checkArgo';
import { podLoaderCommand } from './stepCommand';
import { type ContainerContext, containerTemplate } from './containerTemplates';
import { DagTemplates } from './dagTemplates';
import { cronWorkflow, flowSchedule } from './schedule';
import { Scopes } from './scopes';
import { sensor } from './sensor';
import { flowEvents } from './triggers';
import { ARGO_API_VERSION, type ArgoCompileOptions, type ArgoCompileResult, DEFAULT_MAX_WORKERS, DEFAULT_NAMESPACE, type Manifest } from './types';
import { argumentParameters, parametersAnnotation, workflowParameters } from './workflowParameters';

function environmentVars(flow: FlowInfo, step: string): Record<string, string> {
  const d = flow.steps.find((s) => s.name === step)?.decorators.find((x) => x.name === 'environment');
  const vars = d?.attributes.vars;
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars) || '$expr' in vars) return {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export function compileArgo(flow: FlowInfo, options: ArgoCompileOptions): ArgoCompileResult {
  const problems = checkArgo(flow, options);
  if (problems.length > 0) return { problems };
  const c = options.config;
  const { name } = resolveWorkflowName({ flowName: flow.name, name: options.name, project: options.project });
  const namespace = options.namespace ?? c.METAFLOW_KUBERNETES_NAMESPACE ?? DEFAULT_NAMESPACE;
  const scopes = new Scopes(flow);
  const params = workflowParameters(flow);
  const { schedule } = flowSchedule(flow);
  const { events } = flowEvents(flow, options.project);
  const tags = options.tags ?? [];

  const labels = { 'app.kubernetes.io/name': 'metaflow-flow', 'app.kubernetes.io/part-of': 'metaflow' };
  const baseAnnotations: Record<string, string> = {
    'metaflow/production_token': options.productionToken,
    'metaflow/owner': options.user,
    'metaflow/user': 'argo-workflows',
    'metaflow/flow_name': flow.name,
    'metaflow/deployment_timestamp': options.deploymentTimestamp,
  };
  if (options.project) {
    baseAnnotations['metaflow/project_name'] = options.project.project;
    baseAnnotations['metaflow/branch_name'] = options.project.branch;
    baseAnnotations['metaflow/project_flow_name'] = `${options.project.project}.${options.project.branch}.${flow.name}`;
  }
  const annotations: Record<string, string> = {
    ...baseAnnotations,
    'workflows.argoproj.io/title': flow.name,
    'metaflow/parameters': parametersAnnotation(params),
    'metaflow/dag': JSON.stringify({ graph_structure: flow.graphStructure }),
  };
  if (flow.doc) annotations['workflows.argoproj.io/description'] = flow.doc;
  if (tags.length > 0) annotations['metaflow/tags'] = JSON.stringify(tags);
  if (schedule) annotations['metaflow/cron'] = schedule.cron;
  const sensorNamespace = c.METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE ?? namespace;
  if (events.length > 0) {
    annotations['metaflow/triggers'] = JSON.stringify(events.map((e) => ({ name: e.name, type: e.type })));
    annotations['metaflow/sensor_name'] = sensorName(name);
    annotations['metaflow/sensor_namespace'] = sensorNamespace;
  }

  const ctx: ContainerContext = {
    flow,
    scopes,
    templateName: name,
    namespace,
    productionToken: options.productionToken,
    user: options.user,
    tags,
    codePackage: options.codePackage,
    flowFile: options.flowFile,
    config: c,
    events,
    autoEmitArgoEvents: options.autoEmitArgoEvents,
  };
  const pullSecrets = new Set<string>();
  const containers: Manifest[] = [];
  for (const step of flow.steps) {
    const { attributes } = resolveKubernetesAttributes({ step, config: c, pythonVersion: options.pythonVersion });
    for (const s of attributes.imagePullSecrets) pullSecrets.add(s);
    const policy = taskPolicy(step, 'remote');
    containers.push(containerTemplate({ step, attributes, policy, environment: environmentVars(flow, step.name), hasRetry: step.decorators.some((d) => d.name === 'retry') }, ctx));
  }

  const argParams = [...argumentParameters(params), ...events.map((e) => ({ name: e.sanitizedName, value: 'null' }))];
  const spec: Manifest = {
    entrypoint: flow.name,
    parallelism: options.maxWorkers ?? DEFAULT_MAX_WORKERS,
    workflowMetadata: { labels: { 'app.kubernetes.io/name': 'metaflow-run', 'app.kubernetes.io/part-of': 'metaflow' }, annotations: { ...baseAnnotations, 'metaflow/run_id': 'argo-{{workflow.name}}' } },
    podMetadata: { labels: { 'app.kubernetes.io/name': 'metaflow-task', 'app.kubernetes.io/part-of': 'metaflow' }, annotations: baseAnnotations },
    // Every container template inherits the loader as its command; each carries only its mode arguments.
    templateDefaults: { container: { name: 'main', image: String((containers[0]?.container as Manifest | undefined)?.image ?? ''), command: podLoaderCommand(options.podLoaderSource) } },
    templates: [...new DagTemplates(scopes).build(flow.name), ...containers],
  };
  if (argParams.length > 0) spec.arguments = { parameters: argParams };
  if (options.workflowTimeout !== undefined) spec.activeDeadlineSeconds = options.workflowTimeout;
  if (options.workflowPriority !== undefined) spec.priority = options.workflowPriority;
  if (pullSecrets.size > 0) spec.imagePullSecrets = [...pullSecrets].sort().map((s) => ({ name: s }));

  const workflowTemplate: Manifest = { apiVersion: ARGO_API_VERSION, kind: 'WorkflowTemplate', metadata: { name, namespace, labels, annotations }, spec };
  const result: ArgoCompileResult = { workflowTemplate, problems: [] };
  if (schedule) result.cronWorkflow = cronWorkflow({ name, namespace, schedule, labels, annotations: baseAnnotations });
  if (events.length > 0) {
    result.sensor = sensor({
      templateName: name,
      events,
      parameters: params,
      labels,
      annotations: baseAnnotations,
      settings: {
        namespace: sensorNamespace,
        workflowNamespace: namespace,
        eventBus: c.METAFLOW_ARGO_EVENTS_EVENT_BUS ?? 'default',
        eventSource: c.METAFLOW_ARGO_EVENTS_EVENT_SOURCE!,
        eventName: c.METAFLOW_ARGO_EVENTS_EVENT!,
        serviceAccount: c.METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT!,
      },
    });
  }
  return result;
}
