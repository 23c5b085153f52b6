// The one way the editor makes a LocalRunner, the same object the CLI drives: the analyzer the editor
// already loaded, the extension's embedded Python package, and the interpreter chosen for this run
// (passed as the METAFLOW_STUDIO_PYTHON setting, below environment and config files in precedence).
import * as os from 'node:os';
import type { FlowAnalyzer } from '../flow/types';
import { PYTHON_SETTING } from '../config/runtimeSettings';
import { LocalRunner } from '../runtime/localRunner';
import { PoolWarmer } from '../runtime/poolWarmer';

export interface PreparedRunner {
  runner: LocalRunner;
  /** Shuts down a worker started early that the run did not take (a refused run). */
  release(): Promise<void>;
}

export type RunnerFactory = (python: string, warm?: { flowFile: string; flowName?: string }) => Promise<PreparedRunner>;

export function createRunnerFactory(deps: { analyzer: () => Promise<FlowAnalyzer | undefined>; embeddedPythonDir: string; env: NodeJS.ProcessEnv }): RunnerFactory {
  return async (python, warm) => {
    const launch = { env: deps.env, homeDir: os.homedir(), settings: { [PYTHON_SETTING]: python }, embeddedPythonDir: deps.embeddedPythonDir };
    const warmPools = new PoolWarmer(launch);
    // Python's start and the flow import overlap the analysis, as in the CLI.
    if (warm) warmPools.warm(warm.flowFile, warm.flowName);
    const analyzer = await deps.analyzer();
    if (!analyzer) {
      await warmPools.dispose();
      throw new Error('the flow analyzer could not start (see the "Metaflow Studio" log)');
    }
    return { runner: new LocalRunner({ ...launch, analyzer, warmPools }), release: () => warmPools.dispose() };
  };
}
