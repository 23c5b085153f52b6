// The `project:` and `project_branch:` system tags Metaflow puts on a run of a `@project` flow, from the
// decorator's literal attributes and the `--branch`/`--production` options' variables (METAFLOW_BRANCH,
// METAFLOW_PRODUCTION). The tasks compute the same names in Python for `current` (and refuse bad ones
// with a message); this side only tags the run and its steps, so a name it cannot know statically
// (a `config_expr`, a variable set by the flow file as it loads) gives no tag here rather than a guess.
import type { DecoratorInfo, FlowInfo, LiteralValue } from '../flow/types';

const VALID_NAME = /^[a-z0-9_]{1,128}$/;
const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off', '']);

function literal(deco: DecoratorInfo, key: string): LiteralValue | undefined {
  return Object.prototype.hasOwnProperty.call(deco.attributes, key) ? deco.attributes[key] : undefined;
}

export function projectSystemTags(flow: FlowInfo, user: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const deco = flow.decorators.find((d) => d.name === 'project');
  if (!deco) return [];
  const name = literal(deco, 'name');
  if (typeof name !== 'string' || !VALID_NAME.test(name)) return [];
  const givenBranch = literal(deco, 'branch');
  const givenProduction = literal(deco, 'production');
  const envProduction = (env.METAFLOW_PRODUCTION ?? '').trim().toLowerCase();
  if (!TRUE.has(envProduction) && !FALSE.has(envProduction)) return [];
  const branch = givenBranch === undefined ? env.METAFLOW_BRANCH || null : givenBranch;
  const production = givenProduction === undefined ? TRUE.has(envProduction) : givenProduction;
  if (typeof production !== 'boolean' || (branch !== null && typeof branch !== 'string')) return [];
  let branchName: string;
  if (branch) {
    if (!VALID_NAME.test(branch)) return [];
    branchName = `${production ? 'prod' : 'test'}.${branch}`;
  } else branchName = production ? 'prod' : `user.${env.METAFLOW_OWNER ?? user}`;
  return [`project:${name}`, `project_branch:${branchName}`];
}
