// When no credential gives a token, the user needs to know which sources were tried, why each said no, and
// the one thing to do next; the Azure SDK's own aggregate error says "ChainedTokenCredential authentication failed".
import { EDITOR_CREDENTIAL_NAME } from './editorSessionCredential';
import { redactSecrets } from './redact';

export interface CredentialAttempt {
  source: string;
  reason: string;
}

interface SourceRule {
  match: RegExp;
  source: string;
}

// Recognised from DefaultAzureCredential's messages, which begin with (or name) the credential they come from.
const SOURCES: SourceRule[] = [
  { match: new RegExp(`^${EDITOR_CREDENTIAL_NAME}`), source: 'VS Code account' },
  { match: /EnvironmentCredential/, source: 'Environment service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)' },
  { match: /WorkloadIdentityCredential/, source: 'Workload identity (AZURE_FEDERATED_TOKEN_FILE)' },
  { match: /ManagedIdentityCredential/, source: 'Managed identity' },
  { match: /Azure Developer CLI|AzureDeveloperCliCredential/, source: 'Azure Developer CLI' },
  { match: /Azure CLI|AzureCliCredential/, source: 'Azure CLI' },
  { match: /PowerShell/, source: 'Azure PowerShell' },
];

// DefaultAzureCredential also tries the Azure Resources extension's cache through @azure/identity-vscode, which this
// extension does not install; the editor's own account (tried first) replaces it, so listing it would only confuse.
const NOT_LISTED = /Visual Studio Code Authentication|VisualStudioCodeCredential/;

export const NEXT_STEPS =
  'Run "Metaflow: Sign in to Azure" (the account VS Code holds), or `az login` in a terminal, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal.';

function leaves(err: unknown): unknown[] {
  const nested = (err as { errors?: unknown }).errors;
  return Array.isArray(nested) && nested.length > 0 ? nested.flatMap(leaves) : [err];
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Shorten to the reason; the SDK's troubleshooting links are kept, they are useful.
  return redactSecrets(text.replace(/^CredentialUnavailableError:\s*/, '').replace(/^Error:\s*/, '').trim());
}

/** Each credential source the chain tried, in order, with its reason. */
export function credentialAttempts(err: unknown): CredentialAttempt[] {
  const attempts: CredentialAttempt[] = [];
  for (const leaf of leaves(err)) {
    const reason = messageOf(leaf);
    if (NOT_LISTED.test(reason)) continue;
    const rule = SOURCES.find((r) => r.match.test(reason));
    attempts.push({ source: rule?.source ?? 'Azure credential', reason: reason.replace(new RegExp(`^${EDITOR_CREDENTIAL_NAME}:\\s*`), '') });
  }
  return attempts;
}

export class AzureSignInError extends Error {
  override readonly name = 'AzureSignInError';

  constructor(
    readonly scopes: readonly string[],
    readonly attempts: readonly CredentialAttempt[],
  ) {
    super(
      [
        `No Azure credential gave a token for ${scopes.join(' ')}. Tried:`,
        ...attempts.map((a) => `  - ${a.source}: ${a.reason}`),
        `Next: ${NEXT_STEPS}`,
      ].join('\n'),
    );
  }
}
