//! On a generated dirty file, every filter count equals an independent count the test makes
//! while it builds the file row by row.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::common::{AUTHORITIES, CONDITIONAL, UNIVERSAL, compare_json, losstat, write};

/// Expected counts for one rule: (visits, ratings) in all and per authority key.
#[derive(Default)]
struct Expect {
    visits: u64,
    ratings: u64,
    by_authority: BTreeMap<String, (u64, u64)>,
}

#[derive(Default)]
struct Builder {
    lines: Vec<String>,
    expected: BTreeMap<&'static str, Expect>,
    visits_read: u64,
    visits_kept: u64,
    rows_read: u64,
    rows_kept: u64,
    next_visit: u64,
}

impl Builder {
    fn row(&mut self, authority: &str, visit: &str, indicator: &str, score: &str) {
        // A decimal comma must be quoted in a comma-separated file, as any CSV writer does.
        let score = if score.contains(',') {
            format!("\"{score}\"")
        } else {
            score.to_string()
        };
        self.lines
            .push(format!("{authority},{visit},{indicator},{score}"));
        self.rows_read += 1;
    }

    fn count(&mut self, rule: &'static str, key: &str, visits: u64, ratings: u64) {
        let e = self.expected.entry(rule).or_default();
        e.visits += visits;
        e.ratings += ratings;
        let slot = e.by_authority.entry(key.to_string()).or_default();
        slot.0 += visits;
        slot.1 += ratings;
    }

    fn new_visit(&mut self) -> String {
        self.next_visit += 1;
        self.visits_read += 1;
        format!("V{:05}", self.next_visit)
    }

    /// A complete valid visit: every universal indicator plus some conditional ones, at
    /// least one score above 1. Returns the ratings written.
    fn clean(&mut self, rng: &mut ChaCha8Rng, authority: &str, visit: &str) -> u64 {
        let mut n = 0;
        for (k, id) in UNIVERSAL.iter().enumerate() {
            let score = if k == 0 { 5 } else { rng.random_range(1..=5u8) };
            self.row(authority, visit, id, &score.to_string());
            n += 1;
        }
        // 9.d is left out here: it is the indicator of the blank-authority row below.
        for id in CONDITIONAL.iter().filter(|id| **id != "9.d") {
            if rng.random::<f64>() < 0.5 {
                self.row(authority, visit, id, &rng.random_range(1..=5u8).to_string());
                n += 1;
            }
        }
        n
    }
}

fn build(seed: u64) -> Builder {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = Builder::default();
    for _ in 0..400 {
        let authority = AUTHORITIES[rng.random_range(0..AUTHORITIES.len())];
        let fate = rng.random_range(0..14u32);
        let visit = b.new_visit();
        match fate {
            // Clean visits (half of all).
            0..=6 => {
                let n = b.clean(&mut rng, authority, &visit);
                b.rows_kept += n;
                b.visits_kept += 1;
            }
            7 => {
                // LOS 1: no authority on any row.
                let n = b.clean(&mut rng, "", &visit);
                b.count("missing_authority", "(none)", 1, n);
            }
            8 => {
                // Visit id under two authorities.
                let other = AUTHORITIES
                    .iter()
                    .find(|a| **a != authority)
                    .copied()
                    .unwrap_or("X");
                let n = b.clean(&mut rng, authority, &visit);
                b.row(other, &visit, "2.b", "4");
                b.count("conflicting_authority", "(conflicting)", 1, n + 1);
            }
            9 => {
                // LOS 2 on non-universal indicators: ratings dropped, visit kept.
                let n = b.clean(&mut rng, authority, &visit);
                let bad = ["3,5", "0", "6", "x", "NaN", "4.0000001"];
                let k = rng.random_range(1..=3u64);
                for j in 0..k {
                    b.row(
                        authority,
                        &visit,
                        "2.d",
                        bad[(j as usize + visit.len()) % bad.len()],
                    );
                }
                b.count("invalid_score", authority, 0, k);
                b.rows_kept += n;
                b.visits_kept += 1;
            }
            10 => {
                // Unknown ids (dropped), a repeat with the same score (dropped), and an
                // unmodelled but well-formed id (kept, flagged).
                let n = b.clean(&mut rng, authority, &visit);
                b.row(authority, &visit, "foo", "4");
                b.row(authority, &visit, "99.a", "4");
                b.count("unknown_indicator", authority, 0, 2);
                b.row(authority, &visit, "1.a", "5"); // 1.a is always 5 in `clean`
                b.count("duplicate_rating", authority, 0, 1);
                b.row(authority, &visit, "5.z", "3");
                b.count("unmodelled_indicator", authority, 0, 1);
                b.rows_kept += n + 1;
                b.visits_kept += 1;
            }
            11 => {
                // The same indicator with two scores: the whole visit goes.
                let n = b.clean(&mut rng, authority, &visit);
                b.row(authority, &visit, "1.a", "4");
                b.count("conflicting_duplicate", authority, 1, n + 1);
            }
            12 => {
                // LOS 3: every remaining score is 1 (one invalid score goes first, by rule 2).
                for id in UNIVERSAL {
                    b.row(authority, &visit, id, "1");
                }
                b.row(authority, &visit, "2.b", "x");
                b.count("invalid_score", authority, 0, 1);
                b.count("all_ones", authority, 1, UNIVERSAL.len() as u64);
            }
            _ => {
                // LOS 4: a universal indicator without a valid score (its score is invalid).
                let mut n = 0;
                for id in UNIVERSAL {
                    let score = if id == "3.b" { "" } else { "4" };
                    b.row(authority, &visit, id, score);
                    n += 1;
                }
                b.count("invalid_score", authority, 0, 1);
                b.count("missing_universal", authority, 1, n - 1);
            }
        }
        // Now and then: a malformed record, a rating without a visit id, a blank authority
        // inside an otherwise named visit.
        match rng.random_range(0..40u32) {
            0 => {
                b.lines.push(format!("{authority},{visit},1.a"));
                b.rows_read += 1;
                b.count("malformed_row", authority, 0, 1);
            }
            1 => {
                b.row(authority, "", "1.a", "4");
                b.count("missing_visit_id", authority, 0, 1);
            }
            2 if fate <= 6 => {
                b.row("", &visit, "9.d", "5");
                b.count("authority_inferred", authority, 0, 1);
                b.rows_kept += 1;
            }
            _ => {}
        }
    }
    b
}

#[test]
fn every_rule_count_matches_an_independent_count() {
    let b = build(20_241_125);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("authority,visit_id,indicator,score\n");
    for line in &b.lines {
        text.push_str(line);
        text.push('\n');
    }
    let path = write(dir.path(), "dirty.csv", text);
    let results = compare_json(&path, &[]);
    let filter = &results["filter"];
    assert_eq!(filter["rows_read"], b.rows_read);
    assert_eq!(filter["visits_read"], b.visits_read);
    assert_eq!(filter["rows_kept"], b.rows_kept);
    assert_eq!(filter["visits_kept"], b.visits_kept);

    let rules = filter["rules"].as_array().expect("rules");
    let names: Vec<&str> = rules.iter().filter_map(|r| r["rule"].as_str()).collect();
    for (los, next) in [
        ("missing_authority", "invalid_score"),
        ("invalid_score", "all_ones"),
        ("all_ones", "missing_universal"),
    ] {
        let at = |n: &str| names.iter().position(|x| *x == n).expect("rule listed");
        assert!(at(los) < at(next), "LOS order: {los} before {next}");
    }
    for rule in rules {
        let name = rule["rule"].as_str().expect("name");
        let expected = b.expected.get(name);
        let (visits, ratings) = expected.map_or((0, 0), |e| (e.visits, e.ratings));
        let ratings_field = if rule["scope"] == "flag" {
            "ratings_flagged"
        } else {
            "ratings_dropped"
        };
        assert_eq!(rule["visits_dropped"], visits, "{name}: visits");
        assert_eq!(rule[ratings_field], ratings, "{name}: ratings");
        let by_authority = rule["by_authority"].as_object().expect("object");
        let got: BTreeMap<String, (u64, u64)> = by_authority
            .iter()
            .map(|(k, v): (&String, &Value)| {
                (
                    k.clone(),
                    (
                        v["visits"].as_u64().unwrap_or(0),
                        v["ratings"].as_u64().unwrap_or(0),
                    ),
                )
            })
            .collect();
        let want = expected.map(|e| e.by_authority.clone()).unwrap_or_default();
        assert_eq!(got, want, "{name}: per authority");
    }
    for name in b.expected.keys() {
        assert!(names.contains(name), "{name} is reported");
    }
}

#[test]
fn check_lists_every_exclusion_with_file_and_line() {
    let b = build(7);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("authority,visit_id,indicator,score\n");
    for line in &b.lines {
        text.push_str(line);
        text.push('\n');
    }
    let path = write(dir.path(), "dirty.csv", text);
    let output = losstat()
        .args(["check", "--format", "csv"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(output.status.success());
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let mut listed: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("csv row");
        let line: u64 = record[2].parse().expect("line number");
        assert!(line >= 2 && line <= b.lines.len() as u64 + 1, "line {line}");
        assert!(record[1].ends_with("dirty.csv"));
        *listed.entry(record[0].to_string()).or_default() += 1;
    }
    // One listed row per excluded or flagged rating (visit rules list each of their ratings).
    for (rule, e) in &b.expected {
        assert_eq!(listed.get(*rule).copied().unwrap_or(0), e.ratings, "{rule}");
    }
    // --strict turns exclusions into exit code 3.
    losstat()
        .args(["check", "--strict"])
        .arg(&path)
        .assert()
        .code(3);
}
