// Metaflow's user identity rules (`metaflow/util.py get_username`): never `root`.

export class UnknownUserError extends Error {}

const SOURCES = ['METAFLOW_USER', 'SUDO_USER', 'USERNAME', 'USER'] as const;

/** `configUser` is METAFLOW_USER from a config file, used when the env var is absent. */
export function resolveUsername(env: NodeJS.ProcessEnv, configUser?: string): string {
  for (const name of SOURCES) {
    const value = name === 'METAFLOW_USER' ? env[name] || configUser : env[name];
    if (value && value !== 'root') return value;
  }
  const sawRoot = SOURCES.some((n) => env[n] === 'root') || configUser === 'root';
  throw new UnknownUserError(
    sawRoot
      ? "the only user name found is 'root', which Metaflow does not accept as a user. Set METAFLOW_USER to your name (e.g. METAFLOW_USER=alice)."
      : 'no user name found in METAFLOW_USER, SUDO_USER, USERNAME or USER. Set METAFLOW_USER to your name (e.g. METAFLOW_USER=alice).',
  );
}
