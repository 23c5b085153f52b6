// Tokens are kept in memory only (never on disk, never logged), one per scope set and tenant, and fetched again
// five minutes before they expire, so a task never receives a token that dies while it uploads.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

interface Entry {
  token?: AccessToken;
  pending?: Promise<AccessToken>;
}

export class CachingTokenCredential implements TokenCredential {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly inner: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const list = typeof scopes === 'string' ? [scopes] : scopes;
    // A claims challenge (continuous access evaluation) asks for a token the cached one is not.
    if (options?.claims) return this.fetch(list, options);
    const key = `${options?.tenantId ?? ''}\n${[...list].sort().join(' ')}`;
    const entry = this.entries.get(key) ?? {};
    this.entries.set(key, entry);
    const now = this.now();
    if (entry.token && now < entry.token.expiresOnTimestamp - REFRESH_MARGIN_MS) return entry.token;
    // Concurrent callers share one request to the source.
    entry.pending ??= this.fetch(list, options).finally(() => {
      entry.pending = undefined;
    });
    try {
      entry.token = await entry.pending;
      return entry.token;
    } catch (err) {
      // A failed early refresh still leaves a token that works for a few minutes; use it rather than fail a task.
      if (entry.token && this.now() < entry.token.expiresOnTimestamp) return entry.token;
      entry.token = undefined;
      throw err;
    }
  }

  /** Forgets every token (sign-out, another account, another tenant or cloud). */
  clear(): void {
    this.entries.clear();
  }

  private async fetch(scopes: string[], options?: GetTokenOptions): Promise<AccessToken> {
    const token = await this.inner.getToken(scopes, options);
    if (!token) throw new Error(`no credential gave a token for ${scopes.join(' ')}`);
    return token;
  }
}
