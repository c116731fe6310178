#!/usr/bin/env bash
# Checks of terraform/ and of the service container's Dockerfile, as CI runs them:
#
#   1. with the Terraform CLI: `terraform fmt -check -recursive`, then for both stacks, every
#      module under terraform/modules and the two-stack test root terraform/ci/deployment:
#      `init -backend=false`, `validate` and `terraform test` (every test mocks the AWS provider:
#      no credentials, no AWS calls). Without the CLI this part is skipped with a loud message.
#   2. checkov over terraform/ (variable defaults, then every optional part on) and over
#      deploy/container/Dockerfile; every finding must be fixed or skipped in place with
#      `#checkov:skip=ID:reason`.
#
# The provider comes from the local filesystem mirror when there is one ($TF_PLUGIN_MIRROR,
# default /opt/tf-plugins; terraform/ci/terraformrc), so init works offline; `init` links the
# mirror's provider instead of copying it, so a second run takes seconds. checkov lives in its
# own Python venv, created on first use and reused afterwards; point SWAPSTREAM_VENV elsewhere
# to use another one.
#
# Usage: scripts/check-terraform.sh [extra checkov arguments, passed to every checkov pass]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SWAPSTREAM_VENV:-$HOME/.cache/swapstream/venv}"
python="${PYTHON:-python3}"
# Pinned: a newer checkov brings new checks, and CI must not start failing on its own.
checkov_version="${CHECKOV_VERSION:-3.3.30}"
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"

cd "$repo_root"
started=$SECONDS

# -----------------------------------------------------------------------------------------------
# Terraform CLI
# -----------------------------------------------------------------------------------------------

# Every configuration the CLI checks: the stacks, the shared modules, the two-stack test root.
configs=(terraform/producer terraform/consumer)
for dir in terraform/modules/*/; do
  configs+=("${dir%/}")
done
configs+=(terraform/ci/deployment)

run_terraform_checks() {
  if [[ -d "$mirror/registry.terraform.io/hashicorp" ]]; then
    if [[ "$mirror" == /opt/tf-plugins ]]; then
      export TF_CLI_CONFIG_FILE="$repo_root/terraform/ci/terraformrc"
    else
      # Another mirror: the same settings with its path.
      local rc
      rc="$(mktemp)"
      sed "s|/opt/tf-plugins|$mirror|" terraform/ci/terraformrc >"$rc"
      export TF_CLI_CONFIG_FILE="$rc"
    fi
    echo "check-terraform: provider from the local mirror $mirror" >&2
  elif [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then
    # No mirror: the registry, as for any user; a CLI config that does not exist only warns.
    unset TF_CLI_CONFIG_FILE
  fi
  export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

  echo "check-terraform: terraform $(terraform version | head -n1 | cut -d' ' -f2), fmt -check" >&2
  if ! terraform fmt -check -recursive -diff terraform; then
    echo "check-terraform: run \`terraform fmt -recursive terraform\`" >&2
    return 1
  fi

  # init, validate and test each configuration, two at a time (the provider starts once per
  # plan: CPU-bound, and CI has two cores); each one's output is printed when it is done.
  local logs dir i failed=0 jobs="${TF_CHECK_JOBS:-2}"
  logs="$(mktemp -d)"
  check_config() {
    local dir="$1"
    echo "check-terraform: $dir: init, validate, test"
    terraform -chdir="$dir" init -backend=false -no-color >"$logs/init-${dir//\//_}" 2>&1 \
      || { cat "$logs/init-${dir//\//_}"; return 1; }
    terraform -chdir="$dir" validate -no-color && terraform -chdir="$dir" test -no-color
  }
  for i in "${!configs[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do
      wait -n || true
    done
    dir="${configs[$i]}"
    (check_config "$dir" >"$logs/$i.log" 2>&1 && touch "$logs/$i.ok") &
  done
  wait
  for i in "${!configs[@]}"; do
    cat "$logs/$i.log" >&2
    if [[ ! -f "$logs/$i.ok" ]]; then
      echo "check-terraform: ${configs[$i]} FAILED" >&2
      failed=1
    fi
  done
  rm -rf "$logs"
  return "$failed"
}

if command -v terraform >/dev/null 2>&1; then
  run_terraform_checks
else
  cat >&2 <<'MSG'
################################################################################################
check-terraform: NO TERRAFORM CLI ON THIS MACHINE: SKIPPING fmt, init, validate AND terraform test
                 of every stack and module. Only checkov runs. Install Terraform >= 1.11 (the
                 tests' mocked providers need it) to run them.
################################################################################################
MSG
fi

# -----------------------------------------------------------------------------------------------
# checkov
# -----------------------------------------------------------------------------------------------

installed="$("$venv/bin/checkov" --version 2>/dev/null || true)"
if [[ "$installed" != "$checkov_version" ]]; then
  echo "check-terraform: installing checkov $checkov_version into $venv" >&2
  if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$checkov_version"
fi

checkov() {
  # --skip-download: no calls to the Bridgecrew platform (only package registries are reachable).
  "$venv/bin/checkov" --quiet --compact --skip-download "$@"
}

# Pass 1: the stacks as a user gets them (optional parts off, as the variable defaults say).
# .terraform/ holds the modules `init` copied for the test root: the same files again.
echo "check-terraform: checkov, variable defaults" >&2
checkov --directory terraform --framework terraform --skip-path .terraform "$@"
# Pass 2: every optional part on (ECS service, SCRAM/IAM listeners, NAT, auth secrets, SQS,
# provisioned pollers, autoscaling), so the resources that are off by default are checked too.
echo "check-terraform: checkov, all optional features (terraform/ci/all-features.tfvars)" >&2
checkov --directory terraform --framework terraform --skip-path .terraform \
  --var-file terraform/ci/all-features.tfvars "$@"
# Pass 3: the service mode container.
echo "check-terraform: checkov, deploy/container/Dockerfile" >&2
checkov --file deploy/container/Dockerfile --framework dockerfile "$@"

echo "check-terraform: all checks passed in $((SECONDS - started)) s" >&2
