// VS Code's AuthenticationSession carries the access token but not its expiry; Microsoft Entra tokens are JWTs
// whose `exp` claim says it. The signature is not checked: the token is only passed on, never trusted here.

/** Tokens that are not JWTs (or have no `exp`) are treated as short-lived, so they are asked for again soon. */
export const OPAQUE_TOKEN_LIFETIME_MS = 10 * 60 * 1000;

export function tokenExpiry(token: string, now: number): number {
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof claims.exp === 'number' && Number.isFinite(claims.exp)) return claims.exp * 1000;
    } catch {
      // not a JWT: fall through
    }
  }
  return now + OPAQUE_TOKEN_LIFETIME_MS;
}
