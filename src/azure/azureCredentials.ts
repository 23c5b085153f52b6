// The credential every Azure client of the extension uses (Blob datastore, Key Vault, the tasks' token endpoint):
// the editor's account first, then DefaultAzureCredential (environment service principal, workload identity,
// managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell), cached per scope and tenant.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ChainedTokenCredential, CredentialUnavailableError, DefaultAzureCredential } from '@azure/identity';
import type { AzureCloudConfig } from './azureCloud';
import { AzureSignInError, credentialAttempts } from './credentialFailure';
import { EditorSessionCredential, type EditorTokenSource } from './editorSessionCredential';
import { CachingTokenCredential } from './tokenCache';

export interface AzureCredentialsOptions {
  cloud: AzureCloudConfig;
  /** Tenant id or domain; the account's home tenant when undefined. */
  tenant?: string;
  /** The editor's signed-in account; absent in the CLI. */
  editor?: EditorTokenSource;
  /** What comes after the editor's account; DefaultAzureCredential for the cloud and tenant when undefined. */
  fallback?: TokenCredential;
  now?: () => number;
}

/**
 * DefaultAzureCredential is itself a chain and fails with an AggregateAuthenticationError, which an outer
 * ChainedTokenCredential treats as a hard error and rethrows alone, dropping the editor account's reason. As the
 * last source, its failure is reported as "unavailable" with its own attempts attached, so the listing keeps all.
 */
class LastInChain implements TokenCredential {
  constructor(private readonly inner: TokenCredential) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (err) {
      const unavailable = new CredentialUnavailableError(err instanceof Error ? err.message : String(err));
      Object.assign(unavailable, { errors: (err as { errors?: unknown }).errors ?? [err] });
      throw unavailable;
    }
  }
}

export class AzureCredentials implements TokenCredential {
  readonly cloud: AzureCloudConfig;
  readonly tenant: string | undefined;
  private readonly cache: CachingTokenCredential;

  constructor(options: AzureCredentialsOptions) {
    this.cloud = options.cloud;
    this.tenant = options.tenant || undefined;
    const fallback =
      options.fallback ??
      new DefaultAzureCredential({
        authorityHost: options.cloud.authorityHost,
        ...(this.tenant ? { tenantId: this.tenant } : {}),
      });
    const sources: TokenCredential[] = options.editor ? [new EditorSessionCredential(options.editor, this.tenant), new LastInChain(fallback)] : [fallback];
    this.cache = new CachingTokenCredential(new ChainedTokenCredential(...sources), options.now);
  }

  /** A token from the first source that has one; a failure is an AzureSignInError listing every source tried. */
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      return await this.cache.getToken(scopes, options);
    } catch (err) {
      throw new AzureSignInError(typeof scopes === 'string' ? [scopes] : scopes, credentialAttempts(err));
    }
  }

  /** After sign-in, sign-out or an account change: the next request asks the sources again. */
  clear(): void {
    this.cache.clear();
  }
}
