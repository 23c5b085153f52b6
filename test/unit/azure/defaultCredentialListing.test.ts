// The listing over the real DefaultAzureCredential, restricted to its developer sources by AZURE_TOKEN_CREDENTIALS
// (nothing reaches the network) and with a PATH where no Azure CLI, azd or PowerShell can be found, so the
// result does not depend on what this machine has installed or signed in.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { azureCloudConfig } from '../../../src/azure/azureCloud';
import { AzureCredentials } from '../../../src/azure/azureCredentials';
import { AzureSignInError } from '../../../src/azure/credentialFailure';
import { FakeClock, FakeEditorSource } from './fakes';

const emptyBin = mkdtempSync(join(tmpdir(), 'no-azure-tools-'));
const saved = { PATH: process.env.PATH, AZURE_TOKEN_CREDENTIALS: process.env.AZURE_TOKEN_CREDENTIALS };
after(() => {
  Object.assign(process.env, saved);
  rmSync(emptyBin, { recursive: true, force: true });
});

test('DefaultAzureCredential after a signed-out editor: every source is named with its reason', async () => {
  process.env.PATH = emptyBin;
  process.env.AZURE_TOKEN_CREDENTIALS = 'dev';
  const editor = new FakeEditorSource(new FakeClock());
  editor.signedIn = false;
  const credentials = new AzureCredentials({ cloud: azureCloudConfig('AzureCloud'), editor });
  const err = await credentials.getToken('https://storage.azure.com/.default').catch((e: unknown) => e);
  assert.ok(err instanceof AzureSignInError, String(err));
  const sources = err.attempts.map((a) => a.source);
  assert.equal(sources[0], 'VS Code account');
  for (const source of ['Azure CLI', 'Azure Developer CLI', 'Azure PowerShell']) assert.ok(sources.includes(source), `${source} missing from:\n${err.message}`);
  assert.ok(!sources.includes('Azure credential'), `an unrecognised source in:\n${err.message}`);
  assert.match(err.message, /Next: Run "Metaflow: Sign in to Azure"/);
});
