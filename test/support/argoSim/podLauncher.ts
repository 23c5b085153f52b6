// Runs one Argo container step as a Pod through a Kubernetes API (the simulator's, reached by kubeconfig as
// any client would) and reports how it ended. Output parameters are files the container wrote under its
// emptyDir mounts; where those live is the simulator's business, so the caller says how to read them.
import * as k8s from '@kubernetes/client-node';

export interface PodOutcome {
  podName: string;
  succeeded: boolean;
  exitCode?: number;
  /** Termination message or the reason the pod failed. */
  message?: string;
  /** A file the container wrote at `containerPath` (an emptyDir mount), or undefined when there is none. */
  readOutput(containerPath: string): Promise<string | undefined>;
}

export interface PodLauncher {
  run(pod: k8s.V1Pod, namespace: string): Promise<PodOutcome>;
}

/** Reads `relativePath` inside the pod's volume `volumeName` (where the simulator keeps emptyDirs). */
export type PodFileReader = (pod: k8s.V1Pod, volumeName: string, relativePath: string) => Promise<string | undefined>;

export class KubePodLauncher implements PodLauncher {
  private readonly core: k8s.CoreV1Api;

  constructor(
    kubeconfigPath: string,
    private readonly readFile: PodFileReader,
    private readonly pollMs = 200,
  ) {
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfigPath);
    this.core = config.makeApiClient(k8s.CoreV1Api);
  }

  async run(pod: k8s.V1Pod, namespace: string): Promise<PodOutcome> {
    const created = await this.core.createNamespacedPod({ namespace, body: pod });
    const name = created.metadata!.name!;
    for (;;) {
      const current = await this.core.readNamespacedPod({ name, namespace });
      const phase = current.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        const terminated = current.status?.containerStatuses?.[0]?.state?.terminated;
        return {
          podName: name,
          succeeded: phase === 'Succeeded',
          exitCode: terminated?.exitCode,
          message: terminated?.message ?? current.status?.message ?? current.status?.reason,
          readOutput: (path) => this.readOutput(current, path),
        };
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Argo's executor reads output files from the main container's filesystem: here, the volume mounted there. */
  private async readOutput(pod: k8s.V1Pod, containerPath: string): Promise<string | undefined> {
    const mounts = pod.spec?.containers[0]?.volumeMounts ?? [];
    const mount = mounts
      .filter((m) => containerPath.startsWith(m.mountPath.replace(/\/$/, '') + '/'))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    if (!mount) throw new Error(`argoSim: output ${containerPath} is not under a volume mount of pod ${pod.metadata?.name ?? ''}`);
    return this.readFile(pod, mount.name, containerPath.slice(mount.mountPath.replace(/\/$/, '').length + 1));
  }
}
