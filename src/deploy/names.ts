// Names of deployed objects (reference §5.1): Argo resource names must be RFC 1123 subdomain-like, short
// enough for the pods Argo derives from them, and stable across deploys so a redeploy replaces the same
// objects. A name the user chose is refused when too long (they meant it); a @project name is shortened
// with a hash so it stays unique.
import { createHash } from 'node:crypto';

export const ARGO_NAME_LIMIT = 45;
const VALID_NAME = /^[a-z]([a-z0-9.-]*[a-z0-9])?$/;

/** RFC 4648 base32 (no padding), as Python's `base64.b32encode`. */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function sha1Base32(text: string): string {
  return base32(createHash('sha1').update(text, 'utf8').digest());
}

/** Resource-name form of any text: leading non-alphanumerics, `_`, `@`, `+` dropped, lower case, no junk around dots. */
export function sanitizeArgoName(text: string): string {
  return text
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[_@+]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]*\.[^a-z0-9]*/g, '.');
}

/** Template and task names inside a workflow: Metaflow's step names with `_` as `-`. */
export function argoStepName(step: string): string {
  return step.replace(/_/g, '-');
}

export interface ProjectNaming {
  project: string;
  /** `user.<name>`, `test.<branch>`, `prod` or `prod.<branch>`. */
  branch: string;
}

/** The @project naming in a run's system tags (src/runtime/projectTags.ts), when the flow has one. */
export function projectNamingOf(tags: string[]): ProjectNaming | undefined {
  const project = tags.find((t) => t.startsWith('project:'))?.slice('project:'.length);
  const branch = tags.find((t) => t.startsWith('project_branch:'))?.slice('project_branch:'.length);
  return project && branch ? { project, branch } : undefined;
}

/** Prefix of a @project deployment's production tokens: one per project and branch (reference §5.3). */
export function projectTokenPrefix(project: ProjectNaming): string {
  return `mfprj-${sha1Base32(`${project.project}.${project.branch}`).slice(0, 16)}`.toLowerCase();
}

export interface WorkflowName {
  name: string;
  /** Prefix of the deployment's production tokens (reference §5.3). */
  tokenPrefix: string;
  isProject: boolean;
  /** The name differs from what was asked for (sanitised or shortened). */
  modified: boolean;
  /** Why the name cannot be deployed, when it cannot. */
  problem?: string;
}

/** Spreads `budget` characters over the parts in proportion to their length, at least `minEach` each. */
function shortenedProjectName(project: ProjectNaming, flowName: string, limit: number): string {
  const parts = [project.project, project.branch, flowName];
  const minEach = 7;
  // Room for the three parts once the hash suffix (`-xxxxx`) and the two dots are counted.
  const room = limit - 6 - 2;
  const spare = room - minEach * parts.length;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const extras = parts.map((p) => Math.floor((spare * p.length) / total));
  while (extras.reduce((a, b) => a + b, 0) < spare) extras[extras.indexOf(Math.min(...extras))] += 1;
  const budgets = extras.map((e) => minEach + e);
  // Head and tail keep both the start and the distinguishing end of a long project or flow name.
  const headTail = (s: string, b: number) => (s.length <= b ? s : s.slice(0, Math.floor(b / 2)) + s.slice(s.length - (b - Math.floor(b / 2))));
  const hash = sha1Base32(`${project.project}.${project.branch}.${flowName}`).slice(0, 5).toLowerCase();
  return `${sanitizeArgoName(`${headTail(parts[0], budgets[0])}.${parts[1].slice(0, budgets[1])}.${headTail(parts[2], budgets[2])}`)}-${hash}`;
}

export function resolveWorkflowName(input: { flowName: string; name?: string; project?: ProjectNaming }): WorkflowName {
  const limit = ARGO_NAME_LIMIT;
  if (input.project) {
    const { project, branch } = input.project;
    const full = `${project}.${branch}.${input.flowName}`;
    const tokenPrefix = projectTokenPrefix(input.project);
    if (input.name !== undefined) {
      return { name: sanitizeArgoName(full), tokenPrefix, isProject: true, modified: true, problem: '--name cannot be used with a @project flow: the name is <project>.<branch>.<Flow>; choose the branch with --branch instead.' };
    }
    if (full.length > limit) return { name: shortenedProjectName(input.project, input.flowName, limit), tokenPrefix, isProject: true, modified: true };
    const name = VALID_NAME.test(full) ? full : sanitizeArgoName(full);
    return { name, tokenPrefix, isProject: true, modified: name !== full };
  }
  if (input.name !== undefined && !VALID_NAME.test(input.name)) {
    return {
      name: sanitizeArgoName(input.name),
      tokenPrefix: input.name.toLowerCase(),
      isProject: false,
      modified: true,
      problem: `--name '${input.name}' contains characters Argo does not allow: use lower case letters, digits, '-' or '.', starting with a letter and ending with a letter or digit.`,
    };
  }
  const chosen = input.name ?? input.flowName;
  const name = VALID_NAME.test(chosen) ? chosen : sanitizeArgoName(chosen);
  const result: WorkflowName = { name, tokenPrefix: chosen.toLowerCase(), isProject: false, modified: name !== chosen };
  if (chosen.length > limit) {
    result.problem = `The workflow name '${chosen}' is ${chosen.length} characters long; Argo Workflows names may have at most ${limit}. Give a shorter one with --name.`;
  }
  return result;
}

/** The Sensor of a template: Argo Events names may not contain dots. */
export function sensorName(templateName: string): string {
  return templateName.replace(/\./g, '-');
}
