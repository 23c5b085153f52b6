// What every deployment (Argo Workflows, Airflow) is asked with: the flow, who deploys and under which
// production token, where the settings and the code package come from.
import type { AzureStorageFactory } from '../datastore/azure/runnerAzureStorage';
import type { FlowInfo } from '../flow/types';

export interface DeployRequestBase {
  flowFile: string;
  flow: FlowInfo;
  /** `--authorize`: the token of a deployment made by someone else. */
  authorize?: string;
  /** `--new-token`: this token rather than the one on record. */
  newToken?: string;
  /** `--generate-new-token`: a new production namespace for the deployment's runs. */
  generateNewToken?: boolean;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** Editor settings as METAFLOW_* names. */
  settings?: Record<string, string>;
  azureStorage: AzureStorageFactory;
  embeddedPythonDir: string;
  now?: Date;
}
