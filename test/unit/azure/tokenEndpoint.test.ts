// The tasks' token endpoint over real HTTP on 127.0.0.1: the per-run secret, scopes and tenant passed to the
// chain, expiry in epoch seconds, revocation, and failures that carry the chain's listing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { azureCloudConfig } from '../../../src/azure/azureCloud';
import { AzureCredentials } from '../../../src/azure/azureCredentials';
import { TaskTokenEndpoint } from '../../../src/azure/tokenEndpoint';
import { TOKEN_ENDPOINT_ENV, TOKEN_SECRET_ENV, TOKEN_SECRET_HEADER } from '../../../src/azure/tokenEndpointContract';
import { FakeClock, FakeEditorSource, FakeFallback, MINUTE } from './fakes';

const STORAGE = 'https://storage.azure.com/.default';
const clock = new FakeClock();
const editor = new FakeEditorSource(clock, 60 * MINUTE);
const credentials = new AzureCredentials({ cloud: azureCloudConfig(), editor, fallback: new FakeFallback(), now: clock.now });
const logged: string[] = [];
const endpoint = new TaskTokenEndpoint({ credential: () => credentials, log: (line) => logged.push(line) });
after(() => endpoint.dispose());

/** secret null: no header at all. */
async function ask(env: Record<string, string>, query: string, secret: string | null = env[TOKEN_SECRET_ENV] ?? null, method = 'GET') {
  const res = await fetch(`${env[TOKEN_ENDPOINT_ENV]}${query}`, { method, headers: secret === null ? {} : { [TOKEN_SECRET_HEADER]: secret } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a run gets a 127.0.0.1 URL and a secret of its own', async () => {
  const a = await endpoint.grant();
  const b = await endpoint.grant();
  assert.match(a.env[TOKEN_ENDPOINT_ENV] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/token$/);
  assert.equal(a.env[TOKEN_ENDPOINT_ENV], b.env[TOKEN_ENDPOINT_ENV]);
  assert.notEqual(a.env[TOKEN_SECRET_ENV], b.env[TOKEN_SECRET_ENV]);
  assert.ok((a.env[TOKEN_SECRET_ENV] ?? '').length >= 40);
  a.revoke();
  b.revoke();
});

test('answers a scope with the chain token and its expiry in epoch seconds', async () => {
  const grant = await endpoint.grant();
  const { status, body } = await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}`);
  assert.equal(status, 200);
  assert.equal(body.access_token, `editor-1-${STORAGE}-home`);
  assert.equal(body.expires_on, Math.floor((clock.now() + 60 * MINUTE) / 1000));
  assert.equal(body.token_type, 'Bearer');
  // The second request is answered from the cache.
  await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}`);
  assert.equal(editor.issued, 1);
  const tenant = await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}&tenant=contoso.onmicrosoft.com`);
  assert.equal(tenant.body.access_token, `editor-2-${STORAGE}-contoso.onmicrosoft.com`);
  grant.revoke();
});

test('a wrong, missing or revoked secret gets 401 and no token', async () => {
  const grant = await endpoint.grant();
  const query = `?scope=${encodeURIComponent(STORAGE)}`;
  const wrong = await ask(grant.env, query, 'x'.repeat(43));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'unauthorized');
  assert.equal(wrong.body.access_token, undefined);
  assert.equal((await ask(grant.env, query, null)).status, 401);
  assert.equal((await ask(grant.env, query)).status, 200);
  grant.revoke();
  assert.equal((await ask(grant.env, query)).status, 401);
});

test('bad requests are refused with 400 and a message', async () => {
  const grant = await endpoint.grant();
  const none = await ask(grant.env, '');
  assert.equal(none.status, 400);
  assert.match(String(none.body.message), /no scope/);
  const spaced = await ask(grant.env, `?scope=${encodeURIComponent('a b')}`);
  assert.equal(spaced.status, 400);
  assert.equal((await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}`, null, 'POST')).status, 401);
  const post = await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}`, grant.env[TOKEN_SECRET_ENV], 'POST');
  assert.equal(post.status, 400);
  const tenant = await ask(grant.env, `?scope=${encodeURIComponent(STORAGE)}&tenant=${encodeURIComponent('../x y')}`);
  assert.equal(tenant.status, 400);
  grant.revoke();
});

test('when no source has a token: 503 with the listing of what was tried, logged without the secret', async () => {
  const grant = await endpoint.grant();
  editor.signedIn = false;
  try {
    const { status, body } = await ask(grant.env, `?scope=${encodeURIComponent('https://vault.azure.net/.default')}`);
    assert.equal(status, 503);
    assert.equal(body.error, 'credential_unavailable');
    assert.match(String(body.message), /VS Code account: not signed in/);
    assert.match(String(body.message), /Azure CLI/);
    assert.ok(logged.some((l) => l.includes('https://vault.azure.net/.default')));
    assert.ok(logged.every((l) => !l.includes(grant.env[TOKEN_SECRET_ENV] ?? '')));
  } finally {
    editor.signedIn = true;
    grant.revoke();
  }
});

test('an expired cached token is not served: the chain is asked again', async () => {
  const grant = await endpoint.grant();
  const scope = 'https://example.blob.core.windows.net/.default';
  const first = await ask(grant.env, `?scope=${encodeURIComponent(scope)}`);
  clock.advance(56 * MINUTE);
  const second = await ask(grant.env, `?scope=${encodeURIComponent(scope)}`);
  assert.notEqual(second.body.access_token, first.body.access_token);
  assert.ok(Number(second.body.expires_on) * 1000 > clock.now() + 5 * MINUTE);
  grant.revoke();
});
