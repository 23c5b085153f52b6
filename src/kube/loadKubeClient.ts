// Loads the Kubernetes client on first use. Bundled, it is `kubeClient.js` beside the extension's and the command
// line's bundles (one copy for both: the client library is large, and neither a local run nor an activation
// should load it); unbundled, the source module.
import { createRequire } from 'node:module';

type KubeClientModule = typeof import('./kubeClient');

export function loadKubeClient(): KubeClientModule['KubeClient'] {
  // A computed name keeps the bundler from inlining the module (and the library behind it).
  const name = ['.', 'kubeClient'].join('/');
  return (createRequire(__filename)(name) as KubeClientModule).KubeClient;
}
