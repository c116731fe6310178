#!/usr/bin/env bash
# Static security checks of terraform/ with checkov.
#
# checkov lives in its own Python venv so it never touches system packages. The venv is created
# on first use and reused afterwards (idempotent: nothing is installed when the pinned version is
# there); point SWAPSTREAM_VENV elsewhere to use another one.
# Every finding must be fixed or skipped next to the resource with `#checkov:skip=ID:reason`.
#
# Usage: scripts/check-terraform.sh [extra checkov arguments, passed to both passes]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SWAPSTREAM_VENV:-$HOME/.cache/swapstream/venv}"
python="${PYTHON:-python3}"
# Pinned: a newer checkov brings new checks, and CI must not start failing on its own.
checkov_version="${CHECKOV_VERSION:-3.3.30}"

installed="$("$venv/bin/checkov" --version 2>/dev/null || true)"
if [[ "$installed" != "$checkov_version" ]]; then
  echo "check-terraform: installing checkov $checkov_version into $venv" >&2
  if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$checkov_version"
fi

cd "$repo_root"
run_checkov() {
  # --skip-download: no calls to the Bridgecrew platform (only package registries are reachable).
  "$venv/bin/checkov" \
    --directory terraform \
    --framework terraform \
    --quiet \
    --compact \
    --skip-download \
    "$@"
}

# Pass 1: the stacks as a user gets them (optional parts off, as the variable defaults say).
echo "check-terraform: checkov, variable defaults" >&2
run_checkov "$@"
# Pass 2: every optional part on (ECS service, SCRAM/IAM listeners, NAT, auth secrets), so the
# resources that are off by default are checked too.
echo "check-terraform: checkov, all optional features (terraform/ci/all-features.tfvars)" >&2
run_checkov --var-file terraform/ci/all-features.tfvars "$@"
