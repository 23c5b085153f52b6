// Runs the Playwright journeys in a real VS Code (code-server + Chromium), one fresh instance each.
// Screenshots of every stage are kept in a temp folder (printed). Builds the extension first unless
// `--no-build`. Last line: `e2e: N passed, N failed`; the exit code is non-zero when one failed.
//   node --import tsx test/e2e/run.ts [--grep NAME] [--no-build]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dagJourney, problemsJourney } from './dagJourney';
import { REPO_ROOT, withVsCode } from './harness';
import { vsixJourney } from './vsixJourney';
import { failingFlowJourney, runFlowJourney, runOptions, runStepJourney } from './runJourneys';
import { timelineJourney, timelineOptions } from './timelineJourney';

const journeys: Array<[string, (shots: string) => Promise<void>]> = [
  ['Show DAG from the CodeLens, follow an edit, reveal a step', (shots) => withVsCode(shots, dagJourney)],
  ['a broken flow shows its lint error in the Problems panel', (shots) => withVsCode(shots, problemsJourney)],
  ['the packaged .vsix installs and analyses flows', vsixJourney],
  ['Run flow: form, Output lines, DAG nodes succeeded, Artifact Explorer preview', (shots) => withVsCode(shots, runFlowJourney, runOptions(false))],
  ['Run step: only the middle step runs, as a spin', (shots) => withVsCode(shots, runStepJourney, runOptions(true))],
  ['a failing flow: failed node, traceback in Output, diagnostic in Problems', (shots) => withVsCode(shots, failingFlowJourney, runOptions(true))],
  ['Timeline: one bar per attempt, light and dark themes', (shots) => withVsCode(shots, timelineJourney, timelineOptions)],
];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const grepAt = args.indexOf('--grep');
  const grep = grepAt >= 0 ? args[grepAt + 1] : undefined;
  if (!args.includes('--no-build')) {
    const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) {
      console.error('the extension build failed');
      console.log('e2e: 0 passed, 1 failed');
      return 1;
    }
  }
  const shots = mkdtempSync(join(tmpdir(), 'metaflow-studio-e2e-shots-'));
  let passed = 0;
  let failed = 0;
  for (const [name, journey] of journeys) {
    if (grep && !name.includes(grep)) continue;
    const started = Date.now();
    try {
      await journey(shots);
      passed += 1;
      console.log(`  ✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed += 1;
      console.log(`  ✘ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n    ${err instanceof Error ? (err.stack ?? err.message).replace(/\n/g, '\n    ') : String(err)}`);
    }
  }
  console.log(`screenshots: ${shots}`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
