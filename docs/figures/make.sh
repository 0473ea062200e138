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
rm -rf "$out"
