// Key Vault secrets against the stand-in vault (test/support/keyVaultServer.ts): the JavaScript SDK unchanged, then
// flows whose @secrets name Key Vault secrets, run by the scheduler with Debian's python3 and its Azure SDK. The tasks
// sign in through the editor's token endpoint (src/azure/tokenEndpoint.ts) as in the product; the vault's bearer
// challenge asks them for a vault token. The step sees the value; the run's events and persisted logs never hold it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { TaskTokenEndpoint, type TokenGrant } from '../../../src/azure/tokenEndpoint';
import type { RunEvent } from '../../../src/runtime/events';
import { RunRefused } from '../../../src/runtime/localRunner';
import { type KeyVaultServer, startKeyVaultServer } from '../../support/keyVaultServer';
import { finish, runner, type Workspace, workspace, writeFlow } from '../runtime/harness';

const AZURE_PYTHON = '/usr/bin/python3';
const TOKEN = 'vault-token-for-tests';
const VALUE = 'Tr0ub4dor&3-horse-battery';
const OTHER = 'second-secret-value-271828';
const OLD = 'old-version-value-161803';
const OLD_VERSION = 'a'.repeat(32);

function credential(token: string, scopes: string[][]): TokenCredential {
  return {
    getToken: async (scope): Promise<AccessToken> => {
      scopes.push(Array.isArray(scope) ? scope : [scope]);
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

let vault: KeyVaultServer;
before(async () => {
  vault = await startKeyVaultServer({
    secrets: {
      'db-password': [{ value: OLD, version: OLD_VERSION }, { value: VALUE }],
      'api-key': [{ value: OTHER }],
    },
    acceptToken: TOKEN,
    forbidden: ['locked'],
  });
});
after(() => vault.close());

describe('the Key Vault stand-in through @azure/keyvault-secrets', () => {
  it('answers the bearer challenge, then serves the current or a named version', async () => {
    const scopes: string[][] = [];
    const client = new SecretClient(vault.vaultUrl('testvault'), credential(TOKEN, scopes), { agent: vault.agent() });
    const current = await client.getSecret('db-password');
    assert.equal(current.value, VALUE);
    assert.equal(current.name, 'db-password');
    assert.equal((await client.getSecret('db-password', { version: OLD_VERSION })).value, OLD);
    assert.deepEqual(scopes[0], ['https://vault.azure.net/.default']);
    assert.deepEqual(vault.requests.slice(0, 2).map((r) => [r.auth, r.status, r.host]), [
      ['none', 401, 'testvault.vault.azure.net'],
      ['accepted', 200, 'testvault.vault.azure.net'],
    ]);
    assert.ok(vault.requests.every((r) => r.apiVersion));
  });

  it('refuses a wrong token, a missing secret and a secret the identity may not read', async () => {
    const wrong = new SecretClient(vault.vaultUrl('testvault'), credential('not-the-token', []), { agent: vault.agent() });
    await assert.rejects(wrong.getSecret('db-password'), (e: { statusCode?: number }) => e.statusCode === 401);
    const client = new SecretClient(vault.vaultUrl('testvault'), credential(TOKEN, []), { agent: vault.agent() });
    await assert.rejects(client.getSecret('nope'), (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'SecretNotFound');
    await assert.rejects(client.getSecret('locked'), (e: { statusCode?: number }) => e.statusCode === 403);
  });
});

const HEADER = `import os
from metaflow import FlowSpec, current, secrets, step

`;

function secretsFlow(name: string, sources: string): string {
  return `${HEADER}class ${name}(FlowSpec):
    @secrets(sources=${sources})
    @step
    def start(self):
        self.seen = {k: os.environ.get(k) for k in ("db_password", "API", "db_password_old")}
        self.from_current = current.secrets.get("db_password")
        print("connecting with", os.environ.get("db_password"))
        self.next(self.end)

    @step
    def end(self):
        pass
`;
}

describe('@secrets with Key Vault sources in a run', () => {
  let ws: Workspace;
  let endpoint: TaskTokenEndpoint;
  let grant: TokenGrant;
  const scopes: string[][] = [];
  before(async () => {
    ws = workspace();
    endpoint = new TaskTokenEndpoint({ credential: () => credential(TOKEN, scopes) });
    grant = await endpoint.grant();
  });
  after(async () => {
    grant.revoke();
    await endpoint.dispose();
    ws.cleanup();
  });

  function vaultEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      METAFLOW_STUDIO_PYTHON: AZURE_PYTHON,
      HTTPS_PROXY: vault.proxyUrl,
      REQUESTS_CA_BUNDLE: vault.caFile,
      ...grant.env,
      ...extra,
    };
  }

  function logLines(events: RunEvent[]): string[] {
    return events.flatMap((e) => (e.event === 'log' ? [e.line] : []));
  }

  function persistedLogs(runId: string, flow: string): string {
    const dir = path.join(ws.root, flow, runId, 'start');
    const task = fs.readdirSync(dir).find((t) => t !== '_meta')!;
    return fs.readdirSync(path.join(dir, task)).filter((f) => f.endsWith('.log'))
      .map((f) => fs.readFileSync(path.join(dir, task, f), 'utf8')).join('\n');
  }

  async function artifact(flow: string, runId: string, name: string): Promise<unknown> {
    const { describeRun } = await import('../runtime/harness');
    const run = await describeRun(ws, `${flow}/${runId}`);
    return run.steps.start[0].data[name];
  }

  it('every source form reaches the step; the value is masked in events and persisted logs', async () => {
    const file = writeFlow(ws, 'kv_flow.py', secretsFlow('KvFlow', `[
        "az-key-vault.db-password",
        {"type": "azure-key-vault", "id": "https://testvault.vault.azure.net/secrets/api-key", "options": {"env_var_name": "API"}},
        {"type": "az-key-vault", "id": "db-password/${OLD_VERSION}", "options": {"env_var_name": "db-password-old"}},
    ]`));
    const r = await runner(ws, vaultEnv({ METAFLOW_AZURE_KEY_VAULT_PREFIX: vault.vaultUrl('testvault') }));
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual(await artifact('KvFlow', result.runId, 'seen'), { db_password: VALUE, API: OTHER, db_password_old: OLD });
    assert.equal(await artifact('KvFlow', result.runId, 'from_current'), VALUE);
    assert.ok(logLines(events).includes('connecting with *****'));
    for (const text of [JSON.stringify(events), persistedLogs(result.runId, 'KvFlow')]) {
      for (const secret of [VALUE, OTHER, OLD, TOKEN]) assert.ok(!text.includes(secret));
    }
    assert.ok(scopes.some((s) => s.includes('https://vault.azure.net/.default')), 'the token endpoint was asked for a vault token');
  });

  it('a plain id uses METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE; problems name the secret, the vault and the fix', async () => {
    const plain = writeFlow(ws, 'plain_flow.py', secretsFlow('PlainFlow', '["db-password"]'));
    const env = { METAFLOW_AZURE_KEY_VAULT_PREFIX: vault.vaultUrl('testvault'), METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE: 'az-key-vault' };
    const ok = await finish((await runner(ws, vaultEnv(env))).run({ flowFile: plain, parameterArgs: [] }));
    assert.equal(ok.result.status, 'succeeded', ok.result.error);
    assert.equal(await artifact('PlainFlow', ok.result.runId, 'from_current'), VALUE);

    const cases: [string, Record<string, string>, RegExp][] = [
      ['["az-key-vault.missing-one"]', env, /secret 'missing-one' in Key Vault https:\/\/testvault\.vault\.azure\.net does not exist/],
      ['["az-key-vault.locked"]', env, /refused \(403\).*Key Vault Secrets User/],
      ['["az-key-vault.db-password"]', {}, /METAFLOW_AZURE_KEY_VAULT_PREFIX/],
      // The pyenv interpreter on PATH has no Azure SDK: the message says what to install.
      ['["az-key-vault.db-password"]', { ...env, METAFLOW_STUDIO_PYTHON: 'python3' }, /Install it with: pip install azure-keyvault-secrets azure-identity/],
    ];
    for (const [i, [sources, extra, message]] of cases.entries()) {
      const file = writeFlow(ws, `bad_${i}.py`, secretsFlow(`Bad${i}Flow`, sources));
      const { result } = await finish((await runner(ws, vaultEnv(extra))).run({ flowFile: file, parameterArgs: [] }));
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', message);
    }

    // A literal id that can never work is a lint error: the run is refused before anything starts.
    const badDomain = writeFlow(ws, 'bad_domain.py', secretsFlow('BadDomainFlow', '["az-key-vault.https://testvault.example.com/secrets/x"]'));
    const r = await runner(ws, vaultEnv({}));
    assert.throws(
      () => r.run({ flowFile: badDomain, parameterArgs: [] }),
      (err: unknown) => err instanceof RunRefused && err.lintErrors.some((e) => e.check === 'invalid_secret_source' && /must end with one of/.test(e.message)),
    );
  });
});
