// Bundles the extension-host probe into one CommonJS file the workbench can load as `extensionTestsPath`
// (`vscode` stays external: the extension host provides it).
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export async function bundleProbe(outDir: string): Promise<string> {
  const outfile = join(outDir, 'extensionHostProbe.js');
  await esbuild.build({
    entryPoints: [join(__dirname, 'extensionHostProbe.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return outfile;
}
