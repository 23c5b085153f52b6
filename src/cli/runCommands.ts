// `run`, `resume`, `spin`, `dump`, `logs`: the embedded runtime from a terminal.
import type { CliCommand } from './command';

export const runCommands: CliCommand[] = [];
