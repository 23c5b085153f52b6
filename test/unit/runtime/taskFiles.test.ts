import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LocalLayout } from '../../../src/datastore/localLayout';
import { PathspecError, resolveTasks } from '../../../src/datastore/taskFiles';

describe('resolving a pathspec to task directories', () => {
  it('refuses . and .. components instead of reading outside the datastore', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-files-'));
    try {
      const root = path.join(dir, 'ds', '.metaflow');
      fs.mkdirSync(path.join(root, 'F', '1', 'start', '1'), { recursive: true });
      // A directory outside the root that `..` components would reach.
      fs.mkdirSync(path.join(dir, 'ds', 'x', 'start', '7'), { recursive: true });
      const layout = new LocalLayout(root);
      assert.equal(resolveTasks(layout, 'F/1/start').length, 1);
      assert.throws(() => resolveTasks(layout, '../x/start/7'), (err: Error) => err instanceof PathspecError && /'\.\.\/x\/start\/7'.*\.\./.test(err.message));
      assert.throws(() => resolveTasks(layout, 'F/../F/start'), PathspecError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
