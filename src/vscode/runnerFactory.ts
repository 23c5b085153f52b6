// The one way the editor makes a LocalRunner, the same object the CLI drives: the analyzer the editor
// already loaded, the extension's embedded Python package, and the interpreter chosen for this run
// (passed as the METAFLOW_STUDIO_PYTHON setting, below environment and config files in precedence),
// the editor's datastore settings as the Metaflow names they stand for, and the Azure datastore opened
// through the same composition as the CLI's, with the editor's credential chain.
import * as os from 'node:os';
import type { FlowAnalyzer } from '../flow/types';
import { PYTHON_SETTING } from '../config/runtimeSettings';
import type { AzureStorageFactory } from '../datastore/azure/runnerAzureStorage';
import { LocalRunner } from '../runtime/localRunner';
import { PoolWarmer } from '../runtime/poolWarmer';
import type { LocalRunnerDeps } from '../runtime/localRunner';

export interface PreparedRunner {
  runner: LocalRunner;
  /** Shuts down a worker started early that the run did not take (a refused run). */
  release(): Promise<void>;
  /** Withdraws what the run's tasks were granted (their Azure token secret); call once the run has ended or was refused. */
  ended(): void;
}

/** Extra environment for one run's tasks, withdrawn by revoke() (the Azure token endpoint's per-run secret). */
export type TaskGrants = () => Promise<{ env: Record<string, string>; revoke(): void } | undefined>;

export type RunnerFactory = (python: string, warm?: { flowFile: string; flowName?: string }) => Promise<PreparedRunner>;

export interface RunnerFactoryDeps {
  analyzer: () => Promise<FlowAnalyzer | undefined>;
  embeddedPythonDir: string;
  env: NodeJS.ProcessEnv;
  grants?: TaskGrants;
  /** Editor settings as `METAFLOW_*` names, read at each run (below environment and config files). */
  settings?: () => Record<string, string>;
  /** Opens the Azure datastore for runs that use it (see runnerAzureStorage). */
  azureStorage?: AzureStorageFactory;
  /** Opens the cluster of runs with Kubernetes steps. */
  kubeClient?: LocalRunnerDeps['kubeClient'];
  homeDir?: string;
}

export function createRunnerFactory(deps: RunnerFactoryDeps): RunnerFactory {
  return async (python, warm) => {
    // Before the warm pool starts: its workers are the run's task processes and keep the environment they start with.
    const grant = await deps.grants?.();
    const ended = () => grant?.revoke();
    const launch = {
      env: grant ? { ...deps.env, ...grant.env } : deps.env,
      homeDir: deps.homeDir ?? os.homedir(),
      settings: { ...deps.settings?.(), [PYTHON_SETTING]: python },
      embeddedPythonDir: deps.embeddedPythonDir,
    };
    const warmPools = new PoolWarmer(launch);
    // Python's start and the flow import overlap the analysis, as in the CLI.
    if (warm) warmPools.warm(warm.flowFile, warm.flowName);
    const analyzer = await deps.analyzer();
    if (!analyzer) {
      await warmPools.dispose();
      ended();
      throw new Error('the flow analyzer could not start (see the "Metaflow Studio" log)');
    }
    return { runner: new LocalRunner({ ...launch, analyzer, warmPools, azureStorage: deps.azureStorage, kubeClient: deps.kubeClient }), release: () => warmPools.dispose(), ended };
  };
}
