// Production tokens (reference §5.3): a deployment's runs live in the namespace `production:<token>`, and
// only someone holding the token (or the user who deployed it) may replace the deployment. Tokens are
// `<prefix>-<i>-<four letters>`, a deterministic sequence per prefix, so `--generate-new-token` moves
// to the next one. Each user keeps the token of every prefix they deployed in a folder the caller names
// (Metaflow's `$METAFLOW_HOME/<prefix>` files, `{"production_token": ...}`); the compiler never writes it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SEQUENCE_LENGTH = 10_000;
const PRODUCTION_NAMESPACE = 'production:';

/** Four distinct lower-case letters chosen by the prefix's hash: the same prefix always gives the same token. */
function letters(seed: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const picked: string[] = [];
  let counter = 0;
  while (picked.length < 4) {
    const digest = createHash('sha1').update(`${seed}#${counter++}`).digest();
    for (const byte of digest) {
      if (picked.length === 4) break;
      const index = byte % alphabet.length;
      picked.push(alphabet[index]);
      alphabet.splice(index, 1);
    }
  }
  return picked.join('');
}

export function tokenAt(prefix: string, index: number): string {
  const head = `${prefix}-${index}-`;
  return head + letters(head);
}

/** The first token of the prefix, or the one after `previous`; undefined when `previous` is not of the sequence (a `--new-token`). */
export function nextToken(prefix: string, previous?: string): string | undefined {
  if (previous === undefined) return tokenAt(prefix, 0);
  const m = /^(.*)-(\d+)-[a-z]{4}$/.exec(previous);
  if (!m || m[1] !== prefix) return undefined;
  const i = Number(m[2]);
  if (i + 1 >= SEQUENCE_LENGTH || tokenAt(prefix, i) !== previous) return undefined;
  return tokenAt(prefix, i + 1);
}

function stripProductionNamespace(token: string): string {
  return token.startsWith(PRODUCTION_NAMESPACE) ? token.slice(PRODUCTION_NAMESPACE.length) : token;
}

export function productionNamespace(token: string): string {
  return `${PRODUCTION_NAMESPACE}${token}`;
}

/** Where Metaflow keeps a user's production tokens: $METAFLOW_HOME, else ~/.metaflowconfig. */
export function productionTokenFolder(env: NodeJS.ProcessEnv, homeDir: string): string {
  return env.METAFLOW_HOME || path.join(homeDir, '.metaflowconfig');
}

/** Where a user keeps the tokens of the deployments they made. */
export class TokenStore {
  constructor(private readonly folder: string) {}

  private file(prefix: string): string {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(prefix)) throw new Error(`production token prefix '${prefix}' is not a valid file name`);
    return path.join(this.folder, prefix);
  }

  load(prefix: string): string | undefined {
    const file = this.file(prefix);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const token = (JSON.parse(text) as { production_token?: unknown }).production_token;
      return typeof token === 'string' ? token : undefined;
    } catch {
      throw new Error(`${file} is not valid JSON; it should hold {"production_token": "..."}. Fix or remove it.`);
    }
  }

  store(prefix: string, token: string): void {
    const file = this.file(prefix);
    fs.mkdirSync(this.folder, { recursive: true });
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      config = {};
    }
    config.production_token = token;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(config), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
}

export interface TokenRequest {
  /** Deployed workflow name, for messages. */
  name: string;
  tokenPrefix: string;
  isProject: boolean;
  user: string;
  /** The deployment already in the cluster (its `metaflow/owner` and token annotations), when known. */
  existing?: { user: string; token: string };
  /** This user's stored token for the prefix. */
  stored?: string;
  authorize?: string;
  newToken?: string;
  generateNewToken?: boolean;
}

export type TokenResolution = { token: string; generated: boolean } | { problem: string };

/** Metaflow's rules for which token a (re)deployment gets, and who may make it. */
export function resolveProductionToken(req: TokenRequest): TokenResolution {
  if (req.newToken !== undefined && req.generateNewToken) return { problem: 'Give either --new-token or --generate-new-token, not both.' };
  const previous = req.existing?.token;
  if (req.existing) {
    const authorize = req.authorize !== undefined ? stripProductionNamespace(req.authorize) : req.stored;
    if (req.existing.user !== req.user && authorize !== req.existing.token) {
      return {
        problem:
          `The deployment '${req.name}' was made by ${req.existing.user}; to replace it you need the production token they used. ` +
          'Ask them for it and run again with --authorize TOKEN.',
      };
    }
  }
  if (req.newToken !== undefined) {
    if (req.isProject) return { problem: '--new-token cannot be used with a @project flow (its tokens have a fixed prefix); use --generate-new-token.' };
    const token = stripProductionNamespace(req.newToken);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(token)) return { problem: `--new-token '${token}' may hold only letters, digits, '.', '_' and '-'.` };
    return { token, generated: false };
  }
  if (previous === undefined || req.generateNewToken) {
    const token = nextToken(req.tokenPrefix, previous);
    if (token === undefined) return { problem: '--generate-new-token cannot follow a token given with --new-token; give the next one with --new-token.' };
    return { token, generated: true };
  }
  return { token: previous, generated: false };
}
