// The system tags that say who made a run, as Metaflow's metadata provider resolves them: `production:<token>`
// when the run belongs to a deployment (METAFLOW_PRODUCTION_TOKEN), else `user:<name>`, and the runtime's name
// (METAFLOW_RUNTIME_NAME, `dev` for a run started by hand). The tasks tag themselves the same way in Python
// (metaflow_studio/task_context.py), so a run and its tasks are found in the same namespace.
export function identitySystemTags(user: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const token = env.METAFLOW_PRODUCTION_TOKEN;
  return [`runtime:${env.METAFLOW_RUNTIME_NAME || 'dev'}`, token ? `production:${token}` : `user:${user}`];
}
