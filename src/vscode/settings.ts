// Reads `metaflow.*` settings with validation: a malformed value is reported once in the Output
// channel (naming the setting, the value and what is expected) and the default is used instead.
import * as vscode from 'vscode';
import type { Log } from './log';

export interface NumberSetting {
  /** Full setting id, e.g. `metaflow.analysis.debounceMs`. */
  id: string;
  defaultValue: number;
  min: number;
  max: number;
  unit: string;
}

export const DEBOUNCE_SETTING: NumberSetting = {
  id: 'metaflow.analysis.debounceMs',
  defaultValue: 150,
  min: 0,
  max: 5000,
  unit: 'milliseconds',
};

export class Settings implements vscode.Disposable {
  private readonly reported = new Map<string, string>();
  private readonly subscription: vscode.Disposable;
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  /** Fires when any `metaflow.*` setting changes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: Log) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('metaflow')) this.changed.fire(event);
    });
  }

  number(setting: NumberSetting, scope?: vscode.ConfigurationScope): number {
    const value: unknown = vscode.workspace.getConfiguration(undefined, scope).get(setting.id);
    if (value === undefined || value === null) return setting.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value) && value >= setting.min && value <= setting.max) {
      this.reported.delete(setting.id);
      return value;
    }
    const shown = JSON.stringify(value) ?? String(value);
    if (this.reported.get(setting.id) !== shown) {
      this.reported.set(setting.id, shown);
      this.log.warn(
        `Setting "${setting.id}" has the invalid value ${shown}: expected a number of ${setting.unit} ` +
          `from ${setting.min} to ${setting.max}. Using the default, ${setting.defaultValue}.`,
      );
    }
    return setting.defaultValue;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Run settings: read where a run starts, so a change applies to the next run without a reload. */
export const PROMPT_FOR_PARAMETERS_SETTING = 'metaflow.run.promptForParameters';
export const PYTHON_PATH_SETTING = 'metaflow.pythonPath';
export const ENGINE_SETTING = 'metaflow.engine';

export type Engine = 'embedded' | 'installed';

export function runSettings(scope?: vscode.ConfigurationScope): { promptForParameters: boolean; pythonPath?: string; engine: Engine } {
  const config = vscode.workspace.getConfiguration(undefined, scope);
  const pythonPath = config.get<unknown>(PYTHON_PATH_SETTING);
  return {
    promptForParameters: config.get<unknown>(PROMPT_FOR_PARAMETERS_SETTING) !== false,
    pythonPath: typeof pythonPath === 'string' && pythonPath.trim() !== '' ? pythonPath.trim() : undefined,
    engine: config.get<unknown>(ENGINE_SETTING) === 'installed' ? 'installed' : 'embedded',
  };
}
