#!/usr/bin/env bash
# `terraform fmt -check` over this module, for CI and for .ci/run. Terraform is not an npm package, so
# a machine without it (or OpenTofu, whose fmt is the same) skips the check and says so instead of
# failing; the GitHub workflow installs Terraform and always runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CHECKPOINT_DISABLE=1 # no version check over the network
for tool in terraform tofu; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "check-fmt: $tool fmt -check -recursive deploy/terraform"
    exec "$tool" fmt -check -recursive -diff deploy/terraform
  fi
done
echo "check-fmt: SKIPPED: neither terraform nor tofu is on PATH, so deploy/terraform was not format-checked here." >&2
echo "check-fmt: the CI workflow (.github/workflows/ci.yml) installs Terraform and runs this check." >&2
