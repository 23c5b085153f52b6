// Metaflow's configuration precedence: env `METAFLOW_*` > nearest `.metaflow/config.json` (walking up
// from the flow's directory) > `~/.metaflowconfig/config[_<profile>].json` > editor settings > defaults.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ConfigSource = 'env' | 'project' | 'profile' | 'settings' | 'default';

export interface ConfigValue {
  value: string;
  source: ConfigSource;
  /** The file the value came from, for messages. */
  file?: string;
}

/** A config file that cannot be used: names the file and, when it is about one entry, the key. */
export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    detail: string,
  ) {
    super(key ? `${file}: key "${key}": ${detail}` : `${file}: ${detail}`);
  }
}

export interface ConfigLoadOptions {
  env: NodeJS.ProcessEnv;
  /** The flow file's directory; the project config is searched from here upwards. */
  startDir: string;
  homeDir: string;
  /** Editor settings already mapped to `METAFLOW_*` names. */
  settings?: Record<string, string>;
  defaults?: Record<string, string>;
}

type JsonScalar = string | number | boolean | null;

function readConfigFile(file: string): Map<string, JsonScalar | object> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigFileError(file, undefined, `cannot be read (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(file, undefined, `is not valid JSON (${(err as Error).message}); fix or remove the file`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigFileError(file, undefined, 'must hold a JSON object of "METAFLOW_<NAME>": value entries');
  }
  return new Map(Object.entries(parsed as Record<string, JsonScalar | object>));
}

/** The nearest `.metaflow/config.json` at or above `startDir`, if any. */
export function findProjectConfig(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, '.metaflow', 'config.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function profileConfigPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  const home = env.METAFLOW_HOME || path.join(homeDir, '.metaflowconfig');
  const profile = env.METAFLOW_PROFILE;
  return path.join(home, profile ? `config_${profile}.json` : 'config.json');
}

export class MetaflowConfig {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly layers: Array<{ source: ConfigSource; file?: string; values: Map<string, JsonScalar | object> }>,
  ) {}

  static load(options: ConfigLoadOptions): MetaflowConfig {
    const layers: Array<{ source: ConfigSource; file?: string; values: Map<string, JsonScalar | object> }> = [];
    const project = findProjectConfig(options.startDir);
    if (project) {
      const values = readConfigFile(project);
      if (values) layers.push({ source: 'project', file: project, values });
    }
    const profileFile = profileConfigPath(options.env, options.homeDir);
    const profile = readConfigFile(profileFile);
    if (profile) layers.push({ source: 'profile', file: profileFile, values: profile });
    else if (options.env.METAFLOW_PROFILE) {
      throw new ConfigFileError(profileFile, undefined, `does not exist, but METAFLOW_PROFILE=${options.env.METAFLOW_PROFILE} asks for it`);
    }
    if (options.settings) layers.push({ source: 'settings', values: new Map(Object.entries(options.settings)) });
    if (options.defaults) layers.push({ source: 'default', values: new Map(Object.entries(options.defaults)) });
    return new MetaflowConfig(options.env, layers);
  }

  /** `name` is the full key, e.g. `METAFLOW_DATASTORE_SYSROOT_LOCAL`. Empty env values count as unset. */
  get(name: string): ConfigValue | undefined {
    const fromEnv = this.env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'env' };
    for (const layer of this.layers) {
      if (!layer.values.has(name)) continue;
      const raw = layer.values.get(name);
      if (raw === null || raw === undefined || raw === '') continue;
      if (typeof raw === 'object') {
        throw new ConfigFileError(layer.file ?? layer.source, name, 'must be a string, number or boolean');
      }
      return { value: String(raw), source: layer.source, file: layer.file };
    }
    return undefined;
  }

  getString(name: string): string | undefined {
    return this.get(name)?.value;
  }

  /** Integer setting; a value that is not a whole number is an error naming where it came from. */
  getInt(name: string): number | undefined {
    const v = this.get(name);
    if (!v) return undefined;
    const n = Number(v.value);
    if (!Number.isInteger(n)) {
      const where = v.source === 'env' ? `environment variable ${name}` : `${v.file ?? v.source}: key "${name}"`;
      throw new Error(`${where}: "${v.value}" is not a whole number`);
    }
    return n;
  }
}
