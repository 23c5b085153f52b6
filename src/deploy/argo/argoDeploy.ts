// `argo-workflows create` against a cluster, shared by the command line and the editor. In two halves so
// the editor can show everything before anything changes: `prepareArgoDeployment` checks the flow, reads
// what is deployed, settles the production token, uploads the code package (content-addressed: harmless),
// compiles and validates offline, and computes the changes; `applyArgoDeployment` asks the server for a
// dry run of every object, then creates or replaces each, removes a schedule or sensor the flow no longer
// has, and keeps the token.
import * as path from 'node:path';
import { MetaflowConfig } from '../../config/metaflowConfig';
import { resolveUsername } from '../../config/username';
import { azureDatastoreConfig, datastoreKind } from '../../datastore/azure/azureConfig';
import type { FlowInfo } from '../../flow/types';
import { KUBERNETES_SETTINGS } from '../../kube/kubernetesSettings';
import { projectSystemTags } from '../../runtime/projectTags';
import { publishCodePackage, readPodLoaderSource } from '../deployCodePackage';
import type { DeployProblem } from '../deployProblem';
import type { DeployRequestBase } from '../deployRequest';
import { type ProjectNaming, projectNamingOf, resolveWorkflowName, sensorName, type WorkflowName } from '../names';
import { productionNamespace, productionTokenFolder, resolveProductionToken, TokenStore } from '../productionToken';
import { type ArgoClient, type ArgoKind } from './argoClient';
import { type FieldChange, manifestChanges } from './argoManifestDiff';
import type { ManifestValidator } from './argoSchemaCheck';
import { checkArgo } from './checkArgo';
import { compileArgo } from './compileArgo';
import { flowEvents } from './triggers';
import { flowSchedule } from './schedule';
import { type ArgoManifests, DEFAULT_NAMESPACE, type Manifest } from './types';

/** Settings the compiler reads by full name, besides the @kubernetes ones. */
const ARGO_SETTINGS = [
  'METAFLOW_DEFAULT_DATASTORE',
  'METAFLOW_DATASTORE_SYSROOT_AZURE',
  'METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT',
  'METAFLOW_CARD_AZUREROOT',
  'METAFLOW_ARGO_EVENTS_EVENT',
  'METAFLOW_ARGO_EVENTS_EVENT_SOURCE',
  'METAFLOW_ARGO_EVENTS_EVENT_BUS',
  'METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT',
  'METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE',
];

export interface ArgoDeployOptions {
  name?: string;
  namespace?: string;
  maxWorkers?: number;
  workflowTimeout?: number;
  workflowPriority?: number;
  tags?: string[];
  /** False: deployed steps publish no Argo Events (`--no-auto-emit-argo-events`); Metaflow's default is on. */
  autoEmitArgoEvents?: boolean;
}

export interface ArgoDeployRequest extends DeployRequestBase {
  options: ArgoDeployOptions;
  argo: ArgoClient;
  /** Offline schema validation; the server's dry run validates in any case. */
  validate?: ManifestValidator;
}

export interface ObjectPlan {
  kind: ArgoKind;
  name: string;
  namespace: string;
  /** What will be sent; absent for an object to delete. */
  manifest?: Manifest;
  /** As read from the cluster. */
  deployed?: Manifest;
  action: 'create' | 'replace' | 'unchanged' | 'delete';
  changes: FieldChange[];
}

export interface ArgoDeployPlan {
  flowName: string;
  name: string;
  namespace: string;
  contextName: string;
  productionToken: string;
  tokenPrefix: string;
  tokenGenerated: boolean;
  /** `production:<token>`: where the deployment's runs are. */
  runNamespace: string;
  manifests: ArgoManifests;
  objects: ObjectPlan[];
  packageUploaded: boolean;
  codePackageUrl: string;
  /** Folder of the user's production tokens. */
  tokenFolder: string;
}

export type ArgoPrepareOutcome = { ok: true; plan: ArgoDeployPlan } | { ok: false; problems: DeployProblem[] };

export interface ArgoDeployReport {
  applied: Array<{ kind: ArgoKind; name: string; namespace: string; action: ObjectPlan['action'] }>;
  runNamespace: string;
  contextName: string;
}

function refuse(message: string): ArgoPrepareOutcome {
  return { ok: false, problems: [{ target: 'argo-workflows', message }] };
}

export function argoProject(flow: FlowInfo, user: string, env: NodeJS.ProcessEnv): ProjectNaming | undefined {
  return projectNamingOf(projectSystemTags(flow, user, env));
}

/** The compiler's settings (METAFLOW_* by full name) with Metaflow's precedence. */
export function argoSettings(config: MetaflowConfig): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of [...ARGO_SETTINGS, ...Object.values(KUBERNETES_SETTINGS)]) out[name] = config.getString(name);
  return out;
}

/** Namespace of the deployment: --namespace, else METAFLOW_KUBERNETES_NAMESPACE, else default. */
export function deploymentNamespace(options: ArgoDeployOptions, settings: Record<string, string | undefined>): string {
  return options.namespace ?? settings.METAFLOW_KUBERNETES_NAMESPACE ?? DEFAULT_NAMESPACE;
}

/** Who deploys which template where, from the settings with Metaflow's precedence: the same for a deploy, the verbs that act on a deployment and `--only-json`. */
export interface ArgoDeploymentTarget {
  config: MetaflowConfig;
  /** The compiler's settings (argoSettings). */
  settings: Record<string, string | undefined>;
  owner: string;
  project?: ProjectNaming;
  /** May carry a problem; each caller decides when to refuse it. */
  naming: WorkflowName;
  namespace: string;
  /** METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE, else the deployment's namespace. */
  sensorNamespace: string;
}

export function argoDeploymentTarget(input: {
  flow: FlowInfo;
  flowFile: string;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  settings?: Record<string, string>;
  options: Pick<ArgoDeployOptions, 'name' | 'namespace'>;
}): ArgoDeploymentTarget {
  const config = MetaflowConfig.load({ env: input.env, startDir: path.dirname(input.flowFile), homeDir: input.homeDir, settings: input.settings });
  const settings = argoSettings(config);
  const owner = resolveUsername(input.env, config.getString('METAFLOW_USER'));
  const project = argoProject(input.flow, owner, input.env);
  const naming = resolveWorkflowName({ flowName: input.flow.name, name: input.options.name, project });
  const namespace = deploymentNamespace(input.options, settings);
  return { config, settings, owner, project, naming, namespace, sensorNamespace: settings.METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE ?? namespace };
}

function annotationsOf(object: Manifest | undefined): Record<string, string> {
  return ((object?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<string, string>;
}

function plan(kind: ArgoKind, manifest: Manifest | undefined, deployed: Manifest | undefined, name: string, namespace: string): ObjectPlan | undefined {
  if (!manifest && !deployed) return undefined;
  if (!manifest) return { kind, name, namespace, deployed, action: 'delete', changes: [] };
  if (!deployed) return { kind, name, namespace, manifest, action: 'create', changes: [] };
  const changes = manifestChanges(deployed, manifest);
  return { kind, name, namespace, manifest, deployed, action: changes.length ? 'replace' : 'unchanged', changes };
}

export async function prepareArgoDeployment(req: ArgoDeployRequest): Promise<ArgoPrepareOutcome> {
  const { config, settings, owner, project, naming, namespace, sensorNamespace } = argoDeploymentTarget(req);
  // Refusals first: nothing is read from the cluster or uploaded for a flow that cannot be deployed.
  const refusals = checkArgo(req.flow, { config: settings, name: req.options.name, project });
  if (refusals.length > 0) return { ok: false, problems: refusals };
  if (datastoreKind(config) !== 'azure') return refuse("Argo Workflows runs need a cloud datastore: set METAFLOW_DEFAULT_DATASTORE=azure and the Azure datastore settings.");
  const azure = azureDatastoreConfig(config);
  if (naming.problem) return refuse(naming.problem);
  const hasSchedule = flowSchedule(req.flow).schedule !== undefined;
  const hasEvents = flowEvents(req.flow, project).events.length > 0;

  const argo = req.argo;
  await argo.ensureInstalled('WorkflowTemplate', namespace);
  const deployedTemplate = await argo.get('WorkflowTemplate', namespace, naming.name);
  const deployedCron = await argo.get('CronWorkflow', namespace, naming.name);
  let deployedSensor: Manifest | undefined;
  if (hasEvents) await argo.ensureInstalled('Sensor', sensorNamespace);
  try {
    deployedSensor = await argo.get('Sensor', sensorNamespace, sensorName(naming.name));
  } catch (err) {
    // Without Argo Events there is no sensor to replace or remove.
    if (hasEvents) throw err;
  }

  const tokenFolder = productionTokenFolder(req.env, req.homeDir);
  const store = new TokenStore(tokenFolder);
  const stored = store.load(naming.tokenPrefix);
  const deployedAnnotations = annotationsOf(deployedTemplate);
  const existingToken = deployedAnnotations['metaflow/production_token'];
  const token = resolveProductionToken({
    name: naming.name,
    tokenPrefix: naming.tokenPrefix,
    isProject: naming.isProject,
    user: owner,
    existing: existingToken ? { user: deployedAnnotations['metaflow/owner'] ?? '', token: existingToken } : stored ? { user: owner, token: stored } : undefined,
    stored,
    authorize: req.authorize,
    newToken: req.newToken,
    generateNewToken: req.generateNewToken,
  });
  if ('problem' in token) return refuse(token.problem);

  const pkg = await publishCodePackage({ config, flowFile: req.flowFile, flowName: req.flow.name, embeddedPythonDir: req.embeddedPythonDir, storage: req.azureStorage(azure), sysroot: azure.sysroot });
  const compiled = compileArgo(req.flow, {
    config: settings,
    name: req.options.name,
    project,
    namespace,
    maxWorkers: req.options.maxWorkers,
    workflowTimeout: req.options.workflowTimeout,
    workflowPriority: req.options.workflowPriority,
    tags: req.options.tags ?? [],
    autoEmitArgoEvents: req.options.autoEmitArgoEvents,
    productionToken: token.token,
    user: owner,
    deploymentTimestamp: (req.now ?? new Date()).toISOString(),
    codePackage: { sha: pkg.sha, url: pkg.url },
    podLoaderSource: readPodLoaderSource(req.embeddedPythonDir),
    flowFile: path.basename(req.flowFile),
  });
  if (compiled.problems.length > 0) return { ok: false, problems: compiled.problems };
  const manifests = compiled as ArgoManifests;

  if (req.validate) {
    const invalid = [
      ...req.validate('WorkflowTemplate', manifests.workflowTemplate),
      ...(manifests.cronWorkflow ? req.validate('CronWorkflow', manifests.cronWorkflow) : []),
      ...(manifests.sensor ? req.validate('Sensor', manifests.sensor) : []),
    ];
    if (invalid.length > 0) return { ok: false, problems: invalid.map((message) => ({ target: 'argo-workflows', message: `the compiled manifest does not validate against the Argo schema: ${message}` })) };
  }

  const objects = [
    plan('WorkflowTemplate', manifests.workflowTemplate, deployedTemplate, naming.name, namespace),
    plan('CronWorkflow', hasSchedule ? manifests.cronWorkflow : undefined, deployedCron, naming.name, namespace),
    plan('Sensor', hasEvents ? manifests.sensor : undefined, deployedSensor, sensorName(naming.name), sensorNamespace),
  ].filter((p): p is ObjectPlan => p !== undefined);
  return {
    ok: true,
    plan: {
      flowName: req.flow.name,
      name: naming.name,
      namespace,
      contextName: argo.contextName,
      productionToken: token.token,
      tokenPrefix: naming.tokenPrefix,
      tokenGenerated: token.generated,
      runNamespace: productionNamespace(token.token),
      manifests,
      objects,
      packageUploaded: pkg.uploaded,
      codePackageUrl: pkg.url,
      tokenFolder,
    },
  };
}

/** Dry run of every object first, so a refusal by the server changes nothing; then the real calls. */
export async function applyArgoDeployment(plan: ArgoDeployPlan, argo: ArgoClient): Promise<ArgoDeployReport> {
  const toWrite = plan.objects.filter((o) => o.action === 'create' || o.action === 'replace');
  for (const o of toWrite) await argo.apply(o.kind, o.manifest!, o.deployed, { dryRun: true });
  const applied: ArgoDeployReport['applied'] = [];
  for (const o of plan.objects) {
    if (o.action === 'delete') await argo.delete(o.kind, o.namespace, o.name);
    else if (o.action !== 'unchanged') await argo.apply(o.kind, o.manifest!, o.deployed);
    applied.push({ kind: o.kind, name: o.name, namespace: o.namespace, action: o.action });
  }
  new TokenStore(plan.tokenFolder).store(plan.tokenPrefix, plan.productionToken);
  return { applied, runNamespace: plan.runNamespace, contextName: plan.contextName };
}

/** One line per object: `WorkflowTemplate nightlyflow in ml: replaced (3 fields changed)`. */
export function describeReport(report: ArgoDeployReport, plan: ArgoDeployPlan): string[] {
  const verbs = { create: 'created', replace: 'replaced', unchanged: 'unchanged', delete: 'deleted (the flow no longer has it)' } as const;
  return report.applied.map((a) => {
    const changes = plan.objects.find((o) => o.kind === a.kind)?.changes.length ?? 0;
    return `${a.kind} ${a.name} in namespace ${a.namespace} of cluster ${report.contextName}: ${verbs[a.action]}${a.action === 'replace' ? ` (${changes} field${changes === 1 ? '' : 's'} changed)` : ''}`;
  });
}
