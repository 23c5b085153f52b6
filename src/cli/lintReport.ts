// How `check` and `run` report a flow's syntax and lint errors: one line per problem, then a count.
import type { LintError, SyntaxProblem } from '../flow/types';

export interface LintReport {
  /** `FILE:LINE: check_name: message`, syntax errors first. */
  lines: string[];
  /** `N problems found in FILE.` */
  summary: string;
}

export function lintReport(label: string, errors: LintError[], syntax: SyntaxProblem[] = []): LintReport {
  const lines = [
    ...syntax.map((e) => `${label}:${e.range.start.line + 1}: syntax-error: ${e.message}`),
    ...errors.map((e) => `${label}:${e.line}: ${e.check}: ${e.message}`),
  ];
  return { lines, summary: `${lines.length} problem${lines.length === 1 ? '' : 's'} found in ${label}.` };
}
