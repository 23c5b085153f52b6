// Runs the embedded package's `metaflow_studio.inspect_run` (argv only, never a shell) and parses the
// JSON it prints: artifacts are pickles, so reading their values takes Python.
import { execFile } from 'node:child_process';

/** `input` goes to the inspector's stdin: a request naming thousands of tasks is too long for one argv string. */
export function runInspector<T>(python: string, args: string[], env: NodeJS.ProcessEnv, describe: string, input?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, ['-m', 'metaflow_studio.inspect_run', ...args], { env, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new Error(missing ? `cannot start Python '${python}'; set METAFLOW_STUDIO_PYTHON to an interpreter` : `cannot read ${describe}: ${(stderr || err.message).trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch (parseErr) {
        reject(new Error(`cannot read ${describe}: ${(parseErr as Error).message}`));
      }
    });
    // A failed start or an early exit is reported by the callback above, not by the pipe.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}
