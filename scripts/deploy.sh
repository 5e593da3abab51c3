#!/usr/bin/env bash
# `npm run deploy`: ship [env.production] of wrangler.toml to your Cloudflare account.
# D1 migrations go first, so the code that reaches the edge never runs against an older schema;
# the migrations are additive, so the Worker still running meanwhile keeps working.
# Needs a Cloudflare login (`npx wrangler login`) or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID),
# and the one-time setup in docs/deploying.md (database, queues, secrets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS="${WRANGLER_SEND_METRICS:-false}"
ENV_NAME="${FLAGPOST_DEPLOY_ENV:-production}"

# Without a token, confirm there is a login before touching anything, so a missing one fails here
# with a hint rather than inside wrangler. A token is taken as given: checking it would need
# permissions (user details) that a token scoped to Workers may not have.
if [ -z "${CLOUDFLARE_API_TOKEN:-}" ] && ! wrangler whoami --json >/dev/null 2>&1; then
  echo "deploy: not logged in to Cloudflare. Run 'npx wrangler login', or set CLOUDFLARE_API_TOKEN" >&2
  echo "        (and CLOUDFLARE_ACCOUNT_ID when the token can see more than one account)." >&2
  exit 1
fi

echo "deploy: applying D1 migrations to the remote database (env: $ENV_NAME)…"
# CI=true answers wrangler's "apply these migrations?" prompt, which would stall a pipeline.
CI=true wrangler d1 migrations apply DB --remote --env "$ENV_NAME"

echo "deploy: deploying the Worker (env: $ENV_NAME)…"
# Wrangler warns that ADMIN_TOKEN and WEBHOOK_SECRETS_KEY are top-level vars missing from this
# environment: that is intended. They are secrets in production, set with `wrangler secret put`.
wrangler deploy --env "$ENV_NAME"
