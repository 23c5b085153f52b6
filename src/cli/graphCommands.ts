// `graph`, `check`, `show`: the language service from a terminal.
import type { CliCommand } from './command';

export const graphCommands: CliCommand[] = [];
