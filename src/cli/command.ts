// What every `metaflow-studio` verb implements; src/cli.ts dispatches to them.

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Fires on SIGINT/SIGTERM so long-running verbs (run, resume) can cancel cleanly. */
  onInterrupt: (listener: () => void) => void;
  /** Present when stderr is an interactive terminal: long-running verbs keep a progress line there. */
  stderrTTY?: { columns(): number | undefined };
}

export interface CliCommand {
  /** The verb, possibly two words (`argo-workflows create`). */
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A usage error: printed with the verb's usage, exit code 2. */
export class UsageError extends Error {}
