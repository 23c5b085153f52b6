// The bench's probe inside the real VS Code extension host, loaded by the workbench as the
// `extensionTestsPath` module (it exports `run()`, as a test suite would). It measures what only the
// extension host can see: the cold activation, and how long a large flow takes to get its diagnostics
// and CodeLens; then it asks for the DAG and leaves timing the drawing to the bench, which watches the
// webview from Chromium. Results go to the shared probe folder (see probeProtocol.ts).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { MetaflowStudioApi } from '../../src/extension';
import type { TrackedRun } from '../../src/runs/runRegistry';
import { PROBE_DIR_ENV, probeFiles, writeJsonAtomically, type PaintOutcome, type ProbeConfig, type ProbeHost, type ProbeOutcome, type ProbeResults, type RunProbeResults } from './probeProtocol';

const SHOW_DAG_COMMAND = 'metaflow.showDag';
const RUN_FLOW_COMMAND = 'metaflow.runFlow';
const PRINTED_LINES = 40;
/** Prints the wall-clock time (ms) on each line, spaced out so each line travels alone. */
const LATENCY_FLOW = `import time

from metaflow import FlowSpec, step


class LatencyFlow(FlowSpec):
    @step
    def start(self):
        for i in range(${PRINTED_LINES}):
            print("latency-probe %d %.3f" % (i, time.time() * 1000), flush=True)
            time.sleep(0.02)
        self.next(self.end)

    @step
    def end(self):
        pass
`;
const POLL_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves `promise`, or fails naming `what` after `timeoutMs`. */
async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` until it returns a value, or fails naming `what`. */
async function pollFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** The first `onDidChangeDiagnostics` naming `uri`, as a `performance.now()` time. Subscribe before opening the file. */
function nextDiagnosticsOf(uri: vscode.Uri): { published: Promise<number>; dispose(): void } {
  let subscription: vscode.Disposable | undefined;
  const published = new Promise<number>((resolve) => {
    subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((u) => u.toString() === uri.toString())) resolve(performance.now());
    });
  });
  return { published, dispose: () => subscription?.dispose() };
}

async function waitForPaint(paintFile: string, timeoutMs: number): Promise<void> {
  const text = await pollFor('the bench to see the DAG drawn', timeoutMs, async () => (existsSync(paintFile) ? readFileSync(paintFile, 'utf8') : undefined));
  const outcome = JSON.parse(text) as PaintOutcome;
  if (!outcome.ok) throw new Error(`the DAG was not drawn: ${outcome.error}`);
}

async function measure(config: ProbeConfig, paintFile: string): Promise<ProbeResults> {
  const extension = vscode.extensions.getExtension<MetaflowStudioApi>(config.extensionId);
  if (!extension) throw new Error(`extension ${config.extensionId} is not loaded in this extension host (check publisher and name in package.json)`);
  if (extension.isActive) {
    throw new Error(`extension ${config.extensionId} was already active before the probe ran, so a cold activation cannot be measured (did the workspace hold a Python or *flow*.py file?)`);
  }
  const rssBeforeActivation = process.memoryUsage().rss;
  const activating = performance.now();
  const api = await extension.activate();
  const activationMs = performance.now() - activating;
  const rssAfterActivation = process.memoryUsage().rss;

  // The flow arrives in the workspace only now: its name would have matched `workspaceContains:**/*flow*.py`.
  renameSync(config.stagedFlow, config.flowFile);
  const uri = vscode.Uri.file(config.flowFile);
  const diagnostics = nextDiagnosticsOf(uri);
  let openToDiagnosticsMs: number;
  let openToCodeLensMs: number;
  let codeLenses: number;
  let codeLensCalls = 0;
  let openEditorMs: number;
  let document: vscode.TextDocument;
  try {
    const opening = performance.now();
    document = await vscode.workspace.openTextDocument(uri);
    // Lenses are asked for while the editor is being shown, as the workbench itself does.
    const shown = Promise.resolve(vscode.window.showTextDocument(document)).then(() => performance.now() - opening);
    codeLenses = await pollFor('the CodeLens of the flow', config.timeoutMs, async () => {
      codeLensCalls += 1;
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return lenses && lenses.length > 0 ? lenses.length : undefined;
    });
    openToCodeLensMs = performance.now() - opening;
    openEditorMs = await within(`an editor on ${config.flowFile}`, config.timeoutMs, shown);
    openToDiagnosticsMs = (await within(`diagnostics of ${config.flowFile}`, config.timeoutMs, diagnostics.published)) - opening;
  } finally {
    diagnostics.dispose();
  }
  const flow = api.documents.get(document)?.analysis.flows.find((f) => f.name === config.flowName);
  if (!flow) throw new Error(`the extension found no flow ${config.flowName} in ${config.flowFile}`);
  const metaflowDiagnostics = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Metaflow').length;

  const showDagRequestedAt = Date.now();
  const requesting = performance.now();
  await vscode.commands.executeCommand(SHOW_DAG_COMMAND, uri, config.flowName);
  const showDagCommandMs = performance.now() - requesting;
  await waitForPaint(paintFile, config.timeoutMs);
  const memory = process.memoryUsage();
  const run = await measureRun(api, join(dirname(config.flowFile), 'latency_flow.py'), config.timeoutMs);
  return {
    run,
    pid: process.pid,
    activationMs,
    rssBeforeActivation,
    rssAfterActivation,
    openToDiagnosticsMs,
    diagnostics: metaflowDiagnostics,
    openToCodeLensMs,
    codeLenses,
    codeLensCalls,
    openEditorMs,
    stepsAnalysed: flow.steps.length,
    showDagRequestedAt,
    showDagCommandMs,
    rssAfterDag: memory.rss,
    heapUsedAfterDag: memory.heapUsed,
  };
}

/**
 * Runs a flow from the editor (the run form off, so the command starts it at once) and times, in the
 * extension host: the command to the first task's start, and each printed line to its arrival in the
 * Output channel. Both ends read the same wall clock (the task is a child process of this machine).
 */
async function measureRun(api: MetaflowStudioApi, flowFile: string, timeoutMs: number): Promise<RunProbeResults> {
  writeFileSync(flowFile, LATENCY_FLOW);
  await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', false, vscode.ConfigurationTarget.Workspace);
  const arrived = new Map<number, number>();
  const appended = api.runOutput.onDidAppend(({ text, at }) => {
    for (const match of text.matchAll(/latency-probe (\d+) ([\d.]+)$/gm)) arrived.set(Number(match[1]), at - Number(match[2]));
  });
  try {
    const requested = Date.now();
    const started = await vscode.commands.executeCommand<TrackedRun | undefined>(RUN_FLOW_COMMAND, vscode.Uri.file(flowFile), 'LatencyFlow');
    if (!started) throw new Error('metaflow.runFlow started no run (is python3 on PATH and METAFLOW_USER set?)');
    const result = await within('the latency flow to finish', timeoutMs, started.handle.done);
    if (result.status !== 'succeeded') throw new Error(`the latency flow ${result.status}: ${result.error ?? ''}`);
    // The channel appends a tick after the event; the last line may land just after `done`.
    await pollFor('the last printed line in the Output channel', 5_000, async () => (arrived.size === PRINTED_LINES ? true : undefined)).catch(() => undefined);
    const firstStart = [...started.state.tasks.values()].find((t) => t.step === 'start')?.attempts[0]?.startedAt;
    if (firstStart === undefined) throw new Error('the run has no start task');
    return {
      commandToFirstTaskMs: firstStart - requested,
      logLatenciesMs: [...arrived.entries()].sort((a, b) => a[0] - b[0]).map(([, ms]) => ms),
      linesMissing: PRINTED_LINES - arrived.size,
    };
  } finally {
    appended.dispose();
  }
}

export async function run(): Promise<void> {
  const dir = process.env[PROBE_DIR_ENV];
  if (!dir) throw new Error(`${PROBE_DIR_ENV} is not set in the extension host's environment`);
  const files = probeFiles(dir);
  writeJsonAtomically(files.host, { pid: process.pid } satisfies ProbeHost);
  let outcome: ProbeOutcome;
  try {
    const config = JSON.parse(readFileSync(files.config, 'utf8')) as ProbeConfig;
    outcome = { ok: true, results: await measure(config, files.paint) };
  } catch (err) {
    outcome = { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  writeJsonAtomically(files.outcome, outcome);
  if (!outcome.ok) throw new Error(outcome.error);
}
