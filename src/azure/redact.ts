// Azure SDK log lines and error texts can carry tokens and secrets (request headers, token responses, form
// bodies); everything that may reach the Output channel passes through here first.

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(\b(?:Bearer|Basic|SharedKey)\s+)[^\s"',;]+/gi;
const NAMED = /(["']?\b(?:access_token|refresh_token|id_token|client_secret|client_assertion|assertion|password|secret|sig|code|x-metaflow-studio-token-secret)\b["']?\s*[:=]\s*["']?)[^"'&\s,;}]+/gi;

export const REDACTED = '[REDACTED]';

/** The text with tokens and secrets replaced, plus any exact values the caller knows are secret. */
export function redactSecrets(text: string, known: Iterable<string> = []): string {
  let out = text.replace(JWT, REDACTED).replace(BEARER, `$1${REDACTED}`).replace(NAMED, `$1${REDACTED}`);
  for (const secret of known) {
    if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  return out;
}
