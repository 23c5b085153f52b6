// Fakes of the credential sources: a scripted editor account and a scripted fallback credential, both counting
// what they were asked, on a clock the test moves by hand.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AggregateAuthenticationError, CredentialUnavailableError } from '@azure/identity';
import type { EditorToken, EditorTokenRequest, EditorTokenSource } from '../../../src/azure/editorSessionCredential';

export class FakeClock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const MINUTE = 60_000;

export class FakeEditorSource implements EditorTokenSource {
  readonly requests: { scopes: readonly string[]; request: EditorTokenRequest }[] = [];
  signedIn = true;
  issued = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly lifetimeMs = 60 * MINUTE,
  ) {}

  async getToken(scopes: readonly string[], request: EditorTokenRequest): Promise<EditorToken | undefined> {
    this.requests.push({ scopes, request });
    if (!this.signedIn) return undefined;
    this.issued += 1;
    return { token: `editor-${this.issued}-${scopes.join(',')}-${request.tenant ?? 'home'}`, expiresOnTimestamp: this.clock.now() + this.lifetimeMs, account: 'someone@contoso.com' };
  }
}

/** Fails as DefaultAzureCredential does when nothing is configured: a nested aggregate of unavailable sources. */
export class FakeFallback implements TokenCredential {
  calls: { scopes: string[]; options?: GetTokenOptions }[] = [];
  token?: AccessToken;

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.calls.push({ scopes: typeof scopes === 'string' ? [scopes] : scopes, options });
    if (this.token) return this.token;
    throw new AggregateAuthenticationError(
      [
        new CredentialUnavailableError('EnvironmentCredential is unavailable. No underlying credential could be used.'),
        new CredentialUnavailableError('ManagedIdentityCredential: Network unreachable.'),
        new CredentialUnavailableError('Visual Studio Code Authentication is not available.'),
        new CredentialUnavailableError("Azure CLI could not be found. Please visit https://aka.ms/azure-cli and then authenticate using 'az login'."),
        new CredentialUnavailableError('Error: Unable to execute PowerShell. Ensure that it is installed in your system.'),
        new CredentialUnavailableError("Azure Developer CLI couldn't be found."),
      ],
      'ChainedTokenCredential authentication failed.',
    );
  }
}
