// Finds the interpreter behind a command name. A pyenv shim is a shell script that costs a bash start
// and several pyenv sub-commands on every launch (most of a short run); following pyenv's own rules
// (PYENV_VERSION, the nearest `.python-version`, `$PYENV_ROOT/version`) reaches the same binary directly.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Interpreter {
  executable: string;
  /** Directory `pyenv exec` would put first on PATH, when a shim was resolved. */
  binDir?: string;
}

function which(command: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function firstVersion(text: string): string | undefined {
  return text.split(/\s+/).find((v) => v && !v.startsWith('#'))?.split(':')[0];
}

function versionFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    try {
      return firstVersion(fs.readFileSync(path.join(dir, '.python-version'), 'utf8'));
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

export function resolveInterpreter(command: string, env: NodeJS.ProcessEnv, cwd: string, platform: NodeJS.Platform): Interpreter {
  if (platform === 'win32') return { executable: command };
  const found = command.includes('/') ? command : which(command, env.PATH);
  if (!found || path.basename(path.dirname(found)) !== 'shims') return { executable: command };
  const pyenvRoot = env.PYENV_ROOT || path.dirname(path.dirname(found));
  if (!fs.existsSync(path.join(pyenvRoot, 'versions'))) return { executable: command };
  let version = env.PYENV_VERSION ? firstVersion(env.PYENV_VERSION.replace(/:/g, ' ')) : versionFile(cwd);
  if (!version) {
    try {
      version = firstVersion(fs.readFileSync(path.join(pyenvRoot, 'version'), 'utf8'));
    } catch {
      version = undefined;
    }
  }
  if (!version || version === 'system') return { executable: command };
  const binDir = path.join(pyenvRoot, 'versions', version, 'bin');
  const candidate = path.join(binDir, path.basename(found));
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return { executable: candidate, binDir };
  } catch {
    return { executable: command };
  }
}
