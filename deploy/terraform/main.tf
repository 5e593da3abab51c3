# Flagpost on Cloudflare, the same Worker that `npm run deploy` ships from [env.production] of
# wrangler.toml: every binding, class, queue, var and cron below has its twin there, and
# test/deploy-drift.test.ts fails when the two stop agreeing. Terraform uploads the bundle that
# wrangler builds; the D1 schema is applied by `wrangler d1 migrations apply` (see docs/deploying.md).

locals {
  queue_name             = "${var.name}-deliveries"
  dead_letter_queue_name = "${var.name}-deliveries-dlq"
  bundle_path            = coalesce(var.bundle_path, "${path.module}/../../dist/index.js")
}

resource "cloudflare_d1_database" "flagpost" {
  account_id = var.account_id
  name       = var.name

  # Reads run on D1 sessions (src/db/sessions.ts), so replicas serve them near the caller while a
  # client still reads its own writes.
  read_replication = {
    mode = var.d1_read_replication
  }

  # Replacing the database would drop every organization, flag and delivery log.
  lifecycle {
    prevent_destroy = true
  }
}

resource "cloudflare_queue" "deliveries" {
  account_id = var.account_id
  queue_name = local.queue_name
}

# Messages the consumer still failed after max_retries, kept for inspection.
resource "cloudflare_queue" "deliveries_dead_letter" {
  account_id = var.account_id
  queue_name = local.dead_letter_queue_name
}

resource "cloudflare_workers_script" "flagpost" {
  account_id  = var.account_id
  script_name = var.name

  # content_file with its hash keeps the bundle out of the state and re-uploads when it changes.
  content_file   = local.bundle_path
  content_sha256 = filesha256(local.bundle_path)
  main_module    = "index.js"

  compatibility_date  = "2026-10-20"
  compatibility_flags = ["nodejs_compat", "global_fetch_strictly_public"]

  bindings = [
    {
      name = "DB"
      type = "d1"
      id   = cloudflare_d1_database.flagpost.id
    },
    {
      name       = "PROJECTS"
      type       = "durable_object_namespace"
      class_name = "ProjectDO"
    },
    {
      name       = "STREAMS"
      type       = "durable_object_namespace"
      class_name = "StreamsDO"
    },
    {
      name       = "DELIVERIES"
      type       = "queue"
      queue_name = cloudflare_queue.deliveries.queue_name
    },
    {
      name         = "RATE_LIMITER"
      type         = "ratelimit"
      namespace_id = "1001"
      simple = {
        limit  = 1200
        period = 60
      }
    },
    {
      name         = "SDK_RATE_LIMITER"
      type         = "ratelimit"
      namespace_id = "1002"
      simple = {
        limit  = 6000
        period = 60
      }
    },
    {
      name = "SDK_RATE_LIMIT_PER_MINUTE"
      type = "plain_text"
      text = "6000"
    },
    {
      name = "EVENT_STREAM_SHARDS"
      type = "plain_text"
      text = "4"
    },
    {
      name = "RETRY_SCHEDULE_SECONDS"
      type = "plain_text"
      text = "60,300,1800,7200,43200"
    },
    {
      name = "DELIVERY_TIMEOUT_MS"
      type = "plain_text"
      text = "30000"
    },
    {
      name = "ALLOW_INSECURE_WEBHOOK_URLS"
      type = "plain_text"
      text = "false"
    },
    {
      name = "ADMIN_TOKEN"
      type = "secret_text"
      text = var.admin_token
    },
    {
      name = "WEBHOOK_SECRETS_KEY"
      type = "secret_text"
      text = var.webhook_secrets_key
    },
  ]

  # Durable Object migrations, in step with [[env.production.migrations]] in wrangler.toml: this
  # module creates the Worker with every class at once (the latest tag). A Worker this module deployed
  # at v1 upgrades with old_tag = "v1" and StreamsDO alone as the new class.
  migrations = {
    new_tag            = "v2"
    new_sqlite_classes = ["ProjectDO", "StreamsDO"]
  }

  observability = {
    enabled = true
  }
}

# One attempt per message. Failed webhooks are retried on ProjectDO's schedule, not by the queue: its
# own retries only cover an attempt that could not be recorded (a D1 or runtime error). A zero wait
# sends each change's deliveries at once instead of batching them.
resource "cloudflare_queue_consumer" "deliveries" {
  account_id        = var.account_id
  queue_id          = cloudflare_queue.deliveries.id
  type              = "worker"
  script_name       = cloudflare_workers_script.flagpost.script_name
  dead_letter_queue = cloudflare_queue.deliveries_dead_letter.queue_name

  settings = {
    batch_size       = 50
    max_wait_time_ms = 0
    max_retries      = 5
  }
}

# Daily retention sweep of old events and delivery logs.
resource "cloudflare_workers_cron_trigger" "retention" {
  account_id  = var.account_id
  script_name = cloudflare_workers_script.flagpost.script_name

  schedules = [
    {
      cron = "17 3 * * *"
    },
  ]
}

resource "cloudflare_workers_script_subdomain" "flagpost" {
  account_id       = var.account_id
  script_name      = cloudflare_workers_script.flagpost.script_name
  enabled          = var.workers_dev
  previews_enabled = false
}

resource "cloudflare_workers_route" "flagpost" {
  count = var.route_pattern == null ? 0 : 1

  zone_id = var.zone_id
  pattern = var.route_pattern
  script  = cloudflare_workers_script.flagpost.script_name

  lifecycle {
    precondition {
      condition     = var.zone_id != null
      error_message = "route_pattern needs zone_id, the zone it belongs to."
    }
  }
}
