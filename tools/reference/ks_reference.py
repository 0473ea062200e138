#!/usr/bin/env python3
"""Generate reference values for losstat's two-sample Kolmogorov-Smirnov kernels.

Writes tests/data/reference/ks_scipy.json (relative to the repository root, i.e. two
directories above this script's folder). The Rust tests in src/stats/ks/ load it with
include_str!, so the JSON is committed and nothing here runs at build or test time.

What is in it:
  * "ks_2samp": scipy.stats.ks_2samp(a, b, alternative, method) for continuous and
    heavily tied data (means of 3-8 integer scores 1..5, sizes 20-600), every
    alternative, methods auto / exact / asymp. "method_used" records whether SciPy
    fell back to the asymptotic p (it warns "Exact calculation unsuccessful" or
    "not possible"). "p_ties" is the exact p-value conditional on the tie pattern
    (R >= 4.4 psmirnov(exact=TRUE, z=...)), computed here as an exact rational with
    big-integer lattice-path counting (an algorithm independent of the Rust float
    recursion), then rounded once to the nearest double.
  * "kstwo": scipy.stats.kstwo.sf(x, n) on a grid that reaches every branch of
    SciPy's Simard-L'Ecuyer dispatch.
  * "smirnov": scipy.special.smirnov(n, x); "kolmogorov": scipy.special.kolmogorov(x).

Tied samples are stored compactly as integer score sums plus a divisor: the value is
sum / divisor, which is exactly numpy's mean of the underlying integer scores (one
float division of an exactly represented integer). Continuous samples are rounded to
4 decimals before use, so the JSON repr round-trips bit-exactly.

Usage (reference values were produced with SciPy 1.17.1, NumPy 2.4.6):
    python3 -m venv /root/.cache/refvenv
    /root/.cache/refvenv/bin/pip install scipy==1.17.1 numpy
    /root/.cache/refvenv/bin/python tools/reference/ks_reference.py
"""

from __future__ import annotations

import json
import math
import pathlib
import warnings
from fractions import Fraction

import numpy as np
import scipy
from scipy import special, stats

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "reference" / "ks_scipy.json"

ALTERNATIVES = ["two-sided", "less", "greater"]


# ----------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------


def tied_sample(rng: np.random.Generator, n: int, k: int, probs) -> list[int]:
    """Sums of k integer scores 1..5 for n units (value = sum / k)."""
    scores = rng.choice(np.arange(1, 6), size=(n, k), p=probs)
    return [int(s) for s in scores.sum(axis=1)]


def continuous_sample(rng: np.random.Generator, n: int, loc: float) -> list[float]:
    return [float(v) for v in np.round(rng.normal(loc, 1.0, size=n), 4)]


# ----------------------------------------------------------------------------------
# Exact tie-conditional p-value by big-integer path counting
# ----------------------------------------------------------------------------------


def integer_counts_statistic(a, b, alternative) -> int:
    """max over tie-block ends of n2*c1 - n1*c2 (or its negative), in integers."""
    a = sorted(a)
    b = sorted(b)
    n1, n2 = len(a), len(b)
    i = j = 0
    dplus = dminus = 0
    while i < n1 or j < n2:
        v = min(a[i] if i < n1 else math.inf, b[j] if j < n2 else math.inf)
        while i < n1 and a[i] == v:
            i += 1
        while j < n2 and b[j] == v:
            j += 1
        diff = n2 * i - n1 * j
        dplus = max(dplus, diff)
        dminus = max(dminus, -diff)
    if alternative == "greater":
        return dplus
    if alternative == "less":
        return dminus
    return max(dplus, dminus)


def exact_tie_p(a, b, alternative) -> Fraction:
    """P(D >= d_obs) over all C(N, n1) labellings of the sorted pooled sample, D
    evaluated only at ends of tie blocks. Counts paths that never reach the boundary
    at a block end; p = 1 - stay / C(N, n1)."""
    n1, n2 = len(a), len(b)
    k = integer_counts_statistic(a, b, alternative)
    if k == 0:
        return Fraction(1)
    pooled = sorted(list(a) + list(b))
    big_n = n1 + n2
    block_end = [False] * (big_n + 1)
    for pos in range(1, big_n + 1):
        block_end[pos] = pos == big_n or pooled[pos - 1] != pooled[pos]

    def hits(i: int, j: int) -> bool:
        diff = n2 * i - n1 * j
        if alternative == "greater":
            return diff >= k
        if alternative == "less":
            return -diff >= k
        return abs(diff) >= k

    # stay[j] for the current i: paths from (0,0) to (i,j) that never hit.
    stay = [0] * (n2 + 1)
    stay[0] = 1
    for j in range(1, n2 + 1):
        stay[j] = 0 if (block_end[j] and hits(0, j)) else stay[j - 1]
    for i in range(1, n1 + 1):
        if block_end[i] and hits(i, 0):
            stay[0] = 0
        for j in range(1, n2 + 1):
            if block_end[i + j] and hits(i, j):
                stay[j] = 0
            else:
                stay[j] = stay[j] + stay[j - 1]
    return 1 - Fraction(stay[n2], math.comb(big_n, n1))


# ----------------------------------------------------------------------------------
# SciPy calls
# ----------------------------------------------------------------------------------


def scipy_ks(a, b, alternative, method):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(a, b, alternative=alternative, method=method)
    fell_back = any(
        "Switching to" in str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)
    )
    n1, n2 = len(a), len(b)
    if method == "asymp" or fell_back or (method == "auto" and max(n1, n2) > 10000):
        used = "asymptotic"
    else:
        used = "exact"
    return {
        "statistic": float(res.statistic),
        "p_value": float(res.pvalue),
        "statistic_location": float(res.statistic_location),
        "statistic_sign": int(res.statistic_sign),
        "method_used": used,
    }


def add_case(cases, name, a_repr, b_repr, a, b, methods, tie_exact=True):
    for alternative in ALTERNATIVES:
        p_ties = float(exact_tie_p(a, b, alternative)) if tie_exact else None
        for method in methods:
            entry = {
                "name": name,
                "alternative": alternative,
                "method": method,
                **a_repr,
                **b_repr,
                **scipy_ks(a, b, alternative, method),
            }
            if p_ties is not None:
                entry["p_ties"] = p_ties
            cases.append(entry)


def build_ks_cases():
    rng = np.random.default_rng(20240611)
    cases = []

    # Continuous data: no ties, so p_ties equals the no-ties exact p.
    for n1, n2, shift in [(5, 7, 0.8), (20, 20, 0.5), (37, 50, 0.4), (100, 110, 0.3), (250, 300, 0.2)]:
        a = continuous_sample(rng, n1, 0.0)
        b = continuous_sample(rng, n2, shift)
        add_case(
            cases, f"continuous_{n1}x{n2}", {"a": a}, {"b": b}, a, b, ["auto", "exact", "asymp"]
        )

    # Heavily tied data: means of k integer scores 1..5, LOS-like skew towards 5.
    lenient = [0.02, 0.05, 0.13, 0.25, 0.55]
    strict = [0.04, 0.08, 0.18, 0.30, 0.40]
    for n1, n2, k, pb in [
        (20, 25, 3, strict),
        (20, 20, 8, lenient),
        (60, 45, 4, strict),
        (150, 200, 6, strict),
        (300, 280, 5, lenient),
        (575, 473, 6, strict),
        (600, 500, 6, lenient),
        (600, 500, 3, strict),
    ]:
        sa = tied_sample(rng, n1, k, lenient)
        sb = tied_sample(rng, n2, k, pb)
        a = [s / k for s in sa]
        b = [s / k for s in sb]
        add_case(
            cases,
            f"tied_k{k}_{n1}x{n2}",
            {"a_sum": sa, "a_div": k},
            {"b_sum": sb, "b_div": k},
            a,
            b,
            ["auto", "asymp"],
        )

    # Exact one-sided fails in SciPy (path counting overflows) -> asymp fallback.
    a = [float(v) for v in np.round(np.linspace(1, 200, 500), 6)]
    b = [float(v) for v in np.round(np.linspace(2, 200, 600) + 0.0123, 6)]
    add_case(cases, "fallback_500x600", {"a": a}, {"b": b}, a, b, ["auto", "exact"], tie_exact=False)

    # SciPy suite gh-14019: (881, 369) 'less' -> "Exact calculation unsuccessful" -> asymp.
    rs = np.random.RandomState(23493549)
    a = [float(v) for v in rs.random(881) + 0.5]
    b = [float(v) for v in rs.random(369)]
    for method in ["auto", "exact"]:
        cases.append(
            {"name": "gh14019", "alternative": "less", "method": method, "a": a, "b": b,
             **scipy_ks(a, b, "less", method)}
        )

    # Equal sizes (square lattice formulas).
    a = continuous_sample(rng, 40, 0.0)
    b = continuous_sample(rng, 40, 0.6)
    add_case(cases, "continuous_40x40", {"a": a}, {"b": b}, a, b, ["auto", "asymp"])

    # Identical samples: D = 0.
    sa = tied_sample(rng, 30, 4, lenient)
    add_case(
        cases,
        "identical_30",
        {"a_sum": sa, "a_div": 4},
        {"b_sum": sa, "b_div": 4},
        [s / 4 for s in sa],
        [s / 4 for s in sa],
        ["auto", "asymp"],
    )
    return cases


# ----------------------------------------------------------------------------------
# kstwo / smirnov / kolmogorov
# ----------------------------------------------------------------------------------


def build_kstwo_cases():
    out = []
    ns = [1, 2, 3, 4, 5, 7, 10, 20, 50, 100, 140, 141, 200, 500, 1000, 5238, 20000, 100001, 200000]
    nx2_targets = [0.05, 0.2, 0.5, 0.7, 0.75, 1.0, 1.5, 2.0, 2.1, 2.5, 3.0, 4.0, 5.0, 10.0, 20.0, 50.0]
    for n in ns:
        xs = [math.sqrt(t / n) for t in nx2_targets]
        xs += [0.4 / n, 0.6 / n, 0.9 / n, 1.5 / n, 0.3, 0.45, 0.5, 0.7, 1 - 1.0 / n, 1 - 0.5 / n]
        for x in sorted(set(xs)):
            if 0.0 < x < 1.0:
                out.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    return out


def build_smirnov_cases():
    out = []
    for n in [1, 2, 5, 10, 50, 141, 1000, 5000]:
        for x in [0.01, 0.05, 0.1, 0.2, 0.5, 0.75, 0.99]:
            out.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    return out


def build_kolmogorov_cases():
    xs = [0.1, 0.3, 0.5, 0.7, 0.81, 0.83, 1.0, 1.5, 2.0, 3.0]
    return [{"x": x, "sf": float(special.kolmogorov(x))} for x in xs]


def main():
    doc = {
        "generator": "tools/reference/ks_reference.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "ks_2samp": build_ks_cases(),
        "kstwo": build_kstwo_cases(),
        "smirnov": build_smirnov_cases(),
        "kolmogorov": build_kolmogorov_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(doc['ks_2samp'])} ks_2samp cases, {len(doc['kstwo'])} kstwo cases)")


if __name__ == "__main__":
    main()
