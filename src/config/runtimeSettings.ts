// The settings the local runtime needs, resolved once per run from MetaflowConfig.
import * as os from 'node:os';
import { MetaflowConfig } from './metaflowConfig';
import { resolveUsername } from './username';

export type WorkerMode = 'fork-server' | 'process';

export const PYTHON_SETTING = 'METAFLOW_STUDIO_PYTHON';
export const WORKER_MODE_SETTING = 'METAFLOW_STUDIO_WORKER';

export interface RuntimeSettings {
  python: string;
  /** Where `python` came from, for the "python3 not found" message. */
  pythonSource: string;
  workerMode: WorkerMode;
  user: string;
  sysrootLocal?: string;
  maxWorkers: number;
  maxNumSplits: number;
  /** Bytes of log kept per stream per attempt (`--max-log-size`, MB in Metaflow). */
  maxLogBytes: number;
}

/** The interpreter to run, and where that choice came from (for the "python not found" message). */
export function pythonSetting(config: MetaflowConfig, platform: NodeJS.Platform = os.platform()): { python: string; pythonSource: string } {
  const python = config.get(PYTHON_SETTING);
  return {
    python: python?.value ?? (platform === 'win32' ? 'python' : 'python3'),
    pythonSource: python ? (python.source === 'env' ? `environment variable ${PYTHON_SETTING}` : `${python.file ?? python.source} (${PYTHON_SETTING})`) : 'default',
  };
}

export function resolveRuntimeSettings(config: MetaflowConfig, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = os.platform()): RuntimeSettings {
  const mode = config.getString(WORKER_MODE_SETTING) ?? (platform === 'win32' ? 'process' : 'fork-server');
  if (mode !== 'fork-server' && mode !== 'process') {
    throw new Error(`${WORKER_MODE_SETTING}="${mode}" is not a worker mode; use "fork-server" or "process"`);
  }
  const maxWorkers = config.getInt('METAFLOW_RUN_MAX_WORKERS') ?? 16;
  const maxNumSplits = config.getInt('METAFLOW_RUN_MAX_NUM_SPLITS') ?? 100;
  const maxLogMb = config.getInt('METAFLOW_RUN_MAX_LOG_SIZE') ?? 10;
  return {
    ...pythonSetting(config, platform),
    workerMode: platform === 'win32' ? 'process' : mode,
    user: resolveUsername(env, config.getString('METAFLOW_USER')),
    sysrootLocal: config.getString('METAFLOW_DATASTORE_SYSROOT_LOCAL'),
    maxWorkers,
    maxNumSplits,
    maxLogBytes: maxLogMb * 1024 * 1024,
  };
}
