// A flow -> one Airflow DAG file of KubernetesPodOperator tasks (reference §6): CONFIG, a Python literal
// holding the whole deployment (DAG arguments, parameters, sensors, one entry per step with its pod and
// its argo-mode arguments), then the code that turns CONFIG into Airflow objects (airflowDagRuntime.ts).
// Each pod runs the pod loader with the argo mode's arguments (podContract.ts), the ids templated by
// Airflow (airflowMacros.ts); nothing runs through a shell.
import type { FlowInfo, LiteralValue, ParameterInfo, StepInfo } from '../../flow/types';
import { resolveKubernetesAttributes } from '../../kube/kubernetesAttributes';
import { containerName, containerResources, downwardApiEnv, metaflowAnnotations, metaflowLabels } from '../../kube/podSpec';
import { projectSystemTags } from '../../runtime/projectTags';
import { taskPolicy } from '../../runtime/taskPolicy';
import type { DeployProblem } from '../deployProblem';
import { projectNamingOf, projectTokenPrefix } from '../names';
import { checkAirflow } from './airflowChecks';
import type { AirflowCompileInput, AirflowCompileResult } from './airflowInput';
import * as macros from './airflowMacros';
import { AIRFLOW_DAG_RUNTIME } from './airflowDagRuntime';
import { AIRFLOW_OUTPUTS_DIR, AIRFLOW_POD_SHIM } from './airflowPodShim';
import { pythonLiteral, type PythonValue } from './pythonLiteral';
import { sensorTasks } from './sensorTasks';

const DEFAULT_MAX_WORKERS = 100;
const DEFAULT_STARTUP_TIMEOUT_SECONDS = 3600;
const FIVE_DAYS = 5 * 24 * 3600;

export interface AirflowNaming {
  dagId: string;
  /** Prefix of the deployment's production tokens (reference §5.3). */
  tokenPrefix: string;
  isProject: boolean;
}

/** The DAG id: `--name`, `<project>.<branch>.<Flow>` for a @project flow, else the flow's name. */
export function airflowNaming(flow: FlowInfo, options: { name?: string }, owner: string, config: Record<string, string | undefined>): AirflowNaming {
  const project = projectNamingOf(projectSystemTags(flow, owner, config));
  if (project && options.name === undefined) {
    return { dagId: `${project.project}.${project.branch}.${flow.name}`, tokenPrefix: projectTokenPrefix(project), isProject: true };
  }
  const dagId = options.name ?? flow.name;
  // Token files are named by the prefix, so it keeps to file-name-safe characters.
  return { dagId, tokenPrefix: dagId.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+/, '') || 'dag', isProject: false };
}

function scheduleOf(flow: FlowInfo): string | null {
  const deco = flow.decorators.find((d) => d.name === 'schedule');
  if (!deco) return null;
  const a = deco.attributes;
  if (typeof a.cron === 'string' && a.cron) return a.cron;
  if (a.weekly === true) return '@weekly';
  if (a.hourly === true) return '@hourly';
  if (a.daily === false) return null;
  return '@daily';
}

const PARAM_TYPES: Record<string, string> = { int: 'integer', float: 'number', str: 'string', bool: 'boolean' };

function inferredType(value: LiteralValue): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return undefined;
}

function airflowParam(p: ParameterInfo): Record<string, PythonValue> {
  const out: Record<string, PythonValue> = { name: p.name, default: p.default as PythonValue };
  const type = p.kind === 'IncludeFile' ? 'string' : p.type !== undefined ? PARAM_TYPES[p.type] : inferredType(p.default as LiteralValue);
  if (type !== undefined) out.type = p.default === null ? [type, 'null'] : type;
  if (p.help) out.description = p.help;
  return out;
}

function environmentVars(step: StepInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const deco of step.decorators.filter((d) => d.name === 'environment')) {
    const vars = deco.attributes.vars;
    if (vars && typeof vars === 'object' && !Array.isArray(vars) && !('$expr' in vars)) {
      for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') env[k] = String(v);
    }
  }
  return env;
}

interface StepContext {
  input: AirflowCompileInput;
  byName: Map<string, StepInfo>;
  problems: DeployProblem[];
  annotations: Record<string, string>;
  projectAnnotations: Record<string, string>;
}

/** The argo mode's `--input-paths` (and the foreach arguments) for a step, from its parents' XCom. */
function inputArguments(step: StepInfo, ctx: StepContext): { args: string[]; mappedOver: string | null } {
  const { flow } = ctx.input;
  if (step.name === flow.start) return { args: ['--input-paths', ''], mappedOver: null };
  const parents = step.inFuncs;
  const parentSplit = parents.map((p) => ctx.byName.get(p)).find((p) => p?.type === 'split-foreach');
  if (parentSplit) return { args: ['--input-paths', macros.taskPath(parentSplit.name), '--split-index', macros.MAP_INDEX], mappedOver: parentSplit.name };
  if (step.type === 'join' && parents.length === 1) {
    const body = ctx.byName.get(parents[0]);
    const split = body?.inFuncs.map((p) => ctx.byName.get(p)).find((p) => p?.type === 'split-foreach');
    if (split) return { args: ['--input-paths', macros.taskPath(split.name), '--split-cardinality', macros.splitCardinality(split.name)], mappedOver: null };
  }
  return { args: ['--input-paths', parents.length === 1 ? macros.taskPath(parents[0]) : macros.joinedTaskPaths(parents)], mappedOver: null };
}

function stepEntry(step: StepInfo, ctx: StepContext): Record<string, PythonValue> | undefined {
  const { input } = ctx;
  const { attributes, problems } = resolveKubernetesAttributes({ step, config: input.config, pythonVersion: input.pythonVersion });
  for (const p of problems) ctx.problems.push({ target: 'airflow', step: step.name, line: step.line, message: p.message });
  const policy = taskPolicy(step, 'remote');
  const { args: inputArgs, mappedOver } = inputArguments(step, ctx);
  const tags = input.options.tags ?? [];
  const argv = [
    '--step', step.name,
    '--run-id', macros.RUN_ID,
    '--creation-timestamp', macros.RUN_STAMP,
    ...inputArgs,
    '--retry-count', macros.ATTEMPT,
    '--max-user-code-retries', String(policy.userCodeRetries),
    ...(step.name === input.flow.start ? input.flow.parameters.filter((p) => p.kind !== 'Config').flatMap((p) => ['--param', `${p.name}=${macros.parameterValue(p.name)}`]) : []),
    ...tags.flatMap((t) => ['--tag', t]),
    '--outputs', AIRFLOW_OUTPUTS_DIR,
  ];
  const env: Record<string, string> = {
    ...environmentVars(step),
    METAFLOW_CODE_DS: input.datastore.type,
    METAFLOW_CODE_SHA: input.codePackage.sha,
    METAFLOW_CODE_URL: input.codePackage.url,
    METAFLOW_DEFAULT_DATASTORE: input.datastore.type,
    METAFLOW_FLOW_NAME: input.flow.name,
    METAFLOW_FLOW_FILENAME: input.flowFile,
    METAFLOW_STEP_NAME: step.name,
    METAFLOW_OWNER: input.owner,
    METAFLOW_USER: 'airflow',
    METAFLOW_PRODUCTION_TOKEN: input.productionToken,
    METAFLOW_RUNTIME_NAME: 'airflow',
    METAFLOW_RUNTIME_ENVIRONMENT: 'kubernetes',
    METAFLOW_KUBERNETES_WORKLOAD: '1',
    PYTHONUNBUFFERED: 'x',
  };
  if (input.datastore.sysroot) env.METAFLOW_DATASTORE_SYSROOT_AZURE = input.datastore.sysroot;
  if (input.datastore.endpoint) env.METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT = input.datastore.endpoint;
  const resources = containerResources(attributes);
  const config = input.config;
  const startup = Number(config.METAFLOW_AIRFLOW_KUBERNETES_STARTUP_TIMEOUT_SECONDS ?? DEFAULT_STARTUP_TIMEOUT_SECONDS);
  const pod: Record<string, PythonValue> = {
    pod_name: containerName(step.name),
    namespace: attributes.namespace,
    image: attributes.image,
    env,
    secrets: attributes.secrets,
    labels: metaflowLabels(attributes.labels, { flowName: input.flow.name, step: step.name }),
    annotations: { ...metaflowAnnotations(attributes.annotations, { flowName: input.flow.name, step: step.name, user: input.owner }, ctx.projectAnnotations), ...ctx.annotations },
    node_selector: attributes.nodeSelector,
    tolerations: attributes.tolerations as PythonValue[],
    image_pull_secrets: attributes.imagePullSecrets,
    service_account_name: attributes.serviceAccount ?? null,
    resources: { requests: (resources.requests ?? {}) as Record<string, string>, limits: (resources.limits ?? {}) as Record<string, string> },
    startup_timeout_seconds: Number.isFinite(startup) && startup > 0 ? startup : DEFAULT_STARTUP_TIMEOUT_SECONDS,
    in_cluster: !(config.METAFLOW_AIRFLOW_KUBERNETES_CONN_ID || config.METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_CONTEXT || config.METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_FILE),
    kubernetes_conn_id: config.METAFLOW_AIRFLOW_KUBERNETES_CONN_ID ?? null,
    cluster_context: config.METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_CONTEXT ?? null,
    config_file: config.METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_FILE ?? null,
  };
  const hasRetry = step.decorators.some((d) => d.name === 'retry');
  return {
    name: step.name,
    mapped_over: mappedOver,
    upstream: step.inFuncs.filter((p) => p !== mappedOver),
    retries: policy.userCodeRetries,
    retry_delay: hasRetry ? { seconds: policy.retryDelayMs / 1000 } : null,
    execution_timeout: { seconds: attributes.timeoutSeconds },
    arguments: argv,
    pod,
  };
}

function header(input: AirflowCompileInput, dagId: string): string {
  const file = input.dagFile ?? `${input.flow.name.toLowerCase()}_dag.py`;
  return [
    `# Airflow DAG '${dagId}' for the Metaflow flow ${input.flow.name} (${input.flowFile}), written by Metaflow Studio on ${input.now.toISOString()}.`,
    `# Re-create it rather than editing it: metaflow-studio airflow create ${input.flowFile} ${file}`,
    '# CONFIG is the whole deployment; the code after it only turns CONFIG into Airflow objects.',
    '# Needs Airflow 2.3+ and apache-airflow-providers-cncf-kubernetes 4.2+.',
  ].join('\n');
}

const IMPORTS = `import hashlib
import inspect
import json
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from kubernetes.client import models as k8s

try:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
except ImportError:  # cncf-kubernetes provider before 5.0
    from airflow.providers.cncf.kubernetes.operators.kubernetes_pod import KubernetesPodOperator`;

function lintProblems(flow: FlowInfo): DeployProblem[] {
  return flow.errors.map((e) => ({ target: 'airflow' as const, step: e.steps[0], line: e.line, message: `${e.message} (${e.check}); fix the flow first.` }));
}

export function compileAirflow(input: AirflowCompileInput): AirflowCompileResult {
  const { flow, options } = input;
  const { dagId } = airflowNaming(flow, options, input.owner, input.config);
  const problems = [
    ...lintProblems(flow),
    ...checkAirflow(flow, { datastore: input.datastore.type, name: options.name, workflowTimeout: options.workflowTimeout, maxWorkers: options.maxWorkers }),
  ];
  if (input.datastore.type === 'azure' && !input.datastore.sysroot) {
    problems.push({ target: 'airflow', message: 'The Azure datastore has no root: set METAFLOW_DATASTORE_SYSROOT_AZURE (or the setting metaflow.azure.datastoreSysroot) to <container>/<prefix>.' });
  }
  if (problems.length > 0) return { source: '', dagId, problems };

  const sensors = sensorTasks(flow).tasks;
  const project = projectNamingOf(projectSystemTags(flow, input.owner, input.config));
  const projectAnnotations: Record<string, string> = {};
  if (project) {
    projectAnnotations['metaflow/project_name'] = project.project;
    projectAnnotations['metaflow/branch_name'] = project.branch;
    projectAnnotations['metaflow/project_flow_name'] = dagId;
  }
  const ctx: StepContext = {
    input,
    byName: new Map(flow.steps.map((s) => [s.name, s])),
    problems: [],
    annotations: { 'metaflow/production_token': input.productionToken, 'metaflow/owner': input.owner },
    projectAnnotations,
  };
  const steps = flow.steps.map((s) => stepEntry(s, ctx)).filter((s): s is Record<string, PythonValue> => s !== undefined);
  // Sensors hold the start step back.
  const start = steps.find((s) => s.name === flow.start);
  if (start) start.upstream = sensors.map((s) => s.name);
  if (ctx.problems.length > 0) return { source: '', dagId, problems: ctx.problems };

  const schedule = scheduleOf(flow);
  const dag: Record<string, PythonValue> = {
    dag_id: dagId,
    description: flow.doc ?? null,
    schedule,
    start_date: input.now.toISOString().replace(/Z$/, '+00:00'),
    catchup: false,
    tags: options.tags ?? [],
    max_active_tasks: options.maxWorkers ?? DEFAULT_MAX_WORKERS,
    is_paused_upon_creation: options.isPausedUponCreation ?? false,
    default_args: {
      owner: input.owner,
      depends_on_past: false,
      execution_timeout: { seconds: FIVE_DAYS },
      retry_delay: { seconds: 200 },
      ...(options.workerPool !== undefined ? { pool: options.workerPool } : {}),
    },
  };
  // Airflow enforces a DAG run timeout only on scheduled runs; Metaflow sets it only then.
  if (options.workflowTimeout !== undefined && schedule !== null) dag.dagrun_timeout = { seconds: options.workflowTimeout };
  const graphStructure = (sensors.length > 0 ? [sensors.map((s) => [s.name]), ...flow.graphStructure] : flow.graphStructure) as PythonValue;
  const downward: Record<string, string> = {};
  for (const e of downwardApiEnv()) downward[e.name] = e.valueFrom?.fieldRef?.fieldPath ?? '';
  const config: Record<string, PythonValue> = {
    flow_name: flow.name,
    flow_file: input.flowFile,
    dag_id: dagId,
    production_token: input.productionToken,
    namespace: options.namespace ?? null,
    contains_foreach: flow.steps.some((s) => s.type === 'split-foreach'),
    graph_structure: graphStructure,
    python: 'python3',
    xcom_keys: { task_id: macros.TASK_ID_XCOM_KEY, foreach_cardinality: macros.FOREACH_CARDINALITY_XCOM_KEY },
    downward_api_env: downward,
    dag,
    params: flow.parameters.filter((p) => p.kind !== 'Config').map(airflowParam),
    sensors: sensors.map((s) => ({ name: s.name, operator: s.operator, args: s.args })),
    steps,
  };
  const source = [
    header(input, dagId),
    IMPORTS,
    '',
    `CONFIG = ${pythonLiteral(config)}`,
    '',
    `POD_SHIM = ${JSON.stringify(AIRFLOW_POD_SHIM)}`,
    '',
    `POD_LOADER_BASE64 = ${JSON.stringify(Buffer.from(input.podLoaderSource, 'utf8').toString('base64'))}`,
    AIRFLOW_DAG_RUNTIME,
  ].join('\n');
  return { source, dagId, problems: [] };
}
