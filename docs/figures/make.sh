#!/usr/bin/env bash
# Regenerates the README's figures from the shipped synthetic sample.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
cargo run --release --quiet -- compare data/sample.csv --out "$out/compare" --lang en --dpi 96 > /dev/null
cargo run --release --quiet -- spider data/sample.csv --visit B100224 --out "$out/spider" --lang en --dpi 96 > /dev/null
for f in fig1_score_shares fig2_overall_distribution_overlay fig3_deviation_heatmap fig4_ks_matrix; do
  cp "$out/compare/figures/$f.png" docs/figures/
done
cp "$out/spider/spider_B100224.png" docs/figures/
# Case mix on an export with a known truth: the five authorities score alike, but supervise
# different mixes of offer types that score differently.
cargo run --release --quiet -- simulate --out "$out/truth.csv" --severity 0,0,0,0,0 --type-effect 1 --case-mix 1 --quiet
cargo run --release --quiet -- compare "$out/truth.csv" --out "$out/truth" --lang en --dpi 96 > /dev/null
cp "$out/truth/figures/fig7_case_mix.png" docs/figures/
# Periods: four years in which the authorities' differences shrink by 0.7 a year.
cargo run --release --quiet -- simulate --out "$out/years.csv" --years 2021..2024 --convergence 0.7 --quiet
cargo run --release --quiet -- compare "$out/years.csv" --period year --out "$out/years" --lang en --dpi 96 > /dev/null
cp "$out/years/figures/fig8_periods.png" docs/figures/
rm -rf "$out"
