// `@secrets(sources=[...])` written as literals, checked before any run with the rules the task applies
// (src/runtime/python/metaflow/plugins/secrets): a source is 'type.id' (split at the first '.'), a plain id for the
// default backend, or a dict {type, id, options, role}; Key Vault ids follow Metaflow's rules (reference §3.4).
// Only what is wrong whatever the environment is reported: a plain id's backend and a short Key Vault id's vault
// come from METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE and METAFLOW_AZURE_KEY_VAULT_PREFIX, which are known only at run time.
import type { DecoratorInfo, LintError, LiteralValue, NonLiteral, SourceRange } from './types';

export const INVALID_SECRET_SOURCE = 'invalid_secret_source';

/** Backends Metaflow knows, plus `azure-key-vault`, the spelling users' docs use for Key Vault. */
export const KEY_VAULT_TYPES = ['az-key-vault', 'azure-key-vault'];
const KNOWN_TYPES = ['inline', 'aws-secrets-manager', 'gcp-secret-manager', ...KEY_VAULT_TYPES];
const KEY_VAULT_DOMAINS = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de'];
const VAULT_NAME = /^(?!.*--)[a-zA-Z0-9-]{3,24}$/;
const SECRET_NAME = /^[a-zA-Z][a-zA-Z0-9-]{0,126}$/;
const VERSION = /^[a-zA-Z0-9]{32}$/;
const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Stands in for METAFLOW_AZURE_KEY_VAULT_PREFIX when a short id's name and version are checked.
const ANY_VAULT = 'https://vault-name.vault.azure.net';

export interface SecretsStep {
  name: string;
  decorators: DecoratorInfo[];
}

function isNonLiteral(value: LiteralValue | undefined): value is NonLiteral {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.$expr === 'string';
}

function checkUrl(url: string): { problem?: string; name?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: `'${url}' is not a URL` };
  }
  const host = parsed.hostname.toLowerCase();
  const domain = KEY_VAULT_DOMAINS.find((d) => host.endsWith(d));
  if (!domain) return { problem: `the vault host '${host}' must end with one of ${KEY_VAULT_DOMAINS.join(', ')}` };
  const vault = host.slice(0, -domain.length);
  if (!VAULT_NAME.test(vault)) return { problem: `the vault name '${vault}' must be 3-24 letters, digits or '-', without '--'` };
  const parts = parsed.pathname.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 2 || parts.length > 3) return { problem: `the path '${parsed.pathname}' must be /secrets/<name>[/<version>]` };
  if (parts[0] !== 'secrets') return { problem: `the object type '${parts[0]}' is not 'secrets' (only secrets can be read)` };
  if (!SECRET_NAME.test(parts[1])) return { problem: `the secret name '${parts[1]}' must start with a letter and hold up to 127 letters, digits or '-'` };
  if (parts.length === 3 && !VERSION.test(parts[2])) return { problem: `the version '${parts[2]}' must be 32 letters or digits` };
  return { name: parts[1] };
}

/** Why a Key Vault secret id can never work, or undefined; with the secret's name when the id shows it. */
export function keyVaultIdProblem(secretId: string): { problem?: string; name?: string } {
  if (secretId === '') return { problem: 'the secret id is empty' };
  if (secretId.startsWith('https://')) return checkUrl(secretId);
  const parts = secretId.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length > 2) {
    return { problem: `'${secretId}' is neither <name>, <name>/<version> nor a https://<vault>.vault.azure.net/secrets/<name> URL` };
  }
  return checkUrl(`${ANY_VAULT}/secrets/${secretId}`);
}

function envVarName(name: string): string {
  return name.replace(/[-./]/g, '_');
}

interface Injected {
  source: string;
  names: string[];
}

function checkSource(source: LiteralValue): { problem?: string; injected?: Injected } {
  if (isNonLiteral(source)) return {};
  if (typeof source === 'string') {
    const dot = source.indexOf('.');
    // A plain id goes to the default backend, known only at run time.
    if (dot < 0) return {};
    const type = source.slice(0, dot);
    const id = source.slice(dot + 1);
    if (!KNOWN_TYPES.includes(type)) {
      const hint = source.startsWith('https://') ? ` (a source is split at its first '.': write 'az-key-vault.${source}')` : '';
      return { problem: `unknown secrets backend type '${type}' in '${source}'${hint}; known types: ${KNOWN_TYPES.join(', ')}` };
    }
    if (!KEY_VAULT_TYPES.includes(type)) return {};
    const { problem, name } = keyVaultIdProblem(id);
    if (problem) return { problem: `Key Vault secret id '${id}': ${problem}` };
    return { injected: { source, names: name ? [envVarName(name)] : [] } };
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    return { problem: `a source must be a string or a dict, not ${JSON.stringify(source)}` };
  }
  const { type, id, options, role } = source as Record<string, LiteralValue | undefined>;
  if (type !== undefined && !isNonLiteral(type) && typeof type !== 'string') return { problem: "'type' must be a string" };
  if (id === undefined) return { problem: "a dict source needs an 'id'" };
  if (!isNonLiteral(id) && typeof id !== 'string') return { problem: "'id' must be a string" };
  if (options !== undefined && !isNonLiteral(options) && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    return { problem: "'options' must be a dict" };
  }
  if (role !== undefined && role !== null && !isNonLiteral(role) && typeof role !== 'string') return { problem: "'role' must be a string" };
  if (typeof type === 'string' && !KNOWN_TYPES.includes(type)) return { problem: `unknown secrets backend type '${type}'; known types: ${KNOWN_TYPES.join(', ')}` };
  if (typeof type !== 'string' || !KEY_VAULT_TYPES.includes(type) || typeof id !== 'string') return {};
  const { problem, name } = keyVaultIdProblem(id);
  if (problem) return { problem: `Key Vault secret id '${id}': ${problem}` };
  const chosen = options && typeof options === 'object' && !Array.isArray(options) && !isNonLiteral(options) ? (options as Record<string, LiteralValue>).env_var_name : undefined;
  if (chosen !== undefined && chosen !== null && typeof chosen !== 'string') return {};
  const variable = typeof chosen === 'string' ? envVarName(chosen) : name ? envVarName(name) : undefined;
  if (variable !== undefined && !ENV_NAME.test(variable)) return { problem: `env_var_name '${chosen}' gives '${variable}', which is not a valid environment variable name` };
  return { injected: { source: id, names: variable ? [variable] : [] } };
}

function lineOf(range: SourceRange): number {
  return range.start.line + 1;
}

/** Problems of every step's literal `@secrets` sources, reported like lint errors with their own check name. */
export function checkSecretSources(steps: Iterable<SecretsStep>): LintError[] {
  const errors: LintError[] = [];
  for (const step of steps) {
    for (const deco of step.decorators) {
      if (deco.name !== 'secrets') continue;
      const report = (message: string) =>
        errors.push({ check: INVALID_SECRET_SOURCE, message: `@secrets on step '${step.name}': ${message}`, line: lineOf(deco.range), range: deco.range, steps: [step.name] });
      const sources = deco.attributes.sources;
      if (sources === undefined || sources === null || isNonLiteral(sources)) continue;
      if (!Array.isArray(sources)) {
        report('sources must be a list of strings or dicts');
        continue;
      }
      const setBy = new Map<string, string>();
      for (const source of sources) {
        const { problem, injected } = checkSource(source);
        if (problem) {
          report(problem);
          continue;
        }
        for (const name of injected?.names ?? []) {
          if (name.startsWith('METAFLOW_')) report(`'${injected!.source}' would set '${name}', and secrets may not set variables starting with 'METAFLOW_'`);
          const other = setBy.get(name);
          if (other !== undefined) report(`'${injected!.source}' and '${other}' would both set '${name}'; give one of them options={"env_var_name": ...}`);
          else setBy.set(name, injected!.source);
        }
      }
    }
  }
  return errors;
}
