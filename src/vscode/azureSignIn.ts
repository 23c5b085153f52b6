// "Metaflow: Sign in to Azure", the status bar item showing the signed-in account, and the one Azure credential
// the extension's Azure clients and the tasks' token endpoint share. Settings metaflow.azure.cloud / tenant /
// debugLogging apply without a reload; a session change (sign-out, another account) forgets cached tokens.
// The status bar item shows only while Azure is in use (a signed-in session, the Azure datastore selected
// in the environment, a Metaflow config file or a setting, or a flow reading Key Vault secrets): a user who
// never touches Azure sees nothing of it.
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import * as vscode from 'vscode';
import { AZURE_SETTINGS } from '../datastore/azure/azureConfig';
import { MetaflowConfig } from '../config/metaflowConfig';
import { KEY_VAULT_TYPES } from '../flow/secretSources';
import { type AzureCloudConfig, azureCloudConfig, AZURE_CLOUD_NAMES } from '../azure/azureCloud';
import { AzureCredentials } from '../azure/azureCredentials';
import { AzureSdkLogging } from '../azure/azureSdkLogging';
import { redactSecrets } from '../azure/redact';
import { TaskTokenEndpoint, type TokenGrant } from '../azure/tokenEndpoint';
import { editorDatastoreSettings } from './artifactExplorerRoots';
import { SOVEREIGN_ENVIRONMENT_SETTING, SovereignCloudMismatch, VsCodeAzureSession } from './azureSession';
import type { Log } from './log';

export const SIGN_IN_TO_AZURE_COMMAND = 'metaflow.signInToAzure';
export const AZURE_CLOUD_SETTING = 'metaflow.azure.cloud';
export const AZURE_TENANT_SETTING = 'metaflow.azure.tenant';
export const AZURE_DEBUG_LOGGING_SETTING = 'metaflow.azure.debugLogging';

/** Where the sign-in looks for signs that the workspace uses Azure. */
export interface AzureUsageSources {
  /** The workspace's flow files (the flow index): a flow with a Key Vault `@secrets` source uses Azure. */
  flowFiles(): Promise<vscode.Uri[]>;
  onDidChangeFlows: vscode.Event<unknown>;
}

const DEFAULT_SECRETS_BACKEND = 'METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE';
const KEY_VAULT_SOURCE = new RegExp(`${KEY_VAULT_TYPES.join('|')}|\\.vault\\.(azure\\.net|azure\\.cn|usgovcloudapi\\.net|microsoftazure\\.de)`);

/** A flow file's text reads Key Vault secrets: `@secrets` with a Key Vault source type or vault URL. */
export function readsKeyVault(source: string): boolean {
  return /@secrets\b/.test(source) && KEY_VAULT_SOURCE.test(source);
}

/** What tests and other extensions reach through the extension's API. */
export interface AzureSignInApi {
  /** The signed-in account's label, or undefined. */
  readonly account: string | undefined;
  /** The status bar item's text. */
  readonly statusText: string;
  /** Whether the status bar item is shown (only while Azure is in use). */
  readonly statusVisible: boolean;
  /** A token from the chain (the editor's account first), as the extension's Azure clients get it. */
  getToken(scopes: string[]): Promise<AccessToken>;
  /** What a run's tasks receive: the token endpoint's URL and a secret of their own. */
  grantTaskAccess(): Promise<TokenGrant>;
}

export class AzureSignIn implements vscode.Disposable, AzureSignInApi {
  private readonly item = vscode.window.createStatusBarItem('metaflow.azure', vscode.StatusBarAlignment.Left, 40);
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly sdkLogging: AzureSdkLogging;
  private readonly endpoint: TaskTokenEndpoint;
  private readonly session: VsCodeAzureSession;
  private chain: AzureCredentials;
  private signedInAs: string | undefined;
  private reportedCloud: string | undefined;
  private configUsesAzure = false;
  private flowsUseKeyVault = false;
  /** Whether VS Code has been asked for a session yet (see the constructor). */
  private sessionAsked = false;
  private visible = false;

  /** Stable for holders (Blob, Key Vault clients): each request goes to the chain of the current settings. */
  readonly credential: TokenCredential = { getToken: (scopes: string | string[], options?: GetTokenOptions) => this.chain.getToken(scopes, options) };

  constructor(
    private readonly log: Log,
    private readonly usage?: AzureUsageSources,
  ) {
    this.session = new VsCodeAzureSession(() => this.chain.cloud);
    this.chain = this.buildChain();
    this.endpoint = new TaskTokenEndpoint({ credential: () => this.credential, log: (line) => log.warn(line) });
    this.sdkLogging = new AzureSdkLogging((line) => log.info(`[Azure SDK] ${line}`), () => this.endpoint.liveSecrets());
    this.sdkLogging.setDebug(this.setting<boolean>(AZURE_DEBUG_LOGGING_SETTING) === true);
    this.item.name = 'Metaflow: Azure account';
    this.item.command = SIGN_IN_TO_AZURE_COMMAND;
    this.subscriptions.push(
      vscode.authentication.onDidChangeSessions((e) => {
        if (e.provider.id !== this.chain.cloud.vscodeAuthProvider) return;
        this.chain.clear();
        void this.refreshStatus();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(AZURE_DEBUG_LOGGING_SETTING)) this.sdkLogging.setDebug(this.setting<boolean>(AZURE_DEBUG_LOGGING_SETTING) === true);
        if (e.affectsConfiguration(AZURE_CLOUD_SETTING) || e.affectsConfiguration(AZURE_TENANT_SETTING) || e.affectsConfiguration(SOVEREIGN_ENVIRONMENT_SETTING)) {
          this.chain = this.buildChain();
          if (this.sessionAsked) void this.refreshStatus();
        }
        if (e.affectsConfiguration('metaflow')) this.checkConfig();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.checkConfig()),
      // Edits made in the editor are seen at once; the watchers below catch the others.
      vscode.workspace.onDidSaveTextDocument((doc) => this.checkConfigIf([doc.uri])),
      vscode.workspace.onDidCreateFiles((e) => this.checkConfigIf(e.files)),
      vscode.workspace.onDidDeleteFiles((e) => this.checkConfigIf(e.files)),
      vscode.workspace.onDidRenameFiles((e) => this.checkConfigIf(e.files.flatMap((f) => [f.oldUri, f.newUri]))),
    );
    // Metaflow's config files: the project's `.metaflow/config.json` and the profile's in ~/.metaflowconfig.
    for (const pattern of ['**/.metaflow/config*.json', new vscode.RelativePattern(vscode.Uri.file(path.join(os.homedir(), '.metaflowconfig')), 'config*.json')]) {
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      this.subscriptions.push(watcher, watcher.onDidCreate(() => this.checkConfig()), watcher.onDidChange(() => this.checkConfig()), watcher.onDidDelete(() => this.checkConfig()));
    }
    if (usage) this.subscriptions.push(usage.onDidChangeFlows(() => void this.checkFlows()));
    // No session is asked for here: even a silent request starts VS Code's Microsoft sign-in extension, which a user who
    // never touches Azure should not pay for. render() asks once Azure is in use; a sign-in through the Accounts menu
    // arrives as onDidChangeSessions.
    this.checkConfig();
    void this.checkFlows();
  }

  register(): vscode.Disposable[] {
    return [vscode.commands.registerCommand(SIGN_IN_TO_AZURE_COMMAND, () => this.signIn())];
  }

  /** The cloud of the metaflow.azure.cloud setting, for Blob and Key Vault endpoints and scopes. */
  get cloud(): AzureCloudConfig {
    return this.chain.cloud;
  }

  get account(): string | undefined {
    return this.signedInAs;
  }

  get statusText(): string {
    return this.item.text;
  }

  get statusVisible(): boolean {
    return this.visible;
  }

  private checkConfigIf(uris: readonly vscode.Uri[]): void {
    if (uris.some((u) => /^config(_.+)?\.json$/.test(path.basename(u.fsPath)))) this.checkConfig();
  }

  /** The Azure datastore or Key Vault secrets selected in the environment, a config file or the settings. */
  private checkConfig(): void {
    const settings = editorDatastoreSettings();
    const folders = vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath) ?? [process.cwd()];
    this.configUsesAzure = folders.some((dir) => {
      try {
        const config = MetaflowConfig.load({ env: process.env, startDir: dir, homeDir: os.homedir(), settings });
        return config.getString(AZURE_SETTINGS.defaultDatastore) === 'azure' || KEY_VAULT_TYPES.includes(config.getString(DEFAULT_SECRETS_BACKEND) ?? '');
      } catch {
        // An unreadable config file is reported where runs read it; it selects nothing here.
        return false;
      }
    });
    this.render();
  }

  private async checkFlows(): Promise<void> {
    if (!this.usage) return;
    let found = false;
    try {
      const files = new Map((await this.usage.flowFiles()).map((uri) => [uri.toString(), uri]));
      for (const uri of files.values()) {
        const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
        if (readsKeyVault(text)) {
          found = true;
          break;
        }
      }
    } catch {
      // A flow file gone between the listing and the read: the next index change looks again.
    }
    this.flowsUseKeyVault = found;
    this.render();
  }

  getToken(scopes: string[]): Promise<AccessToken> {
    return this.credential.getToken(scopes) as Promise<AccessToken>;
  }

  grantTaskAccess(): Promise<TokenGrant> {
    return this.endpoint.grant();
  }

  /** Interactive: VS Code shows its sign-in when there is no session yet. The account label, or undefined. */
  async signIn(): Promise<string | undefined> {
    const { cloud, tenant } = this.chain;
    try {
      const storage = await this.session.getToken([cloud.storageScope], { tenant, interactive: true });
      // Key Vault needs a token of its own audience; asked silently first, so one sign-in usually covers both.
      const vault = (await this.session.getToken([cloud.keyVaultScope], { tenant, interactive: false }).catch(() => undefined)) ?? (await this.session.getToken([cloud.keyVaultScope], { tenant, interactive: true }));
      this.chain.clear();
      this.signedInAs = storage?.account ?? vault?.account;
      this.render();
      if (this.signedInAs) this.log.info(`Signed in to Azure (${cloud.name}${tenant ? `, tenant ${tenant}` : ''}) as ${this.signedInAs}.`);
      return this.signedInAs;
    } catch (err) {
      this.reportSignInFailure(err);
      return undefined;
    }
  }

  private reportSignInFailure(err: unknown): void {
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    this.log.warn(`Sign in to Azure failed: ${message}`);
    if (err instanceof SovereignCloudMismatch && err.cloud.vscodeSovereignEnvironment) {
      const fix = `Set ${SOVEREIGN_ENVIRONMENT_SETTING} to "${err.cloud.vscodeSovereignEnvironment}"`;
      void vscode.window.showErrorMessage(message, fix).then((picked) => (picked === fix ? vscode.workspace.getConfiguration().update(SOVEREIGN_ENVIRONMENT_SETTING, err.cloud.vscodeSovereignEnvironment, vscode.ConfigurationTarget.Global) : undefined));
      return;
    }
    void vscode.window.showErrorMessage(`Sign in to Azure failed: ${message}. You can also sign in with \`az login\` in a terminal, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.`);
  }

  /** Silent: shows the account the editor already holds, without any prompt. */
  async refreshStatus(): Promise<void> {
    this.sessionAsked = true;
    const { cloud, tenant } = this.chain;
    const token = await this.session.getToken([cloud.storageScope], { tenant, interactive: false }).catch(() => undefined);
    this.signedInAs = token?.account;
    this.render();
  }

  private buildChain(): AzureCredentials {
    return new AzureCredentials({ cloud: this.cloudSetting(), tenant: this.setting<string>(AZURE_TENANT_SETTING)?.trim() || undefined, editor: this.session });
  }

  private cloudSetting(): AzureCloudConfig {
    const name = this.setting<string>(AZURE_CLOUD_SETTING) ?? 'AzureCloud';
    try {
      const cloud = azureCloudConfig(name, AZURE_CLOUD_SETTING);
      this.reportedCloud = undefined;
      return cloud;
    } catch (err) {
      if (this.reportedCloud !== name) {
        this.reportedCloud = name;
        this.log.warn(`${err instanceof Error ? err.message : String(err)} Using AzureCloud (one of ${AZURE_CLOUD_NAMES.join(', ')}).`);
      }
      return azureCloudConfig('AzureCloud');
    }
  }

  private setting<T>(id: string): T | undefined {
    return vscode.workspace.getConfiguration().get<T>(id);
  }

  private render(): void {
    const { cloud, tenant } = this.chain;
    const where = `${cloud.name}${tenant ? `, tenant ${tenant}` : ''}`;
    if (this.signedInAs) {
      this.item.text = `$(azure) ${this.signedInAs}`;
      this.item.tooltip = `Metaflow signs in to Azure (${where}) as ${this.signedInAs}, the account VS Code holds. Click to sign in again.`;
    } else {
      this.item.text = '$(sign-in) Sign in to Azure';
      this.item.tooltip = `Sign in to Azure (${where}) with the Microsoft account VS Code holds, for the Azure datastore and Key Vault secrets.`;
    }
    const inUse = this.configUsesAzure || this.flowsUseKeyVault;
    if (inUse && !this.sessionAsked) void this.refreshStatus();
    this.visible = this.signedInAs !== undefined || inUse;
    if (this.visible) this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
    this.sdkLogging.dispose();
    void this.endpoint.dispose();
  }
}
