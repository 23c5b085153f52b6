// An interpreter of Argo Workflows for tests: given a WorkflowTemplate and parameters it executes the workflow
// as Argo's controller would (DAG `depends`, `when`, `withParam` fan-out, nested DAG and recursive `steps`
// templates, retries, parameter substitution), running each container template as a Pod through a Kubernetes
// API and reading output parameters from the files the container wrote. Features outside what it implements
// fail the run with UnsupportedFeature, naming the feature.
import type * as k8s from '@kubernetes/client-node';
import { dependsHolds, dependsOn, type NodePhase } from './depends';
import { evaluate, evaluateWhen, type Scope, stringify, substitute, UnsupportedFeature, type Value } from './expressions';
import type { PodLauncher } from './podLauncher';

export { UnsupportedFeature } from './expressions';
export { KubePodLauncher, type PodFileReader, type PodLauncher, type PodOutcome } from './podLauncher';

type Json = Record<string, unknown>;
type Parameter = { name: string; value?: string; default?: string; valueFrom?: Json };

export interface ArgoNode {
  /** Display path, e.g. `ForeachFlow.split-foreach-xs(1:1).body`. */
  name: string;
  template: string;
  phase: NodePhase;
  pods: string[];
  outputs: Record<string, string>;
  message?: string;
}

export interface ArgoRun {
  name: string;
  creationTimestamp: string;
  phase: 'Succeeded' | 'Failed';
  message?: string;
  nodes: ArgoNode[];
}

export interface ArgoRunOptions {
  /** A WorkflowTemplate (or Workflow) object as the compiler emits it. */
  template: Json;
  parameters?: Record<string, string>;
  /** Workflow name (Argo: generateName + 5 characters). */
  name?: string;
  namespace: string;
  launcher: PodLauncher;
  creationTimestamp?: string;
}

const SPEC_KEYS = new Set(['entrypoint', 'arguments', 'templates', 'parallelism', 'serviceAccountName', 'podMetadata', 'workflowMetadata', 'templateDefaults',
  'activeDeadlineSeconds', 'priority', 'podGC', 'ttlStrategy', 'imagePullSecrets', 'nodeSelector', 'tolerations', 'securityContext']);
const TEMPLATE_KEYS = new Set(['name', 'inputs', 'outputs', 'metadata', 'container', 'dag', 'steps', 'volumes', 'nodeSelector', 'tolerations',
  'serviceAccountName', 'activeDeadlineSeconds', 'retryStrategy', 'affinity', 'securityContext', 'automountServiceAccountToken', 'imagePullSecrets']);
const POD_LEVEL_KEYS = ['volumes', 'nodeSelector', 'tolerations', 'serviceAccountName', 'activeDeadlineSeconds', 'affinity', 'securityContext',
  'automountServiceAccountToken', 'imagePullSecrets'];

interface Outcome {
  phase: NodePhase;
  outputs: Record<string, string>;
  message?: string;
}

interface TaskState {
  phase: NodePhase;
  outputs: Record<string, string>;
}

export async function runArgoWorkflow(options: ArgoRunOptions): Promise<ArgoRun> {
  return new Interpreter(options).run();
}

class Interpreter {
  private readonly templates = new Map<string, Json>();
  private readonly spec: Json;
  private readonly name: string;
  private readonly creationTimestamp: string;
  private readonly workflowParameters: Record<string, string> = {};
  private readonly nodes: ArgoNode[] = [];
  private podSeq = 0;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly parallelism: number;

  constructor(private readonly options: ArgoRunOptions) {
    this.spec = (options.template.spec ?? {}) as Json;
    for (const key of Object.keys(this.spec)) {
      if (!SPEC_KEYS.has(key)) throw new UnsupportedFeature(`argoSim: workflow spec field '${key}' is not supported`);
    }
    for (const t of (this.spec.templates ?? []) as Json[]) this.templates.set(String(t.name), t);
    const base = String((options.template.metadata as Json | undefined)?.name ?? 'workflow');
    this.name = options.name ?? `${base}-${Math.random().toString(36).slice(2, 7)}`;
    this.creationTimestamp = options.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const declared = (((this.spec.arguments as Json | undefined)?.parameters ?? []) as Parameter[]);
    const given = options.parameters ?? {};
    for (const p of declared) {
      const value = given[p.name] ?? p.value;
      if (value === undefined) throw new Error(`argoSim: workflow parameter '${p.name}' has no value`);
      this.workflowParameters[p.name] = String(value);
    }
    for (const key of Object.keys(given)) {
      if (!declared.some((p) => p.name === key)) throw new Error(`argoSim: '${key}' is not a parameter of the workflow template`);
    }
    this.parallelism = Number(this.spec.parallelism ?? 0) || Infinity;
  }

  async run(): Promise<ArgoRun> {
    const entry = String(this.spec.entrypoint ?? '');
    const outcome = await this.runTemplate(entry, {}, entry);
    return {
      name: this.name,
      creationTimestamp: this.creationTimestamp,
      phase: outcome.phase === 'Succeeded' ? 'Succeeded' : 'Failed',
      message: outcome.message,
      nodes: this.nodes,
    };
  }

  private template(name: string): Json {
    const t = this.templates.get(name);
    if (!t) throw new Error(`argoSim: no template named '${name}'`);
    for (const key of Object.keys(t)) {
      if (!TEMPLATE_KEYS.has(key)) throw new UnsupportedFeature(`argoSim: template '${name}' uses '${key}', which is not supported`);
    }
    return t;
  }

  private workflowScope(): Scope {
    return {
      workflow: {
        name: this.name,
        namespace: this.options.namespace,
        creationTimestamp: this.creationTimestamp,
        parameters: this.workflowParameters,
      },
    };
  }

  /** `{{...}}` tags every scope knows; undefined for tags the caller resolves (or leaves). */
  private commonTag(path: string, inputs: Record<string, string>, extra: Record<string, string>): string | undefined {
    if (path in extra) return extra[path];
    if (path === 'workflow.name') return this.name;
    if (path === 'workflow.namespace') return this.options.namespace;
    if (path === 'workflow.creationTimestamp') return this.creationTimestamp;
    if (path.startsWith('workflow.parameters.')) {
      const key = path.slice('workflow.parameters.'.length);
      if (!(key in this.workflowParameters)) throw new Error(`argoSim: {{${path}}} names no workflow parameter`);
      return this.workflowParameters[key];
    }
    if (path.startsWith('inputs.parameters.')) {
      const key = path.slice('inputs.parameters.'.length);
      if (!(key in inputs)) throw new Error(`argoSim: {{${path}}} names no input parameter of the template`);
      return inputs[key];
    }
    if (path.startsWith('workflow.') || path.startsWith('inputs.')) throw new UnsupportedFeature(`argoSim: tag {{${path}}} is not supported`);
    return undefined;
  }

  private resolveInputs(template: Json, args: Record<string, string>): Record<string, string> {
    const declared = (((template.inputs as Json | undefined)?.parameters ?? []) as Parameter[]);
    const out: Record<string, string> = {};
    for (const p of declared) {
      const value = args[p.name] ?? p.value ?? p.default;
      if (value === undefined) throw new Error(`argoSim: template '${String(template.name)}' input parameter '${p.name}' was not given`);
      out[p.name] = String(value);
    }
    return out;
  }

  private async runTemplate(name: string, args: Record<string, string>, display: string): Promise<Outcome> {
    const template = this.template(name);
    const inputs = this.resolveInputs(template, args);
    if (template.container) return this.runContainer(template, inputs, display);
    if (template.dag) return this.runDag(template, inputs, display);
    if (template.steps) return this.runSteps(template, inputs, display);
    throw new UnsupportedFeature(`argoSim: template '${name}' is neither container, dag nor steps`);
  }

  private async acquire(): Promise<void> {
    if (this.running < this.parallelism) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private async runContainer(template: Json, inputs: Record<string, string>, display: string): Promise<Outcome> {
    const retry = template.retryStrategy as Json | undefined;
    if (retry) {
      for (const key of Object.keys(retry)) {
        if (!['limit', 'retryPolicy', 'backoff'].includes(key)) throw new UnsupportedFeature(`argoSim: retryStrategy.${key} is not supported`);
      }
      if (retry.retryPolicy !== undefined && !['Always', 'OnFailure', 'OnError'].includes(String(retry.retryPolicy))) {
        throw new UnsupportedFeature(`argoSim: retryPolicy ${String(retry.retryPolicy)} is not supported`);
      }
    }
    const limit = retry ? Number(retry.limit ?? 0) : 0;
    const node: ArgoNode = { name: display, template: String(template.name), phase: 'Failed', pods: [], outputs: {} };
    this.nodes.push(node);
    for (let attempt = 0; attempt <= limit; attempt++) {
      const extra: Record<string, string> = {};
      // Argo defines {{retries}} only in templates with a retryStrategy.
      if (retry) extra.retries = String(attempt);
      const scope: Scope = { ...this.workflowScope(), inputs: { parameters: inputs }, retries: extra.retries };
      const resolved = deepSubstitute(template, scope, (path) => this.commonTag(path, inputs, extra) ?? leaveOrFail(path)) as Json;
      const pod = this.podFor(resolved, display);
      await this.acquire();
      let outcome;
      try {
        outcome = await this.options.launcher.run(pod, this.options.namespace);
      } finally {
        this.release();
      }
      node.pods.push(outcome.podName);
      if (!outcome.succeeded) {
        node.message = `pod ${outcome.podName} failed (exit ${outcome.exitCode ?? '?'}): ${outcome.message ?? ''}`.trim();
        continue;
      }
      const outputs: Record<string, string> = {};
      for (const p of (((resolved.outputs as Json | undefined)?.parameters ?? []) as Parameter[])) {
        const from = p.valueFrom ?? {};
        if (typeof from.path !== 'string') throw new UnsupportedFeature(`argoSim: output parameter '${p.name}' of a container must come from a path`);
        const text = await outcome.readOutput(from.path);
        if (text === undefined && from.default === undefined) {
          node.message = `output parameter '${p.name}': ${from.path} was not written by pod ${outcome.podName}`;
          return { phase: (node.phase = 'Failed'), outputs: {}, message: node.message };
        }
        outputs[p.name] = text ?? String(from.default);
      }
      node.phase = 'Succeeded';
      node.outputs = outputs;
      delete node.message;
      return { phase: 'Succeeded', outputs };
    }
    return { phase: 'Failed', outputs: {}, message: node.message };
  }

  private podFor(resolved: Json, display: string): k8s.V1Pod {
    const meta = (resolved.metadata ?? {}) as Json;
    const podMeta = (this.spec.podMetadata ?? {}) as Json;
    const suffix = String(++this.podSeq);
    const base = `${this.name}-${String(resolved.name)}`.slice(0, 62 - suffix.length).replace(/[^a-z0-9-]/g, '-');
    const spec: Json = {
      restartPolicy: 'Never',
      // templateDefaults' container (the loader command) under the template's own fields, as Argo merges them.
      containers: [{ ...((this.spec.templateDefaults as Json | undefined)?.container as Json | undefined), ...(resolved.container as Json), name: 'main' }],
    };
    if (this.spec.serviceAccountName) spec.serviceAccountName = this.spec.serviceAccountName;
    for (const key of POD_LEVEL_KEYS) if (resolved[key] !== undefined) spec[key] = resolved[key];
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${base}-${suffix}`,
        namespace: this.options.namespace,
        labels: {
          ...(podMeta.labels as Record<string, string> | undefined),
          ...(meta.labels as Record<string, string> | undefined),
          'workflows.argoproj.io/workflow': this.name,
        },
        annotations: {
          ...(podMeta.annotations as Record<string, string> | undefined),
          ...(meta.annotations as Record<string, string> | undefined),
          'workflows.argoproj.io/node-name': display,
        },
      },
      spec: spec as unknown as k8s.V1PodSpec,
    };
  }

  private async runDag(template: Json, inputs: Record<string, string>, display: string): Promise<Outcome> {
    const dag = template.dag as Json;
    for (const key of Object.keys(dag)) {
      if (!['tasks', 'failFast'].includes(key)) throw new UnsupportedFeature(`argoSim: dag.${key} is not supported`);
    }
    const tasks = (dag.tasks ?? []) as Json[];
    const states = new Map<string, TaskState>();
    const pending = new Set(tasks.map((t) => String(t.name)));
    const running = new Map<string, Promise<void>>();
    let failed = false;
    const deps = (t: Json): string[] => {
      for (const key of Object.keys(t)) {
        if (!['name', 'template', 'arguments', 'depends', 'dependencies', 'withParam', 'withItems', 'when'].includes(key)) {
          throw new UnsupportedFeature(`argoSim: DAG task field '${key}' (task ${String(t.name)}) is not supported`);
        }
      }
      if (typeof t.depends === 'string') return dependsOn(t.depends);
      return ((t.dependencies ?? []) as string[]).map(String);
    };
    const scopeOf = (item?: Value): { scope: Scope; tag: (p: string) => string | undefined } => {
      const tasksScope: Record<string, Value> = {};
      // As Argo: a node that did not succeed (skipped, omitted, failed) has a status but no outputs, so `?.outputs` is nil.
      for (const [n, s] of states) tasksScope[n] = s.phase === 'Succeeded' ? { status: s.phase, outputs: { parameters: s.outputs } } : { status: s.phase };
      const scope: Scope = { ...this.workflowScope(), tasks: tasksScope, inputs: { parameters: inputs } };
      const extra: Record<string, string> = {};
      if (item !== undefined) {
        scope.item = item;
        extra.item = stringify(item);
        if (item && typeof item === 'object' && !Array.isArray(item)) for (const [k, v] of Object.entries(item)) extra[`item.${k}`] = stringify(v);
      }
      const tag = (path: string): string | undefined => {
        const m = /^tasks\.([^.]+)\.(status|outputs\.parameters\.(.+))$/.exec(path);
        if (m) {
          const s = states.get(m[1]!);
          if (!s) return undefined;
          if (m[2] === 'status') return s.phase;
          return s.phase === 'Succeeded' ? s.outputs[m[3]!] : undefined;
        }
        return this.commonTag(path, inputs, extra) ?? leaveOrFail(path);
      };
      return { scope, tag };
    };
    while (pending.size || running.size) {
      let progressed = false;
      for (const t of tasks) {
        const name = String(t.name);
        if (!pending.has(name)) continue;
        const needs = deps(t);
        if (!needs.every((d) => states.has(d))) continue;
        pending.delete(name);
        progressed = true;
        if (failed && dag.failFast !== false) {
          states.set(name, { phase: 'Omitted', outputs: {} });
          continue;
        }
        const phases = new Map([...states].map(([n, s]) => [n, s.phase] as [string, NodePhase]));
        const ok = typeof t.depends === 'string' ? dependsHolds(t.depends, phases) : needs.every((d) => ['Succeeded', 'Skipped'].includes(phases.get(d)!));
        if (!ok) {
          states.set(name, { phase: 'Omitted', outputs: {} });
          continue;
        }
        const { scope, tag } = scopeOf();
        if (typeof t.when === 'string' && !evaluateWhen(substitute(t.when, scope, tag))) {
          states.set(name, { phase: 'Skipped', outputs: {} });
          this.nodes.push({ name: `${display}.${name}`, template: String(t.template), phase: 'Skipped', pods: [], outputs: {} });
          continue;
        }
        running.set(name, this.runTask(t, `${display}.${name}`, scopeOf).then((outcome) => {
          states.set(name, { phase: outcome.phase, outputs: outcome.outputs });
          if (outcome.phase === 'Failed' || outcome.phase === 'Errored') failed = true;
          running.delete(name);
        }));
      }
      if (!progressed) {
        if (!running.size) throw new Error(`argoSim: DAG '${display}' is stuck: ${[...pending].join(', ')} wait on tasks that never run`);
        await Promise.race(running.values());
      }
    }
    if (failed) return { phase: 'Failed', outputs: {}, message: `a task of ${display} failed` };
    const { scope, tag } = scopeOf();
    return { phase: 'Succeeded', outputs: this.templateOutputs(template, scope, tag) };
  }

  private async runTask(t: Json, display: string, scopeOf: (item?: Value) => { scope: Scope; tag: (p: string) => string | undefined }): Promise<Outcome> {
    const argsFor = (item?: Value): Record<string, string> => {
      const { scope, tag } = scopeOf(item);
      const out: Record<string, string> = {};
      for (const p of ((((t.arguments as Json | undefined)?.parameters) ?? []) as Parameter[])) {
        if (p.valueFrom) throw new UnsupportedFeature(`argoSim: argument '${p.name}' with valueFrom is not supported`);
        out[p.name] = substitute(String(p.value ?? ''), scope, tag);
      }
      return out;
    };
    if ((t.arguments as Json | undefined)?.artifacts) throw new UnsupportedFeature('argoSim: artifacts are not supported');
    let items: Value[] | undefined;
    if (t.withParam !== undefined) {
      const { scope, tag } = scopeOf();
      const text = substitute(String(t.withParam), scope, tag);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { phase: 'Failed', outputs: {}, message: `withParam of ${display} is not JSON: ${text}` };
      }
      if (!Array.isArray(parsed)) return { phase: 'Failed', outputs: {}, message: `withParam of ${display} is not a JSON list: ${text}` };
      items = parsed as Value[];
    } else if (t.withItems !== undefined) {
      items = t.withItems as Value[];
    }
    if (items === undefined) return this.runTemplate(String(t.template), argsFor(), display);
    if (!items.length) return { phase: 'Skipped', outputs: {} };
    const children = await Promise.all(items.map((item, i) => this.runTemplate(String(t.template), argsFor(item), `${display}(${i}:${stringify(item)})`)));
    const bad = children.find((c) => c.phase === 'Failed' || c.phase === 'Errored');
    if (bad) return { phase: 'Failed', outputs: {}, message: bad.message };
    // Argo aggregates a fan-out's output parameters into JSON lists.
    const outputs: Record<string, string> = {};
    for (const key of Object.keys(children[0]!.outputs)) outputs[key] = JSON.stringify(children.map((c) => c.outputs[key]));
    return { phase: 'Succeeded', outputs };
  }

  private async runSteps(template: Json, inputs: Record<string, string>, display: string): Promise<Outcome> {
    const states = new Map<string, TaskState>();
    const scopeOf = (): { scope: Scope; tag: (p: string) => string | undefined } => {
      const stepsScope: Record<string, Value> = {};
      for (const [n, s] of states) stepsScope[n] = s.phase === 'Succeeded' ? { status: s.phase, outputs: { parameters: s.outputs } } : { status: s.phase };
      const scope: Scope = { ...this.workflowScope(), steps: stepsScope, inputs: { parameters: inputs } };
      const tag = (path: string): string | undefined => {
        const m = /^steps\.([^.]+)\.(status|outputs\.parameters\.(.+))$/.exec(path);
        if (m) {
          const s = states.get(m[1]!);
          if (!s) return undefined;
          if (m[2] === 'status') return s.phase;
          return s.phase === 'Succeeded' ? s.outputs[m[3]!] : undefined;
        }
        return this.commonTag(path, inputs, {}) ?? leaveOrFail(path);
      };
      return { scope, tag };
    };
    for (const group of template.steps as Json[][]) {
      const results = await Promise.all(group.map(async (s) => {
        for (const key of Object.keys(s)) {
          if (!['name', 'template', 'arguments', 'when'].includes(key)) throw new UnsupportedFeature(`argoSim: steps field '${key}' is not supported`);
        }
        const name = String(s.name);
        const { scope, tag } = scopeOf();
        if (typeof s.when === 'string' && !evaluateWhen(substitute(s.when, scope, tag))) {
          this.nodes.push({ name: `${display}.${name}`, template: String(s.template), phase: 'Skipped', pods: [], outputs: {} });
          return [name, { phase: 'Skipped', outputs: {} }] as const;
        }
        const args: Record<string, string> = {};
        for (const p of ((((s.arguments as Json | undefined)?.parameters) ?? []) as Parameter[])) args[p.name] = substitute(String(p.value ?? ''), scope, tag);
        const outcome = await this.runTemplate(String(s.template), args, `${display}.${name}`);
        return [name, outcome] as const;
      }));
      for (const [name, outcome] of results) states.set(name, { phase: outcome.phase, outputs: outcome.outputs });
      const bad = results.find(([, o]) => o.phase === 'Failed' || o.phase === 'Errored');
      if (bad) return { phase: 'Failed', outputs: {}, message: `step ${bad[0]} of ${display} failed` };
    }
    const { scope, tag } = scopeOf();
    return { phase: 'Succeeded', outputs: this.templateOutputs(template, scope, tag) };
  }

  private templateOutputs(template: Json, scope: Scope, tag: (p: string) => string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of (((template.outputs as Json | undefined)?.parameters ?? []) as Parameter[])) {
      const from = p.valueFrom ?? {};
      if (typeof from.parameter === 'string') out[p.name] = substitute(from.parameter, scope, tag);
      else if (typeof from.expression === 'string') out[p.name] = stringify(evaluate(from.expression, scope));
      else throw new UnsupportedFeature(`argoSim: output parameter '${p.name}' of template '${String(template.name)}' has no parameter/expression source`);
    }
    return out;
  }
}

/** References to other tasks' or steps' outputs stay as written when they cannot be resolved (as Argo leaves them). */
function leaveOrFail(path: string): string | undefined {
  if (path.startsWith('tasks.') || path.startsWith('steps.')) return undefined;
  throw new UnsupportedFeature(`argoSim: tag {{${path}}} is not supported`);
}

function deepSubstitute(value: unknown, scope: Scope, tag: (p: string) => string | undefined): unknown {
  if (typeof value === 'string') return substitute(value, scope, tag);
  if (Array.isArray(value)) return value.map((v) => deepSubstitute(v, scope, tag));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, deepSubstitute(v, scope, tag)]));
  }
  return value;
}
