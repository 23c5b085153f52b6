// A DAG task's `depends` (Argo's enhanced depends logic): task names with optional result suffixes,
// combined with &&, ||, ! and parentheses. A bare name means Succeeded, Skipped or Daemoned.
import { UnsupportedFeature } from './expressions';

export type NodePhase = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped' | 'Omitted';

const RESULTS = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed'];

/** The task names a `depends` expression mentions. */
export function dependsOn(expression: string): string[] {
  return [...new Set(tokens(expression).filter((t) => !['&&', '||', '!', '(', ')'].includes(t)).map((t) => split(t, expression)[0]))];
}

/** Whether `expression` holds given the phases of the tasks it names (all of them must be complete). */
export function dependsHolds(expression: string, phases: Map<string, NodePhase>): boolean {
  const toks = tokens(expression);
  let pos = 0;
  const or = (): boolean => {
    let v = and();
    while (toks[pos] === '||') {
      pos++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = not();
    while (toks[pos] === '&&') {
      pos++;
      const r = not();
      v = v && r;
    }
    return v;
  };
  const not = (): boolean => {
    if (toks[pos] === '!') {
      pos++;
      return !not();
    }
    if (toks[pos] === '(') {
      pos++;
      const v = or();
      if (toks[pos++] !== ')') throw new UnsupportedFeature(`unbalanced parentheses in depends: ${expression}`);
      return v;
    }
    const tok = toks[pos++];
    if (tok === undefined) throw new UnsupportedFeature(`incomplete depends: ${expression}`);
    const [task, result] = split(tok, expression);
    const phase = phases.get(task);
    if (phase === undefined) throw new UnsupportedFeature(`depends names unknown task '${task}': ${expression}`);
    if (result === undefined) return phase === 'Succeeded' || phase === 'Skipped';
    if (result === 'AnySucceeded' || result === 'AllFailed') {
      throw new UnsupportedFeature(`depends result .${result} (for fan-out tasks) is not supported: ${expression}`);
    }
    return phase === result;
  };
  const value = or();
  if (pos !== toks.length) throw new UnsupportedFeature(`cannot read depends: ${expression}`);
  return value;
}

function tokens(expression: string): string[] {
  return expression.match(/&&|\|\||!|\(|\)|[^\s&|!()]+/g) ?? [];
}

function split(token: string, expression: string): [string, string | undefined] {
  const dot = token.lastIndexOf('.');
  if (dot < 0) return [token, undefined];
  const result = token.slice(dot + 1);
  if (!RESULTS.includes(result)) throw new UnsupportedFeature(`unknown task result .${result} in depends: ${expression}`);
  return [token.slice(0, dot), result];
}
