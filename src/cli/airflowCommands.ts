// `airflow create FLOW.py DAG_FILE.py`: the flow as an Airflow DAG file, or every reason it cannot be one.
import * as os from 'node:os';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createAirflowDag } from '../deploy/airflow/airflowDeployment';
import { formatDeployProblem } from '../deploy/deployProblem';
import { analyzeFile } from '../flow/analyzeFile';
import { createFlowAnalyzer } from '../flow/analyzer';
import type { FlowInfo } from '../flow/types';
import { locateEmbeddedPython } from '../runtime/embeddedPython';
import { intOption, lastOption, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { lazyAzureStorage } from './lazyAzure';

const OPTIONS = {
  flow: { type: 'string' },
  name: { type: 'string' },
  'max-workers': { type: 'string' },
  'workflow-timeout': { type: 'string' },
  'worker-pool': { type: 'string' },
  tag: { type: 'string' },
  'is-paused-upon-creation': { type: 'boolean' },
  namespace: { type: 'string' },
  authorize: { type: 'string' },
  'generate-new-token': { type: 'boolean' },
  'new-token': { type: 'string' },
} as const;

/** The flow of FLOW.py that `python FLOW.py airflow create` would deploy, or the reason there is none. */
async function chooseFlow(file: string, flowName: string | undefined): Promise<FlowInfo | string> {
  const analyzer = await createFlowAnalyzer();
  try {
    const analysis = analyzeFile(analyzer, file);
    if (analysis.flows.length === 0) return 'defines no flow: no class derives from metaflow\'s FlowSpec';
    if (flowName !== undefined) return analysis.flows.find((f) => f.name === flowName) ?? `has no flow named '${flowName}'; it defines ${analysis.flows.map((f) => f.name).join(', ')}`;
    const main = analysis.mainFlow ? analysis.flows.find((f) => f.name === analysis.mainFlow) : undefined;
    if (main) return main;
    if (analysis.flows.length === 1) return analysis.flows[0];
    return `defines ${analysis.flows.length} flows (${analysis.flows.map((f) => f.name).join(', ')}); choose one with --flow NAME`;
  } finally {
    analyzer.dispose();
  }
}

const createCommand: CliCommand = {
  name: 'airflow create',
  summary: 'Write an Airflow DAG file that runs the flow on Kubernetes',
  usage:
    'airflow create FLOW.py DAG_FILE.py [--flow NAME] [--name DAG_ID] [--max-workers N] [--workflow-timeout SECONDS] [--worker-pool POOL] [--tag T]... [--is-paused-upon-creation] [--namespace NS] [--authorize TOKEN | --generate-new-token | --new-token TOKEN]',
  async run(args: string[], io: CliIO) {
    const p = parseVerbArgs(args, OPTIONS, false);
    const [flowArg, dagArg, extra] = p.positional;
    if (!flowArg) throw new UsageError('missing FLOW.py argument');
    if (!dagArg) throw new UsageError('missing DAG_FILE.py argument: where to write the DAG');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const flowFile = resolve(io.cwd, flowArg);
    const label = relative(io.cwd, flowFile) || flowArg;
    if (!existsSync(flowFile)) {
      io.stderr(`metaflow-studio: ${label}: no such file\n`);
      return 2;
    }
    const flow = await chooseFlow(flowFile, lastOption(p, 'flow'));
    if (typeof flow === 'string') {
      io.stderr(`metaflow-studio: ${label} ${flow}.\n`);
      return 2;
    }
    const dagFile = resolve(io.cwd, dagArg);
    io.stderr(`Compiling ${flow.name} to an Airflow DAG...\n`);
    const outcome = await createAirflowDag({
      flowFile,
      flow,
      dagFile,
      options: {
        name: lastOption(p, 'name'),
        maxWorkers: intOption(p, 'max-workers'),
        workflowTimeout: intOption(p, 'workflow-timeout'),
        workerPool: lastOption(p, 'worker-pool'),
        tags: p.options.get('tag') ?? [],
        isPausedUponCreation: p.flags.has('is-paused-upon-creation'),
        namespace: lastOption(p, 'namespace'),
      },
      authorize: lastOption(p, 'authorize'),
      newToken: lastOption(p, 'new-token'),
      generateNewToken: p.flags.has('generate-new-token'),
      env: io.env,
      homeDir: os.homedir(),
      azureStorage: lazyAzureStorage,
      embeddedPythonDir: locateEmbeddedPython(),
    });
    if (!outcome.ok) {
      for (const problem of outcome.problems) io.stderr(`${formatDeployProblem(problem, label)}\n`);
      io.stderr(`${flow.name} cannot be deployed to Airflow: ${outcome.problems.length} problem${outcome.problems.length === 1 ? '' : 's'}; nothing was written.\n`);
      return 1;
    }
    for (const note of outcome.notes) io.stderr(`${note}\n`);
    if (outcome.tokenGenerated) io.stderr('A new production token was generated.\n');
    io.stderr(`The runs of this DAG are in the namespace ${outcome.namespace}; in a notebook: namespace("${outcome.namespace}")\n`);
    io.stdout(`DAG ${outcome.dagId} for flow ${flow.name} written to ${relative(io.cwd, outcome.dagFile) || outcome.dagFile}.\n`);
    return 0;
  },
};

export const airflowCommands: CliCommand[] = [createCommand];
