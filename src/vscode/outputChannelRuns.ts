// The "Metaflow" Output channel: what runs print, as it arrives. Lines of one tick are appended together
// (one `append` per tick, not per line), so a busy run stays cheap and nothing waits longer than a tick.
// It is a plain channel rather than a log channel: a log channel would put a timestamp and a level before
// every printed line. The extension's own diagnostics go to a separate log channel for the same reason.
import * as vscode from 'vscode';
import type { EventStream } from '../runtime/eventStream';
import { RunOutputFormatter } from './outputChannelFormat';

export const RUN_OUTPUT_CHANNEL = 'Metaflow';

/** What was appended, in order; for other extensions and the extension's tests. */
export interface RunOutputAppended {
  text: string;
  /** `Date.now()` when the text was handed to the channel. */
  at: number;
}

export class RunOutputChannel implements vscode.Disposable {
  private readonly channel: vscode.OutputChannel;
  private readonly appended = new vscode.EventEmitter<RunOutputAppended>();
  private pending: string[] = [];
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  readonly onDidAppend = this.appended.event;

  constructor(channel?: vscode.OutputChannel) {
    this.channel = channel ?? vscode.window.createOutputChannel(RUN_OUTPUT_CHANNEL);
  }

  /** Writes every event of `events` as it comes; a formatter per run keeps foreach indices apart. */
  follow(events: EventStream): void {
    const formatter = new RunOutputFormatter();
    events.on((e) => {
      const lines = formatter.format(e);
      if (lines.length > 0) this.write(lines);
    });
  }

  /** A line of the extension's own about a run (refusals, the terminal engine). */
  note(line: string): void {
    this.write([line]);
  }

  show(): void {
    this.channel.show(true);
  }

  private write(lines: string[]): void {
    for (const line of lines) this.pending.push(line);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.channel.append(text);
    this.appended.fire({ text, at: Date.now() });
  }

  dispose(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.flush();
    this.appended.dispose();
    this.channel.dispose();
  }
}
