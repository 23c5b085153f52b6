// The DAG side of a WorkflowTemplate (reference §5.2): the flow's DAG template, one nested DAG template per
// foreach (fanned out with `withParam`), and a recursive `steps` template per switch that loops to itself.
// Container templates are built apart (containerTemplates.ts); here each step is only a task that names one.
import type { StepInfo } from '../../flow/types';
import { argoStepName } from '../names';
import { type Scopes, TOP } from './scopes';
import { type Manifest, RUN_ID } from './types';

const param = (name: string, value: string): Manifest => ({ name, value });
const fromInputs = (name: string) => `{{inputs.parameters.${name}}}`;
const taskOutput = (step: string, name: string) => `{{tasks.${argoStepName(step)}.outputs.parameters.${name}}}`;

/** The pathspec of a step's task as Argo substitutes it: `argo-<workflow>/<step>/<task id>`. */
function taskPathOf(step: string): string {
  return `${RUN_ID}/${step}/${taskOutput(step, 'task-id')}`;
}

/**
 * Metaflow's `run/:a/id,b/id` list form without the zlib step: compressed text would hide the `{{...}}`
 * placeholders from Argo's substitution. The prefix ends at a `/` so it never cuts into a placeholder.
 */
function joinInputPaths(paths: string[]): string {
  if (paths.length < 2) return paths.join(',');
  let prefix = paths[0];
  for (const p of paths) while (!p.startsWith(prefix)) prefix = prefix.slice(0, -1);
  prefix = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return prefix ? `${prefix}:${paths.map((p) => p.slice(prefix.length)).join(',')}` : paths.join(',');
}

export class DagTemplates {
  constructor(private readonly scopes: Scopes) {}

  build(flowName: string): Manifest[] {
    const templates: Manifest[] = [{ name: flowName, dag: { failFast: true, tasks: this.tasks(TOP) } }];
    for (const split of this.scopes.flow.steps.filter((s) => s.type === 'split-foreach')) templates.push(this.foreachTemplate(split));
    for (const step of this.scopes.flow.steps.filter((s) => this.scopes.isRecursive(s))) templates.push(this.recursiveTemplate(step));
    return templates;
  }

  private tasks(scope: string): Manifest[] {
    const tasks: Manifest[] = [];
    for (const step of this.scopes.stepsIn(scope)) {
      tasks.push(this.task(step));
      if (step.type === 'split-foreach') tasks.push(this.fanOut(step));
    }
    return tasks;
  }

  /** Arguments every step that ends a foreach body passes on, so the join can rebuild its task ids. */
  private bodyEndParams(step: StepInfo): Manifest[] {
    return this.scopes.isLastInBody(step) ? [param('split-index', fromInputs('split-index')), param('root-input-path', fromInputs('input-paths'))] : [];
  }

  private task(step: StepInfo): Manifest {
    const name = argoStepName(step.name);
    if (step.name === this.scopes.flow.start) return { name, template: name };
    const entryOf = this.scopes.bodyEntryOf(step);
    if (entryOf !== undefined) {
      const params = [param('input-paths', fromInputs('input-paths')), param('split-index', fromInputs('split-index'))];
      if (this.scopes.isLastInBody(step)) params.push(param('root-input-path', fromInputs('input-paths')));
      return { name, template: name, arguments: { parameters: params } };
    }
    const joinOf = this.scopes.foreachJoinOf(step);
    if (joinOf !== undefined) {
      const split = this.scopes.step(joinOf);
      return {
        name,
        template: name,
        depends: `${this.scopes.foreachTemplateName(split)}.Succeeded`,
        arguments: { parameters: [param('input-paths', taskPathOf(split.name)), param('split-cardinality', taskOutput(split.name, 'split-cardinality')), ...this.bodyEndParams(step)] },
      };
    }
    const parents = step.inFuncs.filter((p) => p !== step.name);
    const switches = parents.filter((p) => {
      const s = this.scopes.step(p);
      return s.type === 'split-switch' && s.next.includes(step.name);
    });
    // Candidates from steps that ran after a switch come first; the bootstrap keeps the resolved ones (see report on podContract).
    const ordered = [...parents.filter((p) => !switches.includes(p)), ...switches];
    const deps = parents.map((p) => `${argoStepName(p)}.Succeeded`);
    const depends = deps.length === 1 ? deps[0] : step.type === 'join' ? deps.join(' && ') : `(${deps.join(' || ')})`;
    const task: Manifest = {
      name,
      template: name,
      depends,
      arguments: { parameters: [param('input-paths', joinInputPaths(ordered.map(taskPathOf))), ...this.bodyEndParams(step)] },
    };
    if (switches.length > 0) {
      const chosen = switches.map((w) => {
        const t = argoStepName(w);
        return `({{=(tasks['${t}'].status == 'Succeeded' ? tasks['${t}'].outputs.parameters['switch-step'] : nil) == '${step.name}'}})`;
      });
      const ran = parents.filter((p) => !switches.includes(p)).map((p) => `{{tasks.${argoStepName(p)}.status}}==Succeeded`);
      task.when = ran.length > 0 ? `(${ran.join('||')}) || (${chosen.join('||')})` : chosen.join('||');
    }
    return task;
  }

  private fanOut(split: StepInfo): Manifest {
    const name = this.scopes.foreachTemplateName(split);
    return {
      name,
      template: name,
      depends: `${argoStepName(split.name)}.Succeeded`,
      withParam: taskOutput(split.name, 'num-splits'),
      arguments: { parameters: [param('input-paths', taskPathOf(split.name)), param('split-index', '{{item}}')] },
    };
  }

  private foreachTemplate(split: StepInfo): Manifest {
    const body = this.scopes.stepsIn(split.name);
    const last = body.filter((s) => this.scopes.isLastInBody(s)).map((s) => argoStepName(s.name));
    const taskId: Manifest =
      last.length === 1
        ? { parameter: `{{tasks.${last[0]}.outputs.parameters.task-id}}` }
        : { expression: `get((${last.map((l) => `tasks['${l}']?.outputs`).join(' ?? ')})?.parameters, 'task-id')` };
    return {
      name: this.scopes.foreachTemplateName(split),
      inputs: { parameters: [{ name: 'input-paths' }, { name: 'split-index' }] },
      outputs: { parameters: [{ name: 'task-id', valueFrom: taskId }] },
      dag: { failFast: true, tasks: this.tasks(split.name) },
    };
  }

  /** A switch that may choose itself: run the step, then this template again while it keeps choosing itself. */
  private recursiveTemplate(step: StepInfo): Manifest {
    const name = argoStepName(step.name);
    const inForeach = this.scopes.bodyEntryOf(step) !== undefined;
    const splitIndex = inForeach ? [param('split-index', fromInputs('split-index'))] : [];
    const inputs = [{ name: 'input-paths' }, ...(inForeach ? [{ name: 'split-index' }] : [])];
    const last = (output: string) => `(steps['${name}-recursion']?.outputs ?? steps['${name}-internal']?.outputs).parameters['${output}']`;
    return {
      name,
      inputs: { parameters: inputs },
      outputs: { parameters: [{ name: 'task-id', valueFrom: { expression: last('task-id') } }, { name: 'switch-step', valueFrom: { expression: last('switch-step') } }] },
      steps: [
        [{ name: `${name}-internal`, template: `recursive-${name}`, arguments: { parameters: [param('input-paths', fromInputs('input-paths')), ...splitIndex] } }],
        [
          {
            name: `${name}-recursion`,
            template: name,
            when: `{{steps.${name}-internal.outputs.parameters.switch-step}}==${step.name}`,
            arguments: { parameters: [param('input-paths', `${RUN_ID}/${step.name}/{{steps.${name}-internal.outputs.parameters.task-id}}`), ...splitIndex] },
          },
        ],
      ],
    };
  }
}
