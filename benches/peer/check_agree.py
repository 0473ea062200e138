#!/usr/bin/env python3
"""Do losstat and the peer (los_peer.py) agree on the headline numbers?

Usage: check_agree.py LOSSTAT_OUT/results.json PEER_OUT/results.json
Exit 0 if every required check passes, 1 otherwise. Standard library only; each tool's
visits.csv is read from beside its results.json.

Required:
  * filter counts: rows read, rows kept, visits read, visits kept (total and per authority),
    and ratings/visits dropped by each LOS rule the peer implements (missing_authority,
    invalid_score, all_ones, missing_universal). losstat has further rules (malformed rows,
    duplicates, conflicting authorities, unknown indicators) that run between the LOS ones;
    when any of those dropped something, the per-rule LOS counts are not comparable and are
    reported as information only.
  * roll-up means: mean overall score per authority (|diff| <= 1e-9).
  * KS D per pair (|diff| <= 1e-9), against D computed from the peer's own overall scores with
    ties restored: overall scores are means of means of integers, and the same rational value
    summed in another order can differ in the last bit, which KS then treats as two values.
    losstat rolls up in exact fractions; pandas' float means can split such a tie. The raw
    D of the peer is compared too, as information, with a diagnosis when it differs.
Information only: ratings per authority, median/sd/quartiles, score shares, SciPy KS p and
its Holm adjustment, significant pairs, KDE curves, deviation and Welch p per cell.
"""
import csv
import json
import math
import os
import sys

LOS_RULES = ["missing_authority", "invalid_score", "all_ones", "missing_universal"]
TIE_DIGITS = 10   # distinct overall scores differ by far more than 1e-10


def load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def ks_d(x, y):
    """Two-sample KS statistic D (as scipy.stats.ks_2samp computes it): the largest gap
    between the two empirical CDFs, evaluated after each distinct value."""
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


def read_overall(results_path):
    """Overall score per visit, grouped by authority, from the visits.csv beside a
    results.json; None when there is no visits.csv."""
    path = os.path.join(os.path.dirname(results_path), "visits.csv")
    if not os.path.exists(path):
        return None
    by = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by.setdefault(row["authority"], []).append(float(row["overall"]))
    return by


def short(name):
    return name.split()[-1]


def pair_name(key):
    return "/".join(short(n) for n in sorted(key))


class Report:
    def __init__(self):
        self.lines = []
        self.ok = True

    def check(self, name, ok, detail, required):
        if required and not ok:
            self.ok = False
        tag = "PASS" if ok else ("FAIL" if required else "differs")
        kind = "(req) " if required else "(info)"
        self.lines.append(f"  [{tag:7}] {kind} {name}: {detail}")

    def note(self, text):
        self.lines.append("           " + text)


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def check_filters(rep, L, P, la, pa, names):
    lf, pf = L["filter"], P["filter"]
    for key in ("rows_read", "rows_kept", "visits_read", "visits_kept"):
        rep.check(f"filter: {key.replace('_', ' ')}", lf[key] == pf[key],
                  f"losstat {lf[key]} / peer {pf[key]}", True)
    bad = [n for n in names if la[n]["visits"] != pa[n]["visits"]]
    rep.check("filter: visits kept per authority", not bad,
              ", ".join(f"{short(n)} {la[n]['visits']}" for n in names)
              + (f"; differ: {[short(n) for n in bad]}" if bad else ""), True)

    lrule = {r["rule"]: r for r in lf["rules"]}
    prule = {r["rule"]: r for r in pf["rules"]}
    # losstat's own extra rules (scope rating/visit; flags drop nothing).
    extra = [r for r, v in lrule.items()
             if r not in LOS_RULES and v.get("scope") != "flag"
             and (v["ratings_dropped"] or v["visits_dropped"])]
    comparable = not extra
    diffs, shown = [], []
    for rule in LOS_RULES:
        lv, pv = lrule.get(rule), prule.get(rule)
        if lv is None or pv is None:
            diffs.append(f"{rule} missing in {'losstat' if lv is None else 'peer'}")
            continue
        lt = (lv["visits_dropped"], lv["ratings_dropped"])
        pt = (pv["visits_dropped"], pv["ratings_dropped"])
        shown.append(f"{rule} {lt[0]}v/{lt[1]}r")
        if lt != pt:
            diffs.append(f"{rule}: losstat {lt[0]} visits/{lt[1]} ratings, peer {pt[0]}/{pt[1]}")
    detail = ("; ".join(diffs) if diffs else "equal: " + ", ".join(shown))
    if not comparable:
        detail += f" (not comparable: losstat's extra rules dropped rows: {', '.join(extra)})"
    rep.check("filter: dropped per LOS rule (visits v / ratings r)", not diffs, detail, comparable)


def check_ks(rep, lpath, ppath, L, P):
    lk = {frozenset((r["a"], r["b"])): r for r in L["ks"]}
    pk = {frozenset((r["a"], r["b"])): r for r in P["ks"]}
    rep.check("same 10 pairs", set(lk) == set(pk) and len(lk) == 10, f"{len(lk)} / {len(pk)}", True)
    keys = sorted(set(lk) & set(pk), key=sorted)

    lv, pv = read_overall(lpath), read_overall(ppath)
    if pv is not None:
        tied = {a: [round(x, TIE_DIGITS) for x in xs] for a, xs in pv.items()}
        peer_tied_d = {k: ks_d(tied[sorted(k)[0]], tied[sorted(k)[1]]) for k in keys}
        d = max(abs(lk[k]["statistic"] - peer_tied_d[k]) for k in keys)
        rep.check("KS D per pair (losstat vs D from the peer's overall scores, ties restored)",
                  d <= 1e-9, f"max |diff| = {d:.3g}", True)
    else:
        d = max(abs(lk[k]["statistic"] - pk[k]["statistic"]) for k in keys)
        rep.check("KS D per pair (no visits.csv: raw D)", d <= 1e-9, f"max |diff| = {d:.3g}", True)

    off = [k for k in keys if abs(lk[k]["statistic"] - pk[k]["statistic"]) > 1e-9]
    rep.check("KS D per pair, the peer's raw float D", not off, f"{len(off)} pair(s) differ" + "".join(
        f"; {pair_name(k)}: losstat {lk[k]['statistic']:.6f} peer {pk[k]['statistic']:.6f}" for k in off),
        False)
    if off and lv is not None and pv is not None:
        rep.note(f"diagnosis: D recomputed from each tool's visits.csv, raw and with the overall "
                 f"scores rounded to 1e-{TIE_DIGITS}:")
        for k in off:
            a, b = sorted(k)
            raw_l, raw_p = ks_d(lv[a], lv[b]), ks_d(pv[a], pv[b])
            tie_l = ks_d([round(x, TIE_DIGITS) for x in lv[a]], [round(x, TIE_DIGITS) for x in lv[b]])
            tie_p = peer_tied_d[k]
            rep.note(f"  {pair_name(k)}: ties restored {tie_l:.6f} (losstat's visits) / {tie_p:.6f}"
                     f" (peer's); raw {raw_l:.6f} / {raw_p:.6f}; the peer's raw floats split a tie:"
                     f" {abs(raw_p - tie_p) > 1e-12}")

    d = max(rel(lk[k]["p_value"], pk[k]["p_value"]) for k in keys)
    rep.check("KS p (SciPy-compatible; follows D)", d <= 1e-9, f"max rel diff = {d:.3g}", False)
    if all("p_value_scipy_adjusted" in lk[k] for k in keys):
        d = max(rel(lk[k]["p_value_scipy_adjusted"], pk[k]["p_value_adjusted"]) for k in keys)
        rep.check("Holm-adjusted SciPy p", d <= 1e-9, f"max rel diff = {d:.3g}", False)
    sig_l = sum(bool(lk[k]["significant"]) for k in keys)
    sig_p = sum(bool(pk[k]["significant"]) for k in keys)
    rep.check("pairs significant after Holm", sig_l == sig_p,
              f"losstat {sig_l} (on its primary p) / peer {sig_p} (on SciPy p)", False)


def main(lpath, ppath):
    L, P = load(lpath), load(ppath)
    rep = Report()

    la = {a["name"]: a for a in L["authorities"]}
    pa = {a["name"]: a for a in P["authorities"]}
    rep.check("same authorities", set(la) == set(pa), ", ".join(sorted(la)), True)
    names = sorted(set(la) & set(pa))

    check_filters(rep, L, P, la, pa, names)
    bad = [short(n) for n in names if la[n]["ratings"] != pa[n]["ratings"]]
    rep.check("ratings kept per authority", not bad, f"differ: {bad}" if bad else "all equal", False)

    d = max(abs(la[n]["overall"]["mean"] - pa[n]["overall"]["mean"]) for n in names)
    rep.check("roll-up: mean overall score per authority", d <= 1e-9, f"max |diff| = {d:.3g}", True)
    for k in ("median", "sd", "q1", "q3"):
        d = max(abs(la[n]["overall"][k] - pa[n]["overall"][k]) for n in names)
        rep.check(f"overall {k}", d <= 1e-9, f"max |diff| = {d:.3g}", False)
    d = max(abs(la[n]["score_share"][s] - pa[n]["score_share"][s]) for n in names for s in "12345")
    rep.check("score shares", d <= 1e-12, f"max |diff| = {d:.3g}", False)

    check_ks(rep, lpath, ppath, L, P)

    lc = {c["authority"]: c["density"] for c in L["kde"]["curves"]}
    pc = {c["authority"]: c["density"] for c in P["kde"]["curves"]}
    worst = max(max(abs(a - b) for a, b in zip(lc[n], pc[n])) / max(pc[n]) for n in names)
    rep.check("KDE (512 points)", worst <= 1e-9, f"max |diff| / peak = {worst:.3g}", False)

    ld = {(r["indicator"], r["authority"]): r for r in L["deviation"]}
    pd_ = {(r["indicator"], r["authority"]): r for r in P["deviation"]}
    cells = set(ld) & set(pd_)
    rep.check("deviation cells", set(ld) == set(pd_), f"losstat {len(ld)} / peer {len(pd_)}", False)
    d = max(abs(ld[k]["deviation"] - pd_[k]["deviation"]) for k in cells)
    rep.check("deviation", d <= 1e-9, f"max |diff| = {d:.3g}", False)
    ps = [(ld[k]["p_value"], pd_[k]["p_value"]) for k in cells
          if ld[k].get("p_value") is not None and pd_[k].get("p_value") is not None
          and not math.isnan(pd_[k]["p_value"])]
    d = max(rel(a, b) for a, b in ps) if ps else float("nan")
    rep.check("Welch p per cell", d <= 1e-6, f"max rel diff = {d:.3g} over {len(ps)} cells", False)

    print("Agreement check (losstat vs peer):")
    print("\n".join(rep.lines))
    print("RESULT: " + ("AGREE on all required numbers" if rep.ok
                        else "DISAGREE on at least one required number"))
    return 0 if rep.ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
