// Every verb's options through node's own `parseArgs` tokenizer. Flow parameters (`--alpha 0.1`) are
// options the verb cannot know in advance, so unknown options are collected (with their value) for the
// flow to validate rather than refused here.
import { parseArgs } from 'node:util';
import { UsageError } from './command';

export type OptionTypes = Record<string, { type: 'string' | 'boolean' }>;

export interface ParsedArgs {
  positional: string[];
  /** Every value of each string option, in the order given. */
  options: Map<string, string[]>;
  flags: Set<string>;
  /** Options the verb does not know, each with its value, in the order given (flow parameters). */
  unknown: string[];
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export function parseVerbArgs(args: string[], known: OptionTypes, allowUnknown: boolean): ParsedArgs {
  const { tokens } = parseArgs({ args, options: known, strict: false, allowPositionals: true, tokens: true });
  const parsed: ParsedArgs = { positional: [], options: new Map(), flags: new Set(), unknown: [] };
  // Indexes of arguments already taken as an unknown option's value.
  const consumed = new Set<number>();
  const list: Token[] = tokens ?? [];
  for (let t = 0; t < list.length; t++) {
    const token = list[t];
    if (token.kind === 'option-terminator' || consumed.has(token.index)) continue;
    if (token.kind === 'positional' || !token.rawName.startsWith('--')) {
      // `-1` is a value (a negative number), not a short option: there are none.
      if (token.index === list[t - 1]?.index && token.kind === 'option') continue;
      parsed.positional.push(args[token.index]);
      continue;
    }
    const spec = known[token.name];
    if (spec?.type === 'string') {
      if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
      parsed.options.set(token.name, [...(parsed.options.get(token.name) ?? []), token.value]);
    } else if (spec?.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      parsed.flags.add(token.name);
    } else if (allowUnknown) {
      parsed.unknown.push(args[token.index]);
      const next = args[token.index + 1];
      if (!token.inlineValue && next !== undefined && !next.startsWith('--')) {
        parsed.unknown.push(next);
        consumed.add(token.index + 1);
      }
    } else throw new UsageError(`unknown option ${args[token.index]}`);
  }
  return parsed;
}

export function lastOption(p: ParsedArgs, name: string): string | undefined {
  return p.options.get(name)?.at(-1);
}

export function intOption(p: ParsedArgs, name: string): number | undefined {
  const v = lastOption(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}
