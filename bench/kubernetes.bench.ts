// The Kubernetes executor against the simulator (pods are local processes running the real loader with
// the Python Azure SDK, data in Azurite over https with OAuth, workload identity sign-in). Prints JSON lines:
//   - per task: handed to the executor (which then creates its Job) -> pod Running -> result read, and what
//     that adds over the same task run locally;
//   - from a pod's print() to its log event in the run's event stream;
//   - from an unschedulable pod's Job creation to the reason reported in the event stream.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogEvent, RunEvent, TaskFinishedEvent, TaskStartedEvent } from '../src/runtime/events';
import { kubeRunSetup } from '../test/integration/kube/kubernetesRunHarness';
import { finish } from '../test/integration/runtime/harness';

const TASKS = Number(process.env.KUBE_BENCH_TASKS ?? 6);

const FLOW = (kube: boolean) => `import time
from metaflow import FlowSpec, step${kube ? ', kubernetes' : ''}


class KubeBenchFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(${TASKS}))
        self.next(self.body, foreach="items")

${kube ? '    @kubernetes(memory=256)\n' : ''}    @step
    def body(self):
        for i in range(5):
            print("T=%.6f" % time.time(), flush=True)
            time.sleep(0.2)
        self.value = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    KubeBenchFlow()
`;

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const jobCreated: number[] = [];
  const setup = await kubeRunSetup('kube-bench', {
    onRequest: (r) => {
      if (r.method === 'POST' && /\/jobs$/.test(r.path) && r.status === 201) jobCreated.push(Date.now());
    },
  });
  try {
    const runFlow = async (kube: boolean, env: NodeJS.ProcessEnv = {}) => {
      const file = path.join(setup.ws.dir, kube ? 'kube_bench.py' : 'local_bench.py');
      fs.writeFileSync(file, FLOW(kube));
      const received: Array<{ line: string; at: number }> = [];
      const r = await setup.runner(setup.env(env));
      const done = await finish(r.run({ flowFile: file, parameterArgs: [] }), (e: RunEvent) => {
        if (e.event === 'log') received.push({ line: e.line, at: Date.now() });
      });
      return { done, received };
    };

    const local = await runFlow(false);
    if (local.done.result.status !== 'succeeded') throw new Error(`local run failed: ${local.done.result.error}`);
    const kube = await runFlow(true);
    if (kube.done.result.status !== 'succeeded') throw new Error(`Kubernetes run failed: ${kube.done.result.error}`);

    const bodyFinished = (events: RunEvent[]) => events.filter((e): e is TaskFinishedEvent => e.event === 'task_finished' && e.step === 'body');
    const kubeFinished = bodyFinished(kube.done.events);
    const started = new Map(kube.done.events.filter((e): e is TaskStartedEvent => e.event === 'task_started').map((e) => [e.pathspec, e.ts]));
    const toRunning = kubeFinished.map((f) => started.get(f.pathspec)! - (f.ts - f.duration_ms));
    emit('kubernetes_task_submit_to_running', median(toRunning), 'ms', { tasks: kubeFinished.length, max: Math.max(...toRunning) });
    emit('kubernetes_task_submit_to_result', median(kubeFinished.map((f) => f.duration_ms)), 'ms', { tasks: kubeFinished.length });
    const localMedian = median(bodyFinished(local.done.events).map((f) => f.duration_ms));
    emit('local_task_duration_same_step', localMedian, 'ms');
    emit('kubernetes_task_overhead_vs_local', median(kubeFinished.map((f) => f.duration_ms)) - localMedian, 'ms', {
      note: 'simulator pods are fresh interpreters that download and unpack the code package',
    });

    const delays = kube.received
      .map(({ line, at }) => ({ m: /^T=(\d+\.\d+)$/.exec(line), at }))
      .filter((x) => x.m)
      .map(({ m, at }) => at - Number(m![1]) * 1000);
    emit('kubernetes_print_to_log_event', median(delays), 'ms', { lines: delays.length, max: Math.round(Math.max(...delays)) });

    const fault = setup.sim.faults.unschedulable({});
    try {
      jobCreated.length = 0;
      let reasonAt = 0;
      const file = path.join(setup.ws.dir, 'kube_bench.py');
      const r = await setup.runner(setup.env({ METAFLOW_STUDIO_KUBERNETES_PENDING_TIMEOUT: '15' }));
      await finish(r.run({ flowFile: file, parameterArgs: [] }), (e: RunEvent, cancel) => {
        if (e.event === 'log' && !reasonAt && /is pending: /.test((e as LogEvent).line)) {
          reasonAt = Date.now();
          cancel();
        }
      });
      if (!reasonAt || jobCreated.length === 0) throw new Error('no pending reason was reported');
      emit('kubernetes_unschedulable_to_reason', reasonAt - jobCreated[0], 'ms');
    } finally {
      fault.remove();
    }
  } finally {
    await setup.dispose();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
