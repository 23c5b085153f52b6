// `argo-workflows create FLOW.py --only-json`: every manifest of a deployment (WorkflowTemplate,
// CronWorkflow, Sensor) printed with no cluster access. Without --only-json, and the other verbs (trigger,
// delete, status, suspend, unsuspend), go to the cluster: src/cli/argoClusterCommands.ts.
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { argoDeploymentTarget } from '../deploy/argo/argoDeploy';
import { checkArgo } from '../deploy/argo/checkArgo';
import { compileArgo } from '../deploy/argo/compileArgo';
import type { ArgoManifests } from '../deploy/argo/types';
import { buildDeployCodePackage, codePackageUrl, readPodLoaderSource } from '../deploy/deployCodePackage';
import { type DeployProblem, formatDeployProblem } from '../deploy/deployProblem';
import { productionNamespace, productionTokenFolder, resolveProductionToken, TokenStore } from '../deploy/productionToken';
import type { FlowInfo } from '../flow/types';
import { locateEmbeddedPython } from '../runtime/embeddedPython';
import { argoClusterCommands, ARGO_TARGET_OPTIONS, deployFromCli } from './argoClusterCommands';
import { lastOption, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { argoDeployOptions, TOKEN_OPTIONS, tokenFlags } from './deployOptions';
import { loadFlowArgument } from './flowArgument';

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
    '[--workflow-priority P] [--tag T]... [--no-auto-emit-argo-events] [--authorize T | --generate-new-token | --new-token T]',
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
        'no-auto-emit-argo-events': { type: 'boolean' },
        ...TOKEN_OPTIONS,
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
    const { flow, full, label } = await loadFlowArgument(p.positional[0], lastOption(p, 'flow'), io);
    const target = { name: lastOption(p, 'name'), namespace: lastOption(p, 'namespace') };
    const { config, settings: cfg, owner: user, project, naming } = argoDeploymentTarget({ flow, flowFile: full, env: io.env, homeDir: os.homedir(), options: target });
    const options = argoDeployOptions(p);
    // Without a cluster the deployed template is unknown: the token this user last deployed with stands for it.
    const stored = new TokenStore(productionTokenFolder(io.env, os.homedir())).load(naming.tokenPrefix);
    const token = resolveProductionToken({
      name: naming.name,
      tokenPrefix: naming.tokenPrefix,
      isProject: naming.isProject,
      user,
      existing: stored ? { user, token: stored } : undefined,
      stored,
      ...tokenFlags(p),
    });
    if ('problem' in token) {
      io.stderr(`metaflow-studio argo-workflows create: ${token.problem}\n`);
      return 1;
    }
    // Refusals first: no code package is built for a flow that cannot be deployed.
    const refusals = checkArgo(flow, { config: cfg, name: options.name, project });
    if (refusals.length > 0) return reportProblems(flow, label, refusals, io);
    const pythonDir = locateEmbeddedPython();
    const pkg = await buildDeployCodePackage(config, full, pythonDir);
    const result = compileArgo(flow, {
      ...options,
      config: cfg,
      project,
      productionToken: token.token,
      user,
      deploymentTimestamp: new Date().toISOString(),
      codePackage: { sha: pkg.sha, url: codePackageUrl(cfg.METAFLOW_DATASTORE_SYSROOT_AZURE ?? '', flow.name, pkg.sha) },
      podLoaderSource: readPodLoaderSource(pythonDir),
      flowFile: path.basename(full),
    });
    if (result.problems.length > 0) return reportProblems(flow, label, result.problems, io);
    const m = result as ArgoManifests;
    const manifests = [m.workflowTemplate, m.cronWorkflow, m.sensor].filter((x) => x !== undefined);
    io.stdout(output === 'yaml' ? manifests.map((x) => toYaml(x, { lineWidth: 0 })).join('---\n') : `${JSON.stringify(manifests, null, 2)}\n`);
    io.stderr(`Runs of this deployment are in the namespace ${productionNamespace(token.token)}. The code package (${pkg.sha}) is not uploaded by --only-json.\n`);
    return 0;
  },
};

export const argoCommands: CliCommand[] = [createCommand, ...argoClusterCommands];
