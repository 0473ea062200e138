//! Issue 12, items 1 and 4: the export's own criterion, theme and overall scores are kept out
//! of the LOS rules and checked against losstat's roll-up; an authority column with far more
//! authorities than exist stops the run before any statistics.
//!
//! The exports come from `losstat simulate --levels`, which writes each visit's criterion,
//! theme and overall scores (two decimals) after its ratings. Expected values are computed here
//! from the CSV rows, independently of losstat's roll-up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{compare_json, losstat, simulate, succeed, write};

/// The seed of the simulated exports.
const SEED: u64 = 31;

/// The records of a canonical simulated export (header first).
fn records(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .expect("export opens");
    reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// Writes `rows` as a canonical CSV.
fn write_records(path: &Path, rows: &[Vec<String>]) {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .expect("export written");
    for row in rows {
        writer.write_record(row).expect("record written");
    }
    writer.flush().expect("flushed");
}

#[test]
fn level_rows_enter_no_rule_and_agree_with_the_rollup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = simulate(dir.path(), "plain.csv", SEED, &[]);
    let with_levels = simulate(dir.path(), "levels.csv", SEED, &["--levels"]);
    let level_rows = records(&with_levels).len() - records(&plain).len();
    assert!(level_rows > 1000, "{level_rows} level rows");
    let a = compare_json(&plain, &[]);
    let b = compare_json(&with_levels, &[]);
    for key in ["filter", "authorities", "ks", "deviation", "completeness"] {
        assert_eq!(a[key], b[key], "`{key}` differs with level rows");
    }
    assert!(a.get("export_check").is_none(), "no levels, no check");
    let check = &b["export_check"];
    assert_eq!(check["levels_read"], level_rows as u64);
    assert_eq!(check["disagreeing"], 0, "{check:#}");
    assert_eq!(check["unreadable"], 0);
    assert_eq!(
        check["compared"].as_u64().expect("compared")
            + check["visit_not_kept"].as_u64().expect("not kept")
            + check["not_in_rollup"].as_u64().expect("not in rollup"),
        level_rows as u64
    );
    // Every level is written with two decimals, so agreement means within 0.005.
    for rounding in check["rounding"].as_array().expect("rounding") {
        assert_eq!(rounding["decimals"], 2, "{rounding}");
    }
    let sources = &b["input"]["files"][0]["counts"];
    assert_eq!(
        sources["ratings_read"],
        a["input"]["files"][0]["counts"]["ratings_read"]
    );
}

#[test]
fn a_planted_disagreement_is_found_and_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = simulate(dir.path(), "levels.csv", SEED, &["--levels"]);
    let mut rows = records(&export);
    // The first theme 3 score of the file, raised by 0.5.
    let (at, visit) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r[5] == "Tema 3")
        .map(|(i, r)| (i, r[1].clone()))
        .expect("a theme 3 row");
    let written: f64 = rows[at][6].parse().expect("a number");
    rows[at][6] = format!("{:.2}", written + 0.5);
    let planted = dir.path().join("planted.csv");
    write_records(&planted, &rows);
    let results = compare_json(&planted, &[]);
    let check = &results["export_check"];
    assert_eq!(check["disagreeing"], 1, "{check:#}");
    let worst = &check["largest_differences"][0];
    assert_eq!(worst["visit_id"], visit.as_str());
    assert_eq!(worst["level"], "theme");
    assert_eq!(worst["unit"], 3);
    let difference = worst["difference"].as_f64().expect("difference");
    assert!((difference - 0.5).abs() <= 0.005 + 1e-9, "{difference}");
    // The listing names its line (the header is line 1).
    assert_eq!(worst["line"], at as u64 + 1);
    let out = dir.path().join("out");
    crate::common::compare_out(&planted, &out, &[]);
    let csv = std::fs::read_to_string(out.join("export_check.csv")).expect("export_check.csv");
    let disagreeing: Vec<&str> = csv.lines().filter(|l| l.ends_with(",disagrees")).collect();
    assert_eq!(disagreeing.len(), 1, "{csv}");
    assert!(disagreeing[0].contains(&visit), "{}", disagreeing[0]);
    let summary = String::from_utf8(
        succeed(
            losstat()
                .arg("compare")
                .arg(&planted)
                .args(["--lang", "en"]),
            "compare",
        )
        .stdout,
    )
    .expect("utf-8");
    assert!(summary.contains("Export check:"), "{summary}");
    assert!(summary.contains("1 disagree"), "{summary}");
    // In Danish (the default) the exported score is written with a decimal comma.
    let danish =
        String::from_utf8(succeed(losstat().arg("compare").arg(&planted), "compare").stdout)
            .expect("utf-8");
    let line = danish
        .lines()
        .find(|l| l.contains("stemmer ikke; den største: tema 3"))
        .unwrap_or_else(|| panic!("no disagreement line in {danish}"));
    let exported = &rows[at][6];
    assert!(exported.contains('.'), "{exported}");
    assert!(
        line.contains(&format!(" er {} i udtrækket", exported.replace('.', ","))),
        "{line}"
    );
}

/// Theme scores computed as the pooled mean of the theme's indicators, per visit, from the
/// ratings of a canonical export (the criterion is the number before the dot).
fn pooled_theme_means(
    rows: &[Vec<String>],
    theme_of: &BTreeMap<u32, u32>,
) -> BTreeMap<(String, u32), f64> {
    let mut sums: BTreeMap<(String, u32), (f64, u32)> = BTreeMap::new();
    for r in rows.iter().skip(1) {
        let (Some(criterion), Ok(score)) = (
            r[5].split('.').next().and_then(|c| c.parse::<u32>().ok()),
            r[6].parse::<f64>(),
        ) else {
            continue;
        };
        if r[5].contains('.')
            && let Some(&theme) = theme_of.get(&criterion)
        {
            let slot = sums.entry((r[1].clone(), theme)).or_default();
            slot.0 += score;
            slot.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(key, (sum, n))| (key, sum / f64::from(n)))
        .collect()
}

#[test]
fn the_definition_that_explains_the_export_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = simulate(dir.path(), "levels.csv", SEED, &["--levels"]);
    let mut rows = records(&export);
    // The embedded model's themes (DESIGN §1: theme 4 = criteria 4–7, 5 = 8–9, 7 = 14).
    let theme_of: BTreeMap<u32, u32> = [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 4),
        (6, 4),
        (7, 4),
        (8, 5),
        (9, 5),
        (10, 6),
        (14, 7),
    ]
    .into();
    let pooled = pooled_theme_means(&rows, &theme_of);
    for r in rows.iter_mut() {
        if let Some(theme) = r[5]
            .strip_prefix("Tema ")
            .and_then(|t| t.parse::<u32>().ok())
            && let Some(mean) = pooled.get(&(r[1].clone(), theme))
        {
            r[6] = format!("{mean:.2}");
        }
    }
    let pooled_export = dir.path().join("pooled.csv");
    write_records(&pooled_export, &rows);
    let check = compare_json(&pooled_export, &[])["export_check"].clone();
    let fit = |definition: &str| -> (u64, u64) {
        let f = check["definitions"]
            .as_array()
            .expect("definitions")
            .iter()
            .find(|f| f["level"] == "theme" && f["definition"] == definition)
            .expect("a fit");
        (
            f["explains"].as_u64().expect("n"),
            f["of"].as_u64().expect("n"),
        )
    };
    let (pooled_explains, of) = fit("mean_of_indicators");
    assert_eq!(
        pooled_explains, of,
        "the pooled mean explains every theme score"
    );
    let (los_explains, _) = fit("mean_of_criteria");
    assert!(
        los_explains < of,
        "theme 4's criteria have unequal sizes: {los_explains} of {of}"
    );
    assert!(check["disagreeing"].as_u64().expect("n") > 0);
}

/// A long export in which every visit has its own "authority" (a municipality, say).
fn many_authorities(dir: &Path, count: usize) -> PathBuf {
    let mut text = String::from("authority,visit_id,indicator,score\n");
    for i in 0..count {
        text.push_str(&format!("Kommune {i},V{i},1.a,4\nKommune {i},V{i},1.b,5\n"));
    }
    write(dir, "many.csv", text)
}

#[test]
fn a_wrong_authority_column_stops_before_any_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = many_authorities(dir.path(), 3000);
    let output = losstat()
        .arg("compare")
        .arg(&input)
        .output()
        .expect("losstat runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "the authority column \"authority\" holds 3000 different authorities",
        "\"Kommune 0\" (2 rows)",
        "--column authority=",
        "--max-authorities 3000",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    }
    // `check` stops the same way.
    let check = losstat().arg("check").arg(&input).output().expect("runs");
    assert_eq!(check.status.code(), Some(1));
}

#[test]
fn past_the_guard_every_output_is_written_and_figures_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = many_authorities(dir.path(), 15);
    let out = dir.path().join("out");
    let output = losstat()
        .arg("compare")
        .arg(&input)
        .args(["--max-authorities", "15", "--model"])
        .arg(two_indicator_model(dir.path()))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("losstat runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("no figures drawn"));
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    // The report says it in its language (Danish by default); standard error in English.
    assert!(report.contains("ingen figurer tegnet: 15 socialtilsyn"));
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("parses");
    assert_eq!(results["authorities"].as_array().map(Vec::len), Some(15));
}

/// A model with the two indicators the many-authority export scores, both universal.
fn two_indicator_model(dir: &Path) -> PathBuf {
    write(
        dir,
        "model.csv",
        "indicator,criterion,theme,universal\n1.a,1,1,yes\n1.b,1,1,yes\n",
    )
}
