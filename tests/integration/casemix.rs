//! Issue 14: the case-mix analysis on exports with a known truth (`losstat simulate
//! --severity … --type-effect … --case-mix …`, a proportional-odds model).

use serde_json::Value;

use crate::common::{compare_json, losstat, succeed};
use crate::coverage_support::{TRUTH, coverage};

/// `losstat simulate` with a known truth at national size, and its `compare --format json`.
fn truth_results(dir: &std::path::Path, name: &str, severity: &str) -> Value {
    let path = dir.join(name);
    let mut command = losstat();
    command
        .args(["simulate", "--quiet", "--seed", "41", "--out"])
        .arg(&path)
        .args([
            "--severity",
            severity,
            "--type-effect",
            "1",
            "--case-mix",
            "1",
        ]);
    succeed(&mut command, "simulate");
    compare_json(&path, &["--bootstrap", "400"])
}

#[test]
fn identical_scoring_with_different_case_mix_is_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let results = truth_results(dir.path(), "same.csv", "0,0,0,0,0");
    // The raw comparison LOS made finds differences that are only case mix …
    let significant = results["ks"]
        .as_array()
        .expect("pairs")
        .iter()
        .filter(|p| p["significant"] == true)
        .count();
    assert!(
        significant >= 3,
        "{significant} of 10 raw pairs significant"
    );
    let adjusted = &results["adjusted"];
    assert_eq!(adjusted["mix_differs"], true);
    assert!(adjusted["diagnostic"]["cramers_v"].as_f64().expect("V") > 0.3);
    // … and every adjusted effect covers "no difference".
    for a in adjusted["authorities"].as_array().expect("authorities") {
        let pair = |key: &str| -> (f64, f64) {
            let ci = a[key].as_array().expect("interval");
            (ci[0].as_f64().expect("low"), ci[1].as_f64().expect("high"))
        };
        let (lo, hi) = pair("difference_ci");
        assert!(
            lo <= 0.0 && 0.0 <= hi,
            "{}: linear difference [{lo}, {hi}]",
            a["authority"]
        );
        let (lo, hi) = pair("odds_ratio_ci");
        assert!(
            lo <= 1.0 && 1.0 <= hi,
            "{}: odds ratio [{lo}, {hi}]",
            a["authority"]
        );
        let (lo, hi) = pair("standardised_ci");
        let national = 4.4;
        assert!(
            (lo - national).abs() < 0.2 && (hi - national).abs() < 0.2,
            "[{lo}, {hi}]"
        );
    }
}

#[test]
fn the_adjusted_odds_ratios_recover_known_shifts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let severity = TRUTH.severity.map(|s| s.to_string()).join(",");
    let results = truth_results(dir.path(), "shifted.csv", &severity);
    let mean = TRUTH.severity.iter().sum::<f64>() / 5.0;
    for (a, s) in results["adjusted"]["authorities"]
        .as_array()
        .expect("authorities")
        .iter()
        .zip(TRUTH.severity)
    {
        let truth = (s - mean).exp();
        let estimate = a["odds_ratio"].as_f64().expect("odds ratio");
        let ci = a["odds_ratio_ci"].as_array().expect("interval");
        let (lo, hi) = (ci[0].as_f64().expect("low"), ci[1].as_f64().expect("high"));
        assert!(
            lo <= truth && truth <= hi,
            "{}: {truth} not in [{lo}, {hi}]",
            a["authority"]
        );
        assert!(
            (estimate / truth).ln().abs() < 0.15,
            "{estimate} vs {truth}"
        );
    }
}

#[test]
fn clustered_intervals_cover_and_model_based_ones_do_not() {
    // 12 replicates of about 600 visits (60 intervals); the full study (400 replicates) is
    // benches/casemix_coverage.rs. The seeds fix the outcome, so this cannot flake.
    let c = coverage(12, 0.3, 1000);
    assert_eq!(c.of, 60);
    let (cluster, model) = (c.cluster as f64 / 60.0, c.model as f64 / 60.0);
    assert!(cluster >= 0.88, "clustered coverage {cluster}");
    assert!(
        model < cluster,
        "model-based {model} vs clustered {cluster}"
    );
}
