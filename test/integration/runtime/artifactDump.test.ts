import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { dumpTasks } from '../../../src/datastore/artifactDump';
import { workerEnv } from '../../../src/runtime/workers/workerPool';
import { PYTHON_DIR, testEnv, workspace } from './harness';

describe('dump of a wide step', () => {
  it('reads the tasks of a 2000-wide foreach step in one request', async () => {
    const ws = workspace();
    try {
      const stepDir = path.join(ws.root, 'WideFlow', '1795000000000000', 'body');
      const tasks = Array.from({ length: 2000 }, (_, i) => {
        const dir = path.join(stepDir, String(i + 1));
        fs.mkdirSync(dir, { recursive: true });
        return { path: `WideFlow/1795000000000000/body/${i + 1}`, dir };
      });
      const env = workerEnv({ pythonPath: PYTHON_DIR, env: testEnv(ws) });
      const dumped = await dumpTasks('python3', { root: ws.root, flow: 'WideFlow', tasks, max_value_size: 10 }, env);
      assert.equal(dumped.length, 2000);
      assert.equal(dumped[1999].path, 'WideFlow/1795000000000000/body/2000');
      assert.match(dumped[0].error ?? '', /no finished attempt/);
    } finally {
      ws.cleanup();
    }
  });
});
