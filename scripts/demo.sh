#!/usr/bin/env bash
# The README's first command: install, build, run an example flow on the embedded runtime, then open
# the extension in a browser-hosted VS Code (code-server on 127.0.0.1) on examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build

# Metaflow refuses to record runs as `root`; a demo on a fresh root shell gets a neutral name instead.
if [ -z "${METAFLOW_USER:-}${SUDO_USER:-}${USERNAME:-}" ] && { [ -z "${USER:-}" ] || [ "${USER:-}" = root ]; }; then
  export METAFLOW_USER=demo
fi

echo
echo "== Running examples/train_sweep_flow.py on the embedded runtime =="
node dist/cli.js run examples/train_sweep_flow.py --epochs 10

echo
echo "== Opening VS Code with Metaflow Studio on examples/ (Ctrl+C to stop) =="
exec node scripts/open-vscode.mjs examples
