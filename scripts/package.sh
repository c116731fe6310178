#!/usr/bin/env bash
# Builds the artifacts the Terraform stacks upload, at the paths their variables default to:
#
#   dist/lambda/bootstrap.zip        the swapstream binary as `bootstrap`, provided.al2023 on arm64
#   dist/bin/swapstream-linux-arm64  the same binary, for the producer stack's sample producer
#   dist/modules/average.wasm        the default analytics module
#   dist/modules/stats.wasm          the alternative module (publish it with `swapstream module push`)
#   dist/SHA256SUMS                  their sha256, the values a module pin (module_sha256) takes
#
# The Lambda package is cross-compiled with cargo-lambda, which links with zig from PyPI
# (`ziglang`). Both tools are installed on first use: zig into the Python venv at
# ${SWAPSTREAM_VENV:-$HOME/.cache/swapstream/venv}, cargo-lambda with `cargo install`. Later runs
# find them and skip that step.
#
# Usage: scripts/package.sh [--modules-only]
#   --modules-only  only copy (building if missing) the .wasm modules; no cross-compile.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SWAPSTREAM_VENV:-$HOME/.cache/swapstream/venv}"
python="${PYTHON:-python3}"
dist="$repo_root/dist"

cd "$repo_root"
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in
  /*) ;;
  *) target_dir="$repo_root/$target_dir" ;;
esac

log() { echo "package: $*" >&2; }
die() {
  echo "package: error: $*" >&2
  exit 1
}

modules_only=false
for arg in "$@"; do
  case "$arg" in
    --modules-only) modules_only=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (see --help)" ;;
  esac
done

# --- the analytics modules ----------------------------------------------------------------------
# host/build.rs builds them into the workspace target dir on every host build; build them
# directly only if no host build has run yet.
package_modules() {
  local built="$target_dir/wasm32-wasip2/guest"
  local -A modules=([average]=swapstream_average [stats]=swapstream_stats)
  local name missing=false
  for name in "${!modules[@]}"; do
    [[ -f "$built/${modules[$name]}.wasm" ]] || missing=true
  done
  if [[ "$missing" == true ]]; then
    log "building the analytics modules (wasm32-wasip2, profile guest)"
    cargo build --locked --profile guest --target wasm32-wasip2 \
      -p swapstream-average -p swapstream-stats \
      || die "building the modules failed (is the target installed? rustup target add wasm32-wasip2)"
  fi
  mkdir -p "$dist/modules"
  for name in "${!modules[@]}"; do
    local file="$built/${modules[$name]}.wasm"
    [[ -f "$file" ]] || die "expected $file after the module build"
    cp "$file" "$dist/modules/$name.wasm"
    log "dist/modules/$name.wasm"
  done
}

# --- the toolchain for the Lambda build ---------------------------------------------------------
ensure_zig() {
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating the Python venv $venv"
    "$python" -m venv "$venv"
  fi
  if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
    log "installing ziglang into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check ziglang
  fi
  # cargo-lambda (through cargo-zigbuild) runs `python3 -m ziglang` when no `zig` is on PATH;
  # the venv's bin directory makes that python3 the one with ziglang.
  export PATH="$venv/bin:$PATH"
}

ensure_cargo_lambda() {
  if ! cargo lambda --version >/dev/null 2>&1; then
    log "installing cargo-lambda (cargo install cargo-lambda --locked); this takes a while"
    cargo install cargo-lambda --locked
  fi
}

ensure_host_crate() {
  # Fail with a clear message, not a cargo error, while the host crate is not there yet.
  local metadata
  metadata="$(cargo metadata --no-deps --format-version 1 2>/dev/null)" \
    || die "cargo metadata failed: is the workspace in a buildable state?"
  "$python" -c '
import json, sys
packages = json.load(sys.stdin)["packages"]
sys.exit(0 if any(
    p["name"] == "swapstream"
    and any(t["name"] == "swapstream" and "bin" in t["kind"] for t in p["targets"])
    for p in packages) else 1)
' <<<"$metadata" \
    || die "the workspace has no package 'swapstream' with a bin target 'swapstream' (host/); nothing to package yet"
}

# --- the Lambda package and the arm64 binary ----------------------------------------------------
package_lambda() {
  ensure_host_crate
  ensure_zig
  ensure_cargo_lambda

  log "cross-compiling swapstream for provided.al2023 on arm64 (cargo lambda build)"
  cargo lambda build --release --arm64 --output-format zip --bin swapstream -p swapstream \
    || die "cargo lambda build failed"

  local zip="$target_dir/lambda/swapstream/bootstrap.zip"
  [[ -f "$zip" ]] || die "cargo lambda did not produce $zip"
  mkdir -p "$dist/lambda" "$dist/bin"
  cp "$zip" "$dist/lambda/bootstrap.zip"
  log "dist/lambda/bootstrap.zip"

  # The same binary, unzipped, for the sample producer instance (Python: unzip may be absent).
  "$python" - "$dist/lambda/bootstrap.zip" "$dist/bin/swapstream-linux-arm64" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open("bootstrap") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$dist/bin/swapstream-linux-arm64"
  log "dist/bin/swapstream-linux-arm64"
}

if [[ "$modules_only" == false ]]; then
  package_lambda
fi
package_modules

sums="$(cd "$dist" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum)"
printf '%s\n' "$sums" >"$dist/SHA256SUMS"
log "sha256 of every artifact (dist/SHA256SUMS):"
cat "$dist/SHA256SUMS"
