// The extension in a real VS Code (code-server 4.100.3 + headless Chromium), one fresh instance per
// round: the cold activation, how long a 300-step flow takes to get its diagnostics and CodeLens, the
// DAG panel's first paint of it (seen from Chromium), and the extension host's memory afterwards.
// Prints JSON lines on stdout (progress on stderr); exits non-zero when it cannot measure.
//   node --import tsx bench/vscode.bench.ts
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CODE_SERVER_VERSION } from '../test/support/codeServer';
import { waitForDagPaint, type DagPaint } from './support/dagPaint';
import { canReadProcesses, codeServerGroup, extensionHostsOf, processMemory, type ProcessMemory } from './support/extensionHostProcess';
import { generateLargeFlow } from './flowGenerator';
import { ensureBuilt } from './support/freshBuild';
import { bundleProbe } from './support/probeBundle';
import { PROBE_DIR_ENV, probeFiles, writeJsonAtomically, type PaintOutcome, type ProbeConfig, type ProbeHost, type ProbeOutcome, type ProbeResults } from './support/probeProtocol';
import { startExtensionTestSession } from '../test/support/extensionTests';

const ROOT = resolve(__dirname, '..');
const STEPS = 300;
const ROUNDS = 3;
/** Longest wait for one thing inside the probe (activation, diagnostics, lenses, the paint). */
const WAIT_MS = 45_000;
/** A round that has not drawn the DAG by then has hung: from code-server's start to the paint. */
const ROUND_PAINT_DEADLINE_MS = 75_000;
/** After the paint the probe reads its memory, runs a short flow and writes its results. */
const PROBE_END_DEADLINE_MS = 45_000;
const MB = 1024 * 1024;

/** The extension host's memory, and how many extension hosts its code-server was running. */
type HostMemory = ProcessMemory & { hostsInGroup: number };

interface Round {
  probe: ProbeResults;
  paint: DagPaint;
  /** The extension host as /proc sees it, read right after the paint. */
  host?: HostMemory;
  totalMs: number;
}

function progress(line: string): void {
  process.stderr.write(`[vscode.bench] ${line}\n`);
}

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function rounded(values: number[]): number[] {
  return values.map((v) => Math.round(v * 10) / 10);
}

/** The generated flow and the name of its class. */
function largeFlow(steps: number): { name: string; steps: number; source: string } {
  const source = generateLargeFlow(steps);
  const name = /^class (\w+)\(/m.exec(source)?.[1];
  if (!name) throw new Error('the generated flow has no class');
  return { name, steps, source };
}

function extensionId(): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return `${manifest.publisher}.${manifest.name}`;
}

/** The memory of the extension host the probe runs in, once /proc confirms it is one of this code-server's extension hosts. */
function extensionHostMemory(runDir: string, hostFile: string): HostMemory {
  const { pid } = JSON.parse(readFileSync(hostFile, 'utf8')) as ProbeHost;
  const group = codeServerGroup(runDir);
  const hosts = extensionHostsOf(group);
  if (!hosts.includes(pid)) throw new Error(`the probe ran in process ${pid}, which /proc does not show as an extension host of code-server's process group ${group} (it has ${hosts.join(', ') || 'none'})`);
  if (hosts.length > 1) progress(`code-server runs ${hosts.length} extension hosts (${hosts.join(', ')}); measuring the probe's, ${pid}`);
  return { ...processMemory(pid), hostsInGroup: hosts.length };
}

function readOutcome(file: string): ProbeOutcome | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProbeOutcome) : undefined;
}

/** Fails, with the probe's own error when it left one, when the probe ends before `promise` settles. */
function unlessProbeEnded<T>(exited: Promise<number>, outcomeFile: string, what: string, promise: Promise<T>): Promise<T> {
  const ended = exited.then((code): never => {
    const outcome = readOutcome(outcomeFile);
    throw new Error(`the probe ended (exit ${code}) before ${what}${outcome && !outcome.ok ? `: ${outcome.error}` : ''}`);
  });
  return Promise.race([promise, ended]);
}

async function measureRound(round: number, work: string, probeModule: string): Promise<Round> {
  const started = performance.now();
  const dir = mkdtempSync(join(work, `round-${round}-`));
  const workspace = join(dir, 'workspace');
  const staging = join(dir, 'staging');
  const probeDir = join(dir, 'probe');
  for (const folder of [workspace, staging, probeDir]) mkdirSync(folder);
  const flow = largeFlow(STEPS);
  const config: ProbeConfig = {
    extensionId: extensionId(),
    stagedFlow: join(staging, 'large_flow.py'),
    flowFile: join(workspace, 'large_flow.py'),
    flowName: flow.name,
    steps: flow.steps,
    timeoutMs: WAIT_MS,
  };
  writeFileSync(config.stagedFlow, flow.source);
  const files = probeFiles(probeDir);
  writeFileSync(files.config, JSON.stringify(config));

  const hostLog: string[] = [];
  const session = await startExtensionTestSession({
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: probeModule,
    workspace,
    // A run needs a user name; a bare environment may have no USER.
    server: { parentDir: dir, env: { [PROBE_DIR_ENV]: probeDir, METAFLOW_USER: process.env.METAFLOW_USER || 'bench' } },
    onLog: (line) => hostLog.push(line),
  });
  try {
    progress(`round ${round}: workbench loading, waiting for the DAG of ${flow.steps} steps`);
    let paint: DagPaint;
    let host: HostMemory | undefined;
    try {
      paint = await unlessProbeEnded(session.exited, files.outcome, 'the DAG was drawn', waitForDagPaint(session.page, flow.steps, Math.max(1, ROUND_PAINT_DEADLINE_MS - (performance.now() - started))));
      if (canReadProcesses()) host = extensionHostMemory(session.server.runDir, files.host);
      writeJsonAtomically(files.paint, { ok: true, paintedAt: paint.paintedAt } satisfies PaintOutcome);
    } catch (err) {
      writeJsonAtomically(files.paint, { ok: false, error: err instanceof Error ? err.message : String(err) } satisfies PaintOutcome);
      throw err;
    }
    const code = await Promise.race([
      session.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the probe did not finish within ${PROBE_END_DEADLINE_MS} ms of the paint`)), PROBE_END_DEADLINE_MS).unref()),
    ]);
    const outcome = readOutcome(files.outcome);
    if (!outcome) throw new Error(`the probe left no results (exit ${code})`);
    if (!outcome.ok) throw new Error(`the probe failed: ${outcome.error}`);
    if (code !== 0) throw new Error(`the workbench reported exit code ${code} although the probe succeeded`);
    const probe = outcome.results;
    if (probe.stepsAnalysed !== flow.steps) throw new Error(`the extension analysed ${probe.stepsAnalysed} steps, the flow has ${flow.steps}`);
    if (paint.nodes !== flow.steps) throw new Error(`the DAG shows ${paint.nodes} nodes, the flow has ${flow.steps} steps`);
    if (probe.run.linesMissing > 0) throw new Error(`${probe.run.linesMissing} printed lines never reached the Output channel`);
    if (host && host.pid !== probe.pid) throw new Error(`/proc names process ${host.pid} as the extension host, but the probe ran in ${probe.pid}`);
    return { probe, paint, host, totalMs: performance.now() - started };
  } catch (err) {
    if (hostLog.length > 0) progress(`extension host log:\n${hostLog.join('\n')}`);
    throw err;
  } finally {
    await session.close();
  }
}

function report(rounds: Round[]): void {
  const all = (pick: (r: Round) => number) => rounded(rounds.map(pick));
  const common = { runs: rounds.length, vscode: `code-server ${CODE_SERVER_VERSION}` };
  emit('vscode.activation.cold', median(all((r) => r.probe.activationMs)), 'ms', { ...common, all: all((r) => r.probe.activationMs), note: 'await extension.activate(), first activation in a fresh extension host, no Python file open' });
  emit('vscode.300.diagnostics', median(all((r) => r.probe.openToDiagnosticsMs)), 'ms', {
    ...common,
    all: all((r) => r.probe.openToDiagnosticsMs),
    steps: STEPS,
    diagnostics: rounds[0].probe.diagnostics,
    note: 'open the flow file (editor shown meanwhile) -> onDidChangeDiagnostics for it (includes loading the parser)',
  });
  emit('vscode.300.codeLens', median(all((r) => r.probe.openToCodeLensMs)), 'ms', {
    ...common,
    all: all((r) => r.probe.openToCodeLensMs),
    steps: STEPS,
    lenses: rounds[0].probe.codeLenses,
    providerCalls: all((r) => r.probe.codeLensCalls),
    openEditorMs: median(all((r) => r.probe.openEditorMs)),
    note: 'open the flow file (editor shown meanwhile) -> vscode.executeCodeLensProvider returns its lenses',
  });
  const paintMs = (r: Round) => r.paint.paintedAt - r.probe.showDagRequestedAt;
  emit('vscode.300.webviewFirstPaint', median(all(paintMs)), 'ms', {
    ...common,
    all: all(paintMs),
    steps: STEPS,
    commandMs: median(all((r) => r.probe.showDagCommandMs)),
    afterCommandMs: median(all((r) => paintMs(r) - r.probe.showDagCommandMs)),
    upperBound: rounds.some((r) => r.paint.upperBound),
    note: 'executeCommand(metaflow.showDag) -> the frame in which the webview holds every g.node',
  });
  const withHost = rounds.filter((r): r is Round & { host: HostMemory } => r.host !== undefined);
  if (withHost.length > 0) {
    emit('vscode.extensionHost.rss', median(withHost.map((r) => r.host.rss / MB)), 'MB', {
      ...common,
      runs: withHost.length,
      all: rounded(withHost.map((r) => r.host.rss / MB)),
      pssMB: median(rounded(withHost.flatMap((r) => (r.host.pss === undefined ? [] : [r.host.pss / MB])))),
      heapUsedMB: median(rounded(withHost.map((r) => r.probe.heapUsedAfterDag / MB))),
      beforeActivationMB: median(rounded(withHost.map((r) => r.probe.rssBeforeActivation / MB))),
      afterActivationMB: median(rounded(withHost.map((r) => r.probe.rssAfterActivation / MB))),
      extensionHostsInGroup: withHost.map((r) => r.host.hostsInGroup),
      note: 'extension host process (/proc VmRSS) after activation, opening the flow and drawing its DAG',
    });
  } else progress('no /proc here: the extension host memory is not measured');
  const latencies = rounds.flatMap((r) => r.probe.run.logLatenciesMs);
  const sorted = [...latencies].sort((a, b) => a - b);
  emit('vscode.run.logLatency.p50', median(latencies), 'ms', {
    ...common,
    lines: latencies.length,
    min: Math.round(sorted[0] * 10) / 10,
    p95: Math.round(sorted[Math.floor(sorted.length * 0.95)] * 10) / 10,
    max: Math.round(sorted[sorted.length - 1] * 10) / 10,
    target: 200,
    note: "a task's print (its own time.time()) -> the Output channel append in the extension host, lines 20 ms apart",
  });
  emit('vscode.run.commandToFirstTask', median(all((r) => r.probe.run.commandToFirstTaskMs)), 'ms', {
    ...common,
    all: all((r) => r.probe.run.commandToFirstTaskMs),
    note: "executeCommand(metaflow.runFlow), form off -> the start task's task_started time (interpreter check, analysis, Python start and flow import)",
  });
  emit('vscode.round.total', median(all((r) => r.totalMs)), 'ms', { ...common, all: all((r) => r.totalMs), note: 'one fresh code-server + Chromium, start to teardown' });
}

async function main(): Promise<void> {
  const building = performance.now();
  const built = ensureBuilt(ROOT, progress);
  if (built) progress(`built in ${Math.round(performance.now() - building)} ms`);
  const work = mkdtempSync(join(tmpdir(), 'metaflow-studio-bench-vscode-'));
  try {
    const probeModule = await bundleProbe(work);
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const result = await measureRound(round, work, probeModule);
      progress(`round ${round}: activation ${result.probe.activationMs.toFixed(1)} ms, paint ${result.paint.paintedAt - result.probe.showDagRequestedAt} ms, ${(result.totalMs / 1000).toFixed(1)} s`);
      rounds.push(result);
    }
    report(rounds);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    progress(`cannot measure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
