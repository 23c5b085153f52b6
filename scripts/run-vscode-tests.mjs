// Runs the mocha suites of test/vscode inside a real VS Code extension host (code-server + headless
// Chromium), against a fresh copy of the fixture workspace. Builds the extension and bundles the
// suites first (`--no-build` skips the extension build). Exits non-zero when a test fails; the last
// line is `vscode: N passed, N failed`. Suites named `*.untrusted.test.ts` run in a second session whose
// workspace is not trusted (workspace trust on, the folder never trusted).
//   node scripts/run-vscode-tests.mjs [--grep PATTERN] [--no-build]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args[grepAt + 1] : undefined;

function finish(passed, failed, code) {
  console.log(`vscode: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

if (!args.includes('--no-build')) {
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('the extension build failed');
    finish(0, 1, 1);
  }
}
if (!existsSync(join(root, 'dist', 'extension.js'))) {
  console.error('dist/extension.js is missing: run `npm run build` first');
  finish(0, 1, 1);
}

const suiteDir = join(root, 'test', 'vscode');
const outDir = join(root, 'out', 'test', 'vscode');
const untrustedOutDir = join(root, 'out', 'test', 'vscode-untrusted');
const UNTRUSTED = '.untrusted.test.ts';
rmSync(outDir, { recursive: true, force: true });
rmSync(untrustedOutDir, { recursive: true, force: true });
const untrustedSuites = readdirSync(suiteDir).filter((f) => f.endsWith(UNTRUSTED));
/** Bundles mocha's index and the given suites for the extension host (vscode and mocha stay external). */
function bundleSuites(suites, outdir) {
  return esbuild.build({
    entryPoints: [join(suiteDir, 'index.ts'), ...suites.map((f) => join(suiteDir, f))],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    // As in scripts/node-bundle.mjs: ESM dependencies (@azure/storage-common) read import.meta.url.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
}
if (untrustedSuites.length > 0) await bundleSuites(untrustedSuites, untrustedOutDir);
await bundleSuites(readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts') && !f.endsWith(UNTRUSTED)), outDir);

const { runExtensionTests } = await tsImport('../test/support/extensionTests.ts', import.meta.url);

/** One code-server session on a fresh copy of the fixture workspace; undefined results when none came back. */
async function session(testsDir, server = {}) {
  const work = mkdtempSync(join(tmpdir(), 'metaflow-studio-vscode-tests-'));
  const workspace = join(work, 'workspace');
  cpSync(join(suiteDir, 'fixtures', 'workspace'), workspace, { recursive: true });
  const resultsFile = join(work, 'results.json');
  let code;
  try {
    code = await runExtensionTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: join(testsDir, 'index.js'),
      workspace,
      server: {
        ...server,
        // The cluster suites serve Azurite over https with a certificate the extension host trusts from its start.
        tlsCertificate: true,
        // Runs refuse without a user name and refuse 'root' (as Metaflow does); CI may run as root or with no USER.
        env: { METAFLOW_USER: process.env.METAFLOW_USER || 'tester', METAFLOW_STUDIO_TEST_RESULTS: resultsFile, ...(grep ? { METAFLOW_STUDIO_TEST_GREP: grep } : {}) },
      },
      onLog: (line) => console.log(line),
    });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    code = 1;
  }
  const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined;
  rmSync(work, { recursive: true, force: true });
  if (!results) console.error('the extension host reported no test results (did the extension or the suite fail to load?)');
  return { code, results };
}

const sessions = [await session(outDir)];
if (untrustedSuites.length > 0) {
  sessions.push(
    await session(untrustedOutDir, {
      workspaceTrust: true,
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' },
    }),
  );
}
const passed = sessions.reduce((n, s) => n + (s.results?.passed ?? 0), 0);
const failed = sessions.reduce((n, s) => n + (s.results ? s.results.failed : 1), 0);
finish(passed, failed, sessions.every((s) => s.code === 0 && s.results && s.results.failed === 0) ? 0 : 1);
