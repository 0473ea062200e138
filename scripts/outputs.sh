#!/usr/bin/env bash
# Runs one losstat binary over a fixed set of inputs and option combinations and keeps every
# output (files, standard output, standard error, exit code) in one directory, so that two
# builds can be compared byte for byte:
#
#   scripts/outputs.sh OLD_BINARY /tmp/before
#   scripts/outputs.sh NEW_BINARY /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# The inputs: the shipped sample; a dirty Danish export (Windows-1252, `;`, decimal comma)
# and a dirty canonical one from `losstat simulate`; an Excel workbook made from the dirty
# export (needs Python with openpyxl; set LOSSTAT_PYTHON to an interpreter that has it, or the
# workbook cases are skipped with a note). Used whenever a change must leave the outputs as
# they were (the refactorings of issue 11, and the memory and speed work after it).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 LOSSTAT_BINARY OUTPUT_DIR" >&2
  exit 2
fi
bin="$(realpath "$1")"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$2"
rm -rf "$out"
mkdir -p "$out/inputs"
out="$(realpath "$out")"
cd "$out"
cp "$repo/data/sample.csv" inputs/sample.csv

# run NAME ARGS...: runs the binary in $out, keeping stdout, stderr and the exit code.
run() {
  local name="$1"
  shift
  local code=0
  "$bin" "$@" >"$name.stdout" 2>"$name.stderr" || code=$?
  echo "$code" >"$name.code"
}

run simulate-danish simulate --out inputs/dirty-danish.csv --scale 0.3 --seed 11 --dirty --style danish
run simulate-canonical simulate --out inputs/dirty.csv --scale 0.3 --seed 12 --dirty
run simulate-clean simulate --out inputs/clean.csv --scale 0.2 --seed 13

run sample compare inputs/sample.csv --out sample
run sample-json compare inputs/sample.csv --format json
run danish compare inputs/dirty-danish.csv --out danish
run danish-check check inputs/dirty-danish.csv
run danish-check-csv check inputs/dirty-danish.csv --format csv --strict
run danish-strict compare inputs/dirty-danish.csv --strict --quiet
run dirty-levels compare inputs/dirty.csv --out dirty-levels --level all --adjust bh \
  --adjust-scope level --lang en --dpi 96
run dirty-anon compare inputs/dirty.csv --out dirty-anon --anonymize --seed 7 \
  --anonymize-key anon-key.csv
run clean-perm compare inputs/clean.csv --format json --permutations 200 --stratify offer-type \
  --seed 5 --level theme
run clean-options compare inputs/clean.csv --alternative less --ks-method asymptotic \
  --bandwidth silverman --confidence 0.9 --alpha 0.1 --adjust none
run two-files compare inputs/clean.csv inputs/dirty.csv --format json
run spider-visit spider inputs/sample.csv --visit B100120 --out spider-visit
run spider-offer spider inputs/sample.csv --offer T00003 --format json
run spider-dropped spider inputs/dirty.csv --visit "$(awk -F, 'NR==2{print $2}' inputs/dirty.csv)"
run model model
run model-csv model --format csv
run bad-missing compare inputs/does-not-exist.csv
run bad-strat compare inputs/clean.csv --stratify offer-type

python="${LOSSTAT_PYTHON:-python3}"
if "$python" -c "import openpyxl" 2>/dev/null; then
  "$python" - inputs/dirty-danish.csv inputs/dirty.xlsx <<'PY'
import csv, datetime, io, re, sys, zipfile, openpyxl
source, target = sys.argv[1], sys.argv[2]
book = openpyxl.Workbook()
fixed = datetime.datetime(2024, 1, 1)
book.properties.created = book.properties.modified = fixed
sheet = book.active
sheet.title = "Data"
with open(source, encoding="cp1252", newline="") as f:
    for row in csv.reader(f, delimiter=";"):
        sheet.append(row)
buffer = io.BytesIO()
book.save(buffer)
# The same bytes on every run: the archive's entry times are fixed too.
with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        data = src.read(info.filename)
        if info.filename == "docProps/core.xml":
            # openpyxl stamps the save time here whatever the properties say.
            data = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", data)
        dst.writestr(entry, data)
PY
  run xlsx compare inputs/dirty.xlsx --out xlsx --sheet Data
  run xlsx-check check inputs/dirty.xlsx --format csv
else
  echo "no openpyxl for $python: the workbook cases were skipped" | tee workbook-skipped.txt >&2
fi
# The input files themselves and every .losstat marker are outputs too; nothing else varies.
echo "outputs of $bin in $out"
