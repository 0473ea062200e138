#!/usr/bin/env bash
# End-to-end benchmark: `losstat compare FILE --out DIR` (with figures) vs the same method in
# pandas + SciPy + matplotlib (los_pandas.py), side by side in one run, on a national-size
# synthetic export (`losstat simulate --seed 2024`, ~54k ratings). Target (DESIGN.md §7):
# losstat at least 20x faster. Usage: benches/e2e/run.sh [RUNS]   (default 5)
set -euo pipefail

RUNS=${1:-${RUNS:-5}}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/losstat/target}
VENV=${E2E_VENV:-$HOME/.cache/losstat/e2e-venv}
WORK=${E2E_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/losstat-e2e.XXXXXX")}
mkdir -p "$WORK"

echo "== build (release)"
(cd "$ROOT" && cargo build --release --quiet)
LOSSTAT="$CARGO_TARGET_DIR/release/losstat"

echo "== python venv: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# Pinned versions already installed: pip answers "already satisfied" without downloading.
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
PY="$VENV/bin/python"
"$PY" -c 'import sys, numpy, scipy, pandas, matplotlib; print("python", sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__, "pandas", pandas.__version__, "matplotlib", matplotlib.__version__)'
# Warm matplotlib's font cache once so no timed run pays for building it.
MPLCONFIGDIR=${MPLCONFIGDIR:-$HOME/.cache/losstat/e2e-mpl}; export MPLCONFIGDIR
"$PY" -c 'import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt; plt.figure()' >/dev/null

echo "== input"
INPUT="$WORK/national.csv"
"$LOSSTAT" simulate --out "$INPUT" --seed 2024 --force
echo "$(($(wc -l <"$INPUT") - 1)) ratings in $INPUT"

L_OUT="$WORK/out-losstat"
P_OUT="$WORK/out-pandas"
L_CMD="$LOSSTAT compare $INPUT --out $L_OUT --force"
P_CMD="$PY $HERE/los_pandas.py $INPUT $P_OUT"

echo "== timing: $RUNS runs each (hyperfine if installed), then $RUNS interleaved /usr/bin/time runs for peak RSS"
declare -a LT PT LM PM
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs "$RUNS" --style basic \
        --prepare "rm -rf $L_OUT $P_OUT" \
        --export-json "$WORK/hyperfine.json" \
        -n losstat "$L_CMD >/dev/null 2>&1" \
        -n pandas "$P_CMD >/dev/null 2>&1"
fi
# Peak RSS (and wall time, when hyperfine is missing) with GNU time, interleaving the tools
# so load on the machine hits both alike.
for i in $(seq 1 "$RUNS"); do
    rm -rf "$L_OUT" "$P_OUT"
    /usr/bin/time -f '%e %M' -o "$WORK/t.l" $L_CMD >/dev/null 2>&1
    /usr/bin/time -f '%e %M' -o "$WORK/t.p" $P_CMD >/dev/null 2>&1
    read -r t m < <(tail -1 "$WORK/t.l"); LT+=("$t"); LM+=("$m")
    read -r t m < <(tail -1 "$WORK/t.p"); PT+=("$t"); PM+=("$m")
done

"$PY" - "$WORK" "${LT[*]}" "${PT[*]}" "${LM[*]}" "${PM[*]}" <<'EOF'
import json, os, statistics, sys
work, lt, pt, lm, pm = sys.argv[1:6]
lt, pt = [float(x) for x in lt.split()], [float(x) for x in pt.split()]
lm, pm = [int(x) for x in lm.split()], [int(x) for x in pm.split()]
src = "/usr/bin/time loop"
hf = os.path.join(work, "hyperfine.json")
if os.path.exists(hf):
    r = {x["command"]: x for x in json.load(open(hf))["results"]}
    lt, pt = r["losstat"]["times"], r["pandas"]["times"]
    src = "hyperfine"
ml, mp = statistics.median(lt), statistics.median(pt)
print()
print(f"Results ({len(lt)} runs each; wall time from {src}, peak RSS = max over the /usr/bin/time runs)")
print(f"{'tool':<10} {'median wall':>12} {'min':>8} {'max':>8} {'peak RSS':>10}")
print(f"{'losstat':<10} {ml:>11.3f}s {min(lt):>7.3f}s {max(lt):>7.3f}s {max(lm)/1024:>8.1f}MB")
print(f"{'pandas':<10} {mp:>11.3f}s {min(pt):>7.3f}s {max(pt):>7.3f}s {max(pm)/1024:>8.1f}MB")
ratio = mp / ml
print(f"speed ratio (pandas / losstat, medians): {ratio:.1f}x  -> target >= 20x: {'MET' if ratio >= 20 else 'NOT MET'}")
print(f"memory ratio (pandas / losstat, peak RSS): {max(pm)/max(lm):.1f}x")
EOF

echo
echo "== outputs: $(find "$L_OUT" -type f | wc -l) files (losstat), $(find "$P_OUT" -type f | wc -l) files (pandas)"
set +e
"$PY" "$HERE/check_agree.py" "$L_OUT/results.json" "$P_OUT/results.json"
AGREE=$?
set -e
echo "work dir kept: $WORK"
exit $AGREE
