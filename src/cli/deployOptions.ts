// Options the deploy verbs share (`argo-workflows create`, `airflow create`), read one way for both.
import type { ArgoDeployOptions } from '../deploy/argo/argoDeploy';
import { intOption, lastOption, type OptionTypes, type ParsedArgs } from './args';

/** Which production token a deployment gets (reference §5.3). */
export const TOKEN_OPTIONS = {
  authorize: { type: 'string' },
  'generate-new-token': { type: 'boolean' },
  'new-token': { type: 'string' },
} as const satisfies OptionTypes;

export function tokenFlags(p: ParsedArgs): { authorize?: string; newToken?: string; generateNewToken: boolean } {
  return { authorize: lastOption(p, 'authorize'), newToken: lastOption(p, 'new-token'), generateNewToken: p.flags.has('generate-new-token') };
}

export function argoDeployOptions(p: ParsedArgs): ArgoDeployOptions {
  const priority = lastOption(p, 'workflow-priority');
  return {
    name: lastOption(p, 'name'),
    namespace: lastOption(p, 'namespace'),
    maxWorkers: intOption(p, 'max-workers'),
    workflowTimeout: intOption(p, 'workflow-timeout'),
    workflowPriority: priority === undefined ? undefined : Number(priority),
    tags: p.options.get('tag') ?? [],
    autoEmitArgoEvents: p.flags.has('no-auto-emit-argo-events') ? false : undefined,
  };
}
