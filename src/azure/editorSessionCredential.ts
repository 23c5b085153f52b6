// The account the editor is signed in to, as a TokenCredential. The source is injected (the VS Code bridge in
// src/vscode/azureSession.ts, a fake in tests) so this file and the chain stay free of `vscode`.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { CredentialUnavailableError } from '@azure/identity';

export interface EditorToken {
  token: string;
  expiresOnTimestamp: number;
  /** The account's label, e.g. "someone@contoso.com", shown in the status bar. */
  account: string;
}

export interface EditorTokenRequest {
  tenant?: string;
  /** True only from "Metaflow: Sign in to Azure": the source may show its sign-in UI. */
  interactive: boolean;
}

export interface EditorTokenSource {
  /** undefined when no session exists and (for a silent request) none may be created. */
  getToken(scopes: readonly string[], request: EditorTokenRequest): Promise<EditorToken | undefined>;
}

/** Errors of this credential start with this name; the failure listing recognises them by it. */
export const EDITOR_CREDENTIAL_NAME = 'EditorSessionCredential';

/** Always silent: a task asking for a token must never open a sign-in prompt behind the user's back. */
export class EditorSessionCredential implements TokenCredential {
  constructor(
    private readonly source: EditorTokenSource,
    private readonly defaultTenant?: string,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const list = typeof scopes === 'string' ? [scopes] : scopes;
    const tenant = options?.tenantId ?? this.defaultTenant;
    let token: EditorToken | undefined;
    try {
      token = await this.source.getToken(list, { tenant, interactive: false });
    } catch (err) {
      throw new CredentialUnavailableError(`${EDITOR_CREDENTIAL_NAME}: the editor's account gave no token: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!token) {
      throw new CredentialUnavailableError(`${EDITOR_CREDENTIAL_NAME}: not signed in${tenant ? ` to tenant ${tenant}` : ''} for ${list.join(' ')}.`);
    }
    return { token: token.token, expiresOnTimestamp: token.expiresOnTimestamp, tokenType: 'Bearer' };
  }
}
