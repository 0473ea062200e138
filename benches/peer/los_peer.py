#!/usr/bin/env python3
"""The LOS method in pandas + SciPy + matplotlib: the peer that benches/compare_peer.sh
times against `losstat compare FILE --out DIR`.

It does what an analyst would write with these libraries, vectorised so that it copes with
10 million ratings (about 1 GB of CSV): the four LOS filters, the criterion -> theme -> overall
roll-up, descriptives, pairwise KS (scipy.stats.ks_2samp, default method) with Holm,
Mann-Whitney, Brunner-Munzel and Cliff's delta, KDE (scipy.stats.gaussian_kde, Scott, 512
points on [1, 5]) and histogram, the per-indicator deviation from the national mean with Welch
CI/p and Benjamini-Hochberg q, completeness, the figures (SVG + PNG at 150 dpi) and
results.json plus CSV tables. benches/peer/check_agree.py compares its results.json with
losstat's.

No Python loop runs over ratings or visits: loops run over the handful of distinct values of a
categorical column, over the 5 authorities, the 10 pairs and the ~145 indicator x authority
cells.

Usage: los_peer.py INPUT.csv OUTDIR
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

# The LOS quality model (losstat's embedded model): universal indicators, and the theme of
# each criterion. The criterion of an indicator is the number before the dot.
UNIVERSAL = ["1.a", "1.b", "2.a", "2.c", "3.a", "3.b", "3.c", "4.a", "4.b", "5.a", "5.b",
             "5.c", "7.a", "8.a", "8.b", "9.a", "9.b", "9.c", "10.a", "10.b", "14.a", "14.b"]
CRITERION_THEME = {1: 1, 2: 2, 3: 3, 4: 4, 5: 4, 6: 4, 7: 4, 8: 5, 9: 5, 10: 6, 14: 7}
THEME_NAMES = {1: "Education and employment", 2: "Independence and relationships",
               3: "Target group, methods and results", 4: "Health and well-being",
               5: "Organisation and management", 6: "Competences", 7: "Physical setting"}
DPI = 150
ALPHA = 0.05
GRID = np.linspace(1.0, 5.0, 512)           # KDE evaluation points
EDGES = np.arange(1.0, 5.0001, 0.25)        # histogram bins of width 0.25 on [1, 5]


# ---- small helpers --------------------------------------------------------------------------

def parse_score(raw):
    """A score string -> int 1..5, or None when LOS would reject it.
    "4", " 4 ", "4.0" and "4,0" are integers; "3.5", "0", "6", "", "x" are not."""
    try:
        # str(): pandas infers the categories' type, so an all-numeric column arrives as numbers.
        v = float(str(raw).strip().replace(",", "."))
    except ValueError:
        return None
    if v.is_integer() and 1 <= v <= 5:
        return int(v)
    return None


def holm(p):
    """Holm step-down adjustment (monotone, capped at 1)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    m = len(p)
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adj = np.empty(m)
    adj[order] = np.minimum(stepped, 1.0)
    return adj


def bh(p):
    """Benjamini-Hochberg q-values (monotone, capped at 1)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def save(fig, out, name):
    fig.savefig(os.path.join(out, "figures", name + ".svg"))
    fig.savefig(os.path.join(out, "figures", name + ".png"), dpi=DPI)
    plt.close(fig)


# ---- the method -----------------------------------------------------------------------------

def read(path):
    """Read the four columns the method needs. Categoricals keep 10 M rows small (one code per
    row) and let the score and authority strings be cleaned once per distinct value."""
    cols = ["authority", "visit_id", "indicator", "score"]
    df = pd.read_csv(path, usecols=cols, dtype={c: "category" for c in cols},
                     keep_default_na=False)
    # Surrounding blanks make neither a different authority nor a non-blank one. On a
    # categorical, map() calls strip once per distinct name.
    df["authority"] = df["authority"].map(lambda a: str(a).strip()).astype("category")
    return df


def apply_filters(df):
    """The four LOS filters in order; returns the kept ratings and the per-rule counts."""
    rules = []

    def record(rule, before, after):
        rules.append({"rule": rule,
                      "visits_dropped": int(before["visit_id"].nunique() - after["visit_id"].nunique()),
                      "ratings_dropped": int(len(before) - len(after))})

    # 1. missing_authority: a visit with a blank authority is dropped whole.
    blank_visits = df.loc[df["authority"] == "", "visit_id"].unique()
    new = df[~df["visit_id"].isin(blank_visits)]
    record("missing_authority", df, new)
    df = new

    # 2. invalid_score: a rating whose score is not an integer 1..5 is dropped. Parse each
    #    distinct score string once and map the parsed values back onto the codes.
    parsed = [parse_score(s) for s in df["score"].cat.categories]
    lookup = np.array([0 if v is None else v for v in parsed] + [0], dtype=np.int8)
    score = lookup[df["score"].cat.codes.to_numpy()]   # code -1 (missing) -> 0 (invalid)
    ok = score > 0
    new = df[ok].assign(score=score[ok])
    record("invalid_score", df, new)
    df = new

    # 3. all_ones: a visit whose every remaining score is 1 is dropped.
    vmax = df.groupby("visit_id", observed=True)["score"].max()
    new = df[df["visit_id"].isin(vmax.index[vmax > 1])]
    record("all_ones", df, new)
    df = new

    # 4. missing_universal: a visit without a valid score for every universal indicator is
    #    dropped.
    uni = df.loc[df["indicator"].isin(UNIVERSAL), ["visit_id", "indicator"]].drop_duplicates()
    n_uni = uni.groupby("visit_id", observed=True).size()
    new = df[df["visit_id"].isin(n_uni.index[n_uni == len(UNIVERSAL)])]
    record("missing_universal", df, new)
    df = new

    # Drop the categories of dropped visits (and of an authority left without visits), so
    # that they do not appear in the authority list or in groupbys.
    df = df.assign(authority=df["authority"].cat.remove_unused_categories(),
                   visit_id=df["visit_id"].cat.remove_unused_categories(),
                   indicator=df["indicator"].cat.remove_unused_categories())
    return df, rules


def roll_up(df):
    """Criterion score = mean of its indicators' scores, theme = mean of its criteria,
    overall = mean of the visit's themes (LOS's unweighted means of means)."""
    crit_of = {i: int(i.split(".")[0]) for i in df["indicator"].cat.categories}
    df = df.assign(criterion=df["indicator"].map(crit_of).astype(np.int16))
    keys = ["authority", "visit_id"]
    crit = df.groupby(keys + ["criterion"], observed=True, as_index=False)["score"].mean()
    crit["theme"] = crit["criterion"].map(CRITERION_THEME).astype(np.int16)
    theme = crit.groupby(keys + ["theme"], observed=True, as_index=False)["score"].mean()
    visits = theme.groupby(keys, observed=True, as_index=False)["score"].mean()
    visits = visits.rename(columns={"score": "overall"})
    return crit, theme, visits


def pairwise(authorities, samples):
    """KS (SciPy's default method: exact up to 10 000 per sample, else asymptotic), Holm;
    Mann-Whitney, Brunner-Munzel and Cliff's delta, for each of the 10 pairs."""
    rows = []
    for i, a in enumerate(authorities):
        for b in authorities[i + 1:]:
            x, y = samples[a], samples[b]
            ks = stats.ks_2samp(x, y)
            mw = stats.mannwhitneyu(x, y, alternative="two-sided")
            bm = stats.brunnermunzel(x, y)
            rows.append({"a": a, "b": b, "n_a": len(x), "n_b": len(y),
                         "statistic": float(ks.statistic), "p_value": float(ks.pvalue),
                         "mann_whitney_p": float(mw.pvalue), "brunner_munzel_p": float(bm.pvalue),
                         "cliffs_delta": float(2.0 * mw.statistic / (len(x) * len(y)) - 1.0)})
    for r, p in zip(rows, holm([r["p_value"] for r in rows])):
        r["p_value_adjusted"] = float(p)
        r["significant"] = bool(p <= ALPHA)
    return rows


def deviation(df, authorities):
    """Per indicator and authority: mean score minus the national mean of that indicator,
    with the Welch CI of (authority - rest) scaled by (1 - n_a / N), Welch p and BH q."""
    order = sorted(df["indicator"].cat.categories, key=lambda s: (int(s.split(".")[0]), s.split(".")[1]))
    code_of = {a: k for k, a in enumerate(df["authority"].cat.categories)}
    by_indicator = df.groupby("indicator", observed=True)
    rows = []
    for ind in order:
        sub = by_indicator.get_group(ind)
        score = sub["score"].to_numpy(dtype=float)
        auth = sub["authority"].cat.codes.to_numpy()
        nat = score.mean()
        for a in authorities:
            mine = auth == code_of[a]
            xa, xr = score[mine], score[~mine]
            if len(xa) < 2 or len(xr) < 2:
                continue
            t = stats.ttest_ind(xa, xr, equal_var=False)
            ci = t.confidence_interval(0.95)
            f = 1.0 - len(xa) / len(score)
            rows.append({"indicator": ind, "authority": a, "n": len(xa), "mean": xa.mean(),
                         "national_mean": nat, "deviation": xa.mean() - nat,
                         "ci_low": f * ci.low, "ci_high": f * ci.high, "p_value": float(t.pvalue)})
    dev = pd.DataFrame(rows)
    dev["q_value"] = bh(dev["p_value"].fillna(1.0))
    dev["significant"] = dev["q_value"] <= ALPHA
    return dev, order


def figures(out, authorities, shares, samples, curves, dev, order, ks_rows, theme, completeness):
    # 1: grouped bars of score shares
    fig, ax = plt.subplots(figsize=(9, 5))
    w = 0.8 / len(authorities)
    for i, a in enumerate(authorities):
        ax.bar(np.arange(1, 6) + (i - 2) * w, shares.loc[a].to_numpy() * 100, w, label=a)
    ax.set_xlabel("Score")
    ax.set_ylabel("Share of ratings (%)")
    ax.set_xticks(range(1, 6))
    ax.legend(fontsize=8)
    ax.set_title("Figure 1. Score distribution per authority")
    save(fig, out, "fig1_score_shares")

    # 2: histogram + KDE small multiples, and an overlay of the KDEs
    fig, axes = plt.subplots(1, len(authorities), figsize=(15, 3.5), sharey=True)
    for ax, a, cv in zip(axes, authorities, curves):
        ax.hist(samples[a], bins=EDGES, density=True, color="#bbbbbb", edgecolor="white")
        ax.plot(GRID, cv["density"], color="C0")
        ax.axvline(np.median(samples[a]), color="C3", lw=1)
        ax.set_title(a, fontsize=9)
        ax.set_xlim(1, 5)
    axes[0].set_ylabel("Density")
    fig.suptitle("Figure 2. Overall score per visit")
    fig.tight_layout()
    save(fig, out, "fig2_overall_distribution")
    fig, ax = plt.subplots(figsize=(8, 5))
    for a, cv in zip(authorities, curves):
        ax.plot(GRID, cv["density"], label=a)
    ax.set_xlabel("Overall score")
    ax.set_ylabel("Density")
    ax.legend(fontsize=8)
    save(fig, out, "fig2_overall_distribution_overlay")

    # 3: deviation heatmap, * where significant after BH
    mat = dev.pivot(index="indicator", columns="authority", values="deviation").reindex(order)
    sig = dev.pivot(index="indicator", columns="authority", values="significant").reindex(order)
    fig, ax = plt.subplots(figsize=(8, 11))
    lim = np.nanmax(np.abs(mat.to_numpy()))
    im = ax.imshow(mat.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for r in range(mat.shape[0]):
        for c in range(mat.shape[1]):
            v = mat.iat[r, c]
            if not np.isnan(v):
                ax.text(c, r, f"{v:+.2f}" + ("*" if sig.iat[r, c] else ""),
                        ha="center", va="center", fontsize=7)
    ax.set_xticks(range(mat.shape[1]), mat.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="Deviation from national mean")
    ax.set_title("Figure 3. Deviation per indicator")
    fig.tight_layout()
    save(fig, out, "fig3_deviation_heatmap")

    # 4: KS D matrix with the Holm-adjusted p
    k = len(authorities)
    dmat = np.full((k, k), np.nan)
    fig, ax = plt.subplots(figsize=(7, 6))
    for r in ks_rows:
        i, j = authorities.index(r["a"]), authorities.index(r["b"])
        dmat[i, j] = dmat[j, i] = r["statistic"]
        label = f"{r['statistic']:.2f}\np={r['p_value_adjusted']:.1g}"
        for (row, col) in ((i, j), (j, i)):
            ax.text(col, row, label, ha="center", va="center", fontsize=7, color="white")
    im = ax.imshow(dmat, cmap="viridis")
    ax.set_xticks(range(k), authorities, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(k), authorities, fontsize=8)
    fig.colorbar(im, ax=ax, label="KS D")
    fig.tight_layout()
    save(fig, out, "fig4_ks_matrix")

    # 5: one spider per authority: theme means against the national theme means
    tmean = theme.groupby(["authority", "theme"], observed=True)["score"].mean().unstack()
    tnat = theme.groupby("theme")["score"].mean()
    themes = list(tnat.index)
    ang = np.linspace(0, 2 * np.pi, len(themes), endpoint=False).tolist()
    for n, a in enumerate(authorities, start=1):
        fig = plt.figure(figsize=(6, 6))
        ax = fig.add_subplot(projection="polar")
        for vals, lab in ((tmean.loc[a, themes].tolist(), a), (tnat[themes].tolist(), "National")):
            ax.plot(ang + ang[:1], vals + vals[:1], label=lab)
            ax.fill(ang + ang[:1], vals + vals[:1], alpha=0.15)
        ax.set_xticks(ang, [THEME_NAMES[t] for t in themes], fontsize=7)
        ax.set_ylim(1, 5)
        ax.legend(fontsize=7, loc="lower right")
        save(fig, out, f"fig5_spider_{n}")

    # 6: completeness (share of visits with a score for each theme)
    fig, ax = plt.subplots(figsize=(8, 4))
    im = ax.imshow(completeness.to_numpy(), vmin=0, vmax=1, cmap="Greens", aspect="auto")
    ax.set_xticks(range(completeness.shape[1]), [THEME_NAMES[t] for t in completeness.columns],
                  rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(completeness.shape[0]), completeness.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="Share of visits")
    fig.tight_layout()
    save(fig, out, "fig6_completeness")


def main(path, out):
    os.makedirs(os.path.join(out, "figures"), exist_ok=True)

    raw = read(path)
    rows_read, visits_read = len(raw), int(raw["visit_id"].nunique())
    df, rules = apply_filters(raw)
    del raw

    crit, theme, visits = roll_up(df)
    crit.to_csv(os.path.join(out, "criteria.csv"), index=False)
    theme.to_csv(os.path.join(out, "themes.csv"), index=False)
    visits.to_csv(os.path.join(out, "visits.csv"), index=False)
    authorities = sorted(df["authority"].cat.categories)

    # ---- descriptives: score shares, overall-score summary per authority ----------------
    counts = (df.groupby(["authority", "score"], observed=True).size()
              .unstack(fill_value=0).reindex(columns=[1, 2, 3, 4, 5], fill_value=0))
    shares = counts.div(counts.sum(axis=1), axis=0)
    samples = {a: g.to_numpy() for a, g in visits.groupby("authority", observed=True)["overall"]}
    auth_json, auth_rows = [], []
    for a in authorities:
        x = samples[a]
        q1, med, q3 = np.percentile(x, [25, 50, 75])
        ov = {"n": int(len(x)), "mean": float(np.mean(x)), "median": float(med),
              "sd": float(np.std(x, ddof=1)), "min": float(x.min()), "q1": float(q1),
              "q3": float(q3), "max": float(x.max())}
        nrat = int(counts.loc[a].sum())
        auth_json.append({"name": a, "visits": int(len(x)), "ratings": nrat,
                          "score_share": {str(s): float(shares.loc[a, s]) for s in range(1, 6)},
                          "overall": ov})
        row = {"authority": a, "visits": len(x), "ratings": nrat}
        row.update({f"share_{s}": shares.loc[a, s] for s in range(1, 6)})
        row.update({f"overall_{k}": v for k, v in ov.items()})
        auth_rows.append(row)
    pd.DataFrame(auth_rows).to_csv(os.path.join(out, "authorities.csv"), index=False)

    # ---- pairwise tests on the overall score -------------------------------------------
    ks_rows = pairwise(authorities, samples)
    pd.DataFrame(ks_rows).to_csv(os.path.join(out, "ks.csv"), index=False)

    # ---- KDE (Scott) on 512 points and histogram ---------------------------------------
    curves, kde_parts, hist_parts = [], [], []
    for a in authorities:
        kde = stats.gaussian_kde(samples[a])
        d = kde(GRID)
        curves.append({"authority": a, "bandwidth": float(np.sqrt(kde.covariance[0, 0])),
                       "density": d.tolist()})
        kde_parts.append(pd.DataFrame({"authority": a, "x": GRID, "density": d}))
        c, _ = np.histogram(samples[a], bins=EDGES)
        hist_parts.append(pd.DataFrame({"authority": a, "bin_low": EDGES[:-1], "bin_high": EDGES[1:],
                                        "count": c, "density": c / (c.sum() * 0.25)}))
    pd.concat(kde_parts).to_csv(os.path.join(out, "kde.csv"), index=False)
    pd.concat(hist_parts).to_csv(os.path.join(out, "histogram.csv"), index=False)

    # ---- deviation per indicator -------------------------------------------------------
    dev, order = deviation(df, authorities)
    dev.to_csv(os.path.join(out, "deviation.csv"), index=False)

    # ---- completeness -------------------------------------------------------------------
    nth = theme.groupby(["authority", "theme"], observed=True)["visit_id"].nunique().unstack(fill_value=0)
    nv = visits.groupby("authority", observed=True)["visit_id"].nunique()
    completeness = nth.div(nv, axis=0)
    completeness.stack().rename("share").reset_index().to_csv(
        os.path.join(out, "completeness.csv"), index=False)

    figures(out, authorities, shares, samples, curves, dev, order, ks_rows, theme, completeness)

    # ---- results.json ------------------------------------------------------------------
    res = {
        "tool": "peer (pandas + SciPy + matplotlib)",
        "versions": {"pandas": pd.__version__, "numpy": np.__version__,
                     "scipy": sys.modules["scipy"].__version__, "matplotlib": matplotlib.__version__},
        "filter": {"rows_read": rows_read, "visits_read": visits_read, "rules": rules,
                   "rows_kept": int(len(df)), "visits_kept": int(df["visit_id"].nunique())},
        "authorities": auth_json,
        "ks": ks_rows,
        "kde": {"grid": GRID.tolist(), "curves": curves},
        "deviation": dev.replace({np.nan: None}).to_dict(orient="records"),
    }
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as fh:
        json.dump(res, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
