import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaflowConfig } from '../../../src/config/metaflowConfig';
import { azureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { lazyAzureStorage } from '../../../src/cli/lazyAzure';

describe('the command line loads Azure only for Azure runs', () => {
  it('opens the Azure storage of a validated config through the module it loads on first use', () => {
    const config = MetaflowConfig.load({
      env: { METAFLOW_DATASTORE_SYSROOT_AZURE: 'runs/team-a', METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: 'https://acct.blob.core.windows.net/' },
      startDir: '/nonexistent-metaflow-studio-dir',
      homeDir: '/nonexistent-metaflow-studio-home',
    });
    const storage = lazyAzureStorage(azureDatastoreConfig(config));
    // The Azure storage of this config's sysroot, not merely an object with storage methods.
    assert.equal(storage.kind, 'azure');
    assert.equal(storage.root, 'runs/team-a');
    assert.equal(typeof storage.write, 'function');
    assert.equal(typeof storage.listChildren, 'function');
  });
});
