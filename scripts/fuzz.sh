#!/usr/bin/env bash
# Coverage-guided fuzzing of the event decoder, the reading parser and item validation
# (cargo-fuzz and libFuzzer on the nightly toolchain; the targets are in fuzz/, TESTING.md
# says what each one checks).
#
#   scripts/fuzz.sh smoke               each target for FUZZ_SECONDS seconds (default 45): CI's run
#   scripts/fuzz.sh long N [TARGET…]    each target (or the ones named) for N inputs, or for
#                                       FUZZ_MAX_SECONDS seconds each if that is set and comes first
#   scripts/fuzz.sh replay              each input saved under fuzz/regressions/<target>/, once
#
# Every run starts from the committed seeds (fuzz/seeds/<target>) and the corpus earlier runs
# on this machine kept (fuzz/corpus/<target>, not committed). A crash, a panic, a hang or a
# disagreement between two decoders fails the run with one line naming the input libFuzzer
# saved; its full output stays in fuzz/artifacts/<target>/last-run.log.
#
# Idempotent: the nightly toolchain and cargo-fuzz are installed only when missing. One
# libFuzzer process per target, one target at a time: the machines have two cores.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
fuzz_dir="$PWD"

install() {
    if ! rustup toolchain list | grep -q '^nightly-'; then
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        cargo +nightly install cargo-fuzz --locked
    fi
}

targets() {
    cargo +nightly fuzz list
}

# run TARGET CORPUS-DIR… -- LIBFUZZER-FLAG…: one libFuzzer run, reported in one line.
run() {
    local target="$1"
    shift
    local dirs=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        dirs+=("$1")
        shift
    done
    shift
    mkdir -p "artifacts/$target"
    local log="artifacts/$target/last-run.log"
    local dict=()
    if [[ -f "dicts/$target.dict" ]]; then
        dict=("-dict=$fuzz_dir/dicts/$target.dict")
    fi
    local started
    started=$(date +%s)
    # A single input that takes seconds is a hang, not a slow input.
    if cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
        -timeout=10 -print_final_stats=1 "${dict[@]}" "$@" >"$log" 2>&1; then
        local inputs rate
        inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        echo "fuzz: $target ok: ${inputs:-?} inputs in $(( $(date +%s) - started )) s (${rate:-?} inputs/s), corpus of $(find "corpus/$target" -type f | wc -l)"
    else
        local input why
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        # A panic's message is the line after "panicked at"; libFuzzer's own findings (a
        # timeout, a sanitizer report, running out of memory) are its first ERROR line.
        why=$(grep -m1 -A1 'panicked at' "$log" | tail -n 1 || true)
        if [[ -z "$why" ]]; then
            why=$(grep -m1 'ERROR: ' "$log" || echo 'see the log')
        fi
        echo "fuzz: $target FAILED on ${input:-an input libFuzzer did not save}: $why (log: fuzz/$log)"
        return 1
    fi
}

# fuzz TARGET LIBFUZZER-FLAG…: the target from its seeds and kept corpus.
fuzz() {
    local target="$1"
    shift
    mkdir -p "corpus/$target" "seeds/$target"
    run "$target" "$fuzz_dir/corpus/$target" "$fuzz_dir/seeds/$target" -- "$@"
}

mode="${1:-}"
case "$mode" in
    smoke)
        install
        cargo +nightly fuzz build
        status=0
        for target in $(targets); do
            fuzz "$target" "-max_total_time=${FUZZ_SECONDS:-45}" || status=1
        done
        exit "$status"
        ;;
    long)
        runs="${2:?usage: scripts/fuzz.sh long N [TARGET…]}"
        shift 2
        install
        cargo +nightly fuzz build
        if [[ $# -eq 0 ]]; then
            # shellcheck disable=SC2046 # target names are single words
            set -- $(targets)
        fi
        status=0
        cap=()
        if [[ -n "${FUZZ_MAX_SECONDS:-}" ]]; then
            cap=("-max_total_time=$FUZZ_MAX_SECONDS")
        fi
        for target in "$@"; do
            fuzz "$target" "-runs=$runs" "${cap[@]}" || status=1
        done
        exit "$status"
        ;;
    replay)
        install
        cargo +nightly fuzz build
        mkdir -p artifacts
        status=0
        for dir in regressions/*/; do
            target=$(basename "$dir")
            for input in "$dir"*; do
                [[ -f "$input" ]] || continue
                # Given a file rather than a directory, libFuzzer runs that one input and stops.
                if ! cargo +nightly fuzz run "$target" "$fuzz_dir/$input" \
                    >"artifacts/$target.replay.log" 2>&1; then
                    echo "fuzz: $target FAILED on fuzz/$input (log: fuzz/artifacts/$target.replay.log)"
                    status=1
                else
                    echo "fuzz: $target ok on fuzz/$input"
                fi
            done
        done
        exit "$status"
        ;;
    *)
        echo "usage: scripts/fuzz.sh smoke | long N [TARGET…] | replay" >&2
        exit 2
        ;;
esac
