import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test/fixtures/**', '.test-runs/**', 'src/runtime/python/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', performance: 'readonly', URL: 'readonly' } },
    rules: {
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only the VS Code layer may import vscode: everything else must run (and be tested) in plain Node.
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension.ts and src/vscode/** may import vscode.' }] }],
    },
  },
  {
    files: ['src/extension.ts', 'src/vscode/**/*.ts', 'test/vscode/**/*.ts', 'bench/support/extensionHostProbe.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', acquireVsCodeApi: 'readonly', requestAnimationFrame: 'readonly', getComputedStyle: 'readonly', Blob: 'readonly' } },
  },
);
