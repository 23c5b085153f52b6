// The Argo Workflows compiler's public surface.
export { checkArgo } from './checkArgo';
export { compileArgo } from './compileArgo';
export type { ArgoCheckOptions, ArgoCompileOptions, ArgoCompileResult, ArgoManifests, Manifest } from './types';
