#!/usr/bin/env python3
"""The LOS method in pandas + SciPy + matplotlib, written the way an analyst would.

Baseline for benches/e2e/run.sh: does the work of `losstat compare FILE --out DIR`
(filters, roll-up, descriptives, pairwise KS with Holm, KDE, per-indicator deviation with
Welch t and BH, figures as SVG and PNG at 150 dpi, results.json and CSV tables).

Usage: los_pandas.py INPUT.csv OUTDIR
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

UNIVERSAL = ["1.a", "1.b", "2.a", "2.c", "3.a", "3.b", "3.c", "4.a", "4.b", "5.a", "5.b",
             "5.c", "7.a", "8.a", "8.b", "9.a", "9.b", "9.c", "10.a", "10.b", "14.a", "14.b"]
CRITERION_THEME = {1: 1, 2: 2, 3: 3, 4: 4, 5: 4, 6: 4, 7: 4, 8: 5, 9: 5, 10: 6, 14: 7}
THEME_NAMES = {1: "Education and employment", 2: "Independence and relationships",
               3: "Target group, methods and results", 4: "Health and well-being",
               5: "Organisation and management", 6: "Competences", 7: "Physical setting"}
DPI = 150
ALPHA = 0.05


def holm(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adj[i] = min(1.0, running)
    return adj


def bh(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)[::-1]
    q = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


def save(fig, out, name):
    fig.savefig(os.path.join(out, "figures", name + ".svg"))
    fig.savefig(os.path.join(out, "figures", name + ".png"), dpi=DPI)
    plt.close(fig)


def main(path, out):
    os.makedirs(os.path.join(out, "figures"), exist_ok=True)

    # ---- read -------------------------------------------------------------------------
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows_read = len(df)
    visits_read = df["visit_id"].nunique()
    rules = []

    def record(rule, before, after):
        rules.append({"rule": rule,
                      "visits_dropped": int(before["visit_id"].nunique() - after["visit_id"].nunique()),
                      "ratings_dropped": int(len(before) - len(after))})

    # ---- filters, in the LOS order ----------------------------------------------------
    # 1. missing authority: drop the visit
    df["authority"] = df["authority"].str.strip()
    blank_visits = df.loc[df["authority"] == "", "visit_id"].unique()
    new = df[~df["visit_id"].isin(blank_visits)]
    record("missing_authority", df, new)
    df = new

    # 2. invalid score: drop the rating unless it is an integer 1..5 ("4", "4.0", "4,0")
    num = pd.to_numeric(df["score"].str.strip().str.replace(",", ".", regex=False), errors="coerce")
    ok = num.notna() & (num == np.floor(num)) & num.between(1, 5)
    new = df[ok].copy()
    new["score"] = num[ok].astype(int)
    record("invalid_score", df, new)
    df = new

    # 3. all ones: drop visits whose every remaining score is 1
    vmax = df.groupby("visit_id")["score"].transform("max")
    new = df[vmax > 1]
    record("all_ones", df, new)
    df = new

    # 4. missing universal: drop visits lacking any universal indicator
    uni = df[df["indicator"].isin(UNIVERSAL)].groupby("visit_id")["indicator"].nunique()
    complete = uni[uni == len(UNIVERSAL)].index
    new = df[df["visit_id"].isin(complete)].copy()
    record("missing_universal", df, new)
    df = new

    # ---- roll-up ----------------------------------------------------------------------
    df["criterion"] = df["indicator"].str.split(".").str[0].astype(int)
    df["theme"] = df["criterion"].map(CRITERION_THEME)
    crit = df.groupby(["authority", "visit_id", "criterion"], as_index=False)["score"].mean()
    crit["theme"] = crit["criterion"].map(CRITERION_THEME)
    theme = crit.groupby(["authority", "visit_id", "theme"], as_index=False)["score"].mean()
    visits = theme.groupby(["authority", "visit_id"], as_index=False)["score"].mean()
    visits = visits.rename(columns={"score": "overall"})
    crit.to_csv(os.path.join(out, "criteria.csv"), index=False)
    theme.to_csv(os.path.join(out, "themes.csv"), index=False)
    visits.to_csv(os.path.join(out, "visits.csv"), index=False)

    authorities = sorted(df["authority"].unique())

    # ---- descriptives -----------------------------------------------------------------
    counts = pd.crosstab(df["authority"], df["score"]).reindex(columns=[1, 2, 3, 4, 5], fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    auth_rows = []
    auth_json = []
    samples = {}
    for a in authorities:
        x = visits.loc[visits["authority"] == a, "overall"].to_numpy()
        samples[a] = x
        q1, med, q3 = np.percentile(x, [25, 50, 75])
        ov = {"n": int(len(x)), "mean": float(np.mean(x)), "median": float(med),
              "sd": float(np.std(x, ddof=1)), "min": float(x.min()), "q1": float(q1),
              "q3": float(q3), "max": float(x.max())}
        nrat = int((df["authority"] == a).sum())
        auth_json.append({"name": a, "visits": int(len(x)), "ratings": nrat,
                          "score_share": {str(s): float(shares.loc[a, s]) for s in range(1, 6)},
                          "overall": ov})
        row = {"authority": a, "visits": len(x), "ratings": nrat}
        row.update({f"share_{s}": shares.loc[a, s] for s in range(1, 6)})
        row.update({f"overall_{k}": v for k, v in ov.items()})
        auth_rows.append(row)
    pd.DataFrame(auth_rows).to_csv(os.path.join(out, "authorities.csv"), index=False)

    # ---- pairwise tests ---------------------------------------------------------------
    ks_rows = []
    for i, a in enumerate(authorities):
        for b in authorities[i + 1:]:
            x, y = samples[a], samples[b]
            r = stats.ks_2samp(x, y)
            mw = stats.mannwhitneyu(x, y, alternative="two-sided")
            bm = stats.brunnermunzel(x, y)
            cliff = 2.0 * mw.statistic / (len(x) * len(y)) - 1.0
            ks_rows.append({"a": a, "b": b, "n_a": len(x), "n_b": len(y),
                            "statistic": float(r.statistic), "p_value": float(r.pvalue),
                            "mann_whitney_p": float(mw.pvalue), "brunner_munzel_p": float(bm.pvalue),
                            "cliffs_delta": float(cliff)})
    adj = holm([r["p_value"] for r in ks_rows])
    for r, p in zip(ks_rows, adj):
        r["p_value_adjusted"] = float(p)
        r["significant"] = bool(p <= ALPHA)
    pd.DataFrame(ks_rows).to_csv(os.path.join(out, "ks.csv"), index=False)

    # ---- KDE and histogram ------------------------------------------------------------
    grid = np.linspace(1, 5, 512)
    curves = []
    kde_rows = []
    edges = np.arange(1, 5.0001, 0.25)
    hist_rows = []
    for a in authorities:
        k = stats.gaussian_kde(samples[a])
        d = k(grid)
        curves.append({"authority": a, "bandwidth": float(np.sqrt(k.covariance[0, 0])),
                       "density": d.tolist()})
        kde_rows.append(pd.DataFrame({"authority": a, "x": grid, "density": d}))
        c, _ = np.histogram(samples[a], bins=edges)
        dens = c / (c.sum() * 0.25)
        hist_rows.append(pd.DataFrame({"authority": a, "bin_low": edges[:-1], "bin_high": edges[1:],
                                       "count": c, "density": dens}))
    pd.concat(kde_rows).to_csv(os.path.join(out, "kde.csv"), index=False)
    hist = pd.concat(hist_rows)
    hist.to_csv(os.path.join(out, "histogram.csv"), index=False)

    # ---- deviation per indicator ------------------------------------------------------
    dev_rows = []
    order = sorted(df["indicator"].unique(), key=lambda s: (int(s.split(".")[0]), s.split(".")[1]))
    for ind in order:
        sub = df[df["indicator"] == ind]
        nat = sub["score"].mean()
        N = len(sub)
        for a in authorities:
            xa = sub.loc[sub["authority"] == a, "score"].to_numpy(dtype=float)
            xr = sub.loc[sub["authority"] != a, "score"].to_numpy(dtype=float)
            if len(xa) < 2 or len(xr) < 2:
                continue
            t = stats.ttest_ind(xa, xr, equal_var=False)
            ci = t.confidence_interval(0.95)
            f = 1 - len(xa) / N
            dev_rows.append({"indicator": ind, "authority": a, "n": len(xa), "mean": xa.mean(),
                             "national_mean": nat, "deviation": xa.mean() - nat,
                             "ci_low": f * ci.low, "ci_high": f * ci.high,
                             "p_value": float(t.pvalue)})
    dev = pd.DataFrame(dev_rows)
    dev["q_value"] = bh(dev["p_value"].fillna(1.0))
    dev["significant"] = dev["q_value"] <= ALPHA
    dev.to_csv(os.path.join(out, "deviation.csv"), index=False)

    # ---- completeness (share of visits with a score for each theme) -------------------
    nth = theme.groupby(["authority", "theme"])["visit_id"].nunique().unstack(fill_value=0)
    nv = visits.groupby("authority")["visit_id"].nunique()
    completeness = nth.div(nv, axis=0)
    completeness.stack().rename("share").reset_index().to_csv(os.path.join(out, "completeness.csv"), index=False)

    # ---- figures ----------------------------------------------------------------------
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

    # 2: histogram + KDE small multiples, and an overlay
    fig, axes = plt.subplots(1, len(authorities), figsize=(15, 3.5), sharey=True)
    for ax, a, cv in zip(axes, authorities, curves):
        ax.hist(samples[a], bins=edges, density=True, color="#bbbbbb", edgecolor="white")
        ax.plot(grid, cv["density"], color="C0")
        ax.axvline(np.median(samples[a]), color="C3", lw=1)
        ax.set_title(a, fontsize=9)
        ax.set_xlim(1, 5)
    axes[0].set_ylabel("Density")
    fig.suptitle("Figure 2. Overall score per visit")
    fig.tight_layout()
    save(fig, out, "fig2_overall_distribution")
    fig, ax = plt.subplots(figsize=(8, 5))
    for a, cv in zip(authorities, curves):
        ax.plot(grid, cv["density"], label=a)
    ax.set_xlabel("Overall score")
    ax.set_ylabel("Density")
    ax.legend(fontsize=8)
    save(fig, out, "fig2_overall_distribution_overlay")

    # 3: deviation heatmap
    mat = dev.pivot(index="indicator", columns="authority", values="deviation").reindex(order)
    sig = dev.pivot(index="indicator", columns="authority", values="significant").reindex(order)
    fig, ax = plt.subplots(figsize=(8, 11))
    lim = np.nanmax(np.abs(mat.to_numpy()))
    im = ax.imshow(mat.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for r in range(mat.shape[0]):
        for c in range(mat.shape[1]):
            v = mat.iat[r, c]
            if not np.isnan(v):
                ax.text(c, r, f"{v:+.2f}" + ("*" if sig.iat[r, c] else ""), ha="center",
                        va="center", fontsize=7)
    ax.set_xticks(range(mat.shape[1]), mat.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="Deviation from national mean")
    ax.set_title("Figure 3. Deviation per indicator")
    fig.tight_layout()
    save(fig, out, "fig3_deviation_heatmap")

    # 4: KS matrix
    k = len(authorities)
    dmat = np.full((k, k), np.nan)
    for r in ks_rows:
        i, j = authorities.index(r["a"]), authorities.index(r["b"])
        dmat[i, j] = dmat[j, i] = r["statistic"]
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(dmat, cmap="viridis")
    for r in ks_rows:
        i, j = authorities.index(r["a"]), authorities.index(r["b"])
        s = f"{r['statistic']:.2f}\np={r['p_value_adjusted']:.1g}"
        ax.text(j, i, s, ha="center", va="center", fontsize=7, color="white")
        ax.text(i, j, s, ha="center", va="center", fontsize=7, color="white")
    ax.set_xticks(range(k), authorities, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(k), authorities, fontsize=8)
    fig.colorbar(im, ax=ax, label="KS D")
    fig.tight_layout()
    save(fig, out, "fig4_ks_matrix")

    # 5: spider per authority (theme means vs national)
    tmean = theme.groupby(["authority", "theme"])["score"].mean().unstack()
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

    # 6: completeness
    fig, ax = plt.subplots(figsize=(8, 4))
    im = ax.imshow(completeness.to_numpy(), vmin=0, vmax=1, cmap="Greens", aspect="auto")
    ax.set_xticks(range(completeness.shape[1]), [THEME_NAMES[t] for t in completeness.columns],
                  rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(completeness.shape[0]), completeness.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="Share of visits")
    fig.tight_layout()
    save(fig, out, "fig6_completeness")

    # ---- results.json -----------------------------------------------------------------
    res = {
        "tool": "pandas",
        "filter": {"rows_read": rows_read, "visits_read": int(visits_read), "rules": rules,
                   "rows_kept": int(len(df)), "visits_kept": int(df["visit_id"].nunique())},
        "authorities": auth_json,
        "ks": ks_rows,
        "kde": {"grid": grid.tolist(), "curves": curves},
        "deviation": dev.replace({np.nan: None}).to_dict(orient="records"),
    }
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as fh:
        json.dump(res, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
