//! Snapshot tests of the outputs (`insta`): `results.json`, the terminal summary and CSV
//! tables, on the shipped sample, on a dirty Danish export and on an xlsx workbook. They keep
//! the outputs unchanged until a change is meant: a failing snapshot is reviewed with
//! `cargo insta review` (README, "Development"), and an accepted change of an output is noted
//! in CHANGELOG.md.
//!
//! The snapshots live in `tests/integration/snapshots/`. Every path written into an output is
//! relative (the binary runs in the file's directory), so the snapshots do not depend on where
//! the repository or the temporary directory is.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::{losstat, succeed};

/// The repository root: the shipped sample is `data/sample.csv` from here.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The dirty export's file name, as the outputs record it.
const DIRTY: &str = "dirty_danish.csv";

/// The workbook's file name, as the outputs record it.
const WORKBOOK: &str = "dirty.xlsx";

/// Runs `losstat ARGS` in `dir`, expects success and returns standard output.
fn run(dir: &Path, args: &[&str]) -> String {
    let mut command = losstat();
    command.current_dir(dir).args(args);
    let output = succeed(&mut command, &format!("losstat {}", args.join(" ")));
    String::from_utf8(output.stdout).expect("standard output is UTF-8")
}

/// Reads an output file as text.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("output file is UTF-8 text")
}

/// Compares `text` with the stored snapshot `name` (`snapshots/NAME.snap`); `guards` says what
/// the snapshot guards and is written into the snapshot's header.
///
/// insta ignores trailing whitespace and `\r\n` vs `\n`, so the line ends are checked here.
fn snapshot(name: &str, guards: &str, text: &str) {
    assert!(!text.contains('\r'), "{name}: lines end in \\n only");
    assert!(
        text.ends_with('\n') && !text.ends_with("\n\n"),
        "{name}: the text ends with one newline"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(guards);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// `losstat compare data/sample.csv --format json`: the whole `results.json` of the shipped
/// sample (every key and number). A change must be reviewed and noted in CHANGELOG.md.
#[test]
fn sample_results_json() {
    let root = Path::new(ROOT);
    let json = run(root, &["compare", "data/sample.csv", "--format", "json"]);

    // `--out` writes the same results.json, with no trace of the output directory.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let out_arg = out.to_str().expect("UTF-8 temporary path");
    run(root, &["compare", "data/sample.csv", "--out", out_arg]);
    assert_eq!(read(&out.join("results.json")), json);
    assert!(
        !json.contains(out_arg),
        "results.json names the output directory"
    );

    snapshot(
        "sample_results_json",
        "results.json of `losstat compare data/sample.csv`; a change must be reviewed and noted in CHANGELOG.md",
        &json,
    );
}

/// `losstat compare data/sample.csv --out DIR`: the terminal summary (standard output) and two
/// CSV tables, `filter.csv` (what was excluded, per rule and authority) and `ks.csv` (every
/// pairwise comparison, full precision). A change must be reviewed and noted in CHANGELOG.md.
#[test]
fn sample_summary_and_csv() {
    let root = Path::new(ROOT);
    let summary = run(root, &["compare", "data/sample.csv"]);
    snapshot(
        "sample_summary",
        "terminal summary of `losstat compare data/sample.csv`; a change must be reviewed and noted in CHANGELOG.md",
        &summary,
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let out_arg = out.to_str().expect("UTF-8 temporary path");
    let with_out = run(root, &["compare", "data/sample.csv", "--out", out_arg]);
    assert_eq!(with_out, summary, "--out does not change the summary");
    snapshot(
        "sample_filter_csv",
        "filter.csv of `losstat compare data/sample.csv --out DIR`; a change must be reviewed and noted in CHANGELOG.md",
        &read(&out.join("filter.csv")),
    );
    snapshot(
        "sample_ks_csv",
        "ks.csv of `losstat compare data/sample.csv --out DIR`; a change must be reviewed and noted in CHANGELOG.md",
        &read(&out.join("ks.csv")),
    );
}

/// Writes the seeded dirty export `losstat simulate --scale 0.1 --seed 7 --dirty [STYLE]` to
/// `dir/name`. The Danish export's SHA-256 is in its `results.json` snapshot (`input.sha256`),
/// so a change of the simulator shows there as a new input, not only as changed numbers.
fn simulate_dirty(dir: &Path, name: &str, style: &[&str]) {
    let mut args = vec![
        "simulate", "--out", name, "--scale", "0.1", "--seed", "7", "--dirty", "--quiet",
    ];
    args.extend_from_slice(style);
    run(dir, &args);
}

/// A dirty Danish export (Windows-1252, `;`, decimal comma, Danish headers, every kind of bad
/// row): its `results.json` (from `--out`), the terminal summary and `exclusions.csv` (every
/// excluded or flagged rating with file, line and raw value; `check --format csv` prints the
/// same). A change must be reviewed and noted in CHANGELOG.md.
#[test]
fn dirty_danish_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    simulate_dirty(dir, DIRTY, &["--style", "danish"]);

    let summary = run(dir, &["compare", DIRTY, "--out", "out"]);
    let results = read(&dir.join("out/results.json"));
    let exclusions = read(&dir.join("out/exclusions.csv"));
    assert_eq!(run(dir, &["check", DIRTY, "--format", "csv"]), exclusions);

    snapshot(
        "dirty_danish_results_json",
        "results.json of `losstat compare` on a dirty Danish export (simulate --scale 0.1 --seed 7 --dirty --style danish); a change must be reviewed and noted in CHANGELOG.md",
        &results,
    );
    snapshot(
        "dirty_danish_summary",
        "terminal summary of `losstat compare` on a dirty Danish export; a change must be reviewed and noted in CHANGELOG.md",
        &summary,
    );
    snapshot(
        "dirty_danish_exclusions_csv",
        "exclusions.csv of `losstat compare` on a dirty Danish export; a change must be reviewed and noted in CHANGELOG.md",
        &exclusions,
    );
}

/// What an analyst's Excel makes of a CSV field: a number, a date, or text (an empty field is
/// no cell at all).
enum Cell<'a> {
    Number(f64),
    Date(rust_xlsxwriter::ExcelDateTime),
    Text(&'a str),
}

fn cell(field: &str) -> Option<Cell<'_>> {
    let b = field.as_bytes();
    let date_like = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    // Digits, a decimal point, a sign ("4", "3.5", "0"); not "NaN" or "4 point", which Rust
    // but not Excel would read as numbers.
    let plain_number = b
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-');
    if field.is_empty() {
        None
    } else if date_like {
        // Excel reads 2023-01-17 as a date.
        Some(
            rust_xlsxwriter::ExcelDateTime::parse_from_str(field)
                .map_or(Cell::Text(field), Cell::Date),
        )
    } else if plain_number {
        Some(field.parse().map_or(Cell::Text(field), Cell::Number))
    } else {
        Some(Cell::Text(field))
    }
}

/// The canonical CSV at `csv_path` as the workbook `xlsx_path`, sheet "Data", every row as it
/// was (a malformed row keeps its fields, so it fills fewer cells). The creation time is fixed,
/// so the bytes (and the SHA-256 in `results.json`) are the same on every run.
fn csv_to_xlsx(csv_path: &Path, xlsx_path: &Path) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(csv_path)
        .expect("simulated CSV opens");
    let mut book = rust_xlsxwriter::Workbook::new();
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 1).expect("a date");
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    sheet.set_name("Data").expect("sheet name");
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("simulated CSV record");
        let r = u32::try_from(r).expect("row number fits");
        for (c, field) in record.iter().enumerate() {
            let c = u16::try_from(c).expect("column number fits");
            match cell(field) {
                None => continue,
                Some(Cell::Number(x)) => sheet.write_number(r, c, x),
                Some(Cell::Date(d)) => sheet.write_datetime_with_format(r, c, &d, &date_format),
                Some(Cell::Text(s)) => sheet.write_string(r, c, s),
            }
            .expect("cell written");
        }
    }
    book.save(xlsx_path).expect("workbook saved");
}

/// Parses results.json text.
fn parse(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("results are JSON")
}

/// An xlsx workbook of the same dirty data (canonical CSV → cells as Excel would type them):
/// `losstat compare dirty.xlsx --format json`. A change must be reviewed and noted in
/// CHANGELOG.md.
///
/// The snapshot holds what depends on the input format: `input` (sheet, header, counts) and
/// `filter` (in a workbook a malformed row is a short row, excluded by another rule). Everything
/// else must equal the Danish CSV export's results, which `dirty_danish_results_json` stores in
/// full; that keeps a third 200 KB copy of the same numbers out of the snapshots.
///
/// The workbook's bytes depend on rust_xlsxwriter's version, so `sha256` and `bytes` are
/// checked against the file here and then redacted in the snapshot. (Its creation time is fixed
/// as well, so one rust_xlsxwriter version writes identical bytes on every run.)
#[test]
fn xlsx_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    simulate_dirty(dir, "dirty.csv", &[]);
    csv_to_xlsx(&dir.join("dirty.csv"), &dir.join(WORKBOOK));
    let mut results = parse(&run(dir, &["compare", WORKBOOK, "--format", "json"]));

    simulate_dirty(dir, DIRTY, &["--style", "danish"]);
    let mut danish = parse(&run(dir, &["compare", DIRTY, "--format", "json"]));
    let mut own = serde_json::Map::new();
    for key in ["input", "filter"] {
        own.insert(key.into(), results[key].take());
        danish[key].take();
    }
    assert_eq!(
        results, danish,
        "apart from input and filter, the workbook's results.json equals the Danish export's; \
         if a change makes them differ, snapshot the differing block here"
    );

    let bytes = std::fs::read(dir.join(WORKBOOK)).expect("workbook bytes");
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let input = &mut own["input"];
    assert_eq!(input["sha256"], sha256.as_str());
    input["sha256"] = "[sha256 of the workbook]".into();
    let file = &mut input["files"][0];
    assert_eq!(file["sha256"], sha256.as_str());
    assert_eq!(file["bytes"], bytes.len());
    file["sha256"] = "[sha256 of the workbook]".into();
    file["bytes"] = "[size of the workbook]".into();

    let text = serde_json::to_string_pretty(&own).expect("JSON text") + "\n";
    snapshot(
        "xlsx_results_json",
        "input and filter of results.json of `losstat compare` on an xlsx workbook of a dirty export (sha256 and bytes redacted; the rest equals the Danish export's); a change must be reviewed and noted in CHANGELOG.md",
        &text,
    );
}
