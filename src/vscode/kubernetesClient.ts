// The cluster client of runs and commands started in the editor, loaded on first use: the Kubernetes client
// library takes about 300 ms to load, which an activation (or a run without Kubernetes steps) should not pay.
// The runner asks for its client synchronously, so it gets a stand-in whose calls wait for the load; the
// executor's first call is its awaited pre-flight, so nothing else waits in practice. No `vscode` import.
import type { KubeApi } from '../runtime/workers/kubernetesPool';

export interface KubeTargetLike {
  kubeconfigPath?: string;
  context?: string;
  namespace: string;
}

/** What the loaded module gives: src/kube/kubeClient.ts's `KubeClient.load`. */
export type KubeClientLoader = () => Promise<{ load(target: KubeTargetLike): KubeApi }>;

export function lazyKubeApi(loader: KubeClientLoader, target: KubeTargetLike): KubeApi {
  let loaded: KubeApi | undefined;
  const client = loader().then((module) => (loaded = module.load(target)));
  // An unhandled rejection here would be reported apart from the call that meets it.
  client.catch(() => undefined);
  return {
    get contextName() {
      return loaded?.contextName ?? target.context ?? '';
    },
    preflight: async (input) => (await client).preflight(input),
    createJob: async (ns, job) => (await client).createJob(ns, job),
    deleteJob: async (ns, name) => (await client).deleteJob(ns, name),
    listEvents: async (ns, name) => (await client).listEvents(ns, name),
    readLogs: async (ns, pod, container, opts) => (await client).readLogs(ns, pod, container, opts),
    watchPods(ns, selector, onEvent) {
      let stopped = false;
      let watch: { stop(): void } | undefined;
      void client.then(
        (c) => {
          if (!stopped) watch = c.watchPods(ns, selector, onEvent);
        },
        () => undefined,
      );
      return {
        stop() {
          stopped = true;
          watch?.stop();
        },
      };
    },
    followLogs(ns, pod, container, onLine, opts) {
      let stopped = false;
      let follow: { stop(): void } | undefined;
      const done = client.then((c) => {
        if (stopped) return;
        const started = c.followLogs(ns, pod, container, onLine, opts);
        follow = started;
        return started.done;
      });
      return {
        stop() {
          stopped = true;
          follow?.stop();
        },
        done: done.then(() => undefined),
      };
    },
  };
}
