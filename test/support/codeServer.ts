// Starts a real VS Code (code-server, installed by scripts/setup.sh) on a free 127.0.0.1 port with a
// fresh profile: its own user-data, extensions and XDG folders and quiet settings, so a run never
// reads or writes the user's own VS Code state. Stopping it kills the whole process group.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeCertificate } from './azurite';
import { freePort } from './freePort';
import { spawnGroup, stopGroup } from './processGroup';

export const CODE_SERVER_VERSION = '4.100.3';
/** Where the extension host finds the certificate of `tlsCertificate` (PEM files), to serve https with it. */
export const TEST_TLS_CERT_ENV = 'METAFLOW_STUDIO_TEST_TLS_CERT';
export const TEST_TLS_KEY_ENV = 'METAFLOW_STUDIO_TEST_TLS_KEY';

export function codeServerEntry(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.METAFLOW_STUDIO_CACHE || join(homedir(), '.cache', 'metaflow-studio');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Settings that keep the workbench quiet and predictable: no walkthroughs, tips, telemetry, updates or trust prompts. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'editor.codeLens': true,
  'files.hotExit': 'off',
  'window.restoreWindows': 'none',
  'workbench.editor.enablePreview': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface CodeServerOptions {
  /** User settings merged over QUIET_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extension folders made visible as installed extensions (symlinked as `<publisher>.<name>-<version>`). */
  linkedExtensions?: string[];
  /** `.vsix` files installed with `--install-extension` before the server starts. */
  vsixFiles?: string[];
  /** Extra environment of the server (it reaches the extension host). */
  env?: NodeJS.ProcessEnv;
  /** Called with every line code-server prints. */
  onOutput?: (line: string) => void;
  /** Parent of the run folder; the OS temp dir when absent. */
  parentDir?: string;
  startTimeoutMs?: number;
  /** A fixed port; a free one when absent. */
  port?: number;
  /** Keep workspace trust on (opened folders start untrusted); off by default so nothing prompts. */
  workspaceTrust?: boolean;
  /**
   * Make a self-signed certificate for 127.0.0.1 that the server's processes trust from their start
   * (NODE_EXTRA_CA_CERTS is read only then), named to them by TEST_TLS_CERT_ENV / TEST_TLS_KEY_ENV: a suite in
   * the extension host serves https with it (Azurite with OAuth) and the extension's own clients trust it.
   */
  tlsCertificate?: boolean;
}

export interface CodeServer {
  port: number;
  /** `127.0.0.1:<port>`, the authority of `vscode-remote://` URIs. */
  authority: string;
  runDir: string;
  userDataDir: string;
  extensionsDir: string;
  /** The workbench URL opening `folder`, with an optional workbench `payload` (list of key/value pairs). */
  url(folder: string, payload?: Array<[string, string]>): string;
  /** A server-side absolute path as the workbench names it. */
  remoteUri(path: string): string;
  /** Everything code-server printed so far. */
  output(): string;
  /** The server-side log file of an Output channel (e.g. `Metaflow`), once the extension host wrote it. */
  outputChannelLog(channel: string): string | undefined;
  stop(): Promise<void>;
}

/** Folder name VS Code expects for an installed extension. */
export function installedExtensionName(extensionRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(extensionRoot, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  return `${manifest.publisher}.${manifest.name}-${manifest.version}`;
}

function findFile(dir: string, test: (name: string) => boolean): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, test);
      if (found) return found;
    } else if (test(entry.name)) return path;
  }
  return undefined;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const entry = codeServerEntry(options.env ?? process.env);
  if (!existsSync(entry)) throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed at ${entry}: run 'bash scripts/setup.sh' first.`);
  const runDir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'metaflow-studio-vscode-'));
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  // The extension host's proxy support hands https requests the system's CA list, which drops NODE_EXTRA_CA_CERTS.
  const tlsSettings = options.tlsCertificate ? { 'http.proxySupport': 'off', 'http.systemCertificates': false } : {};
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...tlsSettings, ...options.settings }, null, 2));
  const port = options.port ?? (await freePort());
  const authority = `127.0.0.1:${port}`;
  const config = join(runDir, 'config.yaml');
  writeFileSync(config, `bind-addr: ${authority}\nauth: none\ncert: false\n`);
  const tls = options.tlsCertificate ? makeCertificate(runDir) : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    ...(tls ? { NODE_EXTRA_CA_CERTS: tls.cert, [TEST_TLS_CERT_ENV]: tls.cert, [TEST_TLS_KEY_ENV]: tls.key } : {}),
    XDG_CONFIG_HOME: join(runDir, 'xdg-config'),
    XDG_DATA_HOME: join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: join(runDir, 'xdg-cache'),
  };
  const common = ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  for (const root of options.linkedExtensions ?? []) symlinkSync(root, join(extensionsDir, installedExtensionName(root)), 'dir');
  for (const vsix of options.vsixFiles ?? []) {
    const installed = spawnSync(process.execPath, [entry, ...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (installed.status !== 0) {
      rmSync(runDir, { recursive: true, force: true });
      throw new Error(`code-server --install-extension ${vsix} failed (exit ${installed.status}):\n${installed.stdout}${installed.stderr}`);
    }
  }

  const child: ChildProcess = spawnGroup(
    process.execPath,
    [
      entry,
      ...common,
      '--bind-addr', authority,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let pendingLine = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (!options.onOutput) return;
    const lines = (pendingLine + text).split('\n');
    pendingLine = lines.pop() ?? '';
    for (const line of lines) options.onOutput(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stop = async () => {
    await stopGroup(child);
    if (!process.env.METAFLOW_STUDIO_KEEP_RUNS) rmSync(runDir, { recursive: true, force: true });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => reject(new Error(`code-server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        if (output.includes(`HTTP server listening on http://${authority}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`));
      });
      check();
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    port,
    authority,
    runDir,
    userDataDir,
    extensionsDir,
    url(folder, payload) {
      let url = `http://${authority}/?folder=${encodeURIComponent(folder)}`;
      if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return url;
    },
    remoteUri: (path) => `vscode-remote://${authority}${path}`,
    output: () => output,
    outputChannelLog(channel) {
      const file = findFile(join(userDataDir, 'logs'), (name) => name.endsWith(`-${channel}.log`));
      return file ? readFileSync(file, 'utf8') : undefined;
    },
    stop,
  };
}
