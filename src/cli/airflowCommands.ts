// `airflow create FLOW.py DAG_FILE.py`: the flow as an Airflow DAG file, or every reason it cannot be one.
import * as os from 'node:os';
import { relative, resolve } from 'node:path';
import { createAirflowDag } from '../deploy/airflow/airflowDeployment';
import { formatDeployProblem } from '../deploy/deployProblem';
import { locateEmbeddedPython } from '../runtime/embeddedPython';
import { intOption, lastOption, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { TOKEN_OPTIONS, tokenFlags } from './deployOptions';
import { loadFlowArgument } from './flowArgument';
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
  ...TOKEN_OPTIONS,
} as const;

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
    const { flow, full: flowFile, label } = await loadFlowArgument(flowArg, lastOption(p, 'flow'), io);
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
      ...tokenFlags(p),
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
