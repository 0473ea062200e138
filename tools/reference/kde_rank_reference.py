#!/usr/bin/env python3
"""Reference values for losstat's stats::{kde, rank, deviation, multitest, distributions}.

Writes tests/data/reference/kde_rank_scipy.json (relative to the crate root, or the path
given as the first argument). Every expected number in that file comes from SciPy,
NumPy or statsmodels as named in the "provenance" entries, except the few quantities
those libraries do not return (Brunner-Munzel degrees of freedom and the Cliff's delta
confidence interval), which are recomputed here from the published formulas
(Brunner & Munzel 2000, eq. for the rank variance and Satterthwaite df) using SciPy's
rankdata and t.ppf, and are labelled as such.

Reproduce (versions used for the committed file are recorded in it):
    python3 -m venv /root/.cache/refvenv-kde
    /root/.cache/refvenv-kde/bin/pip install scipy numpy statsmodels mpmath
    /root/.cache/refvenv-kde/bin/python tools/reference/kde_rank_reference.py
"""

import json
import math
import os
import sys
import warnings

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.multitest import multipletests

warnings.simplefilter("ignore")


def clean(v):
    """JSON-safe: NaN/inf become null, numpy scalars become Python floats."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [clean(x) for x in v]
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def overall_scores(rng, n, probs):
    """Overall-score-like data: each value is the mean of 3..7 integer scores 1..5."""
    out = []
    for _ in range(n):
        k = rng.randint(3, 8)
        s = rng.choice([1, 2, 3, 4, 5], size=k, p=probs)
        out.append(float(np.mean(s)))
    return out


def from_counts(counts):
    """Integer scores 1..5 from their counts."""
    return [float(score) for score, c in zip(range(1, 6), counts) for _ in range(c)]


rng = np.random.RandomState(20240611)
P_LENIENT = [0.02, 0.04, 0.12, 0.30, 0.52]
P_STRICT = [0.04, 0.08, 0.20, 0.33, 0.35]
small = overall_scores(rng, 40, P_LENIENT)
large_a = overall_scores(rng, 600, P_LENIENT)
large_b = overall_scores(rng, 500, P_STRICT)
weights40 = [float(w) for w in rng.randint(1, 6, size=40)]

out = {
    "provenance": {
        "script": "tools/reference/kde_rank_reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "statsmodels": statsmodels.__version__,
        "mpmath": mp.__version__,
        "python": sys.version.split()[0],
    }
}

# ---------------------------------------------------------------- linspace
out["linspace"] = []
for lo, hi, n in [(1.0, 5.0, 512), (0.0, 6.0, 7), (-3.3, 7.1, 101), (1.0, 5.0, 17), (1.0, 5.0, 41),
                  (2.0, 2.0, 5), (3.0, 1.0, 4), (1.0, 5.0, 1), (1.0, 5.0, 0)]:
    out["linspace"].append({"lo": lo, "hi": hi, "n": n, "values": np.linspace(lo, hi, n).tolist()})

# ---------------------------------------------------------------- KDE
kde_cases = []


def kde_case(name, data, weights, bw, grid_spec):
    lo, hi, n = grid_spec
    grid = np.linspace(lo, hi, n)
    if bw == "scott" or bw == "silverman":
        k = st.gaussian_kde(np.asarray(data), bw_method=bw, weights=weights)
    else:
        k = st.gaussian_kde(np.asarray(data), bw_method=float(bw), weights=weights)
    kde_cases.append({
        "name": name,
        "data": data,
        "weights": weights,
        "bandwidth": bw,
        "grid": {"lo": lo, "hi": hi, "n": n},
        "factor": float(k.factor),
        "kernel_sd": float(math.sqrt(k.covariance[0, 0])),
        "neff": float(k.neff),
        "density": k(grid).tolist(),
    })


for bw in ["scott", "silverman", 0.3]:
    kde_case(f"tied40_{bw}", small, None, bw, (1.0, 5.0, 512))
    kde_case(f"tied40_weighted_{bw}", small, weights40, bw, (1.0, 5.0, 512))
kde_case("tied600_scott", large_a, None, "scott", (1.0, 5.0, 512))
kde_case("tied500_silverman", large_b, None, "silverman", (1.0, 5.0, 512))
kde_case("tied40_scott_wide", small, None, "scott", (-2.0, 8.0, 257))
kde_case("two_points_scott", [1.0, 2.0], None, "scott", (0.0, 3.0, 7))
out["kde"] = kde_cases

# ---------------------------------------------------------------- histogram
hist_cases = []
for name, data, edges in [
    ("tied40_quarter", small, np.linspace(1, 5, 17)),
    ("tied600_quarter", large_a, np.linspace(1, 5, 17)),
    ("tied500_tenth", large_b, np.linspace(1, 5, 41)),
    ("uneven_with_outside", small + [0.5, 5.0, 5.5, 1.0], np.array([1.0, 2.5, 3.0, 4.2, 4.6, 5.0])),
]:
    counts, e = np.histogram(np.asarray(data), bins=edges)
    dens, _ = np.histogram(np.asarray(data), bins=edges, density=True)
    hist_cases.append({"name": name, "data": data, "edges": e.tolist(),
                       "counts": counts.tolist(), "density": dens.tolist()})
out["histogram"] = hist_cases

# ---------------------------------------------------------------- ranks


def bm_df_and_delta_ci(x, y, level=0.95):
    """Brunner-Munzel df and a Cliff's delta CI for P(X>Y)-P(X<Y), from the published formulas.

    Placements: P_i = rank of x_i in the pooled sample minus its rank within x
    = #{y < x_i} + #{y = x_i}/2. Var(p_hat) = (nx*Sx + ny*Sy)/(nx*ny)^2 with Sx, Sy the
    ddof-1 variances of the placements (Brunner & Munzel 2000). delta = 2*p_hat - 1 with
    p_hat = mean placement of x / ny, so the CI is delta -/+ 2*t*se.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    nx, ny = len(x), len(y)
    rc = st.rankdata(np.concatenate([x, y]))
    px = rc[:nx] - st.rankdata(x)
    py = rc[nx:] - st.rankdata(y)
    if nx < 2 or ny < 2:
        return None, None, None
    sx = np.var(px, ddof=1)
    sy = np.var(py, ddof=1)
    v = nx * sx + ny * sy
    if v == 0:
        return None, None, None
    df = v ** 2 / ((nx * sx) ** 2 / (nx - 1) + (ny * sy) ** 2 / (ny - 1))
    se = math.sqrt(v) / (nx * ny)
    p_hat = px.mean() / ny
    delta = 2 * p_hat - 1
    t = st.t.ppf(0.5 + level / 2, df)
    return df, max(-1.0, delta - 2 * t * se), min(1.0, delta + 2 * t * se)


A1 = from_counts([2, 5, 8, 4, 1])
A2 = from_counts([1, 2, 6, 8, 3])
rank_pairs = [
    ("A1_A2_ordinal", A1, A2),
    ("tied_600_500", large_a, large_b),
    ("tied_40_20", small, large_b[:20]),
    ("exact_3_5", [1.5, 2.7, 3.1], [0.2, 2.9, 4.4, 5.0, 3.3]),
    ("exact_8_30", [float(v) for v in np.round(rng.normal(0.4, 1, 8), 6)],
     [float(v) for v in np.round(rng.normal(0, 1, 30), 6)]),
    ("exact_1_6", [3.05], [1.0, 2.0, 4.0, 5.0, 6.0, 7.0]),
    ("exact_7_7_separated", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0]),
    ("asymptotic_9_9", [float(v) for v in np.round(rng.normal(0.5, 1, 9), 6)],
     [float(v) for v in np.round(rng.normal(0, 1, 9), 6)]),
    ("small_ties", [1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0, 5.0]),
    ("all_tied", [5.0, 5.0, 5.0], [5.0, 5.0]),
    ("separated_ties", [1.0, 1.0, 2.0], [3.0, 4.0, 4.0]),
    ("one_side_constant", [4.0, 4.0, 4.0, 4.0], [1.0, 3.0, 4.0, 5.0, 5.0]),
]
ranks = []
for name, x, y in rank_pairs:
    mw = st.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True, method="auto")
    mw_exact = st.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    mw_asym = st.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True, method="asymptotic")
    auto_is = "exact" if mw.pvalue == mw_exact.pvalue and mw.pvalue != mw_asym.pvalue else "asymptotic"
    bm = st.brunnermunzel(x, y, alternative="two-sided", distribution="t")
    df, lo, hi = bm_df_and_delta_ci(x, y)
    n1, n2 = len(x), len(y)
    ranks.append({
        "name": name, "a": x, "b": y,
        "u_statistic": mw.statistic, "mann_whitney_p": mw.pvalue, "mann_whitney_method": auto_is,
        "mann_whitney_p_asymptotic": mw_asym.pvalue,
        "brunner_munzel_statistic": bm.statistic, "brunner_munzel_p": bm.pvalue,
        "brunner_munzel_df_formula": df,
        "cliffs_delta": 2 * mw.statistic / (n1 * n2) - 1,
        "cliffs_delta_ci95_formula": [lo, hi],
    })
out["ranks"] = ranks

# ---------------------------------------------------------------- deviation (Welch, a vs rest)


def ints(rng, n, probs):
    return [float(v) for v in rng.choice([1, 2, 3, 4, 5], size=n, p=probs)]


indicators = {
    "mixed": [("Nord", ints(rng, 30, P_STRICT)), ("Midt", ints(rng, 25, P_LENIENT)),
              ("Syd", ints(rng, 12, P_STRICT)), ("Oest", ints(rng, 40, P_LENIENT)),
              ("Hovedstaden", ints(rng, 3, P_STRICT))],
    "mostly_fives": [("Nord", [5.0] * 18 + [4.0] * 2), ("Midt", [5.0] * 30),
                     ("Syd", [5.0] * 9 + [3.0]), ("Oest", [4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]),
                     ("Hovedstaden", [5.0] * 40 + [4.0] * 10 + [2.0])],
}
dev = []
for ind, groups in indicators.items():
    allv = [v for _, g in groups for v in g]
    N = len(allv)
    nat = float(np.mean(allv))
    cells = []
    for name, g in groups:
        rest = [v for other, h in groups if other != name for v in h]
        r = st.ttest_ind(g, rest, equal_var=False)
        c95 = r.confidence_interval(0.95)
        c90 = r.confidence_interval(0.90)
        scale = 1 - len(g) / N
        dev_ = float(np.mean(g)) - nat
        cells.append({
            "authority": name, "n": len(g), "mean": float(np.mean(g)), "national_mean": nat,
            "deviation": dev_,
            "welch_t": r.statistic, "welch_df": r.df, "p_value": r.pvalue,
            "diff_ci95": [c95.low, c95.high], "diff_ci90": [c90.low, c90.high],
            # deviation = (1 - n_a/N) * (mean_a - mean_rest); the CI scales by the same factor.
            "ci95": [scale * c95.low, scale * c95.high], "ci90": [scale * c90.low, scale * c90.high],
        })
    dev.append({"indicator": ind, "groups": [{"authority": a, "scores": g} for a, g in groups],
                "cells": cells})
out["deviation"] = dev

# ---------------------------------------------------------------- p.adjust


def r_padjust(p, method):
    """R's p.adjust: NaN ignored, n = number of non-NaN p; computed with statsmodels."""
    p = np.asarray(p, float)
    ok = ~np.isnan(p)
    res = p.copy()
    if ok.sum() <= 1:
        return res
    sm = {"holm": "holm", "BH": "fdr_bh"}[method]
    res[ok] = multipletests(p[ok], method=sm)[1]
    return res


pvec = [
    ("ref_4_7", [0.01, 0.04, 0.03, 0.005, 0.20]),
    ("random20", [float(v) for v in np.round(rng.uniform(0, 0.2, 20) ** 2, 8)]),
    ("ties", [0.01, 0.01, 0.02, 0.02, 0.5, 0.5, 0.04]),
    ("with_nan", [0.02, float("nan"), 0.001, 0.3, float("nan"), 0.04]),
    ("large", [0.6, 0.9, 0.95, 0.99, 1.0]),
    ("single", [0.03]),
    ("one_plus_nan", [float("nan"), 0.03]),
]
padj = []
for name, p in pvec:
    padj.append({"name": name, "p": [None if math.isnan(v) else v for v in p],
                 "holm": [None if math.isnan(v) else float(v) for v in r_padjust(p, "holm")],
                 "bh": [None if math.isnan(v) else float(v) for v in r_padjust(p, "BH")]})
out["p_adjust"] = padj

# ---------------------------------------------------------------- distributions
mp.mp.dps = 40


def mp_t_sf(t, df):
    """40-digit t survival function (mpmath), the truth where SciPy itself is off (large df)."""
    t, df = mp.mpf(t), mp.mpf(df)
    if t == 0:
        return mp.mpf(0.5)
    tail = mp.betainc(df / 2, mp.mpf(0.5), 0, df / (df + t * t), regularized=True) / 2
    return tail if t > 0 else 1 - tail


def mp_t_ppf(q, df, start):
    return mp.findroot(lambda x: (1 - mp_t_sf(x, df)) - mp.mpf(q), mp.mpf(start))


# Rows: [df, x, SciPy value, mpmath 40-digit value].
dist = {"t_sf": [], "t_ppf": [], "norm_sf": [], "norm_ppf": []}
for df in [1.0, 1.7, 2.0, 3.5, 7.3, 19.0, 38.2, 100.7, 597.0, 1099.5, 4321.9, 1e5, 3e6]:
    for t in [-2.5, 0.0, 0.01, 0.3, 1.0, 1.96, 2.5, 4.0, 7.0, 12.0, 30.0]:
        dist["t_sf"].append([df, t, float(st.t.sf(t, df)), float(mp_t_sf(t, df))])
    for q in [0.5, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025, 0.05]:
        sp = float(st.t.ppf(q, df))
        dist["t_ppf"].append([df, q, sp, float(mp_t_ppf(q, df, sp))])
for z in [-3.0, -0.5, 0.0, 0.2, 0.5, 0.7, 0.8, 1.0, 1.5, 1.96, 2.5, 3.0, 4.0, 5.0, 6.5, 8.0, 12.0, 20.0, 30.0, 37.5]:
    dist["norm_sf"].append([z, float(st.norm.sf(z)), float(mp.erfc(mp.mpf(z) / mp.sqrt(2)) / 2)])
for q in [0.5, 0.6, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.999999, 0.025, 1e-10]:
    dist["norm_ppf"].append([q, float(st.norm.ppf(q)), float(mp.sqrt(2) * mp.erfinv(2 * mp.mpf(q) - 1))])
out["distributions"] = dist

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "reference", "kde_rank_scipy.json")
with open(path, "w") as f:
    json.dump(clean(out), f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
