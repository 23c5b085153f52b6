// Azurite's blob service from node_modules on a free 127.0.0.1 port with its own temp data folder, so
// Azure datastore tests talk to a real Blob REST implementation and never to the internet. Optional
// https with a self-signed certificate made by openssl at test time, and Azurite's basic OAuth mode
// (bearer tokens checked for issuer, audience and expiry, not signature).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { Agent as HttpsAgent } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { RequestPolicy, RequestPolicyFactory, WebResource as WebResourceLike } from '@azure/storage-blob';
import { freePort } from './freePort';
import { spawnGroup, stopGroup } from './processGroup';

/** Azurite's documented development account; valid only against the emulator, used only by tests. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Serve https with a certificate generated for 127.0.0.1 (its PEM is `caCertPath`). */
  https?: boolean;
  /** Serve https with this certificate (PEM files) instead of a new one: a process that must trust it from its start. */
  certificate?: { cert: string; key: string };
  /** `--oauth basic`: accept bearer tokens (needs https). */
  oauth?: boolean;
  /** `--loose`: ignore headers and parameters Azurite does not implement. */
  loose?: boolean;
  startTimeoutMs?: number;
  onOutput?: (line: string) => void;
}

export interface Azurite {
  port: number;
  /** Blob service endpoint of the dev account, e.g. `http://127.0.0.1:51234/devstoreaccount1`. */
  endpoint: string;
  accountName: string;
  /** Shared key connection string for test setup (creating containers); product code never uses keys. */
  connectionString: string;
  dataDir: string;
  /** The self-signed certificate (PEM) when https is on; trust it through NODE_EXTRA_CA_CERTS / REQUESTS_CA_BUNDLE. */
  caCertPath?: string;
  caCert?: string;
  output(): string;
  stop(): Promise<void>;
}

function azuriteBlobEntry(): string {
  const require = createRequire(__filename);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}

/** A self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem), made by openssl. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl could not make a test certificate: ${result.stderr || result.error?.message}`);
  return { cert, key };
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  if (options.oauth && !options.https) throw new Error('Azurite accepts OAuth bearer tokens only over https: pass https: true with oauth');
  const root = mkdtempSync(join(tmpdir(), 'mfs-azurite-'));
  const dataDir = join(root, 'data');
  const port = await freePort();
  const args = [
    azuriteBlobEntry(),
    '--blobHost', '127.0.0.1',
    '--blobPort', String(port),
    '--location', dataDir,
    '--skipApiVersionCheck',
    '--disableTelemetry',
  ];
  if (options.loose) args.push('--loose');
  let caCertPath: string | undefined;
  if (options.https) {
    const { cert, key } = options.certificate ?? makeCertificate(root);
    args.push('--cert', cert, '--key', key);
    caCertPath = cert;
  }
  if (options.oauth) args.push('--oauth', 'basic');

  let output = '';
  const child: ChildProcess = spawnGroup(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
      if (/successfully listen(s|ing) on/i.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`Azurite exited before listening (code ${code}, signal ${signal}):\n${output}`)));
    child.once('error', reject);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Azurite did not listen on 127.0.0.1:${port} within ${options.startTimeoutMs ?? 30000} ms:\n${output}`)), options.startTimeoutMs ?? 30000);
  });
  const stop = async (): Promise<void> => {
    await stopGroup(child);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const scheme = options.https ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    port,
    endpoint,
    accountName: AZURITE_ACCOUNT,
    connectionString: `DefaultEndpointsProtocol=${scheme};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${endpoint};`,
    dataDir,
    caCertPath,
    caCert: caCertPath ? readFileSync(caCertPath, 'utf8') : undefined,
    output: () => output,
    stop,
  };
}

/**
 * A TokenCredential handing out unsigned JWTs of the shape Azurite's basic OAuth mode checks (issuer,
 * storage audience, validity window); `expiresInSeconds` < 0 gives an expired token, `audience` another one.
 */
export function azuriteTokenCredential(options: { audience?: string; expiresInSeconds?: number } = {}): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      const now = Math.floor(Date.now() / 1000);
      const token = azuriteAccessToken(options);
      // The SDK refreshes a token it believes is expired; report a future expiry so the server judges it.
      return { token, expiresOnTimestamp: (now + 3600) * 1000 };
    },
  };
}

/** One unsigned access token of the shape Azurite's basic OAuth mode accepts (see azuriteTokenCredential). */
export function azuriteAccessToken(options: { audience?: string; expiresInSeconds?: number; tenantId?: string; objectId?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + (options.expiresInSeconds ?? 3600);
  const tid = options.tenantId ?? '00000000-0000-0000-0000-000000000000';
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { aud: options.audience ?? 'https://storage.azure.com', iss: `https://sts.windows.net/${tid}/`, iat: now - 60, nbf: now - 60, exp, oid: options.objectId ?? '11111111-1111-1111-1111-111111111111', tid };
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('unsigned').toString('base64url')}`;
}

/** Request policies trusting this Azurite's self-signed certificate (https mode; none for http). */
export function azuriteRequestPolicies(azurite: Azurite): RequestPolicyFactory[] {
  if (!azurite.caCert) return [];
  const agent = new HttpsAgent({ ca: azurite.caCert, keepAlive: true });
  return [
    {
      create: (nextPolicy: RequestPolicy) => ({
        sendRequest(request: WebResourceLike) {
          request.agent = agent;
          return nextPolicy.sendRequest(request);
        },
      }),
    },
  ];
}

/** Creates a container with the emulator's dev key (test setup only; product code is role-based). */
export async function createAzuriteContainer(azurite: Azurite, name: string): Promise<void> {
  const { BlobServiceClient, StorageSharedKeyCredential, newPipeline } = await import('@azure/storage-blob');
  const pipeline = newPipeline(new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY));
  pipeline.factories.unshift(...azuriteRequestPolicies(azurite));
  await new BlobServiceClient(azurite.endpoint, pipeline).getContainerClient(name).createIfNotExists();
}
