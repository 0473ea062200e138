//! Issue 13, items 1 and 2: `results.xlsx` beside the CSV tables, and `--csv-style danish`.
//!
//! The input is a dirty simulated export with the export's own scores (`--levels`, so the
//! export check is there), in which one authority is renamed `=1+1`, one visit id `12.5` and
//! one score `=1+1`: text that a spreadsheet would take for a formula or a number. The
//! workbook is read back with calamine and compared cell by cell with the CSV tables of the
//! same run; the Danish CSVs are compared with the standard ones of another run.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::Value;

use crate::common::{compare_out, simulate};

/// The seed of the simulated export.
const SEED: u64 = 41;

/// Text that a spreadsheet would run as a formula.
const HOSTILE: &str = "=1+1";

/// The CSV columns that hold text (every other column holds numbers, or `true`/`false`).
const TEXT_COLUMNS: [&str; 20] = [
    "rule",
    "scope",
    "authority",
    "visit_id",
    "indicator",
    "raw_value",
    "detail",
    "file",
    "level",
    "a",
    "b",
    "method",
    "primary",
    "inference",
    "offer_id",
    "offer_type",
    "visit_date",
    "exported",
    "status",
    "label",
];

/// The columns of `true`/`false`.
const BOOLEAN_COLUMNS: [&str; 2] = ["stratified", "significant"];

/// The Danish sheets (without "KS-test pr. niveau", which needs `--level`) and their CSV.
const SHEETS_DA: [(&str, &str); 12] = [
    ("Filterregler", "filter.csv"),
    ("Socialtilsyn", "authorities.csv"),
    ("KS-test", "ks.csv"),
    ("Afvigelser", "deviation.csv"),
    ("Fuldstændighed", "completeness.csv"),
    ("Besøg", "visits.csv"),
    ("Temaer", "themes.csv"),
    ("Kriterier", "criteria.csv"),
    ("Frasortering", "exclusions.csv"),
    ("Eksportens scorer", "export_check.csv"),
    ("Justeret for tilbudstype", "adjusted.csv"),
    ("Tilbudstyper", "offer_mix.csv"),
];

/// The simulated export with an authority called `=1+1`, a visit `12.5` and a score `=1+1`.
fn hostile_export(dir: &Path) -> PathBuf {
    let path = simulate(dir, "export.csv", SEED, &["--levels", "--dirty"]);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&path)
        .expect("export opens");
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows[0][..2], ["authority", "visit_id"]);
    // A visit the dirty rows leave alone (the first one is under two authorities).
    let renamed = rows[rows.len() / 2][1].clone();
    for row in &mut rows[1..] {
        if row.first().is_some_and(|a| a == "Socialtilsyn Øst") {
            row[0] = HOSTILE.to_string();
        }
        if row.get(1) == Some(&renamed) {
            row[1] = "12.5".to_string();
        }
    }
    let rated = (1..rows.len())
        .rev()
        .find(|&i| rows[i].len() == 7 && rows[i][5] == "1.b" && rows[i][1] != "12.5")
        .expect("a rating of indicator 1.b");
    rows[rated][6] = HOSTILE.to_string();
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(&path)
        .expect("export written");
    for row in &rows {
        writer.write_record(row).expect("record written");
    }
    writer.flush().expect("flushed");
    path
}

/// A CSV file's records (header first), in the given style.
fn csv_records(path: &Path, separator: u8) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("CSV read");
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(separator)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// Every sheet of a workbook, by name, in order.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = open_workbook(path).expect("results.xlsx opens");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("sheet reads");
            assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

/// One part of the workbook's archive, as text.
fn archive_part(path: &Path, part: &str) -> String {
    let file = std::fs::File::open(path).expect("results.xlsx opens");
    let mut archive = zip::ZipArchive::new(file).expect("a zip archive");
    let mut text = String::new();
    archive
        .by_name(part)
        .expect("part present")
        .read_to_string(&mut text)
        .expect("part reads");
    text
}

/// The elements called `name` of an XML document.
fn elements<'a, 'i>(doc: &'a roxmltree::Document<'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants().filter(|e| e.has_tag_name(name)).collect()
}

/// The number format of cell `cell` (`J2`) on sheet `n` (1-based) of the workbook.
fn number_format(path: &Path, n: usize, cell: &str) -> String {
    let styles = archive_part(path, "xl/styles.xml");
    let styles = roxmltree::Document::parse(&styles).expect("styles.xml parses");
    let id = |node: roxmltree::Node<'_, '_>| -> u32 {
        node.attribute("numFmtId")
            .and_then(|i| i.parse().ok())
            .unwrap_or(0)
    };
    let xfs: Vec<u32> = elements(&styles, "cellXfs")[0]
        .children()
        .filter(roxmltree::Node::is_element)
        .map(id)
        .collect();
    let sheet = archive_part(path, &format!("xl/worksheets/sheet{n}.xml"));
    let sheet = roxmltree::Document::parse(&sheet).expect("sheet parses");
    let c = elements(&sheet, "c")
        .into_iter()
        .find(|c| c.attribute("r") == Some(cell))
        .unwrap_or_else(|| panic!("sheet{n} has a cell {cell}"));
    let style: usize = c
        .attribute("s")
        .map_or(0, |s| s.parse().expect("style index"));
    let format_id = xfs[style];
    elements(&styles, "numFmt")
        .into_iter()
        .find(|f| id(*f) == format_id)
        .and_then(|f| f.attribute("formatCode"))
        .map_or_else(|| format!("built-in {format_id}"), str::to_string)
}

/// Checks that `sheet` holds the records of a CSV (header excluded) cell by cell: text as
/// the same text (the CSV's `'` guard against formulas is not in the workbook), numbers as
/// number cells equal to the CSV's, `true`/`false` as booleans, empty as empty.
fn assert_same_cells(name: &str, sheet: &[Vec<Data>], csv: &[Vec<String>]) {
    assert_eq!(sheet.len(), csv.len(), "{name}: rows");
    let header = &csv[0];
    for (r, (row, record)) in sheet.iter().zip(csv).enumerate().skip(1) {
        assert_eq!(row.len(), record.len(), "{name} row {r}: columns");
        for ((cell, text), column) in row.iter().zip(record).zip(header) {
            let at = format!("{name} row {r} column {column}: {cell:?} vs {text:?}");
            match cell {
                Data::Empty => assert!(text.is_empty(), "{at}"),
                Data::String(s) => {
                    assert!(
                        TEXT_COLUMNS.contains(&column.as_str()) || text == "all",
                        "{at}: text in a number column"
                    );
                    // No text of the input starts with `'`: one here is the CSV's guard.
                    assert!(!s.starts_with('\''), "{at}");
                    let guarded = format!("'{s}");
                    assert!(text == s || *text == guarded, "{at}");
                    if s.starts_with(['=', '+', '-', '@']) {
                        assert_eq!(*text, guarded, "{at}");
                    }
                }
                Data::Float(x) => {
                    assert!(!TEXT_COLUMNS.contains(&column.as_str()), "{at}");
                    let parsed: f64 = text.parse().unwrap_or_else(|_| panic!("{at}"));
                    assert_eq!(parsed.to_bits(), x.to_bits(), "{at}");
                }
                Data::Bool(b) => {
                    assert!(BOOLEAN_COLUMNS.contains(&column.as_str()), "{at}");
                    assert_eq!(*text, b.to_string(), "{at}");
                }
                other => panic!("{at}: unexpected cell {other:?}"),
            }
        }
    }
}

fn string(cell: &Data) -> &str {
    match cell {
        Data::String(s) => s,
        other => panic!("expected text, found {other:?}"),
    }
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(x) => *x,
        other => panic!("expected a number, found {other:?}"),
    }
}

#[test]
fn results_xlsx_holds_the_csv_tables_typed_and_reruns_give_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = hostile_export(dir.path());
    let out = dir.path().join("out");
    compare_out(&input, &out, &[]);
    let workbook = out.join("results.xlsx");

    // Determinism: a rerun, on one thread, writes the same bytes.
    let again = dir.path().join("again");
    crate::common::losstat()
        .env("RAYON_NUM_THREADS", "1")
        .arg("compare")
        .arg(&input)
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    let bytes = std::fs::read(&workbook).expect("results.xlsx");
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip archive");
    assert!(
        bytes == std::fs::read(again.join("results.xlsx")).expect("rerun"),
        "results.xlsx differs between two runs"
    );

    let sheets = sheets(&workbook);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, SHEETS_DA.map(|(sheet, _)| sheet));
    for ((name, rows), (_, file)) in sheets.iter().zip(SHEETS_DA) {
        let mut csv = csv_records(&out.join(file), b',');
        if file == "ks.csv" {
            csv.retain(|r| r[0] == "level" || r[0] == "overall");
        }
        assert_same_cells(name, rows, &csv);
    }

    // Danish headers; the numbers are results.json's.
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("results.json parses");
    let (_, authorities) = &sheets[1];
    assert_eq!(string(&authorities[0][0]), "Socialtilsyn");
    assert_eq!(string(&authorities[0][1]), "Besøg");
    for (row, json) in authorities[1..].iter().zip(
        results["authorities"]
            .as_array()
            .expect("authorities listed"),
    ) {
        assert_eq!(string(&row[0]), json["name"]);
        assert_eq!(number(&row[1]), json["visits"].as_f64().expect("visits"));
        assert_eq!(
            number(&row[3]),
            json["score_share"]["1"].as_f64().expect("share")
        );
        let mean = json["overall"]["mean"].as_f64().expect("mean");
        assert_eq!(number(&row[9]), mean);
    }
    let (_, ks) = &sheets[2];
    let pairs = results["ks"].as_array().expect("ks listed");
    assert_eq!(ks.len() - 1, pairs.len());
    for (row, json) in ks[1..].iter().zip(pairs) {
        assert_eq!(string(&row[2]), json["a"]);
        assert_eq!(number(&row[9]), json["p_value"].as_f64().expect("p"));
        assert_eq!(row[18], Data::Bool(json["significant"] == true));
    }

    // Hostile text stays text, and no cell of any sheet is a formula.
    let authority_names: BTreeSet<&str> = authorities[1..].iter().map(|r| string(&r[0])).collect();
    assert!(authority_names.contains(HOSTILE), "{authority_names:?}");
    let (_, exclusions) = &sheets[8];
    assert!(
        exclusions[1..]
            .iter()
            .any(|r| r[6] == Data::String(HOSTILE.into())),
        "the raw value {HOSTILE} is listed as text"
    );
    let (_, visits) = &sheets[5];
    assert!(visits.iter().any(|r| r[1] == Data::String("12.5".into())));
    for n in 1..=sheets.len() {
        let xml = archive_part(&workbook, &format!("xl/worksheets/sheet{n}.xml"));
        assert!(
            !xml.contains("<f>") && !xml.contains("<f "),
            "sheet{n} has a formula"
        );
        assert!(
            xml.contains(r#"state="frozen""#),
            "sheet{n}: header row frozen"
        );
        assert!(
            xml.contains("<autoFilter ref=\"A1:"),
            "sheet{n}: autofilter"
        );
        assert!(xml.contains("<col "), "sheet{n}: column widths");
    }
    // The creation time is fixed (two runs within one second would agree anyway).
    let core = archive_part(&workbook, "docProps/core.xml");
    assert!(core.contains(">2025-01-01T00:00:00Z<"), "{core}");
    // Number formats by column: visits, share of score 1, mean; KS p; deviation q.
    for (sheet, cell, format) in [
        (2, "B2", "0"),
        (2, "D2", "0.0%"),
        (2, "J2", "0.000"),
        (3, "J2", "0.00E+00"),
        (4, "J2", "0.00E+00"),
    ] {
        assert_eq!(
            number_format(&workbook, sheet, cell),
            format,
            "sheet{sheet} {cell}"
        );
    }
}

#[test]
fn english_sheets_and_headers_with_lang_en_and_ks_by_level_when_compared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = simulate(dir.path(), "export.csv", SEED, &[]);
    let out = dir.path().join("out");
    compare_out(&input, &out, &["--lang", "en", "--level", "theme"]);
    let sheets = sheets(&out.join("results.xlsx"));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Filter rules",
            "Authorities",
            "KS tests",
            "KS tests by level",
            "Deviations",
            "Completeness",
            "Visits",
            "Themes",
            "Criteria",
            "Exclusions",
            "Adjusted for offer type",
            "Offer types"
        ]
    );
    let header = |i: usize| -> Vec<&str> { sheets[i].1[0].iter().map(string).collect() };
    assert_eq!(header(1)[..3], ["Authority", "Visits", "Ratings"]);
    assert_eq!(header(6)[..2], ["Authority", "Visit id"]);
    let mut by_level = csv_records(&out.join("ks.csv"), b',');
    by_level.retain(|r| r[0] != "overall");
    assert!(by_level.len() > 1, "theme pairs in ks.csv");
    assert_same_cells("KS tests by level", &sheets[3].1, &by_level);
}

/// Whether every `\n` of `bytes` ends a CRLF.
fn crlf_only(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| b != b'\n' || (i > 0 && bytes[i - 1] == b'\r'))
}

#[test]
fn danish_csv_style_changes_separator_decimal_mark_bom_and_line_ends_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = hostile_export(dir.path());
    let standard = dir.path().join("standard");
    let danish = dir.path().join("danish");
    compare_out(&input, &standard, &[]);
    compare_out(&input, &danish, &["--csv-style", "danish"]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&standard)
        .expect("outputs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 14, "{files:?}");
    let mut decimal_commas = 0;
    for path in &files {
        let name = path.file_name().expect("name");
        let bytes = std::fs::read(danish.join(name)).expect("Danish CSV");
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{name:?}: BOM");
        assert!(crlf_only(&bytes), "{name:?}: CRLF line ends");
        let plain = std::fs::read(path).expect("standard CSV");
        assert!(!plain.starts_with("\u{feff}".as_bytes()) && !plain.contains(&b'\r'));
        let ours = csv_records(path, b',');
        let theirs = csv_records(&danish.join(name), b';');
        assert_eq!(ours.len(), theirs.len(), "{name:?}: rows");
        assert_eq!(ours[0], theirs[0], "{name:?}: the header is the same");
        for (a, b) in ours.iter().zip(&theirs).skip(1) {
            assert_eq!(a.len(), b.len(), "{name:?}");
            for ((x, y), column) in a.iter().zip(b).zip(&ours[0]) {
                let numeric = !TEXT_COLUMNS.contains(&column.as_str())
                    && !BOOLEAN_COLUMNS.contains(&column.as_str());
                if numeric && x.contains('.') {
                    assert_eq!(*y, x.replace('.', ","), "{name:?} {column}");
                    let back: f64 = y.replace(',', ".").parse().expect("a number");
                    assert_eq!(back, x.parse::<f64>().expect("a number"));
                    decimal_commas += 1;
                } else {
                    assert_eq!(x, y, "{name:?} {column}: text is unchanged");
                }
            }
        }
    }
    assert!(
        decimal_commas > 1000,
        "{decimal_commas} numbers with a decimal comma"
    );

    // Text that looks like a number or a formula is text in both styles.
    let visits = csv_records(&danish.join("visits.csv"), b';');
    assert!(visits.iter().any(|r| r[1] == "12.5"), "the visit id 12.5");
    let authorities = csv_records(&danish.join("authorities.csv"), b';');
    assert!(authorities.iter().any(|r| r[0] == "'=1+1"));
    let exclusions = csv_records(&danish.join("exclusions.csv"), b';');
    assert!(exclusions.iter().any(|r| r[6] == "'=1+1"));
}

#[test]
fn the_anonymisation_key_takes_the_csv_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = simulate(dir.path(), "export.csv", SEED, &[]);
    let key = dir.path().join("key.csv");
    crate::common::losstat()
        .arg("compare")
        .arg(&input)
        .args(["--anonymize", "--csv-style", "danish", "--anonymize-key"])
        .arg(&key)
        .assert()
        .success();
    let bytes = std::fs::read(&key).expect("key written");
    assert!(bytes.starts_with("\u{feff}label;authority\r\n".as_bytes()));
    assert!(crlf_only(&bytes));
}

/// LibreOffice's command, or `None` (the test then skips, except under CI, where `.ci/run`
/// installs `libreoffice-calc-nogui`).
fn soffice() -> Option<&'static str> {
    let found = ["soffice", "libreoffice"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "CI must open the workbook in LibreOffice, but no soffice is installed"
    );
    found
}

/// Converts `file` to flat OpenDocument (`.fods` in `into`) with LibreOffice headless,
/// reading it with the import filter `infilter` if given, and parses the result.
fn libreoffice_open(soffice: &str, file: &Path, infilter: Option<&str>, into: &Path) -> String {
    let mut command = std::process::Command::new(soffice);
    command
        .arg(format!(
            "-env:UserInstallation=file://{}",
            into.join("profile").display()
        ))
        .arg("--headless");
    if let Some(filter) = infilter {
        command.arg(format!("--infilter={filter}"));
    }
    let output = command
        .args(["--convert-to", "fods", "--outdir"])
        .arg(into)
        .arg(file)
        .output()
        .expect("soffice runs");
    let stem = file.file_stem().expect("a file name");
    let converted = into.join(stem).with_extension("fods");
    std::fs::read_to_string(&converted).unwrap_or_else(|e| {
        panic!(
            "LibreOffice did not convert {} ({e}): {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A cell as LibreOffice read it: its type (`float`, `percentage`, `string`, …) and value.
#[derive(Debug, Clone, PartialEq)]
struct OdsCell {
    kind: String,
    value: String,
}

/// The rows of sheet `name` of a flat OpenDocument spreadsheet (repeated cells expanded, up
/// to 64 at a time: enough for the tables' columns).
fn ods_rows(fods: &str, name: &str) -> Vec<Vec<OdsCell>> {
    const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
    const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
    let doc = roxmltree::Document::parse_with_options(
        fods,
        roxmltree::ParsingOptions {
            nodes_limit: u32::MAX,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .expect("fods parses");
    let table = doc
        .descendants()
        .find(|n| n.has_tag_name((TABLE, "table")) && n.attribute((TABLE, "name")) == Some(name))
        .unwrap_or_else(|| panic!("no sheet {name}"));
    let cell = |c: roxmltree::Node<'_, '_>| {
        let kind = c
            .attribute((OFFICE, "value-type"))
            .unwrap_or("")
            .to_string();
        // The cell's own paragraph (a header cell also holds an annotation).
        let text: String = c
            .children()
            .find(|p| p.has_tag_name((TEXT, "p")))
            .map(|p| {
                p.descendants()
                    .filter(roxmltree::Node::is_text)
                    .filter_map(|t| t.text())
                    .collect()
            })
            .unwrap_or_default();
        let value = c.attribute((OFFICE, "value")).map_or(text, str::to_string);
        let repeat: usize = c
            .attribute((TABLE, "number-columns-repeated"))
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        vec![OdsCell { kind, value }; repeat.min(64)]
    };
    table
        .descendants()
        .filter(|n| n.has_tag_name((TABLE, "table-row")))
        .map(|row| {
            row.children()
                .filter(|c| c.has_tag_name((TABLE, "table-cell")))
                .flat_map(cell)
                .collect()
        })
        .collect()
}

/// The number a cell holds, which must be a number cell of `kind`.
fn ods_number(cell: &OdsCell, kind: &str) -> f64 {
    assert_eq!(cell.kind, kind, "{cell:?}");
    cell.value.parse().expect("a number")
}

#[test]
fn libreoffice_opens_the_workbook_and_a_danish_csv_with_numbers_as_numbers() {
    let Some(soffice) = soffice() else {
        eprintln!("SKIPPED: LibreOffice is not installed (apt-get install libreoffice-calc-nogui)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let input = simulate(dir.path(), "export.csv", SEED, &[]);
    let out = dir.path().join("out");
    compare_out(&input, &out, &["--csv-style", "danish"]);
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("results.json parses");
    let authorities = results["authorities"].as_array().expect("authorities");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();

    // The workbook, as LibreOffice reads it: visits are numbers, shares percentages, means
    // numbers, all equal to results.json's.
    let converted = dir.path().join("converted");
    let workbook = libreoffice_open(soffice, &out.join("results.xlsx"), None, &converted);
    let sheet = ods_rows(&workbook, "Socialtilsyn");
    assert_eq!(sheet[0][0].value, "Socialtilsyn");
    for (row, json) in sheet[1..].iter().zip(authorities) {
        assert_eq!(row[0].value, json["name"].as_str().expect("name"));
        let visits = json["visits"].as_f64().expect("visits");
        assert_eq!(ods_number(&row[1], "float"), visits);
        let share = json["score_share"]["1"].as_f64().expect("share");
        assert!(close(ods_number(&row[3], "percentage"), share), "{row:?}");
        let mean = json["overall"]["mean"].as_f64().expect("mean");
        assert!(close(ods_number(&row[9], "float"), mean), "{row:?}");
    }

    // A Danish CSV opened as Danish Excel or LibreOffice would (`;`, UTF-8, Danish locale):
    // the decimal-comma numbers are numbers.
    let csv_filter = "CSV:59,34,76,1,,1030";
    let csv = libreoffice_open(
        soffice,
        &out.join("authorities.csv"),
        Some(csv_filter),
        &converted,
    );
    let sheet = ods_rows(&csv, "authorities");
    assert_eq!(sheet[0][0].value, "authority");
    assert_eq!(sheet.len() - 1, authorities.len());
    for (row, json) in sheet[1..].iter().zip(authorities) {
        assert_eq!(row[0].value, json["name"].as_str().expect("name"));
        let mean = json["overall"]["mean"].as_f64().expect("mean");
        assert!(close(ods_number(&row[9], "float"), mean), "{row:?}");
    }
}
