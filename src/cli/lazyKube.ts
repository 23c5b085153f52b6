// Loads src/cli/cliKube.ts on first use: `cliKube.js` beside the bundle, or the source file when run unbundled.
import { createRequire } from 'node:module';
import type { KubeApi } from '../runtime/workers/kubernetesPool';

type CliKube = typeof import('./cliKube');

export function lazyKubeClient(target: { kubeconfigPath?: string; context?: string; namespace: string }): KubeApi {
  // A computed name keeps the bundler from inlining the module (and the client behind it) into the command line.
  const name = ['.', 'cliKube'].join('/');
  const loaded = createRequire(__filename)(name) as CliKube;
  return loaded.openKubeClient(target);
}
