// The credential chain: the editor's account first, the fallback after it, tokens cached per scope and tenant,
// refreshed five minutes before expiry, and a failure that lists every source tried with what to do next.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { azureCloudConfig } from '../../../src/azure/azureCloud';
import { AzureCredentials } from '../../../src/azure/azureCredentials';
import { AzureSignInError } from '../../../src/azure/credentialFailure';
import { FakeClock, FakeEditorSource, FakeFallback, MINUTE } from './fakes';

const STORAGE = 'https://storage.azure.com/.default';
const VAULT = 'https://vault.azure.net/.default';

function setup(options: { tenant?: string; lifetimeMs?: number } = {}) {
  const clock = new FakeClock();
  const editor = new FakeEditorSource(clock, options.lifetimeMs);
  const fallback = new FakeFallback();
  const credentials = new AzureCredentials({ cloud: azureCloudConfig('AzureCloud'), tenant: options.tenant, editor, fallback, now: clock.now });
  return { clock, editor, fallback, credentials };
}

test('the editor account answers first, silently, and the fallback is not asked', async () => {
  const { editor, fallback, credentials } = setup();
  const token = await credentials.getToken(STORAGE);
  assert.equal(token.token, `editor-1-${STORAGE}-home`);
  assert.deepEqual(editor.requests, [{ scopes: [STORAGE], request: { tenant: undefined, interactive: false } }]);
  assert.equal(fallback.calls.length, 0);
});

test('tokens are cached per scope and per tenant', async () => {
  const { editor, credentials } = setup();
  const a = await credentials.getToken(STORAGE);
  const b = await credentials.getToken([STORAGE]);
  const c = await credentials.getToken(VAULT);
  const d = await credentials.getToken(STORAGE, { tenantId: 'contoso.onmicrosoft.com' });
  assert.equal(a.token, b.token);
  assert.notEqual(a.token, c.token);
  assert.equal(d.token, `editor-3-${STORAGE}-contoso.onmicrosoft.com`);
  assert.equal(editor.issued, 3);
});

test('the tenant setting is passed to the editor account', async () => {
  const { editor, credentials } = setup({ tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47' });
  await credentials.getToken(STORAGE);
  assert.equal(editor.requests[0]?.request.tenant, '72f988bf-86f1-41af-91ab-2d7cd011db47');
});

test('a token is fetched again five minutes before it expires, not earlier', async () => {
  const { clock, editor, credentials } = setup({ lifetimeMs: 60 * MINUTE });
  const first = await credentials.getToken(STORAGE);
  clock.advance(54 * MINUTE);
  assert.equal((await credentials.getToken(STORAGE)).token, first.token);
  clock.advance(1 * MINUTE + 1);
  const second = await credentials.getToken(STORAGE);
  assert.notEqual(second.token, first.token);
  assert.equal(editor.issued, 2);
  assert.equal(second.expiresOnTimestamp, clock.now() + 60 * MINUTE);
});

test('concurrent requests for one scope share one request to the source', async () => {
  const { editor, credentials } = setup();
  const tokens = await Promise.all([credentials.getToken(STORAGE), credentials.getToken(STORAGE), credentials.getToken(STORAGE)]);
  assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
  assert.equal(editor.issued, 1);
});

test('a failed early refresh keeps the token that still works; once expired the failure shows', async () => {
  const { clock, editor, credentials } = setup();
  const first = await credentials.getToken(STORAGE);
  editor.signedIn = false;
  clock.advance(57 * MINUTE);
  assert.equal((await credentials.getToken(STORAGE)).token, first.token);
  clock.advance(3 * MINUTE);
  await assert.rejects(credentials.getToken(STORAGE), AzureSignInError);
});

test('when the editor has no session the fallback answers', async () => {
  const { editor, fallback, credentials } = setup();
  editor.signedIn = false;
  fallback.token = { token: 'cli-token', expiresOnTimestamp: Date.UTC(2026, 0, 1, 1) };
  assert.equal((await credentials.getToken(STORAGE)).token, 'cli-token');
  assert.deepEqual(fallback.calls[0]?.scopes, [STORAGE]);
});

test('a failure lists each source tried, in order, with its reason and what to do next', async () => {
  const { editor, credentials } = setup();
  editor.signedIn = false;
  const err = await credentials.getToken(STORAGE).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AzureSignInError);
  assert.deepEqual(
    err.attempts.map((a) => a.source),
    ['VS Code account', 'Environment service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)', 'Managed identity', 'Azure CLI', 'Azure PowerShell', 'Azure Developer CLI'],
  );
  assert.match(err.attempts[0]?.reason ?? '', /^not signed in for https:\/\/storage\.azure\.com\/\.default/);
  assert.match(err.message, /^No Azure credential gave a token for https:\/\/storage\.azure\.com\/\.default\. Tried:/);
  assert.match(err.message, /Metaflow: Sign in to Azure/);
  assert.match(err.message, /az login/);
  assert.match(err.message, /AZURE_CLIENT_SECRET/);
  assert.doesNotMatch(err.message, /Visual Studio Code Authentication/);
});

test('clear() forgets cached tokens (sign-out or another account)', async () => {
  const { editor, credentials } = setup();
  await credentials.getToken(STORAGE);
  credentials.clear();
  await credentials.getToken(STORAGE);
  assert.equal(editor.issued, 2);
});

test('without an editor account (the CLI) the chain is the fallback alone', async () => {
  const fallback = new FakeFallback();
  const credentials = new AzureCredentials({ cloud: azureCloudConfig('AzureCloud'), fallback });
  const err = await credentials.getToken(STORAGE).catch((e: unknown) => e);
  assert.ok(err instanceof AzureSignInError);
  assert.equal(err.attempts[0]?.source, 'Environment service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)');
});
