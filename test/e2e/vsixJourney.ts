// The packaged extension: `vsce package` makes a small .vsix that `code-server --install-extension`
// installs, and the installed copy (no repository behind it) analyses a flow on its own.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedExtensionName } from '../support/codeServer';
import { REPO_ROOT, withVsCode } from './harness';

export async function vsixJourney(shots: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'metaflow-studio-vsix-'));
  try {
    const vsix = join(dir, 'metaflow-studio.vsix');
    const vsce = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    const packaged = spawnSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(packaged.status, 0, `vsce package failed:\n${packaged.stdout}${packaged.stderr}`);
    const size = statSync(vsix).size;
    // The unminified build: the language service, layout, Azure SDKs, one lazily loaded copy of the Kubernetes client
    // and the compiled Argo schema come to about 3 MB zipped (a `npm run package` build, minified, to about 2.2 MB).
    assert.ok(size < 3_200_000, `the .vsix stays small (${size} bytes)`);
    const listed = spawnSync(process.execPath, [vsce, 'ls'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const files = listed.stdout.split('\n').filter(Boolean);
    for (const wanted of ['package.json', 'dist/extension.js', 'dist/kubeClient.js', 'dist/argoValidators.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm', 'dist/webview/main.js']) {
      assert.ok(files.includes(wanted), `${wanted} is packaged`);
    }
    for (const file of files) assert.match(file, /^(dist|media)\/|^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md|\.txt)?)$/, `unexpected file in the .vsix: ${file}`);
    assert.ok(!files.some((f) => f.endsWith('.map') || f.endsWith('.ts')), 'no sources or source maps');

    await withVsCode(
      shots,
      async ({ workbench, server, openWorkspace }) => {
        await openWorkspace('train_flow.py');
        await workbench.openFile('train_flow.py', 'class TrainFlow');
        await workbench.codeLens('Show DAG').waitFor();
        assert.ok(readdirSync(server.extensionsDir).includes(installedExtensionName(REPO_ROOT)), 'installed from the .vsix');
        await workbench.screenshot(shots, '06-installed-vsix');
      },
      { server: { vsixFiles: [vsix] }, developmentExtension: false },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
