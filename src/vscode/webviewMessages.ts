// Checks what the DAG webview posts before the host acts on it. The webview is untrusted input: a message
// must have the protocol's shape and may only name the file and flows the host itself sent it. Pure (no
// vscode import) so that it is unit-tested.
import { STEP_ACTIONS, type StepAction, type WebviewToHost } from '../protocol/dagPanel';

/** What the webview was last given to draw. */
export interface ShownDrawing {
  file: string;
  flow: string;
  flows: string[];
  /** Steps of the drawn flow: the only ones a step action may name. */
  steps?: readonly string[];
  /** Pathspecs of the tasks of the run shown, if any: the only logs the webview may ask for. */
  taskPathspecs?: ReadonlySet<string>;
}

const MAX_ERROR_LENGTH = 2_000;

type Fields = Record<string, unknown>;

function text(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function parseWebviewMessage(value: unknown, shown: ShownDrawing | undefined): WebviewToHost | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Fields;
  switch (fields.type) {
    case 'ready':
      return { type: 'ready' };
    case 'revealStep': {
      const file = text(fields, 'file');
      const flow = text(fields, 'flow');
      const step = text(fields, 'step');
      if (!shown || !file || !flow || !step || file !== shown.file || !shown.flows.includes(flow)) return undefined;
      return { type: 'revealStep', file, flow, step };
    }
    case 'selectFlow': {
      const file = text(fields, 'file');
      const flow = text(fields, 'flow');
      if (!shown || !file || !flow || file !== shown.file || !shown.flows.includes(flow)) return undefined;
      return { type: 'selectFlow', file, flow };
    }
    case 'exportSvg': {
      const flow = text(fields, 'flow');
      const svg = text(fields, 'svg');
      if (!shown || !flow || !svg || flow !== shown.flow) return undefined;
      return { type: 'exportSvg', flow, svg };
    }
    case 'stepAction': {
      const file = text(fields, 'file');
      const flow = text(fields, 'flow');
      const step = text(fields, 'step');
      const action = STEP_ACTIONS.find((a) => a === fields.action);
      if (!shown || !action || !file || !flow || !step || file !== shown.file || flow !== shown.flow || !shown.steps?.includes(step)) return undefined;
      return { type: 'stepAction', action: action satisfies StepAction, file, flow, step };
    }
    case 'runFlow': {
      const file = text(fields, 'file');
      const flow = text(fields, 'flow');
      if (!shown || !file || !flow || file !== shown.file || flow !== shown.flow) return undefined;
      if (fields.target === undefined) return { type: 'runFlow', file, flow };
      return fields.target === 'kubernetes' ? { type: 'runFlow', file, flow, target: 'kubernetes' } : undefined;
    }
    case 'showTaskLogs': {
      const pathspec = text(fields, 'pathspec');
      if (!pathspec || !shown?.taskPathspecs?.has(pathspec)) return undefined;
      return { type: 'showTaskLogs', pathspec };
    }
    case 'showLive':
      return shown ? { type: 'showLive' } : undefined;
    case 'error': {
      const message = text(fields, 'message');
      if (!message) return undefined;
      return { type: 'error', message: message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message };
    }
    default:
      return undefined;
  }
}
