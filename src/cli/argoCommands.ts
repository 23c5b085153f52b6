// `argo-workflows create FLOW.py --only-json`: every manifest of a deployment (WorkflowTemplate,
// CronWorkflow, Sensor) printed with no cluster access. Without --only-json, and the other verbs (trigger,
// delete, status, suspend, unsuspend), go to the cluster: src/cli/argoClusterCommands.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { MetaflowConfig } from '../config/metaflowConfig';
import { resolveUsername } from '../config/username';
import { checkArgo } from '../deploy/argo/checkArgo';
import { compileArgo } from '../deploy/argo/compileArgo';
import type { ArgoManifests } from '../deploy/argo/types';
import { type DeployProblem, formatDeployProblem } from '../deploy/deployProblem';
import { resolveWorkflowName, type ProjectNaming } from '../deploy/names';
import { productionNamespace, resolveProductionToken, TokenStore } from '../deploy/productionToken';
import { createFlowAnalyzer } from '../flow/analyzer';
import { analyzeFile } from '../flow/analyzeFile';
import type { FlowInfo } from '../flow/types';
import { POD_LOADER_MODULE_FILE } from '../kube/podContract';
import { buildCodePackage, DEFAULT_CODE_PACKAGE_MAX_MB } from '../runtime/codePackage';
import { locateEmbeddedPython } from '../runtime/embeddedPython';
import { projectSystemTags } from '../runtime/projectTags';
import { argoClusterCommands, ARGO_TARGET_OPTIONS, deployFromCli } from './argoClusterCommands';
import { intOption, lastOption, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';

/** Settings the compiler reads; resolved with Metaflow's precedence (env > config files). */
const SETTINGS = [
  'METAFLOW_DEFAULT_DATASTORE',
  'METAFLOW_DATASTORE_SYSROOT_AZURE',
  'METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT',
  'METAFLOW_CARD_AZUREROOT',
  'METAFLOW_KUBERNETES_NAMESPACE',
  'METAFLOW_ARGO_EVENTS_EVENT',
  'METAFLOW_ARGO_EVENTS_EVENT_SOURCE',
  'METAFLOW_ARGO_EVENTS_EVENT_BUS',
  'METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT',
  'METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE',
];

function settings(config: MetaflowConfig): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of SETTINGS) out[name] = config.getString(name);
  // The @kubernetes settings (METAFLOW_KUBERNETES_*) are read by the attribute resolver by full name.
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('METAFLOW_KUBERNETES_') && v) out[k] = v;
  return out;
}

function projectOf(flow: FlowInfo, user: string, env: NodeJS.ProcessEnv): ProjectNaming | undefined {
  const tags = projectSystemTags(flow, user, env);
  const project = tags.find((t) => t.startsWith('project:'))?.slice('project:'.length);
  const branch = tags.find((t) => t.startsWith('project_branch:'))?.slice('project_branch:'.length);
  return project && branch ? { project, branch } : undefined;
}

async function loadFlow(file: string, flowName: string | undefined, io: CliIO): Promise<FlowInfo> {
  const full = path.resolve(io.cwd, file);
  if (!fs.existsSync(full)) throw new Error(`${file}: no such file`);
  const analyzer = await createFlowAnalyzer();
  try {
    const analysis = analyzeFile(analyzer, full);
    const name = flowName ?? analysis.mainFlow ?? analysis.flows[0]?.name;
    const flow = analysis.flows.find((f) => f.name === name);
    if (!flow) throw new Error(`${file} defines no flow${flowName ? ` named '${flowName}'` : ''}`);
    return flow;
  } finally {
    analyzer.dispose();
  }
}

function reportProblems(flow: FlowInfo, file: string, problems: DeployProblem[], io: CliIO): number {
  io.stderr(`metaflow-studio argo-workflows create: ${flow.name} cannot be deployed to Argo Workflows:\n`);
  for (const problem of problems) io.stderr(`  ${formatDeployProblem(problem, file)}\n`);
  return 1;
}

const createCommand: CliCommand = {
  name: 'argo-workflows create',
  summary: 'Deploy a flow to Argo Workflows (--only-json prints the manifests without a cluster)',
  usage:
    'argo-workflows create FLOW.py [--only-json [--output json|yaml]] [--kubernetes-context C] [--flow NAME] [--name N] [--namespace NS] [--max-workers N] [--workflow-timeout S] ' +
    '[--workflow-priority P] [--tag T]... [--authorize T | --generate-new-token | --new-token T]',
  async run(args, io) {
    const p = parseVerbArgs(
      args,
      {
        'only-json': { type: 'boolean' },
        output: { type: 'string' },
        flow: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        'max-workers': { type: 'string' },
        'workflow-timeout': { type: 'string' },
        'workflow-priority': { type: 'string' },
        tag: { type: 'string' },
        authorize: { type: 'string' },
        'generate-new-token': { type: 'boolean' },
        'new-token': { type: 'string' },
        ...ARGO_TARGET_OPTIONS,
      },
      false,
    );
    if (p.positional.length !== 1) throw new UsageError(p.positional.length === 0 ? 'missing FLOW.py argument' : `unexpected argument '${p.positional[1]}'`);
    if (!p.flags.has('only-json')) {
      if (p.options.has('output')) throw new UsageError('--output goes with --only-json');
      return deployFromCli(p, io);
    }
    const output = lastOption(p, 'output') ?? 'json';
    if (output !== 'json' && output !== 'yaml') throw new UsageError(`--output must be json or yaml, not '${output}'`);
    const file = p.positional[0];
    const flow = await loadFlow(file, lastOption(p, 'flow'), io);
    const config = MetaflowConfig.load({ env: io.env, startDir: path.dirname(path.resolve(io.cwd, file)), homeDir: os.homedir() });
    const user = resolveUsername(io.env);
    const project = projectOf(flow, user, io.env);
    const name = lastOption(p, 'name');
    const naming = resolveWorkflowName({ flowName: flow.name, name, project });
    // Without a cluster the deployed template is unknown: the token this user last deployed with stands for it.
    const home = io.env.METAFLOW_TOKEN_HOME || io.env.METAFLOW_HOME || path.join(os.homedir(), '.metaflowconfig');
    const stored = new TokenStore(home).load(naming.tokenPrefix);
    const token = resolveProductionToken({
      name: naming.name,
      tokenPrefix: naming.tokenPrefix,
      isProject: naming.isProject,
      user,
      existing: stored ? { user, token: stored } : undefined,
      stored,
      authorize: lastOption(p, 'authorize'),
      newToken: lastOption(p, 'new-token'),
      generateNewToken: p.flags.has('generate-new-token'),
    });
    if ('problem' in token) {
      io.stderr(`metaflow-studio argo-workflows create: ${token.problem}\n`);
      return 1;
    }
    const cfg = settings(config);
    // Refusals first: no code package is built for a flow that cannot be deployed.
    const refusals = checkArgo(flow, { config: cfg, name, project });
    if (refusals.length > 0) return reportProblems(flow, file, refusals, io);
    const pythonDir = locateEmbeddedPython();
    const pkg = await buildCodePackage({ flowDir: path.dirname(path.resolve(io.cwd, file)), embeddedPythonDir: pythonDir, maxBytes: DEFAULT_CODE_PACKAGE_MAX_MB * 1024 * 1024 });
    const sysroot = cfg.METAFLOW_DATASTORE_SYSROOT_AZURE ?? '';
    const result = compileArgo(flow, {
      config: cfg,
      name,
      project,
      namespace: lastOption(p, 'namespace'),
      maxWorkers: intOption(p, 'max-workers'),
      workflowTimeout: intOption(p, 'workflow-timeout'),
      workflowPriority: lastOption(p, 'workflow-priority') === undefined ? undefined : Number(lastOption(p, 'workflow-priority')),
      tags: p.options.get('tag') ?? [],
      productionToken: token.token,
      user,
      deploymentTimestamp: new Date().toISOString(),
      codePackage: { sha: pkg.sha, url: `${sysroot}/${flow.name}/data/${pkg.sha.slice(0, 2)}/${pkg.sha}` },
      podLoaderSource: fs.readFileSync(path.join(pythonDir, POD_LOADER_MODULE_FILE), 'utf8'),
      flowFile: path.basename(file),
    });
    if (result.problems.length > 0) return reportProblems(flow, file, result.problems, io);
    const m = result as ArgoManifests;
    const manifests = [m.workflowTemplate, m.cronWorkflow, m.sensor].filter((x) => x !== undefined);
    io.stdout(output === 'yaml' ? manifests.map((x) => toYaml(x, { lineWidth: 0 })).join('---\n') : `${JSON.stringify(manifests, null, 2)}\n`);
    io.stderr(`Runs of this deployment are in the namespace ${productionNamespace(token.token)}. The code package (${pkg.sha}) is not uploaded by --only-json.\n`);
    return 0;
  },
};

export const argoCommands: CliCommand[] = [createCommand, ...argoClusterCommands];
