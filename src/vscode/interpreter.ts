// Which Python runs a flow: the interpreter the Python extension selected for the folder, else the
// `metaflow.pythonPath` setting, else `python3`. Each interpreter is checked once (does it start, is it
// 3.8 or newer) with a short `python -c` call; a working one is remembered, a broken one is checked
// again next time so that installing Python fixes things without a reload.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import type { Log } from './log';
import { PYTHON_PATH_SETTING, runSettings } from './settings';

const PYTHON_EXTENSION_ID = 'ms-python.python';
const MIN_VERSION: [number, number] = [3, 8];
const CHECK_TIMEOUT_MS = 15_000;
const VERSION_SCRIPT = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';
const INSTALLED_SCRIPT = 'import metaflow, sys; sys.stdout.write(getattr(metaflow, "__file__", "") or "")';

export interface InterpreterChoice {
  python: string;
  /** Where the choice came from, for messages: "the Python extension", "setting metaflow.pythonPath", "default". */
  source: string;
}

export type InterpreterCheck = { ok: true; version: string } | { ok: false; problem: string };

/** Runs `python -c script` with an argv array; resolves with stdout or rejects with the reason. */
export type PythonProbe = (python: string, script: string, env: NodeJS.ProcessEnv) => Promise<string>;

export const execPythonProbe: PythonProbe = (python, script, env) =>
  new Promise((resolve, reject) => {
    execFile(python, ['-c', script], { timeout: CHECK_TIMEOUT_MS, env, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new Error(code === 'ENOENT' ? 'it was not found' : `it failed (${stderr.toString().trim().split('\n').pop() || err.message})`));
      } else resolve(stdout.toString().trim());
    });
  });

export class InterpreterService {
  private readonly working = new Map<string, string>();

  constructor(
    private readonly deps: { log: Log; probe?: PythonProbe; env?: NodeJS.ProcessEnv },
  ) {}

  hasPythonExtension(): boolean {
    return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
  }

  async select(resource: vscode.Uri): Promise<InterpreterChoice> {
    if (this.hasPythonExtension()) {
      try {
        const api = await PythonExtension.api();
        const active = api.environments.getActiveEnvironmentPath(resource);
        const resolved = await api.environments.resolveEnvironment(active);
        const executable = resolved?.executable.uri?.fsPath;
        if (executable) return { python: executable, source: 'the interpreter selected in the Python extension' };
      } catch (err) {
        this.deps.log.warn(`Could not ask the Python extension for its interpreter (${err instanceof Error ? err.message : String(err)}); using ${PYTHON_PATH_SETTING} instead.`);
      }
    }
    const configured = runSettings(resource).pythonPath;
    if (configured) return { python: configured, source: `setting ${PYTHON_PATH_SETTING}` };
    return { python: process.platform === 'win32' ? 'python' : 'python3', source: 'the default' };
  }

  async check(python: string): Promise<InterpreterCheck> {
    const known = this.working.get(python);
    if (known) return { ok: true, version: known };
    let version: string;
    try {
      version = await this.probe(python, VERSION_SCRIPT);
    } catch (err) {
      return { ok: false, problem: (err as Error).message };
    }
    const [major, minor] = version.split('.').map(Number);
    if (!(major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1]))) {
      return { ok: false, problem: `it is Python ${version}; flows need Python ${MIN_VERSION.join('.')} or newer` };
    }
    this.working.set(python, version);
    return { ok: true, version };
  }

  /** Whether `python` has a Metaflow of its own (for the `installed` engine). */
  async hasOwnMetaflow(python: string): Promise<boolean> {
    try {
      await this.probe(python, INSTALLED_SCRIPT);
      return true;
    } catch {
      return false;
    }
  }

  /** An error message naming the interpreter and its source, with a button that fixes the choice. */
  async reportProblem(choice: InterpreterChoice, problem: string): Promise<void> {
    const select = 'Select Interpreter';
    const picked = await vscode.window.showErrorMessage(
      `Cannot run the flow with Python "${choice.python}" (${choice.source}): ${problem}. Select another interpreter${this.hasPythonExtension() ? '' : ` or set ${PYTHON_PATH_SETTING}`}.`,
      select,
    );
    if (picked !== select) return;
    if (this.hasPythonExtension()) await vscode.commands.executeCommand('python.setInterpreter');
    else await vscode.commands.executeCommand('workbench.action.openSettings', PYTHON_PATH_SETTING);
  }

  private probe(python: string, script: string): Promise<string> {
    // The user's own PYTHONPATH may hold the embedded package (terminal integration); a check must see the interpreter alone.
    const env = { ...(this.deps.env ?? process.env) };
    delete env.PYTHONPATH;
    return (this.deps.probe ?? execPythonProbe)(python, script, env);
  }
}
