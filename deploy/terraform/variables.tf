variable "account_id" {
  description = "Cloudflare account that owns the Worker, its D1 database and its queues."
  type        = string
}

variable "name" {
  description = "Name of the Worker and of the D1 database; the queues are <name>-deliveries and <name>-deliveries-dlq. The default matches [env.production] in wrangler.toml, which is where `wrangler d1 migrations apply` looks the database up."
  type        = string
  default     = "flagpost"
}

variable "d1_read_replication" {
  description = "D1 read replication: \"auto\" lets D1 place read replicas near your users, \"disabled\" keeps the primary alone."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "disabled"], var.d1_read_replication)
    error_message = "d1_read_replication is \"auto\" or \"disabled\"."
  }
}

variable "workers_dev" {
  description = "Serve the Worker on https://<name>.<account subdomain>.workers.dev."
  type        = bool
  default     = true
}

variable "workers_dev_subdomain" {
  description = "Your account's workers.dev subdomain (Workers & Pages in the dashboard), only to print the URL output."
  type        = string
  default     = null
}

variable "route_pattern" {
  description = "Optional route on a zone of yours, such as \"flags.example.com/*\". The hostname needs a proxied DNS record."
  type        = string
  default     = null
}

variable "zone_id" {
  description = "Zone of route_pattern; required with it."
  type        = string
  default     = null
}

variable "admin_token" {
  description = "ADMIN_TOKEN: the bearer token of the /api/v1/admin routes. Long and random, for example `openssl rand -hex 32`."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.admin_token) >= 32
    error_message = "admin_token must be at least 32 characters."
  }
}

variable "webhook_secrets_key" {
  description = "WEBHOOK_SECRETS_KEY: the keyring that encrypts webhook secrets at rest, `<keyId>:<base64 of 32 random bytes>[,<older key>…]`, active key first. For example k1:$(openssl rand -base64 32)."
  type        = string
  sensitive   = true

  validation {
    condition = alltrue([
      for entry in split(",", var.webhook_secrets_key) :
      can(regex("^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43}=?$", trimspace(entry)))
    ])
    error_message = "webhook_secrets_key must be <keyId>:<base64 of 32 bytes>, comma-separated, active key first."
  }
}

variable "bundle_path" {
  description = "The Worker bundle that `npx wrangler deploy --dry-run --outdir dist` writes. Defaults to dist/index.js at the root of the repository."
  type        = string
  default     = null
}
