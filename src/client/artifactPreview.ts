// Artifact previews come from the embedded package's `metaflow_studio.preview`, run in a short-lived
// Python process with a size cap and a time limit: values are pickles, and the editor's own process
// never unpickles. argv only, never a shell; the request goes over stdin.
import { execFile } from 'node:child_process';

export type Preview =
  | { kind: 'scalar'; class: string; text: string; size?: number }
  | { kind: 'text' | 'json' | 'repr'; class: string; text: string; truncated: boolean; length?: number; size?: number }
  | { kind: 'bytes'; class: string; size: number; hex: string; truncated: boolean }
  | { kind: 'image'; class: string; mime: 'image/png' | 'image/jpeg'; size: number; base64: string }
  | { kind: 'table'; class: string; columns: string[]; index: string[]; rows: string[][]; shape: number[]; size?: number }
  | { kind: 'unavailable'; class: string; size?: number; message: string };

export interface PreviewRequest {
  root: string;
  flow: string;
  sha: string;
  type?: string;
  size?: number;
}

export interface PreviewLimits {
  maxBytes: number;
  timeoutMs: number;
  maxChars?: number;
  rows?: number;
}

export const DEFAULT_LIMITS: PreviewLimits = { maxBytes: 64 << 20, timeoutMs: 15_000 };

export interface PythonProcess {
  python: string;
  /** Has the embedded package first on PYTHONPATH. */
  env: NodeJS.ProcessEnv;
}

function runPreviewModule<T>(proc: PythonProcess, args: string[], request: unknown, timeoutMs: number, describe: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      proc.python,
      ['-m', 'metaflow_studio.preview', ...args],
      { env: proc.env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') reject(new Error(`cannot start Python '${proc.python}' to preview ${describe}; set metaflow.pythonPath to an interpreter`));
          else if (e.killed) reject(new Error(`the preview of ${describe} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
          else reject(new Error(`cannot preview ${describe}: ${(stderr || e.message).trim().split('\n').slice(-3).join(' ')}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch (parseErr) {
          reject(new Error(`cannot preview ${describe}: ${(parseErr as Error).message}`));
        }
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(request));
  });
}

export function previewArtifact(proc: PythonProcess, request: PreviewRequest, limits: PreviewLimits = DEFAULT_LIMITS): Promise<Preview> {
  return runPreviewModule<Preview>(
    proc,
    [],
    { ...request, max_bytes: limits.maxBytes, max_chars: limits.maxChars, rows: limits.rows },
    limits.timeoutMs,
    `${request.flow} artifact ${request.sha}`,
  );
}

/** Short reprs of named artifacts (by sha) of one flow: the parameters in a run comparison. */
export function artifactValues(proc: PythonProcess, root: string, flow: string, artifacts: Record<string, string>, timeoutMs = 15_000): Promise<Record<string, string>> {
  return runPreviewModule<Record<string, string>>(proc, ['values'], { root, flow, artifacts, max_chars: 200 }, timeoutMs, `the parameters of ${flow}`);
}
