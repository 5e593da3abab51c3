terraform {
  required_version = ">= 1.6"

  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
      # 5.17 is the first release whose cloudflare_workers_script accepts the "ratelimit" binding.
      version = "~> 5.17"
    }
  }
}
