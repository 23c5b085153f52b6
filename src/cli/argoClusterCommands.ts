// The `argo-workflows` verbs that talk to the cluster: create (deploy), trigger, delete, status, suspend,
// unsuspend. The cluster is the kubeconfig's (KUBECONFIG or ~/.kube/config), its context given by
// --kubernetes-context or METAFLOW_KUBERNETES_CONTEXT.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetaflowConfig } from '../config/metaflowConfig';
import { ArgoClient } from '../deploy/argo/argoClient';
import { applyArgoDeployment, argoDeploymentTarget, describeReport, prepareArgoDeployment } from '../deploy/argo/argoDeploy';
import { deleteDeployment, type DeploymentRef, deploymentStatus, setScheduleSuspended, triggerArgoWorkflow } from '../deploy/argo/argoLifecycle';
import { argoSchemaValidator, pinnedArgoValidator } from '../deploy/argo/argoSchemaCheck';
import { formatDeployProblem } from '../deploy/deployProblem';
import type { FlowInfo } from '../flow/types';
import { locateEmbeddedPython } from '../runtime/embeddedPython';
import { extractParameters } from '../runtime/parameterValues';
import { lastOption, type OptionTypes, parseVerbArgs, type ParsedArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { argoDeployOptions, tokenFlags } from './deployOptions';
import { loadFlowArgument } from './flowArgument';
import { lazyAzureStorage } from './lazyAzure';
import { lazyKubeClient } from './lazyKube';

/** Options every cluster verb takes. */
const TARGET: OptionTypes = {
  flow: { type: 'string' },
  name: { type: 'string' },
  namespace: { type: 'string' },
  'kubernetes-context': { type: 'string' },
};

/** Setting naming another schema file to validate manifests against (default: the pinned schema the build compiled). */
const SCHEMA_SETTING = 'METAFLOW_STUDIO_ARGO_SCHEMA';

function openArgo(p: ParsedArgs, io: CliIO, config: MetaflowConfig, namespace: string): ArgoClient {
  const kubeconfigPath = io.env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  const context = lastOption(p, 'kubernetes-context') ?? config.getString('METAFLOW_KUBERNETES_CONTEXT');
  return new ArgoClient(lazyKubeClient({ kubeconfigPath, context, namespace }));
}

interface Target {
  flow: FlowInfo;
  full: string;
  /** FLOW.py as messages name it. */
  label: string;
  config: MetaflowConfig;
  user: string;
  ref: DeploymentRef;
  argo: ArgoClient;
}

async function target(p: ParsedArgs, io: CliIO): Promise<Target> {
  if (p.positional.length === 0) throw new UsageError('missing FLOW.py argument');
  if (p.positional.length > 1) throw new UsageError(`unexpected argument '${p.positional[1]}'`);
  const { flow, full, label } = await loadFlowArgument(p.positional[0], lastOption(p, 'flow'), io);
  const d = argoDeploymentTarget({ flow, flowFile: full, env: io.env, homeDir: os.homedir(), options: { name: lastOption(p, 'name'), namespace: lastOption(p, 'namespace') } });
  if (d.naming.problem) throw new Error(d.naming.problem);
  const ref = { name: d.naming.name, namespace: d.namespace, sensorNamespace: d.sensorNamespace };
  return { flow, full, label, config: d.config, user: d.owner, ref, argo: openArgo(p, io, d.config, d.namespace) };
}

/** `argo-workflows create FLOW.py` without --only-json: deploy. Called by the create verb. */
export async function deployFromCli(p: ParsedArgs, io: CliIO): Promise<number> {
  const t = await target(p, io);
  const schemaFile = t.config.getString(SCHEMA_SETTING);
  io.stderr(`Deploying ${t.flow.name} to Argo Workflows in namespace ${t.ref.namespace} of cluster ${t.argo.contextName}...\n`);
  const outcome = await prepareArgoDeployment({
    flowFile: t.full,
    flow: t.flow,
    options: argoDeployOptions(p),
    ...tokenFlags(p),
    env: io.env,
    homeDir: os.homedir(),
    azureStorage: lazyAzureStorage,
    embeddedPythonDir: locateEmbeddedPython(),
    argo: t.argo,
    validate: schemaFile ? argoSchemaValidator(schemaFile) : pinnedArgoValidator(),
  });
  if (!outcome.ok) {
    for (const problem of outcome.problems) io.stderr(`  ${formatDeployProblem(problem, t.label)}\n`);
    io.stderr(`${t.flow.name} cannot be deployed to Argo Workflows; nothing was changed in the cluster.\n`);
    return 1;
  }
  const { plan } = outcome;
  for (const o of plan.objects) {
    if (o.action !== 'replace') continue;
    io.stderr(`${o.kind} ${o.name} differs from the deployed one in ${o.changes.length} field${o.changes.length === 1 ? '' : 's'}:\n`);
    for (const c of o.changes.slice(0, 20)) io.stderr(`  ${c.kind} ${c.path}\n`);
    if (o.changes.length > 20) io.stderr(`  ... and ${o.changes.length - 20} more\n`);
  }
  const report = await applyArgoDeployment(plan, t.argo);
  for (const line of describeReport(report, plan)) io.stdout(`${line}\n`);
  if (plan.tokenGenerated) io.stderr('A new production token was generated.\n');
  io.stderr(`The runs of this deployment are in the namespace ${plan.runNamespace}; in a notebook: namespace("${plan.runNamespace}")\n`);
  io.stderr(`Trigger a run with: metaflow-studio argo-workflows trigger ${t.label}\n`);
  return 0;
}

const triggerCommand: CliCommand = {
  name: 'argo-workflows trigger',
  summary: 'Start a run of the deployed flow on Argo Workflows',
  usage: 'argo-workflows trigger FLOW.py [--<param> VALUE]... [--run-id-file F] [--flow NAME] [--name N] [--namespace NS] [--kubernetes-context C]',
  async run(args, io) {
    const p = parseVerbArgs(args, { ...TARGET, 'run-id-file': { type: 'string' } }, true);
    const t = await target(p, io);
    const { values, rest } = extractParameters(t.flow, p.unknown);
    if (rest.length > 0) throw new UsageError(`${rest[0]} is not an option of trigger nor a parameter of ${t.flow.name}`);
    const result = await triggerArgoWorkflow({ argo: t.argo, ref: t.ref, flow: t.flow, parameters: values, user: t.user });
    const runIdFile = lastOption(p, 'run-id-file');
    if (runIdFile) fs.writeFileSync(path.resolve(io.cwd, runIdFile), result.runId);
    io.stdout(`Workflow ${result.workflowName} triggered on Argo Workflows (run-id ${result.runId}).\n`);
    return 0;
  },
};

const deleteCommand: CliCommand = {
  name: 'argo-workflows delete',
  summary: 'Delete the deployed flow (its WorkflowTemplate, CronWorkflow and Sensor)',
  usage: 'argo-workflows delete FLOW.py [--flow NAME] [--name N] [--namespace NS] [--kubernetes-context C]',
  async run(args, io) {
    const t = await target(parseVerbArgs(args, TARGET, false), io);
    const deleted = await deleteDeployment(t.argo, t.ref);
    io.stdout(`Deleted from namespace ${t.ref.namespace} of cluster ${t.argo.contextName}: ${deleted.join(', ')}.\n`);
    return 0;
  },
};

const statusCommand: CliCommand = {
  name: 'argo-workflows status',
  summary: 'Show the deployment of the flow and its runs',
  usage: 'argo-workflows status FLOW.py [--json] [--flow NAME] [--name N] [--namespace NS] [--kubernetes-context C]',
  async run(args, io) {
    const p = parseVerbArgs(args, { ...TARGET, json: { type: 'boolean' } }, false);
    const t = await target(p, io);
    const s = await deploymentStatus(t.argo, t.ref);
    if (p.flags.has('json')) {
      io.stdout(`${JSON.stringify(s)}\n`);
      return s.deployed ? 0 : 1;
    }
    if (!s.deployed) {
      io.stdout(`${t.flow.name} is not deployed as '${s.name}' in namespace ${s.namespace} of cluster ${t.argo.contextName}.\n`);
      return 1;
    }
    io.stdout(`${s.name} in namespace ${s.namespace}: deployed by ${s.owner ?? '?'} at ${s.deployedAt ?? '?'}, production token ${s.productionToken ?? '?'}\n`);
    if (s.schedule) io.stdout(`Schedule: ${s.schedule.cron}${s.schedule.timezone ? ` (${s.schedule.timezone})` : ''}${s.schedule.suspended ? ', suspended' : ''}\n`);
    if (s.sensor) io.stdout(`Triggered by events through the sensor ${s.sensor}\n`);
    io.stdout(s.runs.length ? `Runs:\n${s.runs.map((r) => `  ${r.runId}  ${r.phase}  ${r.startedAt ?? ''}`).join('\n')}\n` : 'No runs.\n');
    return 0;
  },
};

function suspendCommand(suspend: boolean): CliCommand {
  const verb = suspend ? 'suspend' : 'unsuspend';
  return {
    name: `argo-workflows ${verb}`,
    summary: suspend ? "Pause the deployed flow's schedule" : "Resume the deployed flow's schedule",
    usage: `argo-workflows ${verb} FLOW.py [--flow NAME] [--name N] [--namespace NS] [--kubernetes-context C]`,
    async run(args, io) {
      const t = await target(parseVerbArgs(args, TARGET, false), io);
      await setScheduleSuspended(t.argo, t.ref, suspend);
      io.stdout(`The schedule of ${t.ref.name} in namespace ${t.ref.namespace} is ${suspend ? 'suspended' : 'running again'}.\n`);
      return 0;
    },
  };
}

export const argoClusterCommands: CliCommand[] = [triggerCommand, deleteCommand, statusCommand, suspendCommand(true), suspendCommand(false)];
export const ARGO_TARGET_OPTIONS = TARGET;
