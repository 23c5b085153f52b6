// What every deployment (Argo Workflows, Airflow) ships to its pods: the flow's code package, built within
// the configured size limit and stored where Metaflow keeps code packages, and the pod loader's source,
// which the pod runs with `python3 -c` before the package is there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetaflowConfig } from '../config/metaflowConfig';
import { blobKey, type DatastoreStorage } from '../datastore/storage/types';
import { POD_LOADER_MODULE_FILE } from '../kube/podContract';
import { buildCodePackage, CODE_PACKAGE_MAX_MB_SETTING, type CodePackage, DEFAULT_CODE_PACKAGE_MAX_MB, uploadCodePackage } from '../runtime/codePackage';

export interface DeployedCodePackage {
  sha: string;
  /** `<sysroot>/<Flow>/data/<sha[:2]>/<sha>`, as the pods download it. */
  url: string;
  /** False when the datastore already had it. */
  uploaded: boolean;
}

export async function buildDeployCodePackage(config: MetaflowConfig, flowFile: string, embeddedPythonDir: string): Promise<CodePackage> {
  const maxMb = config.getInt(CODE_PACKAGE_MAX_MB_SETTING) ?? DEFAULT_CODE_PACKAGE_MAX_MB;
  return buildCodePackage({ flowDir: path.dirname(flowFile), embeddedPythonDir, maxBytes: maxMb * 1024 * 1024 });
}

export function codePackageUrl(sysroot: string, flowName: string, sha: string): string {
  return `${sysroot}/${blobKey(flowName, sha)}`;
}

/** Builds the package and stores it once per content. */
export async function publishCodePackage(req: {
  config: MetaflowConfig;
  flowFile: string;
  flowName: string;
  embeddedPythonDir: string;
  storage: DatastoreStorage;
  sysroot: string;
}): Promise<DeployedCodePackage> {
  const pkg = await buildDeployCodePackage(req.config, req.flowFile, req.embeddedPythonDir);
  const upload = await uploadCodePackage(req.storage, req.flowName, pkg);
  return { sha: pkg.sha, url: `${req.sysroot}/${upload.key}`, uploaded: upload.uploaded };
}

export function readPodLoaderSource(embeddedPythonDir: string): string {
  return fs.readFileSync(path.join(embeddedPythonDir, POD_LOADER_MODULE_FILE), 'utf8');
}
