#!/usr/bin/env bash
# Runs losstat's cargo-fuzz targets (fuzz/), each for a fixed time. Not part of CI.
#
#   scripts/fuzz.sh                 # every target, 600 s each
#   SECONDS_PER_TARGET=60 scripts/fuzz.sh stats
#
# Environment:
#   SECONDS_PER_TARGET  libFuzzer -max_total_time per target (default 600)
#   FUZZ_TIMEOUT        seconds one input may take before it counts as a hang (default 10)
#   FUZZ_RSS_MB         RSS limit in MB; above it an input counts as an OOM (default 2048)
#   FUZZ_SANITIZER      cargo-fuzz --sanitizer (default none: the crate forbids unsafe code,
#                       the bugs wanted are panics, hangs and wrong numbers; address also works)
#   FUZZ_FORK           libFuzzer -fork workers (default 1): keeps fuzzing after a crash, so a
#                       run always lasts its full time; 0 = classic mode, stops at the first crash
#   CARGO_TARGET_DIR    build directory (default ~/.cache/losstat-fuzz-target, apart from the
#                       main build's)
#
# Working corpus: fuzz/corpus/TARGET (git-ignored), seeded from fuzz/seeds/TARGET.
# Crashes, hangs, OOMs: fuzz/artifacts/TARGET (git-ignored). Minimise one with
#   cargo +nightly fuzz tmin -s none TARGET fuzz/artifacts/TARGET/crash-...
# and keep it under fuzz/regressions/TARGET/. Exit status: 1 if any target left an artifact.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

seconds="${SECONDS_PER_TARGET:-600}"
timeout="${FUZZ_TIMEOUT:-10}"
rss="${FUZZ_RSS_MB:-2048}"
sanitizer="${FUZZ_SANITIZER:-none}"
fork="${FUZZ_FORK:-1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/losstat-fuzz-target}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build -s "$sanitizer" --target-dir "$CARGO_TARGET_DIR"

mkdir -p logs
status=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    before=$(find "artifacts/$target" -type f | wc -l)
    log="logs/$target.log"
    args=(
        "-max_total_time=$seconds"
        "-timeout=$timeout"
        "-rss_limit_mb=$rss"
        "-max_len=16384"
        "-print_final_stats=1"
    )
    if [ "$fork" -gt 0 ]; then
        args+=("-fork=$fork" "-ignore_crashes=1" "-ignore_timeouts=1" "-ignore_ooms=1")
    fi
    echo "== fuzz.sh: $target for ${seconds}s (timeout ${timeout}s, rss ${rss} MB, fork $fork), log fuzz/$log"
    start=$(date +%s)
    # libFuzzer exits non-zero after a crash in classic mode; the artifact count decides.
    cargo +nightly fuzz run -s "$sanitizer" --target-dir "$CARGO_TARGET_DIR" "$target" \
        "corpus/$target" "seeds/$target" -- "${args[@]}" >"$log" 2>&1 || true
    elapsed=$(( $(date +%s) - start ))
    after=$(find "artifacts/$target" -type f | wc -l)
    new=$((after - before))
    # Executions: classic mode prints stat::number_of_executed_units, fork mode '#N: cov: ...'.
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
    if [ -z "$execs" ]; then
        execs=$(grep -oE '^#[0-9]+: cov:' "$log" | tail -1 | tr -dc '0-9' || true)
    fi
    crashes=$(grep -oE 'crash: *[0-9]+|oom/timeout/crash: *[0-9]+/[0-9]+/[0-9]+' "$log" | tail -1 || true)
    line="$target: ${elapsed}s, ${execs:-?} executions, ${new} new artifact(s) in fuzz/artifacts/$target (${crashes:-no crash counter})"
    echo "   $line"
    summary+=("$line")
    if [ "$new" -gt 0 ]; then
        status=1
        ls -t "artifacts/$target" | head -"$new" | sed "s|^|   new: fuzz/artifacts/$target/|"
    fi
done

echo "== fuzz.sh summary"
printf '   %s\n' "${summary[@]}"
exit "$status"
