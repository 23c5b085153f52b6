// The run form: one input box per flow Parameter (prefilled with the value used last time for this flow,
// else its default, checked by type as the user types), then tags and max workers. Escape anywhere
// cancels without running. What was entered is remembered per flow in the workspace state.
import * as vscode from 'vscode';
import type { FlowInfo, LiteralValue, ParameterInfo } from '../flow/types';
import { checkParameterValue } from '../runtime/parameterValues';

export interface RunFormValues {
  /** `--name value` pairs, only for values that differ from the flow's own default. */
  parameterArgs: string[];
  tags: string[];
  maxWorkers?: number;
}

interface Remembered {
  values: Record<string, string>;
  tags: string;
  maxWorkers: string;
}

function isExpression(v: LiteralValue | undefined): v is { $expr: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && '$expr' in v;
}

/** The default as the user would type it; undefined when the default is computed (not a literal). */
export function defaultText(p: ParameterInfo): string | undefined {
  const v = p.default;
  if (v === undefined || isExpression(v)) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return (p.type ?? '') === 'JSONType' ? 'null' : undefined;
  return JSON.stringify(v);
}

/** Why `raw` is not acceptable for `p`, or undefined when it is. Empty means "use the flow's default". */
export function validateParameter(p: ParameterInfo, raw: string): string | undefined {
  if (raw.trim() === '') {
    const hasDefault = p.default !== undefined;
    return p.required && !hasDefault ? `${p.name} is required: enter a value` : undefined;
  }
  try {
    checkParameterValue(p, raw);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function validateMaxWorkers(raw: string): string | undefined {
  if (raw.trim() === '') return undefined;
  return /^\s*\d+\s*$/.test(raw) && Number(raw) >= 1 ? undefined : 'Max workers must be a whole number of at least 1 (empty: the configured default)';
}

export class RunForm {
  constructor(private readonly state: vscode.Memento) {}

  private key(flowFile: vscode.Uri, flow: FlowInfo): string {
    return `metaflow.runForm:${flowFile.toString()}#${flow.name}`;
  }

  /** Undefined when the user pressed Escape. */
  async ask(flowFile: vscode.Uri, flow: FlowInfo, title: string): Promise<RunFormValues | undefined> {
    const params = flow.parameters.filter((p) => p.kind !== 'Config');
    const remembered = this.state.get<Remembered>(this.key(flowFile, flow));
    const total = params.length + 2;
    const entered: Record<string, string> = {};
    const parameterArgs: string[] = [];
    for (const [i, p] of params.entries()) {
      const fallback = defaultText(p);
      const value = await vscode.window.showInputBox({
        title: `${title} (${i + 1}/${total}): ${p.name}`,
        prompt: [`${p.kind === 'IncludeFile' ? 'IncludeFile (a path)' : (p.type ?? 'str')}${p.required ? ', required' : ''}`, p.help].filter(Boolean).join(' — '),
        value: remembered?.values[p.name] ?? fallback ?? '',
        placeHolder: fallback === undefined && isExpression(p.default) ? `empty: the flow's default (${p.default.$expr})` : "empty: the flow's default",
        ignoreFocusOut: true,
        validateInput: (raw) => validateParameter(p, raw),
      });
      if (value === undefined) return undefined;
      entered[p.name] = value;
      if (value.trim() !== '' && value !== fallback) parameterArgs.push(`--${p.name}`, value);
    }
    const tags = await vscode.window.showInputBox({
      title: `${title} (${total - 1}/${total}): tags`,
      prompt: 'Tags for the run, separated by commas or spaces (optional)',
      value: remembered?.tags ?? '',
      ignoreFocusOut: true,
    });
    if (tags === undefined) return undefined;
    const maxWorkers = await vscode.window.showInputBox({
      title: `${title} (${total}/${total}): max workers`,
      prompt: 'How many tasks may run at once (empty: the configured default, 16 unless METAFLOW_RUN_MAX_WORKERS says otherwise)',
      value: remembered?.maxWorkers ?? '',
      ignoreFocusOut: true,
      validateInput: validateMaxWorkers,
    });
    if (maxWorkers === undefined) return undefined;
    await this.state.update(this.key(flowFile, flow), { values: entered, tags, maxWorkers } satisfies Remembered);
    return {
      parameterArgs,
      tags: tags.split(/[\s,]+/).filter(Boolean),
      maxWorkers: maxWorkers.trim() === '' ? undefined : Number(maxWorkers),
    };
  }
}
