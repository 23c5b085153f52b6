// Runs flows for the Python tests through the production path: LocalRunner, the TypeScript scheduler and
// the real worker pool, exactly as `metaflow-studio run/resume/spin` compose them. One process serves many
// runs (one JSON request per stdin line, one JSON answer per stdout line) so the analyzer loads once.
// The pool is the real one, wrapped only to record what the scheduler sent and what the worker answered,
// through LocalRunner's own pool seam: nothing in production changes for it.
import * as os from 'node:os';
import * as readline from 'node:readline';
import { createFlowAnalyzer } from '../../src/flow/analyzer';
import type { FlowAnalyzer } from '../../src/flow/types';
import type { RunEvent } from '../../src/runtime/events';
import { LocalRunner, type PreparedRun, RunRefused } from '../../src/runtime/localRunner';
import type { TaskResult, TaskSpec } from '../../src/runtime/workerProtocol';
import { ForkServerPool } from '../../src/runtime/workers/forkServerPool';
import { ProcessPerTaskPool } from '../../src/runtime/workers/processPerTaskPool';
import { platformTreeKiller } from '../../src/runtime/workers/processTree';
import type { WorkerLaunchOptions, WorkerPool, WorkerPoolListener, WorkerReady } from '../../src/runtime/workers/workerPool';
import type { RuntimeSettings } from '../../src/config/runtimeSettings';

interface ServiceRequest {
  id: number;
  verb: 'run' | 'resume' | 'spin';
  flowFile: string;
  flowName?: string;
  /** Replaces the service's own environment for this run (the caller sends the whole environment). */
  env: Record<string, string>;
  tags?: string[];
  parameterArgs?: string[];
  step?: string;
  originRunId?: string;
  maxWorkers?: number;
  maxNumSplits?: number;
  until?: string;
}

/** What the worker said, in the worker protocol's own message shapes (the scheduler saw these fields). */
type Traffic =
  | { op: 'task'; key: string; task: TaskSpec }
  | { op: 'started'; key: string; pid: number }
  | { op: 'log'; key: string; stream: 'stdout' | 'stderr'; line: string; ts: number }
  | { op: 'finished'; key: string; exit_code: number | null; signal: string | null; result: TaskResult | null };

interface ServiceAnswer {
  id: number;
  /** Set when the run was refused before anything ran (the CLI's message). */
  refused?: string;
  status?: string;
  error?: string;
  events: RunEvent[];
  traffic: Traffic[];
  worker_mode?: string;
}

class RecordingPool implements WorkerPool {
  constructor(
    private readonly inner: WorkerPool,
    private readonly traffic: Traffic[],
  ) {}

  start(listener: WorkerPoolListener): Promise<WorkerReady> {
    const traffic = this.traffic;
    return this.inner.start({
      started(key, pid) {
        traffic.push({ op: 'started', key, pid });
        listener.started(key, pid);
      },
      log(key, stream, line, ts) {
        traffic.push({ op: 'log', key, stream, line, ts });
        listener.log(key, stream, line, ts);
      },
      finished(key, exitCode, signal, result) {
        traffic.push({ op: 'finished', key, exit_code: exitCode, signal, result });
        listener.finished(key, exitCode, signal, result);
      },
    });
  }

  submit(key: string, task: TaskSpec): void {
    this.traffic.push({ op: 'task', key, task });
    this.inner.submit(key, task);
  }

  kill(key: string): void {
    this.inner.kill(key);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

async function serve(analyzer: FlowAnalyzer, request: ServiceRequest): Promise<ServiceAnswer> {
  const traffic: Traffic[] = [];
  const answer: ServiceAnswer = { id: request.id, events: [], traffic };
  const killer = platformTreeKiller(process.platform);
  const runner = new LocalRunner({
    analyzer,
    env: request.env,
    homeDir: request.env.HOME ?? os.homedir(),
    poolFactory: (options: WorkerLaunchOptions, settings: RuntimeSettings) => {
      answer.worker_mode = settings.workerMode;
      const pool = settings.workerMode === 'fork-server' ? new ForkServerPool(options, killer) : new ProcessPerTaskPool(options, killer);
      return new RecordingPool(pool, traffic);
    },
  });
  const common = {
    flowFile: request.flowFile,
    flowName: request.flowName,
    tags: request.tags ?? [],
    maxWorkers: request.maxWorkers,
    maxNumSplits: request.maxNumSplits,
  };
  let prepared: PreparedRun;
  try {
    if (request.verb === 'run') prepared = runner.run({ ...common, parameterArgs: request.parameterArgs ?? [], until: request.until });
    else if (request.verb === 'resume') prepared = await runner.resume({ ...common, step: request.step, originRunId: request.originRunId });
    else prepared = await runner.spin({ ...common, step: request.step ?? '', originRunId: request.originRunId });
  } catch (err) {
    if (!(err instanceof RunRefused)) throw err;
    answer.refused = err.message;
    return answer;
  }
  prepared.handle.events.on((e: RunEvent) => answer.events.push(e));
  const result = await prepared.handle.done;
  answer.status = result.status;
  answer.error = result.error;
  return answer;
}

async function main(): Promise<void> {
  const analyzer = await createFlowAnalyzer();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  // One run at a time, in the order asked: the Python tests wait for each answer.
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as ServiceRequest;
    let answer: ServiceAnswer;
    try {
      answer = await serve(analyzer, request);
    } catch (err) {
      answer = { id: request.id, refused: `the service failed: ${(err as Error).stack ?? String(err)}`, events: [], traffic: [] };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
}

void main();
