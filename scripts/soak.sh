#!/usr/bin/env bash
# Soak: the service under continuous load for MINUTES (default 30) at RATE records/s (default
# 500), its resident memory and open file descriptors sampled every 10 s; fails if either grows
# after warm-up or if any reading is missing or counted wrong (tests/src/bin/soak.rs). A
# benchmark, not part of `make test`.
#
# Usage: scripts/soak.sh [MINUTES] [RATE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/install-stack.sh rust tansu dynamodb
exec cargo run --profile "${SOAK_PROFILE:-release}" --quiet -p swapstream-tests --bin soak -- "$@"
