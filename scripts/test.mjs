// Runs every test stage in order, keeps going after a failure so one run shows everything,
// and ends with one total line. `node scripts/test.mjs unit python` runs only the named stages.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const stages = [
  { name: 'build', cmd: ['npm', 'run', '--silent', 'build'] },
  { name: 'typecheck', cmd: ['npx', 'tsc', '--noEmit', '-p', '.'], then: ['npx', 'tsc', '--noEmit', '-p', 'webview'] },
  { name: 'lint', cmd: ['npx', 'eslint', '.'] },
  { name: 'unit', dir: 'test/unit', cmd: ['node', 'scripts/run-node-tests.mjs', 'test/unit'] },
  { name: 'python', dir: 'test/python', cmd: ['python3', '-m', 'unittest', 'discover', '-s', 'test/python', '-t', '.'] },
  { name: 'integration', dir: 'test/integration', cmd: ['node', 'scripts/run-node-tests.mjs', 'test/integration'] },
  { name: 'vscode', dir: 'test/vscode', cmd: ['node', 'scripts/run-vscode-tests.mjs'] },
  { name: 'e2e', dir: 'test/e2e', cmd: ['node', '--import', 'tsx', 'test/e2e/run.ts'] },
];

/** Reads a runner's own counts from its output: node:test, unittest, or our `name: N passed, N failed` line. */
function countResults(output) {
  const num = (re) => {
    const all = [...output.matchAll(re)];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const nodePass = num(/^(?:# |ℹ )pass (\d+)/gm);
  if (nodePass !== undefined) return { passed: nodePass, failed: num(/^(?:# |ℹ )fail (\d+)/gm) ?? 0 };
  const ran = num(/^Ran (\d+) tests? in/gm);
  if (ran !== undefined) {
    const failures = num(/FAILED \(.*?failures=(\d+)/g) ?? 0;
    const errors = num(/FAILED \(.*?errors=(\d+)/g) ?? 0;
    const skipped = num(/skipped=(\d+)/g) ?? 0;
    return { passed: ran - failures - errors - skipped, failed: failures + errors };
  }
  const line = output.match(/^\w+: (\d+) passed, (\d+) failed/m);
  if (line) return { passed: Number(line[1]), failed: Number(line[2]) };
  return undefined;
}

function run(cmd) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    const relay = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const wanted = process.argv.slice(2);
const summary = [];
let passed = 0;
let failed = 0;
for (const stage of stages) {
  if (wanted.length && !wanted.includes(stage.name)) continue;
  if (stage.dir && !existsSync(stage.dir)) {
    summary.push(`${stage.name}: no tests (${stage.dir} missing)`);
    continue;
  }
  console.log(`\n=== ${stage.name} ===`);
  const started = Date.now();
  let { code, output } = await run(stage.cmd);
  if (code === 0 && stage.then) ({ code, output } = await run(stage.then));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const counts = countResults(output);
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  // A stage that fails without a test count (build, lint, a crashed runner) counts as one failure.
  if (code !== 0 && (!counts || counts.failed === 0)) failed += 1;
  const detail = counts ? `${counts.passed} passed, ${counts.failed} failed` : code === 0 ? 'ok' : `exit ${code}`;
  summary.push(`${stage.name}: ${code === 0 ? 'ok' : 'FAILED'} (${detail}, ${seconds} s)`);
}
console.log(`\n=== summary ===\n${summary.join('\n')}`);
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
