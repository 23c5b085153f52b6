// Bundles the extension host, the CLI and the DAG webview, and copies the assets they load at run time.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { nodeBundleOptions } from './scripts/node-bundle.mjs';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', legalComments: 'none' };
const builds = [
  nodeBundleOptions({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  nodeBundleOptions({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', shebang: true }),
  // Loaded by the command line only for runs on Azure (src/cli/lazyAzure.ts).
  nodeBundleOptions({ ...common, entryPoints: ['src/cli/cliAzure.ts'], outfile: 'dist/cliAzure.js' }),
  // The Kubernetes client, loaded by the extension and the command line when they first need a cluster (src/kube/loadKubeClient.ts).
  nodeBundleOptions({ ...common, entryPoints: ['src/kube/kubeClient.ts'], outfile: 'dist/kubeClient.js' }),
  { ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

function copyAssets() {
  mkdirSync('dist/webview', { recursive: true });
  cpSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), 'dist/tree-sitter.wasm');
  cpSync(join(dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');
  cpSync('media/dag.css', 'dist/webview/dag.css');
  rmSync('dist/python', { recursive: true, force: true });
  cpSync('src/runtime/python', 'dist/python', {
    recursive: true,
    filter: (src) => !src.includes('__pycache__') && !src.endsWith('.pyc'),
  });
}

// The pinned Argo schema compiled into plain functions (src/deploy/argo/argoSchemaCheck.ts loads them beside the bundle).
function generateArgoValidators() {
  const out = 'dist/argoValidators.js';
  const sources = ['schemas/argo-workflows.schema.json', 'src/deploy/argo/argoSchemaDefinitions.ts', 'scripts/gen-argo-validators.ts'];
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return;
  mkdirSync('dist', { recursive: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-argo-validators.ts', out], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('generating dist/argoValidators.js failed');
}

if (watch) {
  copyAssets();
  generateArgoValidators();
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  copyAssets();
  generateArgoValidators();
}
