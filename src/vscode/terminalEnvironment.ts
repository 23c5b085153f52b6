// The integrated terminal gets the embedded package on PYTHONPATH, and where node and the command line
// are, so `python flow.py run` typed there runs on the embedded runtime (the package's script_cli.py
// reads the variables). Only in a trusted workspace, only while `metaflow.terminal.embeddedRuntime` is
// on, and only when the selected interpreter has no Metaflow of its own: a real installation is never
// shadowed. The collection applies to terminals opened after a change; VS Code marks older ones stale.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import type { InterpreterService } from './interpreter';
import type { Log } from './log';
import { PYTHON_PATH_SETTING } from './settings';

const PYTHON_EXTENSION_ID = 'ms-python.python';
export const TERMINAL_SETTING = 'metaflow.terminal.embeddedRuntime';
export const NODE_VARIABLE = 'METAFLOW_STUDIO_NODE';
export const CLI_VARIABLE = 'METAFLOW_STUDIO_CLI';
/** Tells the script that METAFLOW_STUDIO_NODE is Electron, which needs ELECTRON_RUN_AS_NODE=1 to act as node. */
export const NODE_IS_ELECTRON_VARIABLE = 'METAFLOW_STUDIO_NODE_ELECTRON';

type Interpreters = Pick<InterpreterService, 'select' | 'hasOwnMetaflow'>;

export interface TerminalEnvironmentDeps {
  collection: vscode.GlobalEnvironmentVariableCollection;
  /** The extension's folder: `dist/python` and `dist/cli.js` are in it. */
  extensionDir: string;
  interpreter: Interpreters;
  log: Log;
}

export type TerminalState = { applied: true; python: string } | { applied: false; reason: string };

export class TerminalEnvironment implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private generation = 0;
  private disposed = false;
  private current: Promise<TerminalState>;

  constructor(private readonly deps: TerminalEnvironmentDeps) {
    deps.collection.description = new vscode.MarkdownString(
      `Metaflow Studio puts its embedded Metaflow runtime first on \`PYTHONPATH\`, so \`python flow.py run\` works without installing Metaflow. Turn this off with the setting \`${TERMINAL_SETTING}\`.`,
    );
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(TERMINAL_SETTING) || e.affectsConfiguration(PYTHON_PATH_SETTING) || e.affectsConfiguration('python.defaultInterpreterPath')) this.refresh();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
    this.current = this.update(this.generation);
    void this.followPythonExtension();
  }

  /** A new interpreter picked in the Python extension may have Metaflow, or lack it. */
  private async followPythonExtension(): Promise<void> {
    if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return;
    try {
      const api = await PythonExtension.api();
      const listener = api.environments.onDidChangeActiveEnvironmentPath(() => this.refresh());
      if (this.disposed) listener.dispose();
      else this.subscriptions.push(listener);
    } catch (err) {
      this.deps.log.warn(`Terminal: cannot follow the Python extension's interpreter (${err instanceof Error ? err.message : String(err)}); reload the window after choosing another.`);
    }
  }

  /** What the terminal environment holds once the latest check is done (for tests and the log). */
  state(): Promise<TerminalState> {
    return this.current;
  }

  refresh(): void {
    this.current = this.update(++this.generation);
  }

  private async update(generation: number): Promise<TerminalState> {
    const state = await this.decide();
    // A later refresh started meanwhile: its answer wins, whatever order the checks finish in.
    if (generation !== this.generation) return this.current;
    const { collection } = this.deps;
    collection.clear();
    if (!state.applied) {
      this.deps.log.info(`Terminal: the embedded runtime is not put on PYTHONPATH (${state.reason}).`);
      return state;
    }
    const pythonDir = path.join(this.deps.extensionDir, 'dist', 'python');
    collection.prepend('PYTHONPATH', pythonPathPrefix(pythonDir));
    collection.replace(NODE_VARIABLE, process.execPath);
    collection.replace(CLI_VARIABLE, path.join(this.deps.extensionDir, 'dist', 'cli.js'));
    if (process.versions.electron) collection.replace(NODE_IS_ELECTRON_VARIABLE, '1');
    this.deps.log.info(`Terminal: ${pythonDir} is first on PYTHONPATH, so \`python flow.py run\` uses the embedded runtime (${state.python} has no Metaflow of its own).`);
    return state;
  }

  private async decide(): Promise<TerminalState> {
    if (!vscode.workspace.isTrusted) return { applied: false, reason: 'the workspace is not trusted' };
    if (vscode.workspace.getConfiguration().get<unknown>(TERMINAL_SETTING) === false) return { applied: false, reason: `${TERMINAL_SETTING} is off` };
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const { python } = await this.deps.interpreter.select(folder ?? vscode.Uri.file(process.cwd()));
    if (await this.deps.interpreter.hasOwnMetaflow(python)) return { applied: false, reason: `${python} has Metaflow installed, which its command line uses` };
    return { applied: true, python };
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
  }
}

/**
 * What goes before the terminal's PYTHONPATH. VS Code joins the two as plain strings, and an empty
 * entry would put the current directory on sys.path ahead of the standard library; so the separator
 * is added only when the terminal will have a PYTHONPATH of its own (inherited or from settings).
 */
function pythonPathPrefix(pythonDir: string): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
  const fromSettings = vscode.workspace.getConfiguration('terminal.integrated.env').get<Record<string, unknown>>(platform)?.PYTHONPATH;
  const inherited = process.env.PYTHONPATH;
  return (typeof fromSettings === 'string' && fromSettings !== '') || (inherited !== undefined && inherited !== '') ? `${pythonDir}${path.delimiter}` : pythonDir;
}
