// `metaflow-studio run` in a terminal: a progress line on stderr, redrawn in place and cleared before
// the output it would mix with, then a summary line folded from the run's events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CliIO } from '../../../src/cli/command';
import { runCommands } from '../../../src/cli/runCommands';
import { testEnv, type Workspace, workspace } from '../runtime/harness';

function io(ws: Workspace, tty: boolean) {
  const out: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
  const cli: CliIO = {
    stdout: (text) => out.push({ stream: 'stdout', text }),
    stderr: (text) => out.push({ stream: 'stderr', text }),
    cwd: ws.dir,
    env: testEnv(ws),
    onInterrupt: () => undefined,
    stderrTTY: tty ? { columns: () => 120 } : undefined,
  };
  return { cli, out };
}

const run = runCommands.find((c) => c.name === 'run')!;
const CLEAR = '\r\x1b[2K';

describe('the CLI run progress', () => {
  let ws: Workspace;
  before(() => {
    ws = workspace('nested_foreach_flow.py');
  });
  after(() => ws.cleanup());

  it('keeps "Running Flow: done/total tasks" on a terminal and ends with a summary', async () => {
    const { cli, out } = io(ws, true);
    const code = await run.run([ws.flow('nested_foreach_flow.py'), '--max-workers', '2'], cli);
    assert.equal(code, 0, out.map((o) => o.text).join(''));
    const progress = out.filter((o) => o.stream === 'stderr' && o.text.startsWith(CLEAR) && o.text.length > CLEAR.length).map((o) => o.text.slice(CLEAR.length));
    assert.ok(progress.length >= 3, `progress redrawn: ${JSON.stringify(progress)}`);
    for (const p of progress) assert.match(p, /^Starting NestedForeachFlow$|^Running NestedForeachFlow: \d+\/\d+ tasks$/);
    const counts = progress.filter((p) => p.startsWith('Running')).map((p) => p.match(/(\d+)\/(\d+)/)!.slice(1).map(Number));
    for (const [done, total] of counts) assert.ok(done <= total, `${done}/${total}`);
    assert.ok(counts.some(([done]) => done > 0 && done < 13), 'a mid-run count was shown');
    assert.deepEqual(counts.at(-1), [13, 13], 'the last drawn progress has every task');
    // Every batch of output starts with the progress line cleared, so log lines never follow it on one line.
    out.forEach((o, i) => {
      if (o.stream === 'stdout' && i > 0 && out[i - 1].stream === 'stderr' && out[i - 1].text.startsWith(CLEAR) && out[i - 1].text !== CLEAR) {
        assert.fail(`stdout written after a drawn progress line without clearing it: ${JSON.stringify(out.slice(i - 1, i + 1))}`);
      }
    });
    const last = out.at(-1)!;
    assert.equal(last.stream, 'stdout');
    assert.match(last.text, /^NestedForeachFlow\/\d+ succeeded in [\d.]+ m?s: 13 tasks, 13 succeeded, 0 cloned, 0 failed\n$/);
    assert.equal(out.at(-2)!.text, CLEAR, 'the progress line is cleared before the summary');
  });

  it('writes no progress when stderr is not a terminal, only the summary line', async () => {
    const { cli, out } = io(ws, false);
    const code = await run.run([ws.flow('nested_foreach_flow.py')], cli);
    assert.equal(code, 0);
    assert.ok(out.every((o) => !o.text.includes('\x1b')), 'no escape sequences');
    assert.ok(out.every((o) => !o.text.includes('Running NestedForeachFlow')));
    assert.match(out.at(-1)!.text, /^NestedForeachFlow\/\d+ succeeded in .*: 13 tasks, 13 succeeded, 0 cloned, 0 failed\n$/);
  });

  it('--json output stays the event stream only', async () => {
    const { cli, out } = io(ws, true);
    const code = await run.run([ws.flow('nested_foreach_flow.py'), '--json'], cli);
    assert.equal(code, 0);
    for (const o of out) {
      assert.equal(o.stream, 'stdout');
      assert.ok(typeof JSON.parse(o.text.trim().split('\n')[0]).event === 'string');
    }
  });
});
