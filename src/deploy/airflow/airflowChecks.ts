// What Airflow cannot run (reference §6), found from the flow model alone so the editor can show it while
// the user types; `compileAirflow` refuses with the same list. Every problem names the step (or decorator,
// or parameter) and its line, and says what to change.
import type { DecoratorInfo, FlowInfo, StepInfo } from '../../flow/types';
import { taskPolicy } from '../../runtime/taskPolicy';
import type { DeployProblem } from '../deployProblem';
import { sensorTasks } from './sensorTasks';

export interface AirflowCheckOptions {
  /** The datastore the DAG's tasks would use; left out (the editor, before any deploy) it is not checked. */
  datastore?: string;
  /** `--name`. */
  name?: string;
  /** `--workflow-timeout` in seconds. */
  workflowTimeout?: number;
  /** `--max-workers`. */
  maxWorkers?: number;
}

const CLOUD_DATASTORES = ['azure', 's3', 'gs'];
/** Airflow's dag_id alphabet (Metaflow checks the same). */
const DAG_ID = /^[A-Za-z0-9_.-]+$/;
const UNSUPPORTED_KUBERNETES = ['use_tmpfs', 'tmpfs_size', 'persistent_volume_claims', 'image_pull_policy'];
const OTHER_COMPUTE: Record<string, string> = { batch: 'AWS Batch', slurm: 'Slurm' };

function decoLine(deco: DecoratorInfo): number {
  return deco.range.start.line + 1;
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && !('$expr' in value)) return Object.keys(value).length > 0;
  return true;
}

function stepProblems(byName: Map<string, StepInfo>, step: StepInfo): DeployProblem[] {
  const out: DeployProblem[] = [];
  const refuse = (message: string, line = step.line) => out.push({ target: 'airflow', step: step.name, line, message });
  if (step.type === 'split-switch') refuse(`Step *${step.name}* is a switch (self.next({...}, condition=...)); Airflow DAGs cannot choose a branch at run time. Deploy this flow to Argo Workflows instead.`);
  if (step.type === 'split-parallel' || step.decorators.some((d) => d.name === 'parallel')) {
    refuse(`Step *${step.name}* uses @parallel (num_parallel=); Airflow cannot start gang-scheduled tasks. Deploy this flow to Argo Workflows or run it with --with kubernetes.`);
  }
  if (step.type === 'split-foreach') {
    if (step.isInsideForeach) refuse(`Step *${step.name}* is a foreach inside another foreach; Airflow maps one level only. Flatten the inner foreach into the outer one.`);
    const body = byName.get(step.next[0]);
    if (body && body.type !== 'join') {
      const after = byName.get(body.next[0]);
      if (body.type !== 'linear' || !after || after.type !== 'join') {
        refuse(
          `The foreach of step *${step.name}* runs *${body.name}* and then ${after ? `*${after.name}*` : 'more steps'} before its join; Airflow maps a single step, so the step after *${step.name}* must be followed directly by the join. Merge the body into one step.`,
        );
      }
    }
  }
  for (const deco of step.decorators) {
    if (deco.name in OTHER_COMPUTE) refuse(`Step *${step.name}* is marked for ${OTHER_COMPUTE[deco.name]} (@${deco.name}); Airflow DAG tasks run on Kubernetes. Remove @${deco.name} (use @kubernetes or @resources).`, decoLine(deco));
    if (deco.name === 'kubernetes') {
      for (const attr of UNSUPPORTED_KUBERNETES) {
        if (truthy(deco.attributes[attr])) refuse(`@kubernetes(${attr}=...) on step *${step.name}* is not supported on Airflow; remove ${attr}.`, decoLine(deco));
      }
    }
  }
  try {
    taskPolicy(step, 'remote');
  } catch (err) {
    refuse((err as Error).message);
  }
  return out;
}

function flowProblems(flow: FlowInfo, options: AirflowCheckOptions): DeployProblem[] {
  const out: DeployProblem[] = [];
  const refuse = (message: string, line = flow.line) => out.push({ target: 'airflow', line, message });
  for (const deco of flow.decorators) {
    if (deco.name === 'trigger' || deco.name === 'trigger_on_finish') refuse(`@${deco.name} starts a flow on an event; Airflow DAGs cannot be triggered by Metaflow events. Remove it or deploy to Argo Workflows.`, decoLine(deco));
    if (deco.name === 'exit_hook') refuse('@exit_hook is not supported on Airflow; remove it or deploy to Argo Workflows.', decoLine(deco));
    if (deco.name === 'schedule' && deco.attributes.timezone !== undefined && deco.attributes.timezone !== null) {
      refuse("@schedule(timezone=...) is not supported on Airflow (a DAG's schedule follows the Airflow installation's timezone); remove timezone=.", decoLine(deco));
    }
  }
  const seen = new Map<string, string>();
  for (const p of flow.parameters) {
    if (p.kind === 'Config') continue;
    const line = p.range.start.line + 1;
    const lower = p.name.toLowerCase();
    if (seen.has(lower)) refuse(`Parameter *${p.name}* is specified twice (also as *${seen.get(lower)}*); parameter names are case-insensitive.`, line);
    seen.set(lower, p.name);
    if (p.default === undefined) refuse(`Parameter *${p.name}* has no default; Airflow DAGs need a default for every parameter. Add default=...`, line);
    else if (typeof p.default === 'object' && p.default !== null && '$expr' in p.default) {
      refuse(`The default of parameter *${p.name}* (${p.default.$expr}) is not a literal; the DAG file needs the value itself. Write it as a literal.`, line);
    }
  }
  const project = flow.decorators.find((d) => d.name === 'project');
  if (options.name !== undefined) {
    if (project) refuse('--name cannot be used with a @project flow: its DAG is named <project>.<branch>.<Flow>.');
    else if (!DAG_ID.test(options.name) || options.name.length > 250) refuse(`--name '${options.name}' is not a valid Airflow dag_id: use letters, digits, '_', '-' and '.', at most 250 characters.`);
  }
  if (options.datastore !== undefined && !CLOUD_DATASTORES.includes(options.datastore)) {
    refuse(
      `Airflow tasks run in pods that cannot see this machine's '${options.datastore}' datastore. Use the Azure datastore: set METAFLOW_DEFAULT_DATASTORE=azure and METAFLOW_DATASTORE_SYSROOT_AZURE (or the settings metaflow.datastore and metaflow.azure.datastoreSysroot).`,
    );
  }
  if (options.workflowTimeout !== undefined && (!Number.isInteger(options.workflowTimeout) || options.workflowTimeout <= 0)) refuse(`--workflow-timeout must be a whole number of seconds above 0, not ${options.workflowTimeout}.`);
  if (options.maxWorkers !== undefined && (!Number.isInteger(options.maxWorkers) || options.maxWorkers <= 0)) refuse(`--max-workers must be a whole number above 0, not ${options.maxWorkers}.`);
  return out;
}

/** Every reason this flow cannot become an Airflow DAG, without compiling it. */
export function checkAirflow(flow: FlowInfo, options: AirflowCheckOptions = {}): DeployProblem[] {
  const byName = new Map(flow.steps.map((s) => [s.name, s]));
  return [...flowProblems(flow, options), ...sensorTasks(flow).problems, ...flow.steps.flatMap((s) => stepProblems(byName, s))];
}

/** True when the flow is written for Airflow: it carries one of the Airflow-only decorators. */
export function usesAirflowDecorators(flow: FlowInfo): boolean {
  return flow.decorators.some((d) => d.name.startsWith('airflow_')) || flow.steps.some((s) => s.decorators.some((d) => d.name.startsWith('airflow_')));
}
