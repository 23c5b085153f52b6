import type { BuildOptions } from 'esbuild';

export function nodeBundleOptions(options: BuildOptions & { entryPoints: string[]; outfile: string; external?: string[]; shebang?: boolean }): BuildOptions;
