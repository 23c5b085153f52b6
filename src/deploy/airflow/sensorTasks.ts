// `@airflow_external_task_sensor` and `@airflow_s3_key_sensor` (reference §6, §7): flow decorators that
// become Airflow sensor tasks every start waits for. Their arguments go to the sensor operator as written,
// so each is read as a literal here and a wrong one is refused before any file is written.
import { createHash } from 'node:crypto';
import type { DecoratorInfo, FlowInfo, LiteralValue } from '../../flow/types';
import type { DeployProblem } from '../deployProblem';
import type { PythonValue } from './pythonLiteral';

export const SENSOR_DECORATORS = {
  airflow_external_task_sensor: 'ExternalTaskSensor',
  airflow_s3_key_sensor: 'S3KeySensor',
} as const;
export type SensorOperator = (typeof SENSOR_DECORATORS)[keyof typeof SENSOR_DECORATORS];

export interface SensorTask {
  name: string;
  operator: SensorOperator;
  /** Keyword arguments of the sensor operator; `execution_delta` as `{seconds}`. */
  args: Record<string, PythonValue>;
}

const AIRFLOW_STATES = ['queued', 'running', 'success', 'shutdown', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped'];
const COMMON_DEFAULTS: Record<string, PythonValue> = { timeout: 3600, poke_interval: 60, mode: 'reschedule', exponential_backoff: true, pool: null, soft_fail: false };
const OPERATOR_DEFAULTS: Record<SensorOperator, Record<string, PythonValue>> = {
  ExternalTaskSensor: { external_dag_id: null, external_task_ids: null, allowed_states: ['success'], failed_states: null, execution_delta: null, check_existence: true },
  S3KeySensor: { bucket_key: null, bucket_name: null, wildcard_match: false, aws_conn_id: null, verify: null },
};
const TIMEDELTA_UNITS: Record<string, number> = { weeks: 604800, days: 86400, hours: 3600, minutes: 60, seconds: 1, milliseconds: 0.001 };

function isExpr(v: LiteralValue): v is { $expr: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && '$expr' in v;
}

/** `timedelta(hours=1, minutes=30)` as written in the flow (or a number of seconds) -> seconds. */
function timedeltaSeconds(value: LiteralValue): number | undefined {
  if (typeof value === 'number') return value;
  if (!isExpr(value)) return undefined;
  const m = /^(?:datetime\.)?timedelta\((.*)\)$/s.exec(value.$expr.trim());
  if (!m) return undefined;
  let seconds = 0;
  for (const part of m[1].split(',').map((p) => p.trim()).filter(Boolean)) {
    const kv = /^(\w+)\s*=\s*(-?\d+(?:\.\d+)?)$/.exec(part);
    if (!kv || !(kv[1] in TIMEDELTA_UNITS)) return undefined;
    seconds += Number(kv[2]) * TIMEDELTA_UNITS[kv[1]];
  }
  return seconds;
}

function line(deco: DecoratorInfo): number {
  return deco.range.start.line + 1;
}

/** The sensor tasks of a flow, in decorator order, and what is wrong with any of them. */
export function sensorTasks(flow: FlowInfo): { tasks: SensorTask[]; problems: DeployProblem[] } {
  const tasks: SensorTask[] = [];
  const problems: DeployProblem[] = [];
  const sensors = flow.decorators.filter((d) => d.name in SENSOR_DECORATORS);
  sensors.forEach((deco, index) => {
    const operator = SENSOR_DECORATORS[deco.name as keyof typeof SENSOR_DECORATORS];
    const refuse = (message: string) => problems.push({ target: 'airflow', line: line(deco), message: `@${deco.name}: ${message}` });
    const known = { ...COMMON_DEFAULTS, ...OPERATOR_DEFAULTS[operator], name: null, description: null };
    const args: Record<string, PythonValue> = { ...COMMON_DEFAULTS, ...OPERATOR_DEFAULTS[operator] };
    let name: string | undefined;
    for (const [key, value] of Object.entries(deco.attributes)) {
      if (!(key in known)) {
        refuse(`unknown argument '${key}'; it takes ${Object.keys(known).join(', ')}.`);
        continue;
      }
      if (key === 'execution_delta') {
        const seconds = value === null ? null : timedeltaSeconds(value);
        if (seconds === undefined) refuse(`execution_delta must be written as timedelta(...) with literal numbers (or a number of seconds), not ${isExpr(value) ? value.$expr : JSON.stringify(value)}.`);
        else args.execution_delta = seconds === null ? null : { seconds };
        continue;
      }
      if (isExpr(value) || (Array.isArray(value) && value.some(isExpr))) {
        refuse(`${key}=${isExpr(value) ? value.$expr : '[...]'} is not a literal; the DAG file needs the value itself.`);
        continue;
      }
      if (key === 'name') name = typeof value === 'string' ? value : undefined;
      else if (key === 'description') args.doc = value as PythonValue;
      else args[key] = value as PythonValue;
    }
    if (operator === 'ExternalTaskSensor') {
      if (typeof args.external_dag_id !== 'string' || !args.external_dag_id) refuse('external_dag_id is required: the dag_id of the DAG to wait for.');
      const states = typeof args.allowed_states === 'string' ? [args.allowed_states] : args.allowed_states;
      if (Array.isArray(states)) {
        const bad = states.filter((s) => typeof s !== 'string' || !AIRFLOW_STATES.includes(s));
        if (bad.length) refuse(`allowed_states has ${bad.map((b) => JSON.stringify(b)).join(', ')}; Airflow's states are ${AIRFLOW_STATES.join(', ')}.`);
        else args.allowed_states = states;
      } else args.allowed_states = ['success'];
    } else if (args.bucket_key === null || args.bucket_key === '') refuse('bucket_key is required: the key (or keys) to wait for.');
    if (typeof args.mode === 'string' && !['poke', 'reschedule'].includes(args.mode)) refuse(`mode must be 'poke' or 'reschedule', not '${args.mode}'.`);
    for (const [k, v] of Object.entries(args)) if (v === null) delete args[k];
    args.do_xcom_push = true;
    const taskName = name ?? `${operator}-${createHash('md5').update(`${operator}-${index}`).digest('hex').slice(0, 8)}`;
    if (!/^[A-Za-z0-9_.-]{1,250}$/.test(taskName)) refuse(`name '${taskName}' is not a valid Airflow task id (letters, digits, '_', '-', '.').`);
    tasks.push({ name: taskName, operator, args });
  });
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.name) || flow.steps.some((s) => s.name === t.name)) {
      problems.push({ target: 'airflow', message: `Two tasks of the DAG would be named '${t.name}'; give the sensor another name=.` });
    }
    seen.add(t.name);
  }
  return { tasks, problems };
}
