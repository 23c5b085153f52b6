// Loads src/cli/cliAzure.ts on first use: `cliAzure.js` beside the bundle, or the source file when run unbundled.
import { createRequire } from 'node:module';
import type { AzureStorageFactory } from '../datastore/azure/runnerAzureStorage';

type CliAzure = typeof import('./cliAzure');

/** A factory that loads the Azure SDKs only when a run asks for the Azure datastore. */
export const lazyAzureStorage: AzureStorageFactory = (config) => {
  // A computed name keeps the bundler from inlining the module (and the SDKs behind it) into the command line.
  const name = ['.', 'cliAzure'].join('/');
  const loaded = createRequire(__filename)(name) as CliAzure;
  return loaded.openAzureStorage(config);
};
