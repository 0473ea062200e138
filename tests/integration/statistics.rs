//! The statistics in `results.json`: names as DESIGN §4, values consistent with independent
//! computations made here from the input file, and deterministic permutations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{compare_json, losstat};

/// A small synthetic export (about 400 visits), generated once per test.
fn sample(dir: &Path) -> PathBuf {
    let path = dir.join("sample.csv");
    losstat()
        .args([
            "simulate", "--scale", "0.2", "--seed", "11", "--force", "--out",
        ])
        .arg(&path)
        .assert()
        .success();
    path
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn pairs_carry_the_design_names_and_holm_adjustment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let results = compare_json(&sample(dir.path()), &[]);
    let ks = results["ks"].as_array().expect("ks list");
    assert_eq!(ks.len(), 10);
    for key in [
        "a",
        "b",
        "n_a",
        "n_b",
        "statistic",
        "p_value",
        "method",
        "p_value_ties",
        "p_value_adjusted",
        "significant",
    ] {
        assert!(ks.iter().all(|p| p.get(key).is_some()), "ks.{key}");
    }
    // Holm (1979) by hand over the tie-exact p-values (the primary p without permutations).
    let p: Vec<f64> = ks.iter().map(|x| f(&x["p_value_ties"])).collect();
    for (i, adjusted) in holm(&p).into_iter().enumerate() {
        assert!((f(&ks[i]["p_value_adjusted"]) - adjusted).abs() <= 1e-15 * adjusted.max(1e-300));
        assert_eq!(ks[i]["significant"], adjusted <= 0.05);
        // Tie-exact p never exceeds SciPy's (continuous) p on tied data.
        assert!(p[i] <= f(&ks[i]["p_value"]) * (1.0 + 1e-12));
        let (lo, hi) = (
            f(&ks[i]["cliffs_delta_ci_low"]),
            f(&ks[i]["cliffs_delta_ci_high"]),
        );
        assert!(lo <= f(&ks[i]["cliffs_delta"]) && f(&ks[i]["cliffs_delta"]) <= hi);
    }
    // Bonferroni-style `none` leaves p alone.
    let none = compare_json(&sample(dir.path()), &["--adjust", "none"]);
    for x in none["ks"].as_array().expect("ks") {
        assert_eq!(x["p_value_adjusted"], x["p_value_ties"]);
    }
}

/// Holm's (1979) step-down adjustment, from its definition: sort ascending, multiply the
/// k-th smallest by (m − k + 1), carry the running maximum, cap at 1.
fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max((p[i] * (p.len() - rank) as f64).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[test]
fn adjust_scope_level_holms_every_pair_of_a_level_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let family = compare_json(&path, &["--level", "theme"]);
    let level = compare_json(&path, &["--level", "theme", "--adjust-scope", "level"]);
    assert_eq!(level["parameters"]["adjust_scope"], "level");
    assert_eq!(family["parameters"]["adjust_scope"], "family");
    let pairs = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["ks_by_level"]
            .as_array()
            .expect("families")
            .iter()
            .filter(|f| f["level"] == "theme")
            .flat_map(|f| f["pairs"].as_array().expect("pairs").clone())
            .collect()
    };
    let (by_family, by_level) = (pairs(&family), pairs(&level));
    assert!(by_level.len() > 10, "several theme families");
    assert!(by_level.iter().all(|p| p["primary"] == "ties_exact"));
    let p: Vec<f64> = by_level.iter().map(|x| f(&x["p_value_ties"])).collect();
    for ((pair, adjusted), within) in by_level.iter().zip(holm(&p)).zip(&by_family) {
        assert!((f(&pair["p_value_adjusted"]) - adjusted).abs() <= 1e-15 * adjusted.max(1e-300));
        assert_eq!(pair["significant"], adjusted <= 0.05);
        // More tests in one family never lower an adjusted p.
        assert!(adjusted >= f(&within["p_value_adjusted"]) * (1.0 - 1e-15));
    }
    // The overall pairs are one family either way.
    assert_eq!(level["ks"], family["ks"]);
}

#[test]
fn deviation_uses_the_pooled_national_mean_and_bh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let results = compare_json(&path, &[]);
    // Independent pooled means per indicator and per indicator × authority, from the file.
    let mut pooled: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut cells: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(&path).expect("csv");
    for record in reader.records() {
        let r = record.expect("row");
        let score: f64 = r[6].parse().expect("clean sample has integer scores");
        let p = pooled.entry(r[5].to_string()).or_default();
        p.0 += score;
        p.1 += 1.0;
        let c = cells
            .entry((r[5].to_string(), r[0].to_string()))
            .or_default();
        c.0 += score;
        c.1 += 1.0;
    }
    let rows = results["deviation"].as_array().expect("deviation");
    assert_eq!(rows.len(), cells.len());
    for row in rows {
        let indicator = row["indicator"].as_str().expect("indicator").to_string();
        let authority = row["authority"].as_str().expect("authority").to_string();
        let (sum, n) = pooled[&indicator];
        let (csum, cn) = cells[&(indicator.clone(), authority)];
        assert!(
            (f(&row["national_mean"]) - sum / n).abs() < 1e-12,
            "{indicator}"
        );
        assert_eq!(f(&row["n"]), cn);
        assert!((f(&row["deviation"]) - (csum / cn - sum / n)).abs() < 1e-12);
        if let (Some(lo), Some(hi)) = (row["ci_low"].as_f64(), row["ci_high"].as_f64()) {
            assert!(lo <= f(&row["deviation"]) && f(&row["deviation"]) <= hi);
        }
    }
    // Benjamini–Hochberg (1995) by hand over all cells with a p-value.
    let with_p: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r["p_value"].as_f64().map(|p| (i, p)))
        .collect();
    let m = with_p.len() as f64;
    let mut sorted = with_p.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut running: f64 = 1.0;
    for (k, (i, p)) in sorted.iter().enumerate() {
        let rank = m - k as f64;
        running = running.min(p * m / rank);
        let q = f(&rows[*i]["q_value"]);
        assert!(
            (q - running).abs() <= 1e-12 * running.max(1e-300),
            "q {q} vs {running}"
        );
        assert_eq!(rows[*i]["significant"], running <= 0.05);
    }
}

#[test]
fn kde_uses_scotts_factor_on_the_default_grid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let results = compare_json(&sample(dir.path()), &[]);
    let grid = results["kde"]["grid"].as_array().expect("grid");
    assert_eq!(grid.len(), 512);
    assert_eq!((f(&grid[0]), f(&grid[511])), (1.0, 5.0));
    for (curve, authority) in results["kde"]["curves"]
        .as_array()
        .expect("curves")
        .iter()
        .zip(results["authorities"].as_array().expect("authorities"))
    {
        // Scott (1992): factor = n^(-1/5) for one dimension; kernel sd = factor × sample sd.
        let n = f(&authority["overall"]["n"]);
        let sd = f(&authority["overall"]["sd"]);
        assert!((f(&curve["bandwidth"]) - n.powf(-0.2)).abs() < 1e-14);
        assert!((f(&curve["kernel_sd"]) - n.powf(-0.2) * sd).abs() < 1e-12);
        // Trapezoid integral over [1, 5] is at most 1: mass near 5 spills past the grid's end.
        let d: Vec<f64> = curve["density"]
            .as_array()
            .expect("density")
            .iter()
            .map(f)
            .collect();
        let h = 4.0 / 511.0;
        let integral: f64 = d.windows(2).map(|w| (w[0] + w[1]) * h / 2.0).sum();
        assert!(integral > 0.5 && integral < 1.0 + 1e-9, "{integral}");
    }
    let silverman = compare_json(&sample(dir.path()), &["--bandwidth", "silverman"]);
    let n = f(&silverman["authorities"][0]["overall"]["n"]);
    // Silverman (1986): factor = (n · 3/4)^(-1/5) for one dimension.
    assert!((f(&silverman["kde"]["curves"][0]["bandwidth"]) - (n * 0.75).powf(-0.2)).abs() < 1e-14);
}

#[test]
fn levels_and_stratified_permutations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let extra = [
        "--level",
        "all",
        "--permutations",
        "400",
        "--stratify",
        "offer-type",
    ];
    let results = compare_json(&path, &extra);
    let families = results["ks_by_level"].as_array().expect("families");
    let count = |level: &str| families.iter().filter(|f| f["level"] == level).count();
    assert_eq!((count("theme"), count("criterion")), (7, 11));
    assert!(
        families
            .iter()
            .all(|f| f["pairs"].as_array().map(Vec::len) == Some(10))
    );
    for p in results["ks"].as_array().expect("ks") {
        assert_eq!(p["primary"], "permutation_stratified");
        assert_eq!(p["stratified"], true);
        let perm = f(&p["p_value_permutation"]);
        // (b + 1) / (m + 1) with m = 400.
        let b = perm * 401.0 - 1.0;
        assert!((b - b.round()).abs() < 1e-9 && perm > 0.0);
    }
    // The same seed gives the same bytes with one thread or two.
    let run = |threads: &str| {
        losstat()
            .env("RAYON_NUM_THREADS", threads)
            .arg("compare")
            .arg(&path)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run("1"), run("2"));
    losstat()
        .arg("compare")
        .arg(&path)
        .args(["--stratify", "offer-type"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--permutations"));
}

#[test]
fn equal_overall_scores_are_equal_floats() {
    // Overall scores are means of means of integers: numbers that are equal must be the same
    // f64, or KS and rank tests see two values where there is a tie. Differences between
    // distinct fractions with these denominators are far above 1e-9.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    crate::common::compare_out(&sample(dir.path()), &out, &[]);
    let mut reader = csv::Reader::from_path(out.join("visits.csv")).expect("visits.csv");
    let headers = reader.headers().expect("header").clone();
    let at = headers
        .iter()
        .position(|h| h == "overall")
        .expect("overall column");
    let mut overall: Vec<f64> = reader
        .records()
        .map(|r| r.expect("row")[at].parse().expect("number"))
        .collect();
    overall.sort_by(f64::total_cmp);
    let near_ties = overall
        .windows(2)
        .filter(|w| w[0] != w[1] && w[1] - w[0] < 1e-9)
        .count();
    assert_eq!(near_ties, 0, "{} visits", overall.len());
}
