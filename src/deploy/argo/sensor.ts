// @trigger / @trigger_on_finish -> an Argo Events Sensor (reference §5.3): one dependency per event,
// filtered on the payload's name (and, for finished runs, Metaflow's own fields), and one trigger that
// submits a Workflow from the template with parameters taken from the payloads.
import { sensorName } from '../names';
import type { FlowEvent } from './triggers';
import type { WorkflowParameter } from './workflowParameters';
import { ARGO_API_VERSION, type Manifest } from './types';

export interface SensorSettings {
  namespace: string;
  workflowNamespace: string;
  eventBus: string;
  eventSource: string;
  eventName: string;
  serviceAccount: string;
}

/** A payload field if present, else Argo Events keeps the parameter's default ("use-default-instead"). */
function dataTemplate(payloadKey: string, json: boolean): string {
  const value = json
    ? `{{- $pv:=(get $.Input.body.payload "${payloadKey}") -}}{{ if kindIs "string" $pv }}{{- $pv | toRawJson -}}{{- else -}}{{ $pv | toRawJson | toRawJson }}{{- end -}}`
    : `{{- (get $.Input.body.payload "${payloadKey}" | toRawJson) -}}`;
  return `{{ if (hasKey $.Input.body.payload "${payloadKey}") }}${value}{{- else -}}{{ (fail "use-default-instead") }}{{- end -}}`;
}

export function sensor(input: {
  templateName: string;
  events: FlowEvent[];
  parameters: WorkflowParameter[];
  settings: SensorSettings;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}): Manifest {
  const { templateName, events, parameters, settings } = input;
  const byLowerName = new Map(parameters.map((p) => [p.name.toLowerCase(), p]));
  const dependencies: Manifest[] = events.map((e) => {
    const exprs: Manifest[] = [{ expr: `name == '${e.name}'`, fields: [{ name: 'name', path: 'body.payload.name' }] }];
    for (const [param, key] of Object.entries(e.parameters)) {
      if (byLowerName.get(param)?.required) exprs.push({ expr: 'true == true', fields: [{ name: 'field', path: `body.payload.${key}` }] });
    }
    for (const [field, value] of Object.entries(e.filters)) exprs.push({ expr: `field == '${value}'`, fields: [{ name: 'field', path: `body.payload.${field}` }] });
    return { name: e.sanitizedName, eventSourceName: settings.eventSource, eventName: settings.eventName, filters: { exprs } };
  });
  const workflowParameters: Manifest[] = [
    ...parameters.map((p) => ({ name: p.name, value: p.value ?? 'null' })),
    ...events.map((e) => ({ name: e.sanitizedName, value: 'null' })),
  ];
  const triggerParameters: Manifest[] = [
    ...events.flatMap((e) =>
      Object.entries(e.parameters).map(([param, key]) => {
        const p = byLowerName.get(param);
        return {
          src: { dependencyName: e.sanitizedName, dataTemplate: dataTemplate(key, p?.type === 'JSON'), value: p?.value ?? 'null' },
          dest: `spec.arguments.parameters.#(name=${p?.name ?? param}).value`,
        };
      }),
    ),
    ...events.map((e) => ({ src: { dependencyName: e.sanitizedName, dataKey: 'body.payload', value: 'null' }, dest: `spec.arguments.parameters.#(name=${e.sanitizedName}).value` })),
  ];
  const workflow = {
    apiVersion: ARGO_API_VERSION,
    kind: 'Workflow',
    metadata: {
      generateName: `${templateName}-`,
      namespace: settings.workflowNamespace,
      annotations: { 'metaflow/triggered_by': JSON.stringify(events.map((e) => ({ name: e.name, type: e.type }))) },
    },
    spec: { arguments: { parameters: workflowParameters }, workflowTemplateRef: { name: templateName } },
  };
  const taskLabels = { 'app.kubernetes.io/name': 'metaflow-sensor', 'app.kubernetes.io/part-of': 'metaflow' };
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'Sensor',
    metadata: { name: sensorName(templateName), namespace: settings.namespace, labels: { ...input.labels, 'app.kubernetes.io/name': 'metaflow-sensor' }, annotations: input.annotations },
    spec: {
      replicas: 1,
      eventBusName: settings.eventBus,
      template: {
        metadata: { labels: taskLabels, annotations: input.annotations },
        serviceAccountName: settings.serviceAccount,
        container: { resources: { requests: { cpu: '100m', memory: '250Mi' }, limits: { cpu: '100m', memory: '250Mi' } } },
      },
      dependencies,
      triggers: [{ template: { name: templateName, k8s: { operation: 'create', source: { resource: workflow }, parameters: triggerParameters } } }],
    },
  };
}
