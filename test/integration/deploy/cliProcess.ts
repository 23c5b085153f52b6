// The `metaflow-studio` command line run from source in its own process, in a test workspace, as the deploy
// tests drive it (exit code and both streams).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, testEnv, type Workspace } from '../runtime/harness';

const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;

export function cli(ws: Workspace, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: ws.dir, env: testEnv(ws, { NODE_OPTIONS: '', ...env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
