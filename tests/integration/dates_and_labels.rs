//! Issue 12: what real exports write in place of ISO dates, scores and authority names. Dates
//! in other forms and orders (`dd-mm-yyyy`, month first, both), dates that are not dates,
//! the scale's labels in place of scores, and the host municipalities in place of the
//! authorities. Each is the shipped sample rewritten, run through the binary, and compared with
//! the sample's own results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{compare_json, losstat, succeed, write};

/// The shipped sample.
fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.csv")
}

/// The sample's records (header first), malformed ones included, as the csv crate reads them.
fn sample_records() -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(sample())
        .expect("sample opens");
    reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// The column `name` of the sample's header.
fn column(records: &[Vec<String>], name: &str) -> usize {
    records[0]
        .iter()
        .position(|h| h == name)
        .expect("column in the header")
}

/// Writes the sample to `dir/name` with `edit` applied to every well-formed record (the
/// header and the malformed records are written as they are, so every line keeps its number).
fn rewrite(dir: &Path, name: &str, mut edit: impl FnMut(&mut Vec<String>)) -> PathBuf {
    let mut records = sample_records();
    let width = records[0].len();
    for record in records.iter_mut().skip(1).filter(|r| r.len() == width) {
        edit(record);
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for record in &records {
        writer.write_record(record).expect("record written");
    }
    write(dir, name, writer.into_inner().expect("bytes"))
}

/// `YYYY-MM-DD` → `DD-MM-YYYY` (the sample's dates are ISO or blank; checked); a blank
/// stays blank.
fn day_first(iso: &str) -> String {
    if iso.is_empty() {
        return String::new();
    }
    let [y, m, d]: [&str; 3] = iso
        .split('-')
        .collect::<Vec<_>>()
        .try_into()
        .expect("an ISO date");
    format!("{d}-{m}-{y}")
}

/// Asserts that two `results.json` agree on everything the comparisons compute.
fn assert_same_results(a: &Value, b: &Value, what: &str) {
    for key in ["filter", "authorities", "ks", "deviation", "completeness"] {
        assert_eq!(a[key], b[key], "{what}: `{key}` differs");
    }
}

/// `losstat spider PATH --offer OFFER --format json`, parsed.
fn spider_offer(path: &Path, offer: &str) -> Value {
    let mut command = losstat();
    command
        .arg("spider")
        .arg(path)
        .args(["--offer", offer, "--format", "json"]);
    let output = succeed(&mut command, "spider --offer");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// The (visit, date) pairs of an offer's rows in the sample.
fn offer_visits(records: &[Vec<String>], offer: &str) -> BTreeMap<String, String> {
    let (o, v, d) = (
        column(records, "offer_id"),
        column(records, "visit_id"),
        column(records, "visit_date"),
    );
    records
        .iter()
        .skip(1)
        .filter(|r| r.len() > d && r[o] == offer)
        .map(|r| (r[v].clone(), r[d].clone()))
        .collect()
}

/// Issue 12, item 2: with `dd-mm-yyyy` dates, `spider --offer T00003` showed the 2021 visit,
/// because `07-05-2021` sorts after `02-05-2022` as text.
#[test]
fn spider_offer_picks_the_latest_visit_by_date_not_by_text() {
    let records = sample_records();
    // The sample: offer T00003 has two visits, one date each (read off data/sample.csv).
    let visits = offer_visits(&records, "T00003");
    let expected: BTreeMap<String, String> = [
        ("B100006".to_string(), "2022-05-02".to_string()),
        ("B100120".to_string(), "2021-05-07".to_string()),
    ]
    .into();
    assert_eq!(visits, expected);
    // As text, the rewritten dates sort the wrong way round: the test can fail.
    assert!(day_first("2021-05-07") > day_first("2022-05-02"));

    let dir = tempfile::tempdir().expect("tempdir");
    let dates = column(&records, "visit_date");
    let path = rewrite(dir.path(), "dmy.csv", |r| r[dates] = day_first(&r[dates]));
    let profile = spider_offer(&path, "T00003");
    assert_eq!(profile["visit_id"], "B100006");
    assert_eq!(
        profile["visit_date"], "2022-05-02",
        "the profile's date is ISO"
    );
    assert_eq!(profile["other_visits"], serde_json::json!(["B100120"]));
    // The ISO sample picks the same visit.
    assert_eq!(spider_offer(&sample(), "T00003")["visit_id"], "B100006");
}

/// Day-first dates give the sample's results, and every output writes them as ISO dates.
#[test]
fn day_first_dates_are_written_as_iso_and_change_no_result() {
    let records = sample_records();
    let dates = column(&records, "visit_date");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = rewrite(dir.path(), "dmy.csv", |r| r[dates] = day_first(&r[dates]));
    let original = compare_json(&sample(), &[]);
    let rewritten = compare_json(&path, &[]);
    assert_same_results(&original, &rewritten, "dd-mm-yyyy");
    assert!(original.get("dates").is_none(), "ISO dates: no `dates` key");
    let report = &rewritten["dates"][0];
    assert_eq!(report["order"], "day_first");
    assert_eq!(report["ambiguous"], false);
    assert_eq!(report["iso"], 0);
    assert_eq!(report["month_first"], 0);

    // visits.csv (the visit dates) is the same, ISO, byte for byte.
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    crate::common::compare_out(&sample(), &a, &[]);
    crate::common::compare_out(&path, &b, &[]);
    let visits = |out: &Path| std::fs::read_to_string(out.join("visits.csv")).expect("visits.csv");
    assert_eq!(visits(&a), visits(&b));
    assert!(visits(&b).contains(",2021-05-12,"));
}

/// Three files: month first only, both orders, ISO only. Each is reported in `dates`.
#[test]
fn each_file_reports_its_date_order_and_an_ambiguous_one_is_flagged() {
    let header = "authority,visit_id,indicator,score,visit_date\n";
    // One visit per date, each with every universal indicator scored 4.
    let file = |dates: &[(&str, &str)]| {
        let mut text = header.to_string();
        for (visit, date) in dates {
            for id in crate::common::UNIVERSAL {
                text.push_str(&format!("Nord,{visit},{id},4,{date}\n"));
            }
        }
        text
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // 05/25/2023: no month 25, so month first; 03/04/2023 could be either.
    let us = write(
        dir.path(),
        "us.csv",
        file(&[("u1", "05/25/2023"), ("u2", "03/04/2023")]),
    );
    // 25-05-2023 only day first, 05-25-2023 only month first: ambiguous.
    let mixed = write(
        dir.path(),
        "mixed.csv",
        file(&[
            ("m1", "25-05-2023"),
            ("m2", "05-25-2023"),
            ("m3", "03-04-2023"),
        ]),
    );
    let iso = write(dir.path(), "iso.csv", file(&[("i1", "2023-04-03")]));
    let mut command = losstat();
    command
        .arg("compare")
        .args([&us, &mixed, &iso])
        .args(["--format", "json"]);
    let output = succeed(&mut command, "compare three files");
    let results: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let dates = results["dates"].as_array().expect("a `dates` array");
    assert_eq!(dates.len(), 3);
    let fields = |r: &Value| {
        (
            r["file"].as_u64(),
            r["order"].as_str().map(str::to_string),
            r["ambiguous"].as_bool(),
            [&r["day_first"], &r["month_first"], &r["either"], &r["iso"]].map(Value::as_u64),
        )
    };
    assert_eq!(
        fields(&dates[0]),
        (
            Some(0),
            Some("month_first".into()),
            Some(false),
            [0, 1, 1, 0].map(Some)
        )
    );
    assert_eq!(
        fields(&dates[1]),
        (
            Some(1),
            Some("day_first".into()),
            Some(true),
            [1, 1, 1, 0].map(Some)
        )
    );
    assert_eq!(
        fields(&dates[2]),
        (
            Some(2),
            Some("iso".into()),
            Some(false),
            [0, 0, 0, 1].map(Some)
        )
    );
    assert_eq!(dates[1]["month_first_example"], "05-25-2023");
    // In the ambiguous file, m2's date (month first) is not read: its ratings are flagged.
    let rules = results["filter"]["rules"].as_array().expect("rules");
    let invalid = rules
        .iter()
        .find(|r| r["rule"] == "invalid_date")
        .expect("invalid_date counted");
    assert_eq!(invalid["ratings_flagged"], crate::common::UNIVERSAL.len());
    assert_eq!(
        results["filter"]["rows_kept"],
        6 * crate::common::UNIVERSAL.len()
    );

    // The terminal summary says it in one line.
    let mut command = losstat();
    command
        .arg("compare")
        .args([&us, &mixed, &iso])
        .args(["--lang", "en"]);
    let summary = String::from_utf8(succeed(&mut command, "summary").stdout).expect("UTF-8");
    let line = summary
        .lines()
        .find(|l| l.starts_with("Dates: "))
        .expect("a Dates line");
    assert!(line.contains("us.csv: read month-day-year"), "{line}");
    assert!(line.contains("mixed.csv: dates in both orders"), "{line}");
    assert!(!line.contains("iso.csv"), "{line}");
    // In Danish (the default) the same line.
    let mut command = losstat();
    command.arg("compare").args([&us, &mixed, &iso]);
    let summary = String::from_utf8(succeed(&mut command, "summary").stdout).expect("UTF-8");
    let line = summary
        .lines()
        .find(|l| l.starts_with("Datoer: "))
        .expect("a Datoer line");
    assert!(line.contains("us.csv: læst som måned-dag-år"), "{line}");
    assert!(
        line.contains("mixed.csv: datoer i begge rækkefølger"),
        "{line}"
    );
}

/// Unreadable dates: the ratings are kept and flagged `invalid_date`, each listed with its
/// line and raw date; nothing else changes, not even the other flags' counts.
#[test]
fn unreadable_dates_are_flagged_and_change_nothing_else() {
    let records = sample_records();
    let (v, dates) = (column(&records, "visit_id"), column(&records, "visit_date"));
    // B101706 has a row flagged authority_inferred (line 23276), B100782 one flagged
    // unmodelled_indicator (line 10702): see `losstat check data/sample.csv`.
    let bad: BTreeMap<&str, &str> = [
        ("B100001", "32-13-2023"),
        ("B101706", "31-02-2023"),
        ("B100782", "ikke oplyst"),
    ]
    .into();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = rewrite(dir.path(), "bad.csv", |r| {
        if let Some(date) = bad.get(r[v].as_str()) {
            r[dates] = (*date).to_string();
        }
    });

    // Expected: every row of those visits that the sample keeps. The sample's listing says
    // which of their rows are removed (none of the visits is dropped as a whole).
    let original_listing = check_csv(&sample());
    let removed = original_listing
        .iter()
        .filter(|e| bad.contains_key(e["visit_id"].as_str()))
        .inspect(|e| {
            assert!(
                !VISIT_RULES.contains(&e["rule"].as_str()),
                "a visit is dropped"
            );
        })
        .filter(|e| !["authority_inferred", "unmodelled_indicator"].contains(&e["rule"].as_str()))
        .count();
    let rows = records
        .iter()
        .skip(1)
        .filter(|r| r.len() > dates && bad.contains_key(r[v].as_str()))
        .count();
    let expected = rows - removed;
    assert!(expected > 50, "three visits' ratings");

    let original = compare_json(&sample(), &[]);
    let flagged = compare_json(&path, &[]);
    for key in ["authorities", "ks", "deviation", "completeness"] {
        assert_eq!(original[key], flagged[key], "`{key}` differs");
    }
    let (a, b) = (&original["filter"], &flagged["filter"]);
    for key in ["rows_read", "visits_read", "rows_kept", "visits_kept"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let mut rules = b["rules"].as_array().expect("rules").clone();
    let at = rules
        .iter()
        .position(|r| r["rule"] == "invalid_date")
        .expect("invalid_date counted");
    let invalid = rules.remove(at);
    assert_eq!(invalid["ratings_flagged"], expected);
    assert_eq!(invalid["ratings_dropped"], 0);
    assert_eq!(&Value::Array(rules), &a["rules"], "the other rules' counts");
    assert_eq!(flagged["dates"][0]["unreadable"], 3);

    // Listed with file, line, the score as raw value, and the raw date in the detail.
    let listing = check_csv(&path);
    let listed: Vec<&BTreeMap<String, String>> = listing
        .iter()
        .filter(|e| e["rule"] == "invalid_date")
        .collect();
    assert_eq!(listed.len(), expected);
    let both = listing
        .iter()
        .filter(|e| e["line"] == "23276")
        .map(|e| e["rule"].as_str())
        .collect::<Vec<_>>();
    assert_eq!(both, ["authority_inferred", "invalid_date"]);
    let first = listed[0];
    assert_eq!(first["visit_id"], "B100001");
    assert_eq!(first["line"], "2");
    assert_eq!(first["raw_value"], "5", "the raw value is the score");
    assert!(
        first["detail"].starts_with("`32-13-2023` is not a date"),
        "{}",
        first["detail"]
    );
}

/// The rules that drop whole visits.
const VISIT_RULES: [&str; 5] = [
    "missing_authority",
    "conflicting_authority",
    "conflicting_duplicate",
    "all_ones",
    "missing_universal",
];

/// `losstat check PATH --format csv`: every exclusion and flag, as maps from column to value.
fn check_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut command = losstat();
    command.arg("check").arg(path).args(["--format", "csv"]);
    let output = succeed(&mut command, "check --format csv");
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("record").iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The scale's labels (research/kvalitetsmodel.md §5), by score.
const LABELS: [&str; 5] = [
    "I meget lav grad opfyldt",
    "I lav grad opfyldt",
    "I middel grad opfyldt",
    "I høj grad opfyldt",
    "I meget høj grad opfyldt",
];

/// Scores written as the scale's labels, alone or with their number, read as the numbers.
#[test]
fn scale_labels_give_the_results_of_the_numbers() {
    let records = sample_records();
    let score = column(&records, "score");
    let dir = tempfile::tempdir().expect("tempdir");
    let label = |raw: &str| {
        raw.parse::<usize>()
            .ok()
            .filter(|s| (1..=5).contains(s))
            .map(|s| (s, LABELS[s - 1]))
    };
    let alone = rewrite(dir.path(), "labels.csv", |r| {
        if let Some((_, text)) = label(&r[score]) {
            r[score] = text.to_uppercase();
        }
    });
    let mut k = 0;
    let numbered = rewrite(dir.path(), "numbered.csv", |r| {
        if let Some((s, text)) = label(&r[score]) {
            k += 1;
            r[score] = match k % 3 {
                0 => format!("{s} - {text}"),
                1 => format!("{text} ({s})"),
                _ => format!("{s}: {}", text.to_lowercase()),
            };
        }
    });
    let original = compare_json(&sample(), &[]);
    assert_same_results(&original, &compare_json(&alone, &[]), "labels alone");
    assert_same_results(&original, &compare_json(&numbered, &[]), "numbered labels");
}

/// The five host municipalities (seed 003, lines 17-28) name their authorities.
#[test]
fn host_municipalities_give_the_results_of_the_authority_names() {
    let records = sample_records();
    let authority = column(&records, "authority");
    let hosts: BTreeMap<&str, &str> = [
        ("Socialtilsyn Nord", "Hjørring Kommune"),
        ("Socialtilsyn Midt", "Silkeborg"),
        ("Socialtilsyn Syd", "Fåborg-Midtfyn Kommune"),
        ("Socialtilsyn Øst", "Socialtilsyn Holbæk"),
        ("Socialtilsyn Hovedstaden", "Frederiksberg Kommune"),
    ]
    .into();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = rewrite(dir.path(), "hosts.csv", |r| {
        if let Some(host) = hosts.get(r[authority].as_str()) {
            r[authority] = (*host).to_string();
        }
    });
    let original = compare_json(&sample(), &[]);
    let renamed = compare_json(&path, &[]);
    assert_same_results(&original, &renamed, "host municipalities");
    let names: Vec<&str> = renamed["authorities"]
        .as_array()
        .expect("authorities")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, crate::common::AUTHORITIES);
}
