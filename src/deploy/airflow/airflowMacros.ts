// Airflow's Jinja templates for the ids of a Metaflow run (reference §6 IDs). Airflow renders them in the
// operator's `arguments` when the task starts; the filters are the DAG's `user_defined_filters`, defined
// in the generated file (airflowDagRuntime.ts).
export const TASK_ID_XCOM_KEY = 'metaflow_task_id';
export const FOREACH_CARDINALITY_XCOM_KEY = 'metaflow_foreach_cardinality';

/** `airflow-` + the first 12 hex digits of md5("<airflow run_id>-<dag_id>"): one Metaflow run per DAG run. */
export const RUN_ID = 'airflow-{{ [run_id, dag_run.dag_id] | run_id_creator }}';
/** What the pod bootstrap hashes into every task id of the run (podContract `--creation-timestamp`): the DAG run's id, stable across task retries. */
export const RUN_STAMP = '{{ run_id }}';
export const ATTEMPT = '{{ task_instance.try_number - 1 }}';
export const MAP_INDEX = '{{ ti.map_index }}';

/** The Metaflow task id a finished upstream task pushed to XCom. */
function upstreamTaskId(step: string): string {
  return `{{ task_instance.xcom_pull(task_ids='${step}', key='${TASK_ID_XCOM_KEY}') }}`;
}

/** The number of tasks a foreach split fanned out to: the length of the list its operator returned. */
export function splitCardinality(step: string): string {
  return `{{ task_instance.xcom_pull(task_ids='${step}') | length }}`;
}

/** A parameter's value as the start step receives it: JSON, as Argo passes workflow parameters. */
export function parameterValue(name: string): string {
  return `{{ params[${JSON.stringify(name).replace(/"/g, "'")}] | json_dump }}`;
}

export function taskPath(step: string): string {
  return `${RUN_ID}/${step}/${upstreamTaskId(step)}`;
}

/** Several parents (a static join): Metaflow's `prefix:suffix,suffix` form of the paths. */
export function joinedTaskPaths(steps: string[]): string {
  return `${RUN_ID}/:${steps.map((s) => `${s}/${upstreamTaskId(s)}`).join(',')}`;
}
