// Loaded by the VS Code extension host as `extensionTestsPath`: runs every bundled `*.test.js` beside it
// with mocha (tdd) and reports through the host's console; the counts also go to the JSON file named by
// METAFLOW_STUDIO_TEST_RESULTS so the runner outside the host can print them.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.METAFLOW_STUDIO_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const file of readdirSync(__dirname).sort()) if (file.endsWith('.test.js')) mocha.addFile(join(__dirname, file));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const resultsFile = process.env.METAFLOW_STUDIO_TEST_RESULTS;
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ passed: runner.stats?.passes ?? 0, failed: failures, pending: runner.stats?.pending ?? 0 }));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
