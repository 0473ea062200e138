#!/usr/bin/env python3
"""Do losstat and the pandas baseline agree on the headline numbers?

Usage: check_agree.py LOSSTAT_OUT/results.json PANDAS_OUT/results.json
Exit 0 if every required check passes, 1 otherwise. Uses only the standard library.

Required (the brief): visits kept per authority (exact), mean overall score per authority
(|diff| <= 1e-9), KS D per pair (|diff| <= 1e-9) against D computed from pandas' overall scores
with ties restored (pandas' raw float means can split a tie; that is reported, not required).
Also reported (informational, not required): ratings per authority, median/sd, SciPy KS p
(relative 1e-9), Holm-adjusted SciPy p, KDE curves (relative 1e-9 of the peak), deviation
and Welch p per cell.
"""
import json
import math
import sys


def load(p):
    with open(p, encoding="utf-8") as fh:
        return json.load(fh)


def ks_d(x, y):
    """Two-sample KS statistic D (as scipy.stats.ks_2samp), standard library only."""
    x, y = sorted(x), sorted(y)
    n, m = len(x), len(y)
    i = j = 0
    d = 0.0
    while i < n and j < m:
        v = min(x[i], y[j])
        while i < n and x[i] == v:
            i += 1
        while j < m and y[j] == v:
            j += 1
        d = max(d, abs(i / n - j / m))
    return d


def read_overall(path, digits=None):
    """Overall score per visit, by authority, from the visits.csv beside a results.json;
    rounded to `digits` decimals when given (ties restored). None if there is no visits.csv."""
    import csv
    import os

    f = os.path.join(os.path.dirname(path), "visits.csv")
    if not os.path.exists(f):
        return None
    out = {}
    with open(f, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            x = float(r["overall"])
            out.setdefault(r["authority"], []).append(x if digits is None else round(x, digits))
    return out


def tie_restored_d(path, keys):
    """D per pair from a tool's visits.csv with the overall scores rounded to 1e-10."""
    by = read_overall(path, 10)
    if by is None:
        return None
    return {k: ks_d(by[sorted(k)[0]], by[sorted(k)[1]]) for k in keys}


def diagnose_ties(lpath, ppath, off, lk, pk, lines):
    """Overall scores are means of means of integers: values equal as rationals can differ in
    the last bit depending on summation order, and KS then splits a tie. Recompute D from each
    tool's visits.csv with the overall scores rounded to 10 decimals (ties restored)."""
    lv, pv = read_overall(lpath), read_overall(ppath)
    if lv is None or pv is None:
        return
    lines.append("           diagnosis: D recomputed with ties restored (overall rounded to 1e-10):")
    for k in sorted(off, key=sorted):
        a, b = sorted(k)
        dl = ks_d([round(v, 10) for v in lv[a]], [round(v, 10) for v in lv[b]])
        dp = ks_d([round(v, 10) for v in pv[a]], [round(v, 10) for v in pv[b]])
        raw_l, raw_p = ks_d(lv[a], lv[b]), ks_d(pv[a], pv[b])
        lines.append(f"             {a.split()[-1]}/{b.split()[-1]}: tie-exact D = {dl:.6f} (from losstat's"
                     f" visits) / {dp:.6f} (from pandas'); raw-float D = {raw_l:.6f} / {raw_p:.6f};"
                     f" tie-exact D matches: losstat {abs(lk[k]['statistic'] - dl) <= 1e-12},"
                     f" pandas {abs(pk[k]['statistic'] - dp) <= 1e-12}")


def main(lpath, ppath):
    L, P = load(lpath), load(ppath)
    required_ok = True
    lines = []

    def check(name, ok, detail, required):
        nonlocal required_ok
        if required and not ok:
            required_ok = False
        tag = "PASS" if ok else ("FAIL" if required else "differs")
        lines.append(f"  [{tag:7}] {'(req) ' if required else '(info)'} {name}: {detail}")

    la = {a["name"]: a for a in L["authorities"]}
    pa = {a["name"]: a for a in P["authorities"]}
    check("same authorities", set(la) == set(pa), f"{sorted(la)}", True)
    names = sorted(set(la) & set(pa))

    check("visits kept (total)", L["filter"]["visits_kept"] == P["filter"]["visits_kept"],
          f"losstat {L['filter']['visits_kept']} / pandas {P['filter']['visits_kept']}", True)
    bad = [n for n in names if la[n]["visits"] != pa[n]["visits"]]
    check("visits kept per authority", not bad,
          ", ".join(f"{n.split()[-1]} {la[n]['visits']}" for n in names) + (f"; differ: {bad}" if bad else ""), True)
    bad = [n for n in names if la[n]["ratings"] != pa[n]["ratings"]]
    check("ratings kept per authority", not bad, f"differ: {bad}" if bad else "all equal", False)

    d = max(abs(la[n]["overall"]["mean"] - pa[n]["overall"]["mean"]) for n in names)
    check("mean overall score per authority", d <= 1e-9, f"max |diff| = {d:.3g}", True)
    for k in ("median", "sd", "q1", "q3"):
        d = max(abs(la[n]["overall"][k] - pa[n]["overall"][k]) for n in names)
        check(f"overall {k}", d <= 1e-9, f"max |diff| = {d:.3g}", False)
    d = max(abs(la[n]["score_share"][s] - pa[n]["score_share"][s]) for n in names for s in "12345")
    check("score shares", d <= 1e-12, f"max |diff| = {d:.3g}", False)

    lk = {frozenset((r["a"], r["b"])): r for r in L["ks"]}
    pk = {frozenset((r["a"], r["b"])): r for r in P["ks"]}
    check("same 10 pairs", set(lk) == set(pk) and len(lk) == 10, f"{len(lk)} / {len(pk)}", True)
    keys = set(lk) & set(pk)
    # Required: losstat's D equals D on pandas' own overall scores with ties restored (rounded
    # to 1e-10; distinct fractions here differ by far more). pandas' raw-float D may split a tie
    # (a mean of means summed in another order differs in the last bit); that is reported.
    tied = tie_restored_d(ppath, keys)
    if tied is not None:
        d = max(abs(lk[k]["statistic"] - tied[k]) for k in keys)
        check("KS D per pair (vs tie-restored D from pandas' overall scores)", d <= 1e-9,
              f"max |diff| = {d:.3g}", True)
    else:
        d = max(abs(lk[k]["statistic"] - pk[k]["statistic"]) for k in keys)
        check("KS D per pair", d <= 1e-9, f"max |diff| = {d:.3g}", True)
    off = [k for k in keys if abs(lk[k]["statistic"] - pk[k]["statistic"]) > 1e-9]
    check("KS D per pair, raw floats (pandas splits ties)", not off, f"{len(off)} pair(s) differ" + "".join(
        f"; {'/'.join(sorted(n.split()[-1] for n in k))}: losstat {lk[k]['statistic']:.6f}"
        f" pandas {pk[k]['statistic']:.6f}" for k in sorted(off, key=sorted)), False)
    if off:
        diagnose_ties(lpath, ppath, off, lk, pk, lines)

    def rel(a, b):
        return abs(a - b) / max(abs(a), abs(b), 1e-300)

    d = max(rel(lk[k]["p_value"], pk[k]["p_value"]) for k in keys)
    check("KS p (SciPy-compatible)", d <= 1e-9, f"max rel diff = {d:.3g}", False)
    if all("p_value_scipy_adjusted" in lk[k] for k in keys):
        d = max(rel(lk[k]["p_value_scipy_adjusted"], pk[k]["p_value_adjusted"]) for k in keys)
        check("Holm-adjusted SciPy p", d <= 1e-9, f"max rel diff = {d:.3g}", False)
    sig_l = sum(bool(lk[k]["significant"]) for k in keys)
    sig_p = sum(bool(pk[k]["significant"]) for k in keys)
    check("pairs significant after Holm", sig_l == sig_p,
          f"losstat {sig_l} (on tie-exact p) / pandas {sig_p} (on SciPy p)", False)

    lc = {c["authority"]: c["density"] for c in L["kde"]["curves"]}
    pc = {c["authority"]: c["density"] for c in P["kde"]["curves"]}
    worst = 0.0
    for n in names:
        peak = max(pc[n])
        worst = max(worst, max(abs(a - b) for a, b in zip(lc[n], pc[n])) / peak)
    check("KDE (512 points)", worst <= 1e-9, f"max |diff| / peak = {worst:.3g}", False)

    ld = {(r["indicator"], r["authority"]): r for r in L["deviation"]}
    pd_ = {(r["indicator"], r["authority"]): r for r in P["deviation"]}
    keys = set(ld) & set(pd_)
    check("deviation cells", set(ld) == set(pd_), f"losstat {len(ld)} / pandas {len(pd_)}", False)
    d = max(abs(ld[k]["deviation"] - pd_[k]["deviation"]) for k in keys)
    check("deviation", d <= 1e-9, f"max |diff| = {d:.3g}", False)
    ps = [(ld[k]["p_value"], pd_[k]["p_value"]) for k in keys
          if ld[k].get("p_value") is not None and pd_[k].get("p_value") is not None
          and not (isinstance(pd_[k]["p_value"], float) and math.isnan(pd_[k]["p_value"]))]
    d = max(rel(a, b) for a, b in ps) if ps else float("nan")
    check("Welch p per cell", d <= 1e-6, f"max rel diff = {d:.3g} over {len(ps)} cells", False)

    print("Agreement check (losstat vs pandas):")
    print("\n".join(lines))
    print("RESULT: " + ("AGREE on all required headline numbers" if required_ok
                        else "DISAGREE on at least one required headline number"))
    return 0 if required_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
