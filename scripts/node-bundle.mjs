// esbuild options for a CommonJS bundle run by Node (the extension host, the CLI). One definition for the build and
// for the tests that bundle the CLI into a private folder, so that both always run the same code.

/**
 * ESM dependencies (@azure/storage-common) read `import.meta.url`, which a CJS bundle leaves empty: they get the
 * bundle's own URL instead.
 */
export function nodeBundleOptions({ entryPoints, outfile, external = [], shebang = false, ...rest }) {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    entryPoints,
    outfile,
    external,
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: `${shebang ? '#!/usr/bin/env node\n' : ''}const __bundleUrl = require('node:url').pathToFileURL(__filename).href;` },
    ...rest,
  };
}
