#!/usr/bin/env bash
# Service-mode benchmark: Tansu -> swapstream run -> DynamoDB Local, against a consume-only
# baseline on the same broker in the same run, for batch sizes 100 / 1,000 / 10,000, with the
# host's resident memory. Prints a Markdown table (see BENCHMARKS.md).
#
# Usage: scripts/bench-service.sh [RECORDS] [DEVICES]   (defaults: 300000 60)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/install-stack.sh rust tansu dynamodb
exec cargo run --release --quiet -p swapstream-tests --bin bench-service -- "$@"
