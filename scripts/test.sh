#!/usr/bin/env bash
# `npm test`: installs what the tests need (scripts/setup.sh), then runs every suite (scripts/test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/test.mjs "$@"
