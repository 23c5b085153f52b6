// A RunEvent stream that can be listened to and iterated (`for await`), with nothing lost in between.
import type { RunEvent } from './events';

export class EventStream implements AsyncIterable<RunEvent> {
  private readonly listeners: Array<(e: RunEvent) => void> = [];
  private readonly buffered: RunEvent[] = [];
  private readonly waiting: Array<(r: IteratorResult<RunEvent>) => void> = [];
  private iterated = false;
  private closed = false;

  emit(event: RunEvent): void {
    for (const l of this.listeners) l(event);
    if (!this.iterated) return;
    const w = this.waiting.shift();
    if (w) w({ value: event, done: false });
    else this.buffered.push(event);
  }

  on(listener: (e: RunEvent) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    this.iterated = true;
    return {
      next: () => {
        const e = this.buffered.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
    };
  }
}
