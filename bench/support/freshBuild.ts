// Makes sure dist/ holds a build of the current sources: runs the build when dist/extension.js is
// missing or older than anything under the folders it is built from. The build's own output goes to
// stderr, so that a bench's stdout stays JSON lines only.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'webview', 'media', 'esbuild.mjs', 'package.json'];

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

/** Returns why a build was needed, or undefined when dist/ was already current. */
export function ensureBuilt(root: string, log: (line: string) => void): string | undefined {
  const bundle = join(root, 'dist', 'extension.js');
  let reason: string | undefined;
  if (!existsSync(bundle)) reason = 'dist/extension.js is missing';
  else {
    const built = statSync(bundle).mtimeMs;
    const stale = SOURCES.filter((source) => existsSync(join(root, source)) && newestChange(join(root, source)) > built);
    if (stale.length > 0) reason = `dist/extension.js is older than ${stale.join(', ')}`;
  }
  if (!reason) return undefined;
  log(`${reason}: building`);
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) throw new Error(`the build (node esbuild.mjs) failed with ${build.status ?? build.signal}`);
  return reason;
}
