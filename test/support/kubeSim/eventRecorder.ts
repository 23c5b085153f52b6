// Core v1 Events as the kubelet, scheduler and job controller record them, aggregated as the real event
// recorder does: a repeat of the same reason and message for the same object bumps `count` and
// `lastTimestamp` instead of adding an Event.
import { randomBytes } from 'node:crypto';
import { type KubeObject, nowRfc3339, type ObjectStore } from './objectStore';

export const EVENTS = '/events';

export type EventSource = { component: string; host?: string };

export class EventRecorder {
  constructor(private readonly store: ObjectStore) {}

  record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
    const ns = object.metadata.namespace ?? 'default';
    const existing = this.store
      .list(EVENTS, ns)
      .find((e) => {
        const inv = e.involvedObject as { uid?: string; fieldPath?: string };
        return inv.uid === object.metadata.uid && e.reason === reason && e.message === message && inv.fieldPath === fieldPath;
      });
    const now = nowRfc3339();
    if (existing) {
      this.store.mutate(EVENTS, ns, existing.metadata.name!, (e) => {
        e.count = Number(e.count ?? 1) + 1;
        e.lastTimestamp = now;
      });
      return;
    }
    const involvedObject: Record<string, string> = {
      kind: String(object.kind),
      namespace: ns,
      name: object.metadata.name!,
      uid: object.metadata.uid!,
      apiVersion: String(object.apiVersion),
      resourceVersion: object.metadata.resourceVersion!,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    this.store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${object.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject,
      reason,
      message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
  }
}
