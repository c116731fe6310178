#!/usr/bin/env bash
# Peak resident memory of one 6 MB Lambda event through the whole handler path (read, decode,
# module, items out), as `swapstream replay` runs it: with the precompiled module in the cache
# (a warm Lambda, or a cold one after the first) and compiling it from .wasm (the very first
# start). Prints a Markdown table (see BENCHMARKS.md).
#
# Usage: scripts/bench-rss.sh [SIZE]   (default 6MiB, Lambda's payload limit, as in the criterion benchmark)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
size="${1:-6MiB}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p swapstream --bin swapstream --example write_event
target/release/examples/write_event "$size" "$work/event.json" >&2

peak_kib() { # cache-dir → peak RSS in KiB of one replay
  SWAPSTREAM_CACHE_DIR="$1" /usr/bin/time -f '%M' -o "$work/rss" \
    target/release/swapstream replay --event "$work/event.json" >"$work/items" 2>/dev/null
  cat "$work/rss"
}

compiled=$(peak_kib "$work/cache")   # empty cache: compiles, then stores the precompiled module
cached=$(peak_kib "$work/cache")     # the precompiled module from the cache
items=$(wc -l <"$work/items")
echo "| 6 MB event ($(wc -c <"$work/event.json") bytes, $items items) | peak RSS |"
echo "|---|---|"
echo "| module from the precompiled cache | $((cached / 1024)) MiB |"
echo "| module compiled from .wasm | $((compiled / 1024)) MiB |"
