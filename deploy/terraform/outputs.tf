output "url" {
  description = "Where Flagpost answers: the route's hostname, else the workers.dev address (when workers_dev_subdomain is set)."
  value = (
    var.route_pattern != null ? "https://${split("/", var.route_pattern)[0]}" :
    var.workers_dev && var.workers_dev_subdomain != null ? "https://${var.name}.${var.workers_dev_subdomain}.workers.dev" :
    null
  )
}

output "d1_database_id" {
  description = "Id of the D1 database bound as DB."
  value       = cloudflare_d1_database.flagpost.id
}

output "d1_database_name" {
  description = "Name of the D1 database, which `wrangler d1 migrations apply` looks up."
  value       = cloudflare_d1_database.flagpost.name
}

output "worker_name" {
  description = "Name of the Worker script."
  value       = cloudflare_workers_script.flagpost.script_name
}

output "queue_names" {
  description = "The deliveries queue and its dead-letter queue."
  value = {
    deliveries  = cloudflare_queue.deliveries.queue_name
    dead_letter = cloudflare_queue.deliveries_dead_letter.queue_name
  }
}
