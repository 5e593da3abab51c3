#!/usr/bin/env bash
# `npm start`: install what is missing, apply the D1 migrations to the local database, serve Flagpost
# on wrangler's embedded runtime (D1, Durable Objects and Queues in process), and print a first API key.
# Settings come from environment variables of the same name (see docs/operating.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true
PORT="${PORT:-8787}"
STATE_DIR="${FLAGPOST_STATE_DIR:-.wrangler/state}"

# Every setting of the README's settings table reaches the Worker (test/settings.test.ts compares the lists).
vars=()
for name in RETRY_SCHEDULE_SECONDS DELIVERY_TIMEOUT_MS ALLOW_INSECURE_WEBHOOK_URLS ADMIN_TOKEN RETENTION_DAYS WEBHOOK_AUTO_DISABLE_SECONDS RATE_LIMIT_PER_MINUTE AUTH_FAILURES_PER_MINUTE PUBLIC_URL SDK_RATE_LIMIT_PER_MINUTE EVENT_STREAMS EVENT_STREAM_SHARDS; do
  if [ -n "${!name:-}" ]; then vars+=(--var "$name:${!name}"); fi
done

CI=true wrangler d1 migrations apply DB --local --persist-to "$STATE_DIR" >/dev/null
echo "D1 migrations applied to the local database ($STATE_DIR)."

wrangler dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE_DIR" --show-interactive-dev-session=false \
  ${vars[@]+"${vars[@]}"} &
WRANGLER_PID=$!
trap 'kill "$WRANGLER_PID" 2>/dev/null || true; wait "$WRANGLER_PID" 2>/dev/null || true' EXIT INT TERM

node scripts/local-key.mjs "http://127.0.0.1:$PORT" "${ADMIN_TOKEN:-flagpost-local-admin}" "$STATE_DIR" || true
wait "$WRANGLER_PID"
