// Azure sign-in in the real extension host: a stand-in authentication provider registered for `microsoft`
// (VS Code's own cannot reach Microsoft Entra offline) holds one account; "Metaflow: Sign in to Azure" takes
// its session, the status bar shows the account, and the token a flow's task gets from the token endpoint
// is that session's token, with nothing but the run's environment to find it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/runs/runRegistry';
import { TOKEN_ENDPOINT_ENV, TOKEN_SECRET_ENV, TOKEN_SECRET_HEADER } from '../../src/azure/tokenEndpointContract';
import { api, EXTENSION_ID, waitFor } from './helpers';

const STORAGE = 'https://storage.azure.com/.default';
const VAULT = 'https://vault.azure.net/.default';
const ACCOUNT = { id: 'tester-id', label: 'tester@contoso.com' };
const EXPIRES = Math.floor(Date.now() / 1000) + 3600;

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A token shaped as Microsoft Entra's (unsigned): its audience and tenant say what it was asked for. */
function entraToken(scopes: readonly string[]): string {
  const resource = scopes.find((s) => !s.startsWith('VSCODE_'))?.replace(/\/\.default$/, '') ?? '';
  const tenant = scopes.find((s) => s.startsWith('VSCODE_TENANT:'))?.slice('VSCODE_TENANT:'.length) ?? 'home';
  return `${b64({ typ: 'JWT', alg: 'none' })}.${b64({ aud: resource, tid: tenant, exp: EXPIRES, upn: ACCOUNT.label })}.`;
}

/** Behaves as VS Code's Microsoft provider does: one account, a token for whatever resource is asked once signed in. */
class StandInMicrosoftProvider implements vscode.AuthenticationProvider {
  private readonly changed = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changed.event;
  readonly created: string[][] = [];
  readonly asked: string[][] = [];
  private signedIn = false;

  session(scopes: readonly string[]): vscode.AuthenticationSession {
    return { id: `${ACCOUNT.id}:${scopes.join(' ')}`, accessToken: entraToken(scopes), account: ACCOUNT, scopes };
  }

  async getSessions(scopes?: readonly string[]): Promise<vscode.AuthenticationSession[]> {
    this.asked.push([...(scopes ?? [])]);
    return this.signedIn ? [this.session(scopes ?? [])] : [];
  }

  async createSession(scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    this.created.push([...scopes]);
    this.signedIn = true;
    const session = this.session(scopes);
    this.changed.fire({ added: [session], removed: [], changed: [] });
    return session;
  }

  async removeSession(): Promise<void> {
    const removed = this.session([STORAGE]);
    this.signedIn = false;
    this.changed.fire({ added: [], removed: [removed], changed: [] });
  }
}

async function askEndpoint(env: Record<string, string>, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${env[TOKEN_ENDPOINT_ENV]}?scope=${encodeURIComponent(scope)}`, { headers: { [TOKEN_SECRET_HEADER]: env[TOKEN_SECRET_ENV] ?? '' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const TOKEN_FLOW = `import base64
import json
import os
import urllib.request
from metaflow import FlowSpec, step


class AzureTokenFlow(FlowSpec):
    @step
    def start(self):
        request = urllib.request.Request(
            os.environ["${TOKEN_ENDPOINT_ENV}"] + "?scope=https%3A%2F%2Fstorage.azure.com%2F.default",
            headers={"${TOKEN_SECRET_HEADER}": os.environ["${TOKEN_SECRET_ENV}"]},
        )
        body = json.load(urllib.request.urlopen(request))
        payload = body["access_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        self.audience = claims["aud"]
        self.account = claims["upn"]
        self.expires_on = body["expires_on"]
        print("token for", self.audience, "as", self.account)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AzureTokenFlow()
`;

suite('Azure sign-in', function () {
  this.timeout(120_000);
  const provider = new StandInMicrosoftProvider();
  let registration: vscode.Disposable | undefined;

  suiteSetup(async () => {
    await api();
    registration = vscode.authentication.registerAuthenticationProvider('microsoft', 'Microsoft (stand-in)', provider);
  });
  suiteTeardown(async () => {
    registration?.dispose();
    await vscode.workspace.getConfiguration('metaflow').update('azure.tenant', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('the status bar offers sign-in, then shows the account once VS Code holds a session (Accounts menu)', async () => {
    const azure = (await api()).azure;
    assert.equal(azure.statusText, '$(sign-in) Sign in to Azure');
    assert.equal(azure.account, undefined);
    // The fixture workspace selects no Azure datastore and reads no Key Vault secret: nothing to show yet.
    assert.equal(azure.statusVisible, false);
    // A request without `silent` puts "Sign in with Microsoft (stand-in) to use Metaflow Studio" in the Accounts
    // menu; running that entry is the user's click on it, which signs in and allows the extension the account.
    assert.equal(await vscode.authentication.getSession('microsoft', [STORAGE]), undefined);
    const commands = await vscode.commands.getCommands();
    const accountsEntry = commands.find((c) => new RegExp(`^microsoft:${EXTENSION_ID.replace(/\./g, '\\.')}:signIn\\d+$`, 'i').test(c));
    assert.ok(accountsEntry, 'the Accounts menu offers signing in for the extension');
    await vscode.commands.executeCommand(accountsEntry);
    // onDidChangeSessions makes the extension look again, silently.
    await waitFor('the account in the status bar', () => azure.statusText === `$(azure) ${ACCOUNT.label}`);
    assert.equal(azure.account, ACCOUNT.label);
    assert.equal(azure.statusVisible, true, 'a signed-in session shows the item');
  });

  test('"Metaflow: Sign in to Azure" takes the session, and tasks get its token from the token endpoint', async () => {
    const azure = (await api()).azure;
    const account = await vscode.commands.executeCommand<string | undefined>('metaflow.signInToAzure');
    assert.equal(account, ACCOUNT.label);
    assert.ok(provider.asked.some((s) => s.length === 1 && s[0] === VAULT), 'Key Vault was asked for too');

    const grant = await azure.grantTaskAccess();
    try {
      assert.match(grant.env[TOKEN_ENDPOINT_ENV] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/token$/);
      const storage = await askEndpoint(grant.env, STORAGE);
      assert.equal(storage.status, 200);
      assert.equal(storage.body.access_token, entraToken([STORAGE]));
      assert.equal(storage.body.expires_on, EXPIRES);
      const vault = await askEndpoint(grant.env, VAULT);
      assert.equal(vault.body.access_token, entraToken([VAULT]));
      const wrong = await fetch(`${grant.env[TOKEN_ENDPOINT_ENV]}?scope=${encodeURIComponent(STORAGE)}`, { headers: { [TOKEN_SECRET_HEADER]: 'not-the-secret' } });
      assert.equal(wrong.status, 401);
    } finally {
      grant.revoke();
    }
    assert.equal((await askEndpoint(grant.env, STORAGE)).status, 401, 'a revoked secret gets nothing');
  });

  test('the tenant setting reaches VS Code as a VSCODE_TENANT scope', async () => {
    const azure = (await api()).azure;
    await vscode.workspace.getConfiguration('metaflow').update('azure.tenant', 'contoso.onmicrosoft.com', vscode.ConfigurationTarget.Workspace);
    const token = await waitFor('a token for the tenant', async () => {
      const t = await azure.getToken([STORAGE]);
      return t.token === entraToken([STORAGE, 'VSCODE_TENANT:contoso.onmicrosoft.com']) && t;
    });
    assert.equal(token.expiresOnTimestamp, EXPIRES * 1000);
    assert.ok(provider.asked.some((s) => s.includes('VSCODE_TENANT:contoso.onmicrosoft.com')));
    await vscode.workspace.getConfiguration('metaflow').update('azure.tenant', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('a flow run from the editor gets the signed-in account\'s token, without az login', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-sign-in-'));
    const flowFile = vscode.Uri.file(path.join(dir, 'azure_token_flow.py'));
    fs.writeFileSync(flowFile.fsPath, TOKEN_FLOW);
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', false, vscode.ConfigurationTarget.Workspace);
    const exports = await api();
    let output = '';
    const appended = exports.runOutput.onDidAppend((a) => {
      output += a.text;
    });
    try {
      const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', flowFile, 'AzureTokenFlow');
      assert.ok(run, 'a run was started');
      const result = await run.handle.done;
      assert.equal(result.status, 'succeeded', `${result.error ?? ''}\n${output}`);
      await waitFor('the task line in Output', () => output.includes(`token for https://storage.azure.com as ${ACCOUNT.label}`));
      // The token itself never reaches the Output channel.
      assert.ok(!output.includes(entraToken([STORAGE])), output);
    } finally {
      appended.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('signing out in VS Code puts "Sign in to Azure" back', async () => {
    const azure = (await api()).azure;
    await provider.removeSession();
    await waitFor('the sign-in offer in the status bar', () => azure.statusText === '$(sign-in) Sign in to Azure');
    assert.equal(azure.account, undefined);
    await waitFor('the item hidden once no Azure use is left', () => !azure.statusVisible);
  });

  test('signed out, the item shows while a config file selects the Azure datastore or a flow reads Key Vault', async () => {
    const azure = (await api()).azure;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.equal(azure.account, undefined);
    assert.equal(azure.statusVisible, false);
    const configFile = path.join(folder, '.metaflow', 'config.json');
    const hadConfig = fs.existsSync(configFile);
    const flowFile = path.join(folder, 'key_vault_flow.py');
    try {
      if (!hadConfig) {
        // Made and removed in the editor, as a user would.
        const create = new vscode.WorkspaceEdit();
        create.createFile(vscode.Uri.file(configFile), { contents: Buffer.from(JSON.stringify({ METAFLOW_DEFAULT_DATASTORE: 'azure' })) });
        assert.ok(await vscode.workspace.applyEdit(create));
        await waitFor('the item shown for the Azure datastore in .metaflow/config.json', () => azure.statusVisible);
        assert.equal(azure.statusText, '$(sign-in) Sign in to Azure');
        const remove = new vscode.WorkspaceEdit();
        remove.deleteFile(vscode.Uri.file(configFile));
        assert.ok(await vscode.workspace.applyEdit(remove));
        await waitFor('the item hidden once the config file is gone', () => !azure.statusVisible);
      }
      fs.writeFileSync(flowFile, KEY_VAULT_FLOW);
      await waitFor('the item shown for a flow reading a Key Vault secret', () => azure.statusVisible);
      fs.rmSync(flowFile);
      await waitFor('the item hidden once that flow is gone', () => !azure.statusVisible);
    } finally {
      if (!hadConfig) fs.rmSync(configFile, { force: true });
      fs.rmSync(flowFile, { force: true });
    }
  });
});

const KEY_VAULT_FLOW = `from metaflow import FlowSpec, secrets, step


class KeyVaultFlow(FlowSpec):
    @secrets(sources=["az-key-vault.https://studio-vault.vault.azure.net/secrets/db-password"])
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;
