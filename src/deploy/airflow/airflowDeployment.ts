// `airflow create` end to end, shared by the command line and the editor: settings, the checks before
// anything is uploaded, the production token, the code package in the Azure datastore, the DAG file
// written atomically. Storage comes from the caller (the CLI's lazy Azure loader, the editor's credential).
import * as path from 'node:path';
import { writeFileAtomicSync } from '../../datastore/atomicWrite';
import { azureDatastoreConfig, datastoreKind } from '../../datastore/azure/azureConfig';
import { MetaflowConfig } from '../../config/metaflowConfig';
import { resolveUsername } from '../../config/username';
import { KUBERNETES_SETTINGS } from '../../kube/kubernetesSettings';
import { publishCodePackage, readPodLoaderSource } from '../deployCodePackage';
import type { DeployProblem } from '../deployProblem';
import type { DeployRequestBase } from '../deployRequest';
import { productionNamespace, productionTokenFolder, resolveProductionToken, TokenStore } from '../productionToken';
import { checkAirflow } from './airflowChecks';
import { airflowNaming, compileAirflow } from './airflowCompiler';
import type { AirflowOptions } from './airflowInput';

const PASSED_SETTINGS = [
  ...Object.values(KUBERNETES_SETTINGS),
  'METAFLOW_AIRFLOW_KUBERNETES_CONN_ID',
  'METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_CONTEXT',
  'METAFLOW_AIRFLOW_KUBERNETES_KUBECONFIG_FILE',
  'METAFLOW_AIRFLOW_KUBERNETES_STARTUP_TIMEOUT_SECONDS',
  'METAFLOW_BRANCH',
  'METAFLOW_PRODUCTION',
  'METAFLOW_OWNER',
];

export interface AirflowDeployRequest extends DeployRequestBase {
  dagFile: string;
  options: AirflowOptions;
}

export type AirflowDeployOutcome =
  | { ok: true; dagId: string; dagFile: string; namespace: string; tokenGenerated: boolean; packageUploaded: boolean; notes: string[] }
  | { ok: false; problems: DeployProblem[] };

function refuse(message: string): AirflowDeployOutcome {
  return { ok: false, problems: [{ target: 'airflow', message }] };
}


export async function createAirflowDag(req: AirflowDeployRequest): Promise<AirflowDeployOutcome> {
  if (path.resolve(req.dagFile) === path.resolve(req.flowFile)) return refuse('The DAG file cannot be the flow file itself; choose another name (e.g. <flow>_dag.py).');
  const config = MetaflowConfig.load({ env: req.env, startDir: path.dirname(req.flowFile), homeDir: req.homeDir, settings: req.settings });
  const kind = datastoreKind(config);
  const early = checkAirflow(req.flow, { datastore: kind, name: req.options.name, workflowTimeout: req.options.workflowTimeout, maxWorkers: req.options.maxWorkers });
  if (early.length > 0 || req.flow.errors.length > 0) {
    // compileAirflow lists the lint errors too; nothing is uploaded for a flow that is refused.
    return { ok: false, problems: early.length > 0 ? early : req.flow.errors.map((e) => ({ target: 'airflow', step: e.steps[0], line: e.line, message: `${e.message} (${e.check}); fix the flow first.` })) };
  }
  const azure = azureDatastoreConfig(config);
  const owner = resolveUsername(req.env, config.getString('METAFLOW_USER'));
  const settings: Record<string, string | undefined> = {};
  for (const name of PASSED_SETTINGS) settings[name] = config.getString(name);

  const { dagId, tokenPrefix, isProject } = airflowNaming(req.flow, req.options, owner, settings);
  const store = new TokenStore(productionTokenFolder(req.env, req.homeDir));
  const stored = store.load(tokenPrefix);
  const token = resolveProductionToken({
    name: dagId,
    tokenPrefix,
    isProject,
    user: owner,
    existing: stored !== undefined ? { user: owner, token: stored } : undefined,
    stored,
    authorize: req.authorize,
    newToken: req.newToken,
    generateNewToken: req.generateNewToken,
  });
  if ('problem' in token) return refuse(token.problem);

  const pkg = await publishCodePackage({ config, flowFile: req.flowFile, flowName: req.flow.name, embeddedPythonDir: req.embeddedPythonDir, storage: req.azureStorage(azure), sysroot: azure.sysroot });
  const compiled = compileAirflow({
    flow: req.flow,
    flowFile: path.basename(req.flowFile),
    podLoaderSource: readPodLoaderSource(req.embeddedPythonDir),
    codePackage: { sha: pkg.sha, url: pkg.url },
    datastore: { type: 'azure', sysroot: azure.sysroot, endpoint: azure.endpoint },
    config: settings,
    options: req.options,
    productionToken: token.token,
    owner,
    now: req.now ?? new Date(),
    dagFile: path.basename(req.dagFile),
  });
  if (compiled.problems.length > 0) return { ok: false, problems: compiled.problems };
  writeFileAtomicSync(req.dagFile, compiled.source);
  store.store(tokenPrefix, token.token);
  const notes: string[] = [];
  if (req.options.namespace !== undefined) notes.push(`--namespace ${req.options.namespace} is recorded in the DAG's CONFIG; the tasks' Client still reads the production namespace.`);
  return { ok: true, dagId, dagFile: req.dagFile, namespace: productionNamespace(token.token), tokenGenerated: token.generated, packageUploaded: pkg.uploaded, notes };
}
