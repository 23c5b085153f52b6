// Where the embedded Python package lives: `dist/python` beside the bundle, `src/runtime/python` in the source tree.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function locateEmbeddedPython(fromDir: string = __dirname): string {
  const candidates = [
    path.join(fromDir, 'python'),
    path.join(fromDir, '..', 'python'),
    path.join(fromDir, '..', 'runtime', 'python'),
    path.join(fromDir, '..', '..', 'src', 'runtime', 'python'),
    path.join(fromDir, '..', '..', '..', 'src', 'runtime', 'python'),
  ];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'metaflow_studio', 'worker.py'))) return path.resolve(dir);
  }
  throw new Error(`the embedded Python package (metaflow_studio) was not found next to ${fromDir}; rebuild with 'npm run build'`);
}

/** The Metaflow release the embedded package follows (`metaflow/version.py`), for the run's system tags. */
export function embeddedMetaflowVersion(pythonDir: string): string | undefined {
  try {
    const text = fs.readFileSync(path.join(pythonDir, 'metaflow', 'version.py'), 'utf8');
    return /__version__\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
