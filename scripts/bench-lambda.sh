#!/usr/bin/env bash
# Lambda through the Runtime API: the real `swapstream lambda` binary polling a local Runtime
# API that feeds it the same 10,000-record event again and again, writing to DynamoDB Local,
# against the same items sent as prebuilt BatchWriteItem requests in the same run. Prints
# Markdown tables (see BENCHMARKS.md).
#
# Usage: scripts/bench-lambda.sh [INVOCATIONS] [RECORDS] [DEVICES...]   (defaults: 50 10000 1 100 1000)
# BENCH_PROFILE picks the cargo profile of the benchmark and of the binary (default: release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/install-stack.sh rust dynamodb
exec cargo run --profile "${BENCH_PROFILE:-release}" --quiet -p swapstream-tests --bin bench-lambda -- "$@"
