#!/usr/bin/env bash
# Static security checks of terraform/ with checkov.
#
# checkov lives in its own Python venv so it never touches system packages. The venv is created
# on first use and reused afterwards (idempotent); point SWAPSTREAM_VENV elsewhere to share one.
# Every finding must be fixed or skipped next to the resource with `#checkov:skip=ID:reason`.
#
# Usage: scripts/check-terraform.sh [extra checkov arguments]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SWAPSTREAM_VENV:-$HOME/.cache/swapstream/venv}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/checkov" ]]; then
  echo "check-terraform: installing checkov into $venv" >&2
  if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check checkov
fi

cd "$repo_root"
# --skip-download: no Bridgecrew platform calls (the network here reaches package registries only).
exec "$venv/bin/checkov" \
  --directory terraform \
  --framework terraform \
  --quiet \
  --compact \
  --skip-download \
  "$@"
