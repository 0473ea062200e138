#!/usr/bin/env bash
# losstat against its peer - the same LOS method in pandas + SciPy + matplotlib
# (benches/peer/los_peer.py) - at 1x, 10x and 186x national size (186x = 10.0 M ratings), with
# the bare polars CSV read as the floor. For each scale: simulate the input (cached), run
# losstat, the peer and the polars read in turn (l, p, r, l, p, r, ...) RUNS times each under
# /usr/bin/time, check that both tools agree on the filter counts, roll-up means and KS D, and
# print a table of medians and the DESIGN.md §7 targets. See benches/README.md.
#
# Usage: benches/compare_peer.sh [--scales "1 10 186"] [--runs N] [--work DIR]
# Environment:
#   LOSSTAT_BIN   losstat binary to time; unset: `cargo build --release --locked` here, with
#                 CARGO_TARGET_DIR (default ~/.cache/losstat/target)
#   SCALES        scales to run (default "1 10 186"); --scales wins
#   RUNS          timed runs per tool and scale (default 3); --runs wins
#   WORK          inputs, outputs, logs and tables (default ${TMPDIR:-/tmp}/losstat-compare-peer);
#                 inputs are kept there and generated only when missing
#   SEED          seed of `losstat simulate` (default 2024)
#   PEER_VENV     the peer's venv (default ~/.cache/losstat/peer-venv), made from
#                 benches/peer/requirements.txt; pip runs only when that file changed
#   PYTHON        the Python that makes the venv (default python3)
#   FILTER_CHECK  1 (default): also compare filter counts, untimed, on a 1x input with faults
#                 for each LOS rule planted; 0: skip
# Exit: 0 when the tools agree (missed speed targets are reported, not fatal); 1 when an
# agreement check failed; 2 on a usage error or when a tool failed to run.
set -euo pipefail

usage() { sed -n '2,/^# Exit/{s/^# \{0,1\}//;p}' "$0"; }
die() { echo "compare_peer.sh: $*" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PEER="$HERE/peer"
SCALES=${SCALES:-"1 10 186"}
RUNS=${RUNS:-3}
SEED=${SEED:-2024}
WORK=${WORK:-${TMPDIR:-/tmp}/losstat-compare-peer}
FILTER_CHECK=${FILTER_CHECK:-1}

while [ $# -gt 0 ]; do
    case $1 in
        --scales) [ $# -ge 2 ] || die "--scales needs a value"; SCALES=$2; shift 2 ;;
        --scales=*) SCALES=${1#*=}; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --work) [ $# -ge 2 ] || die "--work needs a value"; WORK=$2; shift 2 ;;
        --work=*) WORK=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
read -r -a SCALE_LIST <<<"$SCALES"
[ ${#SCALE_LIST[@]} -gt 0 ] || die "no scales given"
for s in "${SCALE_LIST[@]}"; do
    [[ $s =~ ^[0-9]+([.][0-9]+)?$ ]] || die "a scale must be a positive number, got '$s'"
done
# GNU time measures wall time and peak RSS; a fresh Debian machine lacks it.
if [ ! -x /usr/bin/time ]; then
    echo "== installing GNU time (Debian package time)"
    if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
    { "${SUDO[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq time >/dev/null; } \
        || die "/usr/bin/time (GNU time) is needed and could not be installed: apt-get install time"
fi
mkdir -p "$WORK/inputs" "$WORK/out" "$WORK/logs"
WORK=$(cd "$WORK" && pwd)

# ---- losstat ------------------------------------------------------------------------------
if [ -n "${LOSSTAT_BIN:-}" ]; then
    LOSSTAT=$LOSSTAT_BIN
    [ -x "$LOSSTAT" ] || die "LOSSTAT_BIN=$LOSSTAT is not an executable"
else
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/losstat/target}
    echo "== building losstat (release) in $CARGO_TARGET_DIR"
    (cd "$ROOT" && cargo build --release --locked --quiet) || die "cargo build failed"
    LOSSTAT=$CARGO_TARGET_DIR/release/losstat
fi
LOSSTAT_FLAGS=(--force)
# --quiet (no summary on standard output) is used when this build has it.
if "$LOSSTAT" compare --help 2>/dev/null | grep -q -- '--quiet'; then
    LOSSTAT_FLAGS+=(--quiet)
fi

# ---- the peer's venv ------------------------------------------------------------------------
VENV=${PEER_VENV:-$HOME/.cache/losstat/peer-venv}
REQ="$PEER/requirements.txt"
STAMP="$VENV/.losstat-peer-requirements.sha256"
WANT=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating the peer's venv: $VENV"
    "${PYTHON:-python3}" -m venv "$VENV" || die "cannot create a venv in $VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    echo "== installing benches/peer/requirements.txt into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" || die "pip install failed"
    echo "$WANT" >"$STAMP"
fi
PY="$VENV/bin/python"
# Build matplotlib's font cache once, outside the timed runs.
export MPLCONFIGDIR=${MPLCONFIGDIR:-$HOME/.cache/losstat/peer-mpl}
"$PY" -c 'import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt; plt.figure()'

# ---- the machine, for the record --------------------------------------------------------------
{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by benches/compare_peer.sh ($RUNS runs per tool and scale, medians; peak RSS = max over the runs)."
    echo
    echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))," \
         "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "- losstat: \`$LOSSTAT\` ($("$LOSSTAT" --version 2>/dev/null | head -1)," \
         "binary of $(date -u -r "$LOSSTAT" '+%Y-%m-%d %H:%M UTC')), \`compare FILE --out DIR ${LOSSTAT_FLAGS[*]}\`"
    echo "- peer: $("$PY" -c 'import sys, numpy, scipy, pandas, matplotlib, polars; print(f"Python {sys.version.split()[0]}, pandas {pandas.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, matplotlib {matplotlib.__version__}; polars {polars.__version__} for the read")')"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$WORK/machine.md"
cat "$WORK/machine.md"

# ---- helpers ------------------------------------------------------------------------------
# The input at a scale: simulated once, then reused from $WORK/inputs.
input_for() {
    local f="$WORK/inputs/los-x$1-seed$SEED.csv"
    if [ ! -s "$f" ]; then
        echo "   simulating scale $1 -> $f" >&2
        "$LOSSTAT" simulate --scale "$1" --seed "$SEED" --out "$f.tmp" --force >"$WORK/logs/simulate-x$1.log" 2>&1 \
            || die "losstat simulate --scale $1 failed; see $WORK/logs/simulate-x$1.log"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# timed TOOL SCALE RATINGS RUN CMD...: run CMD under GNU time, append a row to runs.csv.
timed() {
    local tool=$1 scale=$2 ratings=$3 run=$4
    shift 4
    local log="$WORK/logs/$tool-x$scale-run$run.log" tf="$WORK/logs/time.txt" rc=0 wall rss read_s=""
    /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || die "$tool failed at scale $scale (exit $rc): $* ; see $log"
    read -r wall rss < <(tail -1 "$tf")
    if [ "$tool" = polars ]; then read -r read_s _ <"$log"; fi
    echo "$scale,$ratings,$tool,$run,$wall,$rss,$read_s" >>"$WORK/runs.csv"
    printf '   %-8s run %s: %8.2f s %8.0f MB%s\n' "$tool" "$run" "$wall" "$(((rss * 1024 + 500000) / 1000000))" \
        "${read_s:+ (read_csv $read_s s)}"
}

AGREE_FAILED=()
agree() {  # agree NAME LOSSTAT_OUT PEER_OUT
    local report="$WORK/agree-$1.txt"
    if "$PY" "$PEER/check_agree.py" "$2/results.json" "$3/results.json" >"$report" 2>&1; then
        echo "   agreement ($1): $(tail -1 "$report")"
    else
        echo "   agreement ($1) FAILED:"
        grep -E 'FAIL|RESULT|Error' "$report" | sed 's/^/     /'
        AGREE_FAILED+=("$1")
    fi
    echo "   full report: $report"
}

# ---- timed runs -------------------------------------------------------------------------------
echo "scale,ratings,tool,run,wall_s,peak_rss_kb,read_s" >"$WORK/runs.csv"
for scale in "${SCALE_LIST[@]}"; do
    input=$(input_for "$scale")
    ratings=$(($(wc -l <"$input") - 1))
    echo "== scale ${scale}x: $ratings ratings ($input)"
    cat "$input" >/dev/null   # into the page cache, so that no tool pays for the disk alone
    l_out="$WORK/out/losstat-x$scale"
    p_out="$WORK/out/peer-x$scale"
    for run in $(seq 1 "$RUNS"); do
        rm -rf "$l_out" "$p_out"
        timed losstat "$scale" "$ratings" "$run" "$LOSSTAT" compare "$input" --out "$l_out" "${LOSSTAT_FLAGS[@]}"
        timed peer "$scale" "$ratings" "$run" "$PY" "$PEER/los_peer.py" "$input" "$p_out"
        timed polars "$scale" "$ratings" "$run" "$PY" "$PEER/polars_read.py" "$input"
    done
    agree "x$scale" "$l_out" "$p_out"
done

# ---- filter counts on planted faults (untimed) -------------------------------------------------
if [ "$FILTER_CHECK" != 0 ]; then
    echo "== filter counts on a 1x input with a fault planted for each LOS rule (untimed)"
    clean=$(input_for 1)
    faults="$WORK/inputs/los-x1-seed$SEED-los-faults.csv"
    "$PY" "$PEER/inject_los_faults.py" "$clean" "$faults"
    rm -rf "$WORK/out/losstat-faults" "$WORK/out/peer-faults"
    "$LOSSTAT" compare "$faults" --out "$WORK/out/losstat-faults" "${LOSSTAT_FLAGS[@]}" >"$WORK/logs/losstat-faults.log" 2>&1 \
        || die "losstat failed on $faults; see $WORK/logs/losstat-faults.log"
    "$PY" "$PEER/los_peer.py" "$faults" "$WORK/out/peer-faults" >"$WORK/logs/peer-faults.log" 2>&1 \
        || die "the peer failed on $faults; see $WORK/logs/peer-faults.log"
    agree faults "$WORK/out/losstat-faults" "$WORK/out/peer-faults"
    grep 'dropped per LOS rule' "$WORK/agree-faults.txt" | sed 's/^ */   /'
fi

# ---- table ----------------------------------------------------------------------------------
echo
"$PY" "$PEER/report.py" "$WORK"
echo
echo "tables: $WORK/table.md, $WORK/table.csv; every run: $WORK/runs.csv; logs: $WORK/logs"
if [ ${#AGREE_FAILED[@]} -gt 0 ]; then
    echo "AGREEMENT FAILED: ${AGREE_FAILED[*]} (see $WORK/agree-*.txt)" >&2
    exit 1
fi
echo "agreement: losstat and the peer agree on every required number at every scale"
