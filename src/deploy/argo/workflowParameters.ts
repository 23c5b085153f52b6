// Flow Parameters as workflow arguments: JSON-encoded defaults (the bootstrap decodes them as Metaflow's
// `set_parameters` does), `metaflow/parameters` annotation, and what cannot be deployed.
import type { FlowInfo, LiteralValue, ParameterInfo } from '../../flow/types';
import type { Manifest } from './types';

export interface WorkflowParameter {
  name: string;
  /** JSON text of the default; undefined when the parameter has none (the trigger must give it). */
  value?: string;
  description?: string;
  type: string;
  required: boolean;
  line: number;
}

const isExpr = (v: LiteralValue | undefined) => typeof v === 'object' && v !== null && !Array.isArray(v) && '$expr' in v;

function deployableParameters(flow: FlowInfo): ParameterInfo[] {
  return flow.parameters.filter((p) => p.kind !== 'Config');
}

export function parameterProblems(flow: FlowInfo, scheduled: boolean): Array<{ line: number; message: string }> {
  const problems: Array<{ line: number; message: string }> = [];
  const seen = new Map<string, string>();
  for (const p of deployableParameters(flow)) {
    const line = p.range.start.line + 1;
    if (p.name.toLowerCase() === 'script') problems.push({ line, message: "Parameter name 'script' is reserved by Argo Workflows deployments; rename the parameter." });
    const other = seen.get(p.name.toLowerCase());
    if (other !== undefined) problems.push({ line, message: `Parameter '${p.name}' has the same name as '${other}' when case is ignored, as Argo workflow parameters are; rename one of them.` });
    seen.set(p.name.toLowerCase(), p.name);
    if (isExpr(p.default)) {
      problems.push({ line, message: `The default of parameter '${p.name}' is not a literal (${(p.default as { $expr: string }).$expr}); the deployment needs its value: write a literal default.` });
    }
    const noDefault = p.default === undefined || p.default === null;
    if (scheduled && noDefault && p.required) {
      problems.push({ line, message: `Parameter '${p.name}' is required and has no default, but the flow is scheduled with @schedule: a scheduled run has nobody to give it. Give it a default.` });
    }
  }
  return problems;
}

export function workflowParameters(flow: FlowInfo): WorkflowParameter[] {
  return deployableParameters(flow).map((p) => {
    const hasDefault = p.default !== undefined && p.default !== null && !isExpr(p.default);
    return {
      name: p.name,
      value: hasDefault ? JSON.stringify(p.default) : p.required ? undefined : 'null',
      description: p.help,
      type: p.type === 'JSONType' ? 'JSON' : (p.type ?? 'str'),
      required: Boolean(p.required),
      line: p.range.start.line + 1,
    };
  });
}

export function argumentParameters(params: WorkflowParameter[]): Manifest[] {
  return params.map((p) => {
    const m: Manifest = { name: p.name };
    if (p.value !== undefined) m.value = p.value;
    if (p.description) m.description = p.description;
    return m;
  });
}

/** The `metaflow/parameters` annotation: what the UI and `trigger` need to know about each parameter. */
export function parametersAnnotation(params: WorkflowParameter[]): string {
  return JSON.stringify(Object.fromEntries(params.map((p) => [p.name, { name: p.name, value: p.value ?? null, description: p.description ?? null, type: p.type, is_required: p.required }])));
}
