// Reading what the worker writes: each JSON line is checked against the protocol schema
// (workerProtocol.schema.json, compiled ahead of time into workerProtocolValidators.ts) before
// anything uses it. A malformed message becomes a clear problem naming the message and the field;
// when it concerns a task, that task still gets a log line saying so and, for `finished`, ends
// (as a task that reported no result), so a bad message never leaves a run waiting.
import type { WorkerMessage } from '../workerProtocol';
import * as validators from '../workerProtocolValidators';

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const BY_OP: Record<WorkerMessage['op'], Validator> = {
  ready: validators.validateReadyMessage as Validator,
  init_error: validators.validateInitErrorMessage as Validator,
  started: validators.validateStartedMessage as Validator,
  log: validators.validateLogMessage as Validator,
  finished: validators.validateFinishedMessage as Validator,
};

export interface ReadMessage {
  /** The message to act on: the worker's own when valid, else the stand-in described above (if any). */
  message?: WorkerMessage;
  /** Why the line was not a valid message, naming the message and its field. */
  problem?: string;
}

function describe(error: SchemaError | undefined): string {
  if (!error) return 'does not match the protocol';
  const where = error.instancePath ? `field ${error.instancePath.slice(1).replace(/\//g, '.')}` : 'the message';
  if (error.keyword === 'additionalProperties') return `${where} has an unknown field '${String(error.params.additionalProperty)}'`;
  if (error.keyword === 'required') return `${where} lacks the field '${String(error.params.missingProperty)}'`;
  if (error.keyword === 'enum') return `${where} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

export function validateWorkerMessage(value: unknown): { ok: true; message: WorkerMessage } | { ok: false; problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'a message must be a JSON object' };
  const op = (value as { op?: unknown }).op;
  const validate = typeof op === 'string' && Object.prototype.hasOwnProperty.call(BY_OP, op) ? BY_OP[op as WorkerMessage['op']] : undefined;
  if (!validate) return { ok: false, problem: `unknown op ${JSON.stringify(op)} (expected one of ${Object.keys(BY_OP).join(', ')})` };
  if (validate(value)) return { ok: true, message: value as WorkerMessage };
  return { ok: false, problem: `'${op as string}' message: ${describe(validate.errors?.[0])}` };
}

export function readWorkerMessage(line: string): ReadMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: `worker protocol: not a JSON line: ${line.slice(0, 200)}` };
  }
  const checked = validateWorkerMessage(value);
  if (checked.ok) return { message: checked.message };
  const problem = `worker protocol: ${checked.problem}`;
  const raw = value as { op?: unknown; key?: unknown };
  if (typeof raw?.key === 'string' && raw.key) {
    if (raw.op === 'finished') return { problem, message: { op: 'finished', key: raw.key, exit_code: null, signal: null, result: null } };
    return { problem, message: { op: 'log', key: raw.key, stream: 'stderr', line: problem, ts: Date.now() } };
  }
  if (raw?.op === 'ready' || raw?.op === 'init_error') return { problem, message: { op: 'init_error', error: problem } };
  return { problem };
}
