#!/usr/bin/env bash
# Peak memory and wall time of `losstat check` on Excel workbooks (issue 12: a workbook is read
# in memory bounded by the rows kept, not by the size of its sheet XML):
#
#   benches/workbook_memory.sh [LOSSTAT_BINARY...]
#
# For each binary (default: the debug build in $CARGO_TARGET_DIR, else target/), it runs
# `check` on the shipped sample as an .xlsx (53,746 ratings; written by openpyxl, inline strings,
# 24 MB of sheet XML) and, with SCALE set (e.g. SCALE=10), on a simulated export of that many
# times national size, RUNS times each (default 3), under /usr/bin/time, and prints the peak
# RSS and the wall time of every run. Give the binary of an older commit first to compare.
# Needs python3 with openpyxl (set LOSSTAT_PYTHON to another interpreter) and /usr/bin/time.
# The zip bomb's numbers come from the integration test
# `cargo test --test integration zip_bomb -- --nocapture`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${WORK:-${TMPDIR:-/tmp}/losstat-workbook-memory}"
runs="${RUNS:-3}"
python="${LOSSTAT_PYTHON:-python3}"
if [[ $# -eq 0 ]]; then
  set -- "${CARGO_TARGET_DIR:-$repo/target}/debug/losstat"
fi
mkdir -p "$work"

# to_xlsx CSV XLSX: the CSV as one sheet "Data", every field a text cell (as outputs.sh does).
to_xlsx() {
  "$python" - "$1" "$2" <<'PY'
import csv, sys, openpyxl
source, target = sys.argv[1], sys.argv[2]
book = openpyxl.Workbook(write_only=True)
sheet = book.create_sheet("Data")
with open(source, encoding="utf-8", newline="") as f:
    for row in csv.reader(f):
        sheet.append(row)
book.save(target)
PY
}

inputs=()
if [[ ! -s "$work/sample.xlsx" ]]; then
  to_xlsx "$repo/data/sample.csv" "$work/sample.xlsx"
fi
inputs+=("$work/sample.xlsx")
if [[ -n "${SCALE:-}" ]]; then
  if [[ ! -s "$work/scale-$SCALE.xlsx" ]]; then
    "$1" simulate --out "$work/scale-$SCALE.csv" --scale "$SCALE" --seed 2024 --quiet --force
    to_xlsx "$work/scale-$SCALE.csv" "$work/scale-$SCALE.xlsx"
  fi
  inputs+=("$work/scale-$SCALE.xlsx")
fi

printf '%-50s %-28s %12s %9s\n' binary input "peak RSS KiB" "wall s"
for bin in "$@"; do
  for input in "${inputs[@]}"; do
    for _ in $(seq "$runs"); do
      /usr/bin/time -f '%M %e' -o "$work/time.txt" "$bin" check "$input" >/dev/null 2>&1 || true
      read -r rss wall <"$work/time.txt"
      printf '%-50s %-28s %12s %9s\n' "$bin" "$(basename "$input")" "$rss" "$wall"
    done
  done
done
