#!/usr/bin/env python3
"""Summarise the timed runs of compare_peer.sh: one row per scale with medians, printed as a
text table and written as table.md and table.csv, followed by the four DESIGN.md §7 targets
and the three of issue 16 (scale), each judged MET / NOT MET / not measured.

Usage: report.py WORK_DIR
Reads WORK_DIR/runs.csv (scale,ratings,tool,run,wall_s,peak_rss_kb,read_s) and, when present,
WORK_DIR/machine.md (pasted above the table in table.md).
"""
import csv
import os
import statistics
import sys

TEN_MILLION = 9_500_000     # "≈ 10 million": 180x national size is 9.7 M ratings
FLAT_TOLERANCE = 1.25       # s per M ratings may not rise by more than this factor
# Issue 16: peak RSS at ~10 M ratings, the speed ratio to the peer at every scale, and the
# whole run against the bare polars read at ~10 M ratings.
SCALE_PEAK_MB = 500
SCALE_RATIO = 10
SCALE_OVER_READ = 1.5


def load_runs(work):
    by = {}
    with open(os.path.join(work, "runs.csv"), encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            by.setdefault((r["scale"], int(r["ratings"])), []).append(r)
    return by


def summarise(work):
    """One dict of medians per scale, ordered by the number of ratings."""
    rows = []
    for (scale, ratings), rs in sorted(load_runs(work).items(), key=lambda kv: kv[0][1]):
        def med(tool, field):
            vals = [float(r[field]) for r in rs if r["tool"] == tool and r[field] != ""]
            return statistics.median(vals) if vals else float("nan")

        def peak(tool):
            vals = [int(r["peak_rss_kb"]) for r in rs if r["tool"] == tool]
            return max(vals) * 1024 / 1e6 if vals else float("nan")   # KiB -> MB (10^6 B)

        l_wall, p_wall, read = med("losstat", "wall_s"), med("peer", "wall_s"), med("polars", "read_s")
        rows.append({
            "scale": scale,
            "ratings": ratings,
            "runs": sum(r["tool"] == "losstat" for r in rs),
            "losstat_wall_s": l_wall,
            "peer_wall_s": p_wall,
            "ratio": p_wall / l_wall,
            "losstat_peak_rss_mb": peak("losstat"),
            "peer_peak_rss_mb": peak("peer"),
            "losstat_s_per_m": l_wall / (ratings / 1e6),
            "polars_read_s": read,
            "losstat_over_read": l_wall / read,
        })
    return rows


COLUMNS = [  # key, header, format
    ("scale", "scale", "{}x"),
    ("ratings", "ratings", "{:,}"),
    ("runs", "runs", "{}"),
    ("losstat_wall_s", "losstat wall s", "{:.3f}"),
    ("peer_wall_s", "peer wall s", "{:.2f}"),
    ("ratio", "peer / losstat", "{:.1f}x"),
    ("losstat_peak_rss_mb", "losstat peak RSS MB", "{:.0f}"),
    ("peer_peak_rss_mb", "peer peak RSS MB", "{:.0f}"),
    ("losstat_s_per_m", "losstat s per M ratings", "{:.3f}"),
    ("polars_read_s", "polars read s", "{:.3f}"),
    ("losstat_over_read", "losstat / polars read", "{:.2f}x"),
]


def cells(row):
    return [fmt.format(row[key]) for key, _, fmt in COLUMNS]


def targets(rows):
    """(target, verdict, detail) for the four targets of issue 6 / DESIGN.md §7."""
    out = []
    national = next((r for r in rows if float(r["scale"]) == 1), None)
    big = rows[-1] if rows and rows[-1]["ratings"] >= TEN_MILLION else None

    if national:
        out.append(("national size (1x): compare with figures >= 20x faster than the peer",
                    national["ratio"] >= 20, f"{national['ratio']:.1f}x"))
    else:
        out.append(("national size (1x): >= 20x faster than the peer", None, "scale 1 not run"))

    if big:
        ok = big["losstat_wall_s"] < 15 and big["losstat_peak_rss_mb"] < 3000
        out.append((f"~10 M ratings ({big['ratings']:,}): < 15 s wall and < 3 GB peak RSS", ok,
                    f"{big['losstat_wall_s']:.2f} s, {big['losstat_peak_rss_mb']:.0f} MB"))
    else:
        out.append(("~10 M ratings: < 15 s wall and < 3 GB peak RSS", None,
                    f"no scale with >= {TEN_MILLION:,} ratings run"))

    if national and big and len(rows) >= 2:
        # Flat = never rising: no scale costs more per rating than FLAT_TOLERANCE times the
        # cheapest smaller scale (fixed costs make the smallest scales dearer per rating,
        # which is not growth).
        spm = [r["losstat_s_per_m"] for r in rows]
        worst = max(spm[k] / min(spm[:k]) for k in range(1, len(spm)))
        series = " -> ".join(f"{r['scale']}x {r['losstat_s_per_m']:.3f}" for r in rows)
        out.append((f"s per M ratings flat from 1x to ~10 M (no rise > {FLAT_TOLERANCE:.2f}x)",
                    worst <= FLAT_TOLERANCE, f"{series}; worst rise {worst:.2f}x"))
    else:
        out.append(("s per M ratings flat from 1x to ~10 M", None, "needs scale 1 and a ~10 M scale"))

    if big:
        out.append((f"~10 M ratings: losstat total <= 2x the bare polars CSV read",
                    big["losstat_over_read"] <= 2,
                    f"{big['losstat_wall_s']:.2f} s / {big['polars_read_s']:.2f} s = {big['losstat_over_read']:.2f}x"))
    else:
        out.append(("~10 M ratings: <= 2x the bare polars CSV read", None, "no ~10 M scale run"))
    return out + scale_targets(rows, big)


def scale_targets(rows, big):
    """(target, verdict, detail) for the three targets of issue 16."""
    out = []
    if big:
        peak, peer = big["losstat_peak_rss_mb"], big["peer_peak_rss_mb"]
        out.append((f"issue 16: ~10 M ratings: peak RSS < {SCALE_PEAK_MB} MB and below the peer's",
                    peak < SCALE_PEAK_MB and peak < peer, f"{peak:.0f} MB (peer {peer:.0f} MB)"))
    else:
        out.append((f"issue 16: ~10 M ratings: peak RSS < {SCALE_PEAK_MB} MB", None,
                    "no ~10 M scale run"))
    if rows:
        worst = min(rows, key=lambda r: r["ratio"])
        series = ", ".join(f"{r['scale']}x {r['ratio']:.1f}x" for r in rows)
        out.append((f"issue 16: >= {SCALE_RATIO}x faster than the peer at every scale run",
                    worst["ratio"] >= SCALE_RATIO, series))
    if big:
        out.append((f"issue 16: ~10 M ratings: losstat total <= {SCALE_OVER_READ}x the bare polars read",
                    big["losstat_over_read"] <= SCALE_OVER_READ,
                    f"{big['losstat_over_read']:.2f}x"))
    else:
        out.append((f"issue 16: ~10 M ratings: <= {SCALE_OVER_READ}x the bare polars read", None,
                    "no ~10 M scale run"))
    return out


def verdict(ok):
    return "not measured" if ok is None else ("MET" if ok else "NOT MET")


def main(work):
    rows = summarise(work)
    heads = [h for _, h, _ in COLUMNS]
    body = [cells(r) for r in rows]
    width = [max(len(h), *(len(b[k]) for b in body)) for k, h in enumerate(heads)]

    print("  ".join(h.rjust(w) for h, w in zip(heads, width)))
    for b in body:
        print("  ".join(c.rjust(w) for c, w in zip(b, width)))
    print()
    tgt = targets(rows)
    for name, ok, detail in tgt:
        print(f"{verdict(ok):>12}  {name}: {detail}")

    with open(os.path.join(work, "table.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([k for k, _, _ in COLUMNS])
        for r in rows:
            w.writerow([r[k] for k, _, _ in COLUMNS])

    md = []
    machine = os.path.join(work, "machine.md")
    if os.path.exists(machine):
        with open(machine, encoding="utf-8") as fh:
            md.append(fh.read().rstrip() + "\n")
    md.append("| " + " | ".join(heads) + " |")
    md.append("|" + "|".join("---:" for _ in heads) + "|")
    md.extend("| " + " | ".join(b) + " |" for b in body)
    md.append("")
    md.append("| target | verdict | measured |")
    md.append("|---|---|---|")
    md.extend(f"| {name} | {verdict(ok)} | {detail} |" for name, ok, detail in tgt)
    with open(os.path.join(work, "table.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(md) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
