// A stand-in for Azure Key Vault (there is no emulator) on 127.0.0.1, speaking the subset of the secrets REST API
// the SDKs use: GET /secrets/{name}[/{version}]?api-version=..., behind Key Vault's bearer challenge (a request
// without a token gets 401 with `WWW-Authenticate: Bearer authorization="...", resource="https://vault.azure.net"`,
// then the client asks its credential for a vault token and sends it).
//
// Both SDKs insist on https and on a vault host under the challenge's resource domain (vault.azure.net), so the
// server is also an HTTP CONNECT proxy: clients keep the real-looking vault URL (https://<name>.vault.azure.net)
// and reach it through the proxy (HTTPS_PROXY, which the Python SDK's transport honours) or through `agent()`, an
// https.Agent given to the JavaScript SDK's `agent` option (its proxy support ignores custom CAs) that dials the TLS
// port directly. Every CONNECT, whatever host it names, is tunnelled into this server's own TLS endpoint, so nothing
// leaves the machine. The certificate (*.vault.azure.net, made with openssl) is trusted through `caFile`
// (REQUESTS_CA_BUNDLE) or the agent.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as tls from 'node:tls';
import * as os from 'node:os';
import * as path from 'node:path';

export const VAULT_RESOURCE = 'https://vault.azure.net';
export const VAULT_DOMAIN = '.vault.azure.net';
const TENANT = '72f988bf-0000-4000-8000-000000000000';

export interface StoredSecret {
  value: string;
  /** 32 alphanumerics; generated when absent. */
  version?: string;
}

export interface KeyVaultServerOptions {
  /** Secret name -> its versions, oldest first (the last is the current one). */
  secrets: Record<string, StoredSecret[]>;
  /** The only bearer token the vault accepts. */
  acceptToken: string;
  /** Names whose reads answer 403 (the identity lacks a data-plane role on them). */
  forbidden?: string[];
}

export interface VaultRequest {
  method: string;
  host: string;
  path: string;
  apiVersion: string | null;
  /** none: no Authorization header (the challenge round); accepted / rejected: a bearer token was checked. */
  auth: 'none' | 'accepted' | 'rejected';
  status: number;
}

export interface KeyVaultServer {
  /** http://127.0.0.1:<port>: the CONNECT proxy in front of the vault. */
  proxyUrl: string;
  port: number;
  /** The vault's own TLS port on 127.0.0.1. */
  tlsPort: number;
  /** An https.Agent that sends every request to this vault, trusting its certificate. */
  agent(): https.Agent;
  /** PEM of the self-signed certificate for *.vault.azure.net, and the same in a file. */
  caPem: string;
  caFile: string;
  /** Every vault request answered, in order (no header values: tokens never recorded). */
  requests: VaultRequest[];
  vaultUrl(vaultName: string): string;
  close(): Promise<void>;
}

function makeCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'vault.key');
  const certFile = path.join(dir, 'vault.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=test.vault.azure.net',
    '-addext', `subjectAltName=DNS:*${VAULT_DOMAIN}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,digitalSignature,keyCertSign',
    '-addext', 'extendedKeyUsage=serverAuth',
  ], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

function newVersion(): string {
  return randomBytes(16).toString('hex');
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

export async function startKeyVaultServer(options: KeyVaultServerOptions): Promise<KeyVaultServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-keyvault-'));
  const { key, cert, certFile } = makeCertificate(dir);
  const versions = new Map<string, Required<StoredSecret>[]>();
  for (const [name, list] of Object.entries(options.secrets)) {
    versions.set(name, list.map((s) => ({ value: s.value, version: s.version ?? newVersion() })));
  }
  const forbidden = new Set(options.forbidden ?? []);
  const requests: VaultRequest[] = [];
  const challenge = `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="${VAULT_RESOURCE}"`;

  const vault = https.createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? 'vault'}`);
    const host = (req.headers.host ?? '').replace(/:443$/, '');
    const record = (status: number, auth: VaultRequest['auth']) =>
      requests.push({ method: req.method ?? '', host, path: url.pathname, apiVersion: url.searchParams.get('api-version'), auth, status });
    const authorization = req.headers.authorization;
    if (!authorization) {
      record(401, 'none');
      json(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        { 'www-authenticate': challenge });
      return;
    }
    if (authorization !== `Bearer ${options.acceptToken}`) {
      record(401, 'rejected');
      json(res, 401, { error: { code: 'Unauthorized', message: 'AKV10032: Invalid issuer or token.' } }, { 'www-authenticate': challenge });
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method !== 'GET' || parts[0] !== 'secrets' || parts.length < 2 || parts.length > 3 || !url.searchParams.get('api-version')) {
      record(400, 'accepted');
      json(res, 400, { error: { code: 'BadParameter', message: 'This stand-in answers GET /secrets/{name}[/{version}]?api-version=... only.' } });
      return;
    }
    const [, name, version] = parts;
    if (forbidden.has(name)) {
      record(403, 'accepted');
      json(res, 403, {
        error: { code: 'Forbidden', message: `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'`, innererror: { code: 'ForbiddenByRbac' } },
      });
      return;
    }
    const list = versions.get(name) ?? [];
    const found = version ? list.find((s) => s.version === version) : list[list.length - 1];
    if (!found) {
      record(404, 'accepted');
      json(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name}${version ? '/' + version : ''} was not found in this key vault.` } });
      return;
    }
    record(200, 'accepted');
    const now = Math.floor(Date.now() / 1000);
    json(res, 200, {
      value: found.value,
      id: `https://${host}/secrets/${name}/${found.version}`,
      attributes: { enabled: true, created: now, updated: now, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
      tags: {},
    });
  });

  // Plain requests to the proxy port are refused; CONNECT to any host lands on the vault's TLS endpoint.
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('This is a CONNECT proxy in front of the Key Vault stand-in.\n');
  });
  proxy.on('connect', (_req: http.IncomingMessage, socket, head: Buffer) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    vault.emit('connection', socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => vault.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const tlsPort = (vault.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  proxy.on('connection', track);
  vault.on('connection', track);
  const agents: https.Agent[] = [];

  return {
    proxyUrl: `http://127.0.0.1:${port}`,
    port,
    tlsPort,
    agent: () => {
      const agent = new VaultAgent(tlsPort, cert);
      agents.push(agent);
      return agent;
    },
    caPem: cert,
    caFile: certFile,
    requests,
    vaultUrl: (vaultName) => `https://${vaultName}${VAULT_DOMAIN}/`,
    close: async () => {
      for (const a of agents) a.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => vault.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Keeps the request's host for SNI and certificate checks, but connects to the stand-in's port. */
class VaultAgent extends https.Agent {
  constructor(
    private readonly tlsPort: number,
    private readonly ca: string,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(options: tls.ConnectionOptions): Socket {
    const servername = options.servername ?? options.host ?? undefined;
    return tls.connect({ ...options, host: '127.0.0.1', port: this.tlsPort, servername, ca: this.ca });
  }
}
