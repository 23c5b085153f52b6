// Opens FOLDER (default: examples/) in a real VS Code in the browser (code-server on 127.0.0.1) with
// this extension installed from the build in dist/, and a fresh profile so nothing of your own VS Code
// is touched. Prints the URL, stays up until Ctrl+C, then stops every process it started.
//   node scripts/open-vscode.mjs [FOLDER] [--port N]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : undefined;
if (portAt >= 0 && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`--port needs a port number from 1 to 65535, got "${args[portAt + 1] ?? ''}"`);
  process.exit(2);
}
const folderArg = args.find((a, i) => !a.startsWith('--') && i !== portAt + 1);
const folder = resolve(folderArg ?? join(root, 'examples'));
if (!existsSync(folder) || !statSync(folder).isDirectory()) {
  console.error(`${folder} is not a folder: pass the folder to open, e.g. node scripts/open-vscode.mjs examples`);
  process.exit(2);
}

if (!existsSync(join(root, 'dist', 'extension.js'))) {
  console.log('dist/extension.js is missing: building the extension first');
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const { startCodeServer } = await tsImport('../test/support/codeServer.ts', import.meta.url);
let server;
try {
  server = await startCodeServer({ linkedExtensions: [root], port });
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
console.log(`VS Code with Metaflow Studio is running: ${server.url(folder)}`);
console.log('Open that URL in a browser on this machine. Press Ctrl+C to stop.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping code-server');
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
