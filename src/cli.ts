// `metaflow-studio` command line: the same services as the extension, without vscode.
import { type CliCommand, type CliIO, UsageError } from './cli/command';
import { airflowCommands } from './cli/airflowCommands';
import { argoCommands } from './cli/argoCommands';
import { graphCommands } from './cli/graphCommands';
import { runCommands } from './cli/runCommands';

const commands: CliCommand[] = [...graphCommands, ...runCommands, ...argoCommands, ...airflowCommands];

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: metaflow-studio <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'metaflow-studio <command> --help' for a command's options.\n`;
}

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  // Longest verb first, so `argo-workflows create` wins over a one-word match.
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const listeners: Array<() => void> = [];
  let interrupted = 0;
  const onSignal = () => {
    interrupted += 1;
    if (interrupted > 1) process.exit(130);
    for (const l of listeners) l();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    onInterrupt: (l) => listeners.push(l),
    stderrTTY: process.stderr.isTTY ? { columns: () => process.stderr.columns } : undefined,
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr(`metaflow-studio: unknown command '${argv[0]}'\n\n${helpText()}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    io.stdout(`Usage: metaflow-studio ${found.command.usage}\n`);
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`metaflow-studio ${found.command.name}: ${err.message}\nUsage: metaflow-studio ${found.command.usage}\n`);
      return 2;
    }
    io.stderr(`metaflow-studio ${found.command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`metaflow-studio: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
