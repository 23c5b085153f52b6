// The command line's Azure access, bundled apart (dist/cliAzure.js) and loaded only by runs that use Azure: the
// Azure SDKs are most of the command line's code, and compiling them would slow every local run down.
import { azureCloudConfig } from '../azure/azureCloud';
import { AzureCredentials } from '../azure/azureCredentials';
import { type AzureStorageFactory, azureStorageFactory } from '../datastore/azure/runnerAzureStorage';

/** In a terminal there is no editor account: the scheduler signs in as the tasks do, with DefaultAzureCredential. */
export const openAzureStorage: AzureStorageFactory = azureStorageFactory(() => new AzureCredentials({ cloud: azureCloudConfig() }));
