#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need, on a fresh Debian machine or a warm one:
# node packages, Debian packages (python3, Chromium, ripgrep, build tools for code-server's native
# modules) and code-server (a real, offline VS Code) into a cache outside the repository.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3
CACHE_DIR="${METAFLOW_STUDIO_CACHE:-$HOME/.cache/metaflow-studio}"
CODE_SERVER_DIR="$CACHE_DIR/code-server-$CODE_SERVER_VERSION"
want_ui="${SETUP_UI:-1}"

log() { printf '[setup] %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(python3 python3-pandas python3-azure)
if [ "$want_ui" = 1 ]; then apt_packages+=(chromium ripgrep libkrb5-dev openssl build-essential); fi
# The Kubernetes simulator's tests run the real kubectl; another package may already own /usr/bin/kubectl.
command -v kubectl >/dev/null || apt_packages+=(kubernetes-client)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing system packages (${missing[*]}) and no apt-get: install them with your package manager"
    exit 1
  fi
fi

# Node packages: reinstall only when package.json or the lock changed since the last install.
stamp=node_modules/.install-stamp
sum=$(cat package.json package-lock.json 2>/dev/null | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  log "installing node packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  echo "$sum" > "$stamp"
fi

if [ "$want_ui" = 1 ] && [ ! -f "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" ]; then
  log "installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (a few minutes, once)"
  # @vscode/ripgrep's postinstall downloads ripgrep unless its cache already holds the archive:
  # feed it Debian's rg so the install works offline.
  tmp=$(mktemp -d)
  rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rg_cache"
  cp "$(command -v rg)" "$tmp/rg"
  tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp" rg
  rm -rf "$tmp" "$CODE_SERVER_DIR.partial"
  mkdir -p "$CODE_SERVER_DIR.partial"
  (
    cd "$CODE_SERVER_DIR.partial"
    npm init -y >/dev/null
    node_headers=/usr
    [ -d /usr/include/node ] || node_headers="$(dirname "$(dirname "$(command -v node)")")"
    npm_config_yes=true npm_config_unsafe_perm=true npm_config_nodedir="$node_headers" \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  )
  rm -rf "$CODE_SERVER_DIR"
  mv "$CODE_SERVER_DIR.partial" "$CODE_SERVER_DIR"
fi
if [ "$want_ui" = 1 ]; then
  node "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" --version >/dev/null
fi
log "ready"
