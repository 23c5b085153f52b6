// Bundles the extension host, the CLI and the DAG webview, and copies the assets they load at run time.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', legalComments: 'none' };
const builds = [
  {
    ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'],
    // As the CLI below: the Blob client reaches the extension bundle too.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
  // ESM dependencies (@azure/storage-common) read import.meta.url, which a CJS bundle leaves empty: give them the bundle's own URL.
  {
    ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20',
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "#!/usr/bin/env node\nconst __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
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

if (watch) {
  copyAssets();
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  copyAssets();
}
