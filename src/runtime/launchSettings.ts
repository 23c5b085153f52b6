// How a run's Python worker is launched, from config alone (no flow analysis): the runner uses it once the
// flow is known, and the pool warmer uses it to start the interpreter while the flow is still being analysed.
import * as os from 'node:os';
import * as path from 'node:path';
import { MetaflowConfig } from '../config/metaflowConfig';
import { resolveInterpreter } from '../config/pythonInterpreter';
import { resolveRuntimeSettings, type RuntimeSettings } from '../config/runtimeSettings';
import { locateEmbeddedPython } from './embeddedPython';
import { azureDatastoreConfig, datastoreKind, type AzureDatastoreConfig } from '../datastore/azure/azureConfig';
import type { WorkerLaunchOptions } from './workers/workerPool';

export interface LaunchDeps {
  env: NodeJS.ProcessEnv;
  homeDir?: string;
  platform?: NodeJS.Platform;
  /** Editor settings as `METAFLOW_*` names (lowest precedence above defaults). */
  settings?: Record<string, string>;
  embeddedPythonDir?: string;
}

/** The Metaflow config seen from the flow's directory; throws when a config file is invalid (naming it). */
export function loadConfigFor(deps: LaunchDeps, flowDir: string): MetaflowConfig {
  return MetaflowConfig.load({ env: deps.env, startDir: flowDir, homeDir: deps.homeDir ?? os.homedir(), settings: deps.settings });
}

/** Throws when the config is invalid (the message names the setting). `config`: one already loaded for `flowDir`. */
export function runtimeSettingsFor(deps: LaunchDeps, flowDir: string, config: MetaflowConfig = loadConfigFor(deps, flowDir)): RuntimeSettings {
  return resolveRuntimeSettings(config, deps.env, deps.platform);
}

/** Resolves the interpreter (following pyenv shims) into `settings.python` and builds the worker's launch options. */
export function launchOptionsFor(deps: LaunchDeps, settings: RuntimeSettings, flowFile: string, flowName: string | undefined): WorkerLaunchOptions {
  const interpreter = resolveInterpreter(settings.python, deps.env, path.dirname(flowFile), deps.platform ?? process.platform);
  settings.python = interpreter.executable;
  const env: NodeJS.ProcessEnv = { ...deps.env, METAFLOW_USER: settings.user };
  if (interpreter.binDir) env.PATH = `${interpreter.binDir}${path.delimiter}${env.PATH ?? ''}`;
  return {
    python: settings.python,
    pythonSource: settings.pythonSource,
    pythonPath: deps.embeddedPythonDir ?? locateEmbeddedPython(),
    flowFile,
    flowName,
    env,
  };
}

/** Which datastore task data goes to (METAFLOW_DEFAULT_DATASTORE, `--datastore`); throws naming the bad setting. */
export function datastoreFor(config: MetaflowConfig): { kind: 'local' } | { kind: 'azure'; azure: AzureDatastoreConfig } {
  return datastoreKind(config) === 'azure' ? { kind: 'azure', azure: azureDatastoreConfig(config) } : { kind: 'local' };
}
