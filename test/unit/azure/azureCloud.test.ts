// One cloud setting gives sign-in, Blob and Key Vault the same cloud; an unknown name is refused clearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { azureCloudConfig, blobServiceEndpoint, keyVaultUrl } from '../../../src/azure/azureCloud';

test('the public cloud signs in through the microsoft provider', () => {
  const cloud = azureCloudConfig();
  assert.equal(cloud.authorityHost, 'https://login.microsoftonline.com');
  assert.equal(cloud.vscodeAuthProvider, 'microsoft');
  assert.equal(blobServiceEndpoint(cloud, 'mfstore'), 'https://mfstore.blob.core.windows.net/');
  assert.equal(keyVaultUrl(cloud, 'myvault'), 'https://myvault.vault.azure.net/');
  assert.equal(cloud.keyVaultScope, 'https://vault.azure.net/.default');
});

test('sovereign clouds use their own hosts and the microsoft-sovereign-cloud provider', () => {
  const china = azureCloudConfig('AzureChinaCloud');
  assert.equal(china.authorityHost, 'https://login.chinacloudapi.cn');
  assert.equal(blobServiceEndpoint(china, 'a'), 'https://a.blob.core.chinacloudapi.cn/');
  assert.equal(keyVaultUrl(china, 'v'), 'https://v.vault.azure.cn/');
  assert.equal(china.vscodeAuthProvider, 'microsoft-sovereign-cloud');
  assert.equal(china.vscodeSovereignEnvironment, 'ChinaCloud');
  const gov = azureCloudConfig('AzureUSGovernment');
  assert.equal(gov.authorityHost, 'https://login.microsoftonline.us');
  assert.equal(gov.keyVaultScope, 'https://vault.usgovcloudapi.net/.default');
  assert.equal(gov.vscodeSovereignEnvironment, 'USGovernment');
});

test('an unknown cloud names the setting, the value and the accepted names', () => {
  assert.throws(() => azureCloudConfig('AzureGermanCloud'), /metaflow\.azure\.cloud is "AzureGermanCloud".*AzureCloud, AzureChinaCloud, AzureUSGovernment/);
});

test('a session token expires at its JWT exp claim; an opaque one after a short default', async () => {
  const { tokenExpiry, OPAQUE_TOKEN_LIFETIME_MS } = await import('../../../src/azure/tokenExpiry');
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'none' })}.${b64({ aud: 'https://storage.azure.com', exp: 1_900_000_000 })}.`;
  assert.equal(tokenExpiry(jwt, 5), 1_900_000_000_000);
  assert.equal(tokenExpiry('opaque-token', 1000), 1000 + OPAQUE_TOKEN_LIFETIME_MS);
  assert.equal(tokenExpiry(`${b64({})}.${b64({ exp: 'soon' })}.x`, 7), 7 + OPAQUE_TOKEN_LIFETIME_MS);
});
