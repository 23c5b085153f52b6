// What every deploy command (Argo Workflows, Airflow) is given by the extension: the analysed flows, the
// datastore it uploads the code package to, the pod loader it ships, and the workspace's trust.
import type { AzureStorageFactory } from '../datastore/azure/runnerAzureStorage';
import type { FlowDocuments } from './flowDocuments';

export interface DeployCommandDeps {
  documents: FlowDocuments;
  /** Editor settings as METAFLOW_* names (datastore, Azure). */
  settings: () => Record<string, string>;
  azureStorage: AzureStorageFactory;
  embeddedPythonDir: string;
  env: NodeJS.ProcessEnv;
  isTrusted: () => boolean;
  log: (line: string) => void;
}
