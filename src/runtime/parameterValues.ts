// Flow parameters from the command line: `--<name> value`, checked against the flow's declared types
// before anything starts, so a wrong value is reported with the parameter's name.
import type { FlowInfo, LiteralValue, ParameterInfo } from '../flow/types';

export class ParameterError extends Error {}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

function isLiteralDefault(v: LiteralValue | undefined): boolean {
  return v !== undefined && !(typeof v === 'object' && v !== null && '$expr' in v);
}

/**
 * The variable Metaflow's `run` command reads a parameter from when the command line omits it
 * (click's automatic `METAFLOW_RUN_<NAME>`: dashes become underscores, upper case).
 */
export function parameterEnvVar(name: string): string {
  return `METAFLOW_RUN_${name.replace(/-/g, '_').toUpperCase()}`;
}

/** `source` names where the value came from in messages (the option by default). */
export function checkParameterValue(p: ParameterInfo, raw: string, source = `--${p.name}`): void {
  const type = (p.type ?? 'str').replace(/^metaflow\./, '');
  const where = `parameter '${p.name}' (${source})`;
  if (type === 'int') {
    if (!/^[+-]?\d+$/.test(raw.trim())) throw new ParameterError(`${where}: '${raw}' is not a valid integer`);
  } else if (type === 'float') {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw new ParameterError(`${where}: '${raw}' is not a valid float`);
  } else if (type === 'bool') {
    if (!TRUE.has(raw.toLowerCase()) && !FALSE.has(raw.toLowerCase())) throw new ParameterError(`${where}: '${raw}' is not a valid boolean (use true or false)`);
  } else if (type === 'JSONType') {
    try {
      JSON.parse(raw);
    } catch (err) {
      throw new ParameterError(`${where}: '${raw}' is not valid JSON (${(err as Error).message})`);
    }
  }
}

/**
 * Splits `args` into flow parameter values and the remaining (non-parameter) arguments. A parameter the
 * command line omits may come from `env` (`METAFLOW_RUN_<NAME>`): it is checked here, and the task that
 * evaluates parameters reads it itself, since a flow file may also set it in os.environ as it loads.
 */
export function extractParameters(
  flow: FlowInfo,
  args: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { values: Record<string, string>; rest: string[] } {
  const params = flow.parameters.filter((p) => p.kind !== 'Config');
  const byOption = new Map<string, ParameterInfo>();
  for (const p of params) {
    byOption.set(p.name, p);
    byOption.set(p.name.replace(/_/g, '-'), p);
  }
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq >= 0 ? eq : undefined);
    const p = byOption.get(name);
    if (!p && name.startsWith('no-')) {
      const flag = byOption.get(name.slice(3));
      if (flag && (flag.type ?? '') === 'bool') {
        values[flag.name] = 'false';
        continue;
      }
    }
    if (!p) {
      rest.push(a);
      continue;
    }
    if (eq >= 0) values[p.name] = a.slice(eq + 1);
    else if ((p.type ?? '') === 'bool' && (i + 1 >= args.length || args[i + 1].startsWith('--') || (!TRUE.has(args[i + 1].toLowerCase()) && !FALSE.has(args[i + 1].toLowerCase())))) {
      values[p.name] = 'true';
    } else if (i + 1 < args.length) values[p.name] = args[++i];
    else throw new ParameterError(`parameter '${p.name}' (--${p.name}) needs a value`);
  }
  for (const p of params) {
    const envVar = parameterEnvVar(p.name);
    const fromEnv = env[envVar];
    if (values[p.name] !== undefined) checkParameterValue(p, values[p.name]);
    else if (fromEnv) {
      if (p.kind !== 'IncludeFile') checkParameterValue(p, fromEnv, `environment variable ${envVar}`);
    } else if (p.required && !isLiteralDefault(p.default)) {
      throw new ParameterError(`parameter '${p.name}' is required: pass --${p.name} VALUE or set the environment variable ${envVar}`);
    }
  }
  return { values, rest };
}
