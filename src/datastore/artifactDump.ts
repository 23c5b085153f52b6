// `dump`: artifact values need unpickling, so the embedded package's inspector loads them from the
// content-addressed store (with the embedded package on PYTHONPATH so Metaflow's own classes load).
import { runInspector } from './pythonInspector';

export interface DumpedArtifact {
  name: string;
  type: string;
  size: number;
  value?: string;
  error?: string;
}

export interface DumpedTask {
  path: string;
  attempt: number | null;
  artifacts: DumpedArtifact[];
  error?: string;
}

export interface DumpRequest {
  root: string;
  flow: string;
  tasks: Array<{ path: string; dir: string }>;
  max_value_size: number;
  include?: string[];
  private?: boolean;
}

export function dumpTasks(python: string, request: DumpRequest, env: NodeJS.ProcessEnv): Promise<DumpedTask[]> {
  return runInspector<DumpedTask[]>(python, ['dump', '-'], env, `the artifacts of ${request.flow}`, JSON.stringify(request));
}
