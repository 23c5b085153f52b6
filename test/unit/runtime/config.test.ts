import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { resolveLocalRoot } from '../../../src/config/datastoreRoot';
import { ConfigFileError, MetaflowConfig } from '../../../src/config/metaflowConfig';
import { resolveRuntimeSettings } from '../../../src/config/runtimeSettings';
import { resolveUsername } from '../../../src/config/username';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('config precedence', () => {
  it('takes env over the nearest project config over the profile config over settings', () => {
    const home = path.join(dir, 'home');
    const project = path.join(dir, 'proj', 'sub');
    fs.mkdirSync(project, { recursive: true });
    write(path.join(dir, 'proj', '.metaflow', 'config.json'), JSON.stringify({ METAFLOW_A: 'project', METAFLOW_B: 'project' }));
    write(path.join(home, '.metaflowconfig', 'config.json'), JSON.stringify({ METAFLOW_A: 'profile', METAFLOW_B: 'profile', METAFLOW_C: 'profile' }));
    const config = MetaflowConfig.load({ env: { METAFLOW_A: 'env' }, startDir: project, homeDir: home, settings: { METAFLOW_C: 'settings', METAFLOW_D: 'settings' } });
    assert.equal(config.getString('METAFLOW_A'), 'env');
    assert.equal(config.get('METAFLOW_B')?.source, 'project');
    assert.equal(config.getString('METAFLOW_C'), 'profile');
    assert.equal(config.getString('METAFLOW_D'), 'settings');
    assert.equal(config.getString('METAFLOW_E'), undefined);
  });

  it('reads config_<profile>.json under METAFLOW_HOME', () => {
    const home = path.join(dir, 'mfhome');
    write(path.join(home, 'config_dev.json'), JSON.stringify({ METAFLOW_X: 1 }));
    const config = MetaflowConfig.load({ env: { METAFLOW_HOME: home, METAFLOW_PROFILE: 'dev' }, startDir: dir, homeDir: dir });
    assert.equal(config.getString('METAFLOW_X'), '1');
  });

  it('names the file of a malformed config, and the key of a bad value', () => {
    const bad = write(path.join(dir, '.metaflow', 'config.json'), '{"METAFLOW_A": ');
    assert.throws(() => MetaflowConfig.load({ env: {}, startDir: dir, homeDir: dir }), (err: Error) => err instanceof ConfigFileError && err.message.includes(bad) && /not valid JSON/.test(err.message));
    write(bad, JSON.stringify({ METAFLOW_RUN_MAX_WORKERS: { nested: true }, METAFLOW_USER: 'alice' }));
    const config = MetaflowConfig.load({ env: {}, startDir: dir, homeDir: dir });
    assert.throws(() => config.getInt('METAFLOW_RUN_MAX_WORKERS'), /config.json: key "METAFLOW_RUN_MAX_WORKERS": must be a string, number or boolean/);
    write(bad, JSON.stringify({ METAFLOW_RUN_MAX_WORKERS: 'many' }));
    const again = MetaflowConfig.load({ env: {}, startDir: dir, homeDir: dir });
    assert.throws(() => again.getInt('METAFLOW_RUN_MAX_WORKERS'), /key "METAFLOW_RUN_MAX_WORKERS": "many" is not a whole number/);
    write(bad, '[1, 2]');
    assert.throws(() => MetaflowConfig.load({ env: {}, startDir: dir, homeDir: dir }), /must hold a JSON object/);
  });

  it('resolves runtime defaults and the python setting', () => {
    const config = MetaflowConfig.load({ env: { METAFLOW_STUDIO_PYTHON: '/opt/py/bin/python3' }, startDir: dir, homeDir: dir });
    const s = resolveRuntimeSettings(config, { USER: 'alice' }, 'linux');
    assert.equal(s.python, '/opt/py/bin/python3');
    assert.match(s.pythonSource, /METAFLOW_STUDIO_PYTHON/);
    assert.equal(s.maxWorkers, 16);
    assert.equal(s.maxNumSplits, 100);
    assert.equal(s.workerMode, 'fork-server');
    assert.equal(resolveRuntimeSettings(config, { USER: 'alice' }, 'win32').workerMode, 'process');
  });
});

describe('user name', () => {
  it('follows METAFLOW_USER, SUDO_USER, USERNAME, USER and skips root', () => {
    assert.equal(resolveUsername({ METAFLOW_USER: 'm', SUDO_USER: 's', USER: 'u' }), 'm');
    assert.equal(resolveUsername({ SUDO_USER: 's', USERNAME: 'n', USER: 'u' }), 's');
    assert.equal(resolveUsername({ USERNAME: 'n', USER: 'u' }), 'n');
    assert.equal(resolveUsername({ SUDO_USER: 'root', USER: 'u' }), 'u');
    assert.equal(resolveUsername({ USER: 'root' }, 'fromconfig'), 'fromconfig');
  });

  it('refuses root as the only name and says to set METAFLOW_USER', () => {
    assert.throws(() => resolveUsername({ USER: 'root' }), /only user name found is 'root'.*Set METAFLOW_USER/);
    assert.throws(() => resolveUsername({}), /no user name found.*METAFLOW_USER/);
  });
});

describe('local datastore root', () => {
  it('uses METAFLOW_DATASTORE_SYSROOT_LOCAL/.metaflow when set', () => {
    const r = resolveLocalRoot(path.join(dir, 'a'), path.join(dir, 'sys'));
    assert.equal(r.root, path.join(dir, 'sys', '.metaflow'));
    assert.ok(fs.existsSync(r.root));
  });

  it('finds the nearest .metaflow above the flow, else creates one beside it', () => {
    fs.mkdirSync(path.join(dir, '.metaflow'));
    fs.mkdirSync(path.join(dir, 'x', 'y'), { recursive: true });
    assert.deepEqual(resolveLocalRoot(path.join(dir, 'x', 'y'), undefined), { root: path.join(dir, '.metaflow'), created: false });
    const other = fs.mkdtempSync(path.join(dir, 'o-'));
    const created = resolveLocalRoot(other, undefined, '.metaflow_test_only');
    assert.equal(created.created, true);
    assert.equal(created.root, path.join(other, '.metaflow_test_only'));
  });
});

describe('python interpreter behind a pyenv shim', () => {
  function fakePyenv(): { root: string; shim: string } {
    const root = path.join(dir, 'pyenv');
    const shim = write(path.join(root, 'shims', 'python3'), '#!/usr/bin/env bash\nexec pyenv exec "$0" "$@"\n');
    fs.chmodSync(shim, 0o755);
    for (const v of ['3.9.1', '3.11.7']) fs.chmodSync(write(path.join(root, 'versions', v, 'bin', 'python3'), ''), 0o755);
    write(path.join(root, 'version'), '3.11.7\n');
    return { root, shim };
  }

  it('follows PYENV_VERSION, then the nearest .python-version, then the global version file', async () => {
    const { resolveInterpreter } = await import('../../../src/config/pythonInterpreter');
    const { root } = fakePyenv();
    const project = path.join(dir, 'proj', 'deep');
    fs.mkdirSync(project, { recursive: true });
    const env = { PATH: path.join(root, 'shims'), PYENV_ROOT: root };
    assert.equal(resolveInterpreter('python3', env, project, 'linux').executable, path.join(root, 'versions', '3.11.7', 'bin', 'python3'));
    write(path.join(dir, 'proj', '.python-version'), '3.9.1\n');
    const viaFile = resolveInterpreter('python3', env, project, 'linux');
    assert.equal(viaFile.executable, path.join(root, 'versions', '3.9.1', 'bin', 'python3'));
    assert.equal(viaFile.binDir, path.join(root, 'versions', '3.9.1', 'bin'));
    assert.equal(resolveInterpreter('python3', { ...env, PYENV_VERSION: '3.11.7' }, project, 'linux').executable, path.join(root, 'versions', '3.11.7', 'bin', 'python3'));
  });

  it('keeps the command for system pythons, unknown versions and non-shim interpreters', async () => {
    const { resolveInterpreter } = await import('../../../src/config/pythonInterpreter');
    const { root } = fakePyenv();
    const env = { PATH: path.join(root, 'shims'), PYENV_ROOT: root };
    assert.equal(resolveInterpreter('python3', { ...env, PYENV_VERSION: 'system' }, dir, 'linux').executable, 'python3');
    assert.equal(resolveInterpreter('python3', { ...env, PYENV_VERSION: '2.7.0' }, dir, 'linux').executable, 'python3');
    assert.equal(resolveInterpreter('python3', { PATH: path.join(root, 'versions', '3.9.1', 'bin') }, dir, 'linux').executable, 'python3');
    assert.equal(resolveInterpreter('python3', env, dir, 'win32').executable, 'python3');
  });
});
