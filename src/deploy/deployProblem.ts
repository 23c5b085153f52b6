// Why a deploy target refuses a flow. Compilers return these instead of emitting half-valid manifests; the
// editor shows them as diagnostics on the named line, the CLI prints them and exits non-zero.

export type DeployTarget = 'argo-workflows' | 'airflow';

export interface DeployProblem {
  target: DeployTarget;
  /** The step the problem is about, when it is about one. */
  step?: string;
  /** 1-based source line (the step's or decorator's or parameter's), as Metaflow reports lines. */
  line?: number;
  /** What is wrong and what to do about it, in one or two sentences. */
  message: string;
}

/** One line per problem, `FILE:LINE: [step S] message`, for the command line. */
export function formatDeployProblem(problem: DeployProblem, file?: string): string {
  const where = [file, problem.line !== undefined ? String(problem.line) : undefined].filter((p) => p !== undefined).join(':');
  const step = problem.step !== undefined ? `step ${problem.step}: ` : '';
  return `${where ? `${where}: ` : ''}${step}${problem.message}`;
}
