// `run`, `resume`, `spin`, `dump`, `logs`: the embedded runtime from a terminal.
import * as os from 'node:os';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../flow/analyzer';
import { ConsoleFormatter } from '../runtime/consoleFormat';
import type { RunEvent } from '../runtime/events';
import { type CommonOptions, LocalRunner, type PreparedRun, RunRefused } from '../runtime/localRunner';
import { dumpArtifacts, showLogs } from '../runtime/inspectRun';
import { PoolWarmer } from '../runtime/poolWarmer';
import { progressLabel, runSummaryLine } from '../runs/runSummary';
import { RunStateFold } from '../runs/runStateFold';
import { intOption, lastOption, type OptionTypes, type ParsedArgs, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { lazyAzureStorage } from './lazyAzure';
import { lazyKubeClient } from './lazyKube';
import { parseWithKubernetes } from '../runtime/kubernetesPlacement';
import type { KubernetesRunOptions } from '../runtime/kubernetesPlacement';
import { lintReport } from './lintReport';
import { ProgressLine } from './progressLine';

const COMMON: OptionTypes = {
  flow: { type: 'string' },
  tag: { type: 'string' },
  'max-workers': { type: 'string' },
  'max-num-splits': { type: 'string' },
  'max-log-size': { type: 'string' },
  datastore: { type: 'string' },
  'run-id-file': { type: 'string' },
  with: { type: 'string' },
  'kubernetes-context': { type: 'string' },
  'kubernetes-namespace': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  // Metaflow's top-level options that scripts and its own test suite pass: accepted where they mean what happens here.
  metadata: { type: 'string' },
  environment: { type: 'string' },
  'event-logger': { type: 'string' },
  monitor: { type: 'string' },
  pylint: { type: 'boolean' },
  'no-pylint': { type: 'boolean' },
};

function onlyValue(p: ParsedArgs, name: string, allowed: string, what: string): void {
  const value = lastOption(p, name);
  if (value !== undefined && value !== allowed) throw new UsageError(`--${name} ${value} is not available here: ${what} (use --${name} ${allowed})`);
}

/** `--datastore local|azure` stands for METAFLOW_DEFAULT_DATASTORE, as Metaflow's top-level option. */
function datastoreEnv(p: ParsedArgs, io: CliIO): NodeJS.ProcessEnv {
  const value = lastOption(p, 'datastore');
  if (value === undefined) return io.env;
  if (value !== 'local' && value !== 'azure') throw new UsageError(`--datastore ${value} is not available here: use --datastore local or --datastore azure`);
  return { ...io.env, METAFLOW_DEFAULT_DATASTORE: value };
}

/** `--with kubernetes[:k=v,...]` (Metaflow's spec syntax), `--kubernetes-context`, `--kubernetes-namespace`. */
function kubernetesOptions(p: ParsedArgs): KubernetesRunOptions | undefined {
  let spec: Record<string, unknown> | undefined;
  for (const value of p.options.get('with') ?? []) {
    let parsed;
    try {
      parsed = parseWithKubernetes(value);
    } catch (err) {
      throw new UsageError(`--with ${value}: ${(err as Error).message}`);
    }
    if (parsed === undefined) throw new UsageError(`--with ${value} is not available here: the decorator --with can add is kubernetes (--with kubernetes[:cpu=2,memory=8000,...])`);
    spec = { ...(spec ?? {}), ...parsed };
  }
  const context = lastOption(p, 'kubernetes-context');
  const namespace = lastOption(p, 'kubernetes-namespace');
  if (spec === undefined && context === undefined && namespace === undefined) return undefined;
  return { withAll: spec !== undefined, spec, context, namespace };
}

function commonOptions(p: ParsedArgs, flowFile: string, io: CliIO): CommonOptions {
  onlyValue(p, 'metadata', 'local', 'runs are recorded in the local datastore');
  onlyValue(p, 'environment', 'local', 'steps run in the interpreter the run uses');
  // The run event stream is the one record of a run here: Metaflow's null sidecars (its defaults) are all there is.
  onlyValue(p, 'event-logger', 'nullSidecarLogger', "Metaflow's event logger sidecars are not part of the embedded runtime");
  onlyValue(p, 'monitor', 'nullSidecarMonitor', "Metaflow's monitor sidecars are not part of the embedded runtime");
  const runIdFile = lastOption(p, 'run-id-file');
  return {
    flowFile,
    flowName: lastOption(p, 'flow'),
    tags: p.options.get('tag') ?? [],
    maxWorkers: intOption(p, 'max-workers'),
    maxNumSplits: intOption(p, 'max-num-splits'),
    maxLogMb: intOption(p, 'max-log-size'),
    runIdFile: runIdFile === undefined ? undefined : path.resolve(io.cwd, runIdFile),
    kubernetes: kubernetesOptions(p),
  };
}

/** Writes output in batches (in order across stdout and stderr) so a busy run does not make one write per line. */
class BufferedOut {
  private chunks: Array<{ text: string; toStderr: boolean }> = [];
  private scheduled = false;
  /** Cleared before each batch and redrawn after it, so it stays the terminal's last line. */
  progress?: { line: ProgressLine; text: () => string };

  constructor(private readonly io: CliIO) {}

  write(text: string, toStderr = false): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last && last.toStderr === toStderr) last.text += text;
    else this.chunks.push({ text, toStderr });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.chunks.length > 0) this.progress?.line.clear();
    for (const c of this.chunks) (c.toStderr ? this.io.stderr : this.io.stdout)(c.text);
    this.chunks = [];
    this.progress?.line.show(this.progress.text());
  }
}

async function drive(prepare: () => Promise<PreparedRun>, io: CliIO, json: boolean, quiet = false): Promise<number> {
  const out = new BufferedOut(io);
  let prepared: PreparedRun;
  try {
    prepared = await prepare();
  } catch (err) {
    if (!(err instanceof RunRefused)) throw err;
    if (err.lintErrors.length > 0 || err.syntaxErrors.length > 0) {
      const report = lintReport(path.relative(io.cwd, err.file ?? '') || (err.file ?? ''), err.lintErrors, err.syntaxErrors);
      io.stderr(`${[...report.lines, report.summary].join('\n')}\n`);
    }
    if (json) {
      const refused: RunEvent = { event: 'run_finished', ts: Date.now(), flow: '', run_id: '', pathspec: '', status: 'failed', duration_ms: 0, error: err.message };
      io.stdout(`${JSON.stringify(refused)}\n`);
    }
    io.stderr(`${err.message}\n`);
    return 1;
  }
  const { handle, flow, user } = prepared;
  io.onInterrupt(() => handle.cancel());
  const formatter = new ConsoleFormatter();
  const fold = new RunStateFold(flow, { logTail: 0 });
  if (!json && !quiet) {
    if (prepared.createdRoot) out.write(`Creating local datastore in ${prepared.datastoreRoot}\n`);
    out.write(`Metaflow Studio executing ${flow.name} for user:${user}\n`);
  }
  if (!json) {
    if (io.stderrTTY) out.progress = { line: new ProgressLine(io.stderr, io.stderrTTY.columns), text: () => progressLabel(fold.state) };
  }
  handle.events.on((e: RunEvent) => {
    if (json) {
      out.write(`${JSON.stringify(e)}\n`);
      return;
    }
    fold.apply(e);
    for (const line of formatter.format(e)) out.write(`${line.text}\n`, line.toStderr);
  });
  const result = await handle.done;
  out.flush();
  out.progress?.line.clear();
  if (!json && fold.state.runId) io.stdout(`${runSummaryLine(fold.state)}\n`);
  if (result.status === 'succeeded') return 0;
  return result.status === 'cancelled' ? 130 : 1;
}

async function runner(io: CliIO, p: ParsedArgs, warmPools?: PoolWarmer): Promise<LocalRunner> {
  const analyzer = await createFlowAnalyzer();
  const env = datastoreEnv(p, io);
  return new LocalRunner({ analyzer, env, homeDir: os.homedir(), warmPools, azureStorage: lazyAzureStorage, kubeClient: lazyKubeClient });
}

function flowFileArg(p: ParsedArgs, io: CliIO, verb: string): string {
  const file = p.positional[0];
  if (!file) throw new UsageError(`${verb} needs the flow file`);
  return path.resolve(io.cwd, file);
}

const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run a flow locally with the embedded runtime',
  usage: 'run FLOW.py [--flow NAME] [--<param> VALUE]... [--max-workers N] [--max-num-splits N] [--tag T]... [--max-log-size MB] [--until STEP] [--datastore local|azure] [--with kubernetes[:k=v,...]] [--kubernetes-context C] [--kubernetes-namespace NS] [--run-id-file FILE] [--quiet] [--json]',
  async run(args, io) {
    const p = parseVerbArgs(args, { ...COMMON, until: { type: 'string' } }, true);
    const file = flowFileArg(p, io, 'run');
    if (p.positional.length > 1) throw new UsageError(`unexpected argument '${p.positional[1]}'`);
    const common = commonOptions(p, file, io);
    // Python's start and the flow import overlap the grammar load and the analysis.
    const warmPools = new PoolWarmer({ env: io.env, homeDir: os.homedir() });
    warmPools.warm(file, common.flowName);
    try {
      const r = await runner(io, p, warmPools);
      return await drive(async () => r.run({ ...common, parameterArgs: p.unknown, until: lastOption(p, 'until') }), io, p.flags.has('json'), p.flags.has('quiet'));
    } finally {
      await warmPools.dispose();
    }
  },
};

const resumeCommand: CliCommand = {
  name: 'resume',
  summary: 'Resume the latest (or a given) run: clone what succeeded, run the rest',
  usage: 'resume FLOW.py [STEP] [--origin-run-id ID] [--flow NAME] [--max-workers N] [--tag T]... [--run-id-file FILE] [--quiet] [--json]',
  async run(args, io) {
    const p = parseVerbArgs(args, { ...COMMON, 'origin-run-id': { type: 'string' } }, false);
    const file = flowFileArg(p, io, 'resume');
    if (p.positional.length > 2) throw new UsageError(`unexpected argument '${p.positional[2]}'`);
    const common = commonOptions(p, file, io);
    const r = await runner(io, p);
    return drive(() => r.resume({ ...common, step: p.positional[1], originRunId: lastOption(p, 'origin-run-id') }), io, p.flags.has('json'), p.flags.has('quiet'));
  },
};

const spinCommand: CliCommand = {
  name: 'spin',
  summary: "Run one step again with the inputs it had in a previous run (that run is not changed)",
  usage: 'spin FLOW.py STEP [--origin-run-id ID] [--flow NAME] [--json]',
  async run(args, io) {
    const p = parseVerbArgs(args, { ...COMMON, 'origin-run-id': { type: 'string' } }, false);
    const file = flowFileArg(p, io, 'spin');
    const step = p.positional[1];
    if (!step) throw new UsageError('spin needs the step to run');
    if (p.positional.length > 2) throw new UsageError(`unexpected argument '${p.positional[2]}'`);
    const common = commonOptions(p, file, io);
    const r = await runner(io, p);
    return drive(() => r.spin({ ...common, step, originRunId: lastOption(p, 'origin-run-id') }), io, p.flags.has('json'), p.flags.has('quiet'));
  },
};

const dumpCommand: CliCommand = {
  name: 'dump',
  summary: "Print a task's artifacts: names, types, sizes and values",
  usage: 'dump FLOW/RUN/STEP[/TASK] [--private] [--max-value-size N] [--include a,b] [--json]',
  async run(args, io) {
    const p = parseVerbArgs(args, { 'max-value-size': { type: 'string' }, include: { type: 'string' }, private: { type: 'boolean' }, json: { type: 'boolean' } }, false);
    const pathspec = p.positional[0];
    if (!pathspec) throw new UsageError('dump needs a pathspec FLOW/RUN/STEP[/TASK]');
    return dumpArtifacts(
      {
        pathspec,
        includePrivate: p.flags.has('private'),
        maxValueSize: intOption(p, 'max-value-size') ?? 1000,
        include: lastOption(p, 'include')?.split(',').filter(Boolean),
        json: p.flags.has('json'),
      },
      io,
    );
  },
};

const logsCommand: CliCommand = {
  name: 'logs',
  summary: "Print a task's stdout and stderr from the datastore",
  usage: 'logs FLOW/RUN/STEP[/TASK] [--stdout | --stderr] [--timestamps] [--attempt N]',
  async run(args, io) {
    const p = parseVerbArgs(args, { attempt: { type: 'string' }, stdout: { type: 'boolean' }, stderr: { type: 'boolean' }, both: { type: 'boolean' }, timestamps: { type: 'boolean' } }, false);
    const pathspec = p.positional[0] === 'show' ? p.positional[1] : p.positional[0];
    if (!pathspec) throw new UsageError('logs needs a pathspec FLOW/RUN/STEP[/TASK]');
    const streams: Array<'stdout' | 'stderr'> = p.flags.has('stdout') && !p.flags.has('stderr') ? ['stdout'] : p.flags.has('stderr') && !p.flags.has('stdout') ? ['stderr'] : ['stdout', 'stderr'];
    return showLogs({ pathspec, streams, timestamps: p.flags.has('timestamps'), attempt: intOption(p, 'attempt') }, io);
  },
};

export const runCommands: CliCommand[] = [runCommand, resumeCommand, spinCommand, dumpCommand, logsCommand];
