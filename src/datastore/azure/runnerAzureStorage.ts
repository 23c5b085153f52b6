// How a runner opens the Azure datastore, one composition for the terminal and the editor: the blob
// storage of the run's validated config, signed in through the credential the caller holds (the
// DefaultAzureCredential chain in a terminal, the editor's account first in VS Code). No account keys.
import type { TokenCredential } from '@azure/core-auth';
import type { DatastoreStorage } from '../storage/types';
import { AzureBlobStorage, type AzureBlobStorageOptions } from './azureBlobStorage';
import type { AzureDatastoreConfig } from './azureConfig';

export type AzureStorageFactory = (config: AzureDatastoreConfig) => DatastoreStorage;

/**
 * `credential` is asked at each run, so a run follows the sign-in settings (cloud, tenant) of the moment.
 * `transport` carries request policies (a private CA for an emulator), never credentials.
 */
export function azureStorageFactory(credential: () => TokenCredential, transport: Pick<AzureBlobStorageOptions, 'requestPolicies'> = {}): AzureStorageFactory {
  return (config) => AzureBlobStorage.fromConfig(config, credential(), transport);
}
