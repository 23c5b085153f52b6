// What `compileAirflow` needs: the flow, where its code package is, the datastore, the settings and the
// `airflow create` options. The caller builds and uploads the package and resolves the production token;
// the compiler itself reads no files and touches no network.
import type { FlowInfo } from '../../flow/types';

export interface AirflowOptions {
  /** `--name`: the DAG id (the flow name, or `<project>.<branch>.<Flow>` for @project flows, otherwise). */
  name?: string;
  /** `--max-workers`: the DAG's max_active_tasks (default 100). */
  maxWorkers?: number;
  /** `--workflow-timeout` seconds: the DAG run's timeout, enforced by Airflow only for scheduled DAGs. */
  workflowTimeout?: number;
  /** `--worker-pool`: the Airflow pool every task runs in. */
  workerPool?: string;
  /** `--tag`: tags of the DAG and of every run it makes. */
  tags?: string[];
  /** `--is-paused-upon-creation`. */
  isPausedUponCreation?: boolean;
  /** `--namespace`: the Client namespace recorded for the deployment. */
  namespace?: string;
}

export interface AirflowDatastore {
  type: string;
  /** METAFLOW_DATASTORE_SYSROOT_AZURE */
  sysroot?: string;
  /** METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT */
  endpoint?: string;
}

export interface AirflowCompileInput {
  flow: FlowInfo;
  /** The flow file's path inside the code package (its name, for a flow at the package root). */
  flowFile: string;
  /** Source of the embedded package's `metaflow_studio/pod_loader.py`. */
  podLoaderSource: string;
  codePackage: { sha: string; url: string };
  datastore: AirflowDatastore;
  /** METAFLOW_* settings (Kubernetes defaults, METAFLOW_AIRFLOW_KUBERNETES_*). */
  config: Record<string, string | undefined>;
  options: AirflowOptions;
  productionToken: string;
  /** Who deploys (METAFLOW_USER): the DAG's owner. */
  owner: string;
  /** Deploy time: the DAG's start_date and the file's header. */
  now: Date;
  /** The file the DAG is written to, for the header's re-create hint. */
  dagFile?: string;
  /** 'major.minor' of the local interpreter, for the default image `python:<v>`. */
  pythonVersion?: string;
}

export interface AirflowCompileResult {
  /** The DAG file; empty when there are problems. */
  source: string;
  dagId: string;
  problems: import('../deployProblem').DeployProblem[];
}
