// What the bench and its probe inside the VS Code extension host tell each other. They share a folder
// (named by PROBE_DIR_ENV in the extension host's environment): the bench writes the config before the
// workbench starts, the probe writes its results at the end; in between the bench writes a "painted"
// file once it has seen the DAG drawn, so the probe can take its memory figures after the paint.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROBE_DIR_ENV = 'METAFLOW_STUDIO_BENCH_PROBE_DIR';

export interface ProbeConfig {
  extensionId: string;
  /** The flow file, written outside the workspace so that no `workspaceContains` rule activates the extension early. */
  stagedFlow: string;
  /** Where the probe moves the flow file (inside the workspace) once activation is measured. */
  flowFile: string;
  flowName: string;
  steps: number;
  timeoutMs: number;
}

export interface ProbeResults {
  /** The extension host's process id. */
  pid: number;
  /** `await extension.activate()` in a fresh extension host, before any Python file is open. */
  activationMs: number;
  rssBeforeActivation: number;
  rssAfterActivation: number;
  /** From `openTextDocument` of the flow file to `onDidChangeDiagnostics` naming it. */
  openToDiagnosticsMs: number;
  /** Metaflow diagnostics published for the file (0 for the valid generated flow). */
  diagnostics: number;
  /** From `openTextDocument` to `vscode.executeCodeLensProvider` returning the flow's lenses. */
  openToCodeLensMs: number;
  codeLenses: number;
  /** How many `executeCodeLensProvider` calls it took (1 unless the first came back empty). */
  codeLensCalls: number;
  /** From `openTextDocument` until `showTextDocument` resolved. */
  openEditorMs: number;
  /** Steps the extension's analysis found in the flow (must equal the generated count). */
  stepsAnalysed: number;
  /** `Date.now()` just before `executeCommand('metaflow.showDag', ...)`. */
  showDagRequestedAt: number;
  /** How long the command itself took to return. */
  showDagCommandMs: number;
  /** Extension host memory once the bench has seen the DAG drawn. */
  rssAfterDag: number;
  heapUsedAfterDag: number;
  /** A flow run from the editor after the paint (see extensionHostProbe.ts `measureRun`). */
  run: RunProbeResults;
}

export interface RunProbeResults {
  /** `executeCommand('metaflow.runFlow')` -> the runtime's `task_started` time of the first task. */
  commandToFirstTaskMs: number;
  /** Per printed line: the Output channel's append time minus the time the task printed it. */
  logLatenciesMs: number[];
  /** Lines the task printed that never reached the channel (must be 0). */
  linesMissing: number;
}

/** The probe's last word: results, or why it could not measure. */
export type ProbeOutcome = { ok: true; results: ProbeResults } | { ok: false; error: string };

/** The bench's word to the probe: the DAG is drawn (or will not be). */
export type PaintOutcome = { ok: true; paintedAt: number } | { ok: false; error: string };

/** Written by the probe as soon as it runs: which process is the extension host it runs in. */
export interface ProbeHost {
  pid: number;
}

export function probeFiles(dir: string): { config: string; host: string; outcome: string; paint: string } {
  return { config: join(dir, 'config.json'), host: join(dir, 'host.json'), outcome: join(dir, 'outcome.json'), paint: join(dir, 'paint.json') };
}

/** Writes `value` as JSON so that the other side, which polls for the file, never reads it half-written. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const partial = `${file}.partial`;
  writeFileSync(partial, JSON.stringify(value));
  renameSync(partial, file);
}
