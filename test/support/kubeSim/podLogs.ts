// Each container instance's log (stdout and stderr interleaved, line by line, each line stamped when it
// arrived), kept per pod, container and restart count, so `previous` can serve the instance before.
export type LogLine = { time: string; text: string };

/** RFC3339Nano as the kubelet stamps log lines (nanoseconds from the high-resolution clock). */
export function rfc3339Nano(): string {
  const now = Date.now();
  const iso = new Date(now).toISOString().slice(0, 19);
  const nanos = (now % 1000) * 1_000_000 + Number(process.hrtime.bigint() % 1_000_000n);
  return `${iso}.${String(nanos).padStart(9, '0')}Z`;
}

export class ContainerLog {
  readonly lines: LogLine[] = [];
  private readonly partial = { stdout: '', stderr: '' };
  ended = false;
  private readonly listeners = new Set<(line: LogLine | null) => void>();

  write(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.push(`${part}\n`);
  }

  end(): void {
    if (this.ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    this.ended = true;
    for (const l of [...this.listeners]) l(null);
  }

  private push(text: string): void {
    const line = { time: rfc3339Nano(), text };
    this.lines.push(line);
    for (const l of [...this.listeners]) l(line);
  }

  /** Listens for new lines; `null` means the instance ended. */
  follow(listener: (line: LogLine | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  text(): string {
    return this.lines.map((l) => l.text).join('');
  }
}

export class PodLogs {
  private readonly logs = new Map<string, ContainerLog>();

  private key(podUid: string, container: string, instance: number): string {
    return `${podUid}/${container}/${instance}`;
  }

  open(podUid: string, container: string, instance: number): ContainerLog {
    const log = new ContainerLog();
    this.logs.set(this.key(podUid, container, instance), log);
    return log;
  }

  get(podUid: string, container: string, instance: number): ContainerLog | undefined {
    return this.logs.get(this.key(podUid, container, instance));
  }

  /** Ends every log still open for a pod (it was deleted) and drops them. */
  forget(podUid: string): void {
    for (const [key, log] of this.logs) {
      if (key.startsWith(`${podUid}/`)) {
        log.end();
        this.logs.delete(key);
      }
    }
  }
}
