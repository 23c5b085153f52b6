// The editor's Microsoft account as a token source for the Azure credential chain: VS Code's own
// authentication (the account the Accounts menu shows), silent unless the user asked to sign in.
import * as vscode from 'vscode';
import type { AzureCloudConfig } from '../azure/azureCloud';
import type { EditorToken, EditorTokenRequest, EditorTokenSource } from '../azure/editorSessionCredential';
import { tokenExpiry } from '../azure/tokenExpiry';

/** VS Code's Microsoft provider picks the tenant from this pseudo-scope. */
export const TENANT_SCOPE_PREFIX = 'VSCODE_TENANT:';
export const SOVEREIGN_ENVIRONMENT_SETTING = 'microsoft-sovereign-cloud.environment';

export class SovereignCloudMismatch extends Error {
  constructor(
    readonly cloud: AzureCloudConfig,
    readonly current: unknown,
  ) {
    super(
      `metaflow.azure.cloud is "${cloud.name}", but the setting ${SOVEREIGN_ENVIRONMENT_SETTING} is ${current === undefined ? 'not set' : JSON.stringify(current)}: ` +
        `set it to "${cloud.vscodeSovereignEnvironment}" so VS Code signs in to that cloud.`,
    );
  }
}

export class VsCodeAzureSession implements EditorTokenSource {
  constructor(
    private readonly cloud: () => AzureCloudConfig,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(scopes: readonly string[], request: EditorTokenRequest): Promise<EditorToken | undefined> {
    const cloud = this.cloud();
    if (cloud.vscodeSovereignEnvironment) {
      const current = vscode.workspace.getConfiguration().get(SOVEREIGN_ENVIRONMENT_SETTING);
      if (current !== cloud.vscodeSovereignEnvironment) throw new SovereignCloudMismatch(cloud, current);
    }
    const all = request.tenant ? [...scopes, `${TENANT_SCOPE_PREFIX}${request.tenant}`] : [...scopes];
    const session = request.interactive
      ? await vscode.authentication.getSession(cloud.vscodeAuthProvider, all, { createIfNone: true })
      : await vscode.authentication.getSession(cloud.vscodeAuthProvider, all, { silent: true });
    if (!session) return undefined;
    return { token: session.accessToken, expiresOnTimestamp: tokenExpiry(session.accessToken, this.now()), account: session.account.label };
  }
}
