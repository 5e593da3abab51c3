#!/usr/bin/env bash
# Installs the locked dependencies when they are missing or older than package-lock.json, so that
# `npm start` and `npm test` work as the first command after a clone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/wrangler ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi
