// The deploy options a user sets from the editor (what `argo-workflows create` and `airflow create` take as
// flags), remembered per flow: which fields each target has, Metaflow's defaults, how a typed value is
// checked and read, and the one-line summary the prompts show. No VS Code here, so it is unit-tested alone.
import type { AirflowOptions } from '../deploy/airflow/airflowInput';
import type { ArgoDeployOptions } from '../deploy/argo/argoDeploy';

export type DeployKind = 'argo' | 'airflow';

/** Everything either target takes; a field a target does not have is ignored for it. */
export interface DeployOptionValues {
  name?: string;
  namespace?: string;
  maxWorkers?: number;
  workflowTimeout?: number;
  workflowPriority?: number;
  workerPool?: string;
  tags?: string[];
  isPausedUponCreation?: boolean;
}

export type DeployOptionField = keyof DeployOptionValues;

/** Metaflow's default for both targets' --max-workers. */
export const DEFAULT_DEPLOY_MAX_WORKERS = 100;

interface FieldInfo {
  label: string;
  /** The flag it stands for, named in prompts so the CLI and the editor read alike. */
  flag: string;
  /** What an empty value means. */
  whenEmpty: string;
  type: 'whole' | 'integer' | 'text' | 'tags' | 'flag';
}

export const DEPLOY_OPTION_FIELDS: Record<DeployOptionField, FieldInfo> = {
  name: { label: 'Name', flag: '--name', whenEmpty: "the flow's name (or its @project name)", type: 'text' },
  namespace: { label: 'Namespace', flag: '--namespace', whenEmpty: 'METAFLOW_KUBERNETES_NAMESPACE, else default', type: 'text' },
  maxWorkers: { label: 'Max workers', flag: '--max-workers', whenEmpty: `${DEFAULT_DEPLOY_MAX_WORKERS}`, type: 'whole' },
  workflowTimeout: { label: 'Workflow timeout (seconds)', flag: '--workflow-timeout', whenEmpty: 'none', type: 'whole' },
  workflowPriority: { label: 'Workflow priority', flag: '--workflow-priority', whenEmpty: 'none', type: 'integer' },
  workerPool: { label: 'Worker pool', flag: '--worker-pool', whenEmpty: "Airflow's default pool", type: 'text' },
  tags: { label: 'Tags', flag: '--tag', whenEmpty: 'none', type: 'tags' },
  isPausedUponCreation: { label: 'Paused upon creation', flag: '--is-paused-upon-creation', whenEmpty: 'no', type: 'flag' },
};

/** The fields each target offers, in the order the prompt lists them. */
export const DEPLOY_OPTION_FIELDS_OF: Record<DeployKind, DeployOptionField[]> = {
  argo: ['maxWorkers', 'workflowTimeout', 'workflowPriority', 'tags', 'namespace'],
  airflow: ['name', 'maxWorkers', 'workflowTimeout', 'workerPool', 'tags', 'isPausedUponCreation'],
};

/** Workspace-state key of a flow's remembered options for a target. */
export function deployOptionsKey(kind: DeployKind, flowFile: string, flowName: string): string {
  return `metaflow.deployOptions.${kind}:${flowFile}#${flowName}`;
}

/** Only the target's fields with a value: what is remembered and passed on. */
export function onlyFieldsOf(kind: DeployKind, values: DeployOptionValues | undefined): DeployOptionValues {
  const out: DeployOptionValues = {};
  for (const field of DEPLOY_OPTION_FIELDS_OF[kind]) {
    const v = values?.[field];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[field] = v;
  }
  return out;
}

/** Why `raw` cannot be the field's value, or undefined when it can (empty always can: Metaflow's default). */
export function validateOptionText(field: DeployOptionField, raw: string): string | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  const info = DEPLOY_OPTION_FIELDS[field];
  switch (info.type) {
    case 'whole':
      return /^\d+$/.test(text) && Number(text) >= 1 ? undefined : `${info.label} (${info.flag}) must be a whole number of at least 1; leave it empty for ${info.whenEmpty}.`;
    case 'integer':
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? undefined : `${info.label} (${info.flag}) must be a whole number (it may be negative); leave it empty for ${info.whenEmpty}.`;
    case 'text':
      return /\s/.test(text) ? `${info.label} (${info.flag}) cannot contain spaces.` : undefined;
    case 'tags':
      return parseTags(text).some((t) => t.length > 500) ? 'A tag may be at most 500 characters long.' : undefined;
    case 'flag':
      return /^(yes|no|true|false)$/i.test(text) ? undefined : `${info.label} is yes or no.`;
  }
}

export function parseTags(raw: string): string[] {
  return raw.split(/[\s,]+/).filter(Boolean);
}

/** The typed text as the field's value; undefined for empty (Metaflow's default). Call after validateOptionText. */
export function readOptionText(field: DeployOptionField, raw: string): DeployOptionValues[DeployOptionField] {
  const text = raw.trim();
  if (text === '') return undefined;
  switch (DEPLOY_OPTION_FIELDS[field].type) {
    case 'whole':
    case 'integer':
      return Number(text);
    case 'tags':
      return parseTags(text);
    case 'flag':
      return /^(yes|true)$/i.test(text);
    case 'text':
      return text;
  }
}

/** The value as the user would type it again (the input box's prefill). */
export function optionText(field: DeployOptionField, values: DeployOptionValues): string {
  const v = values[field];
  if (v === undefined) return '';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** `Max workers: 100 (default)`-style text of one field. */
export function describeOption(field: DeployOptionField, values: DeployOptionValues): string {
  const text = optionText(field, values);
  return text === '' ? `${DEPLOY_OPTION_FIELDS[field].whenEmpty} (default)` : text;
}

/** One line naming every option that differs from Metaflow's defaults, for the prompt and the confirmation. */
export function summarizeOptions(kind: DeployKind, values: DeployOptionValues): string {
  const set = DEPLOY_OPTION_FIELDS_OF[kind].filter((f) => optionText(f, values) !== '');
  if (set.length === 0) return "Metaflow's defaults";
  return set.map((f) => `${DEPLOY_OPTION_FIELDS[f].label.toLowerCase()} ${optionText(f, values)}`).join(', ');
}

export function toArgoOptions(values: DeployOptionValues): ArgoDeployOptions {
  const v = onlyFieldsOf('argo', values);
  return { namespace: v.namespace, maxWorkers: v.maxWorkers, workflowTimeout: v.workflowTimeout, workflowPriority: v.workflowPriority, tags: v.tags };
}

export function toAirflowOptions(values: DeployOptionValues): AirflowOptions {
  const v = onlyFieldsOf('airflow', values);
  return { name: v.name, maxWorkers: v.maxWorkers, workflowTimeout: v.workflowTimeout, workerPool: v.workerPool, tags: v.tags, isPausedUponCreation: v.isPausedUponCreation };
}

/** Options passed to a command by a caller (a test, a keybinding's args): checked like typed ones. */
export function checkGivenOptions(kind: DeployKind, given: unknown): { values: DeployOptionValues } | { problem: string } {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return { problem: 'deploy options must be an object such as {"maxWorkers": 10}.' };
  const values: DeployOptionValues = {};
  for (const [key, v] of Object.entries(given)) {
    if (!DEPLOY_OPTION_FIELDS_OF[kind].includes(key as DeployOptionField)) {
      return { problem: `'${key}' is not a deploy option of ${kind === 'argo' ? 'Argo Workflows' : 'Airflow'}; the options are ${DEPLOY_OPTION_FIELDS_OF[kind].join(', ')}.` };
    }
    const field = key as DeployOptionField;
    const text = Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v === undefined || v === null ? '' : String(v);
    const problem = validateOptionText(field, text);
    if (problem) return { problem };
    (values as Record<string, unknown>)[field] = readOptionText(field, text);
  }
  return { values: onlyFieldsOf(kind, values) };
}
