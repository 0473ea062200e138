//! Hostile inputs: whatever came out of an access request. Each case states the exit code and
//! what stderr must say (the file, the line or column, what was expected), and that nothing
//! panicked. Data problems are run with `--strict`, which exits 3 and lists each exclusion as
//! `FILE:LINE: rule: detail`; broken files exit 1 with one message naming the file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use predicates::prelude::PredicateBooleanExt;

use crate::common::{UNIVERSAL, compare_out, losstat, write};

const HEADER: &str = "authority,visit_id,indicator,score\n";

/// One complete, valid visit (every universal indicator, score 4) as CSV rows.
fn visit(authority: &str, id: &str) -> String {
    let mut rows = String::new();
    for ind in UNIVERSAL {
        writeln!(rows, "{authority},{id},{ind},4").expect("a String takes text");
    }
    rows
}

/// A valid export with two authorities and four visits; `extra` rows are appended.
fn export_with(extra: &str) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for (a, v) in [("Nord", "A1"), ("Nord", "A2"), ("Syd", "B1"), ("Syd", "B2")] {
        s.push_str(&visit(a, v));
    }
    s.push_str(extra);
    s.into_bytes()
}

/// The line number `extra` starts at in [`export_with`] (header + 4 visits).
fn extra_line() -> usize {
    2 + 4 * UNIVERSAL.len()
}

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    command: &'static [&'static str],
    args: Vec<String>,
    code: i32,
    stderr: Vec<String>,
}

fn case(
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    code: i32,
    stderr: &[&str],
) -> Case {
    Case {
        name,
        file,
        bytes,
        command: if code == 3 {
            &["check", "--strict"]
        } else {
            &["compare"]
        },
        args: Vec::new(),
        code,
        stderr: stderr.iter().map(ToString::to_string).collect(),
    }
}

/// A data problem: `extra` appended to a valid export; `check --strict` must exit 3 and name
/// the file, the first line excluded (`line`, or where `extra` starts), and the rule.
fn bad_rows_at(name: &'static str, extra: &str, rule: &str, line: usize) -> Case {
    let at = format!("data.csv:{line}: {rule}");
    case(name, "data.csv", export_with(extra), 3, &[at.as_str()])
}

fn bad_rows(name: &'static str, extra: &str, rule: &str) -> Case {
    bad_rows_at(name, extra, rule, extra_line())
}

fn with_args(mut c: Case, args: &[&str]) -> Case {
    c.args = args.iter().map(ToString::to_string).collect();
    c
}

fn xlsx_bytes(rows: &[&[&str]], dir: &Path) -> Vec<u8> {
    let path = dir.join("build.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(x) => sheet.write_number(r as u32, c as u16, x),
                Err(_) => sheet.write_string(r as u32, c as u16, *cell),
            }
            .expect("cell");
        }
    }
    book.save(&path).expect("xlsx");
    std::fs::read(&path).expect("xlsx bytes")
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Inputs several cases share.
struct Fixtures {
    /// A valid export: two authorities, four complete visits.
    valid: Vec<u8>,
    valid_text: String,
    /// The valid export as a workbook.
    xlsx: Vec<u8>,
}

impl Fixtures {
    fn new(dir: &Path) -> Fixtures {
        let valid = export_with("");
        let valid_text = String::from_utf8(valid.clone()).expect("utf-8");
        let xlsx_rows: Vec<Vec<String>> = valid_text
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        let xlsx_refs: Vec<Vec<&str>> = xlsx_rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let xlsx_slices: Vec<&[&str]> = xlsx_refs.iter().map(Vec::as_slice).collect();
        let xlsx = xlsx_bytes(&xlsx_slices, dir);
        Fixtures {
            valid,
            valid_text,
            xlsx,
        }
    }
}

/// Every case, group by group.
fn cases(dir: &Path) -> Vec<Case> {
    let f = Fixtures::new(dir);
    [
        broken_files(&f),
        unusable_tables(dir),
        bad_options(&f),
        data_problems(),
        accepted_files(&f),
        accepted_shapes(&f),
        models(&f),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Files that are not a usable export at all: exit 1, one message.
fn broken_files(f: &Fixtures) -> Vec<Case> {
    vec![
        case(
            "empty file",
            "empty.csv",
            Vec::new(),
            1,
            &["empty.csv", "empty", "header"],
        ),
        case(
            "BOM only",
            "bom.csv",
            b"\xEF\xBB\xBF".to_vec(),
            1,
            &["bom.csv", "empty"],
        ),
        case(
            "blank lines only",
            "blank.csv",
            b"\n \n\r\n".to_vec(),
            1,
            &["blank.csv", "empty"],
        ),
        case(
            "header only",
            "head.csv",
            HEADER.as_bytes().to_vec(),
            1,
            &["head.csv", "no data rows", "line 1"],
        ),
        case(
            "binary garbage",
            "garbage.csv",
            vec![0x00, 0x9F, 0xFF, 0x10, 0x00, 0x07, b'\n', 0x02],
            1,
            &["garbage.csv:1:1", "control character"],
        ),
        case(
            "PDF renamed .csv",
            "report.csv",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n".to_vec(),
            1,
            &["report.csv", "PDF", "expected a CSV"],
        ),
        case(
            "Parquet renamed .csv",
            "table.csv",
            b"PAR1\x15\x04\x15\x00".to_vec(),
            1,
            &["table.csv", "Parquet"],
        ),
        case(
            "gzip renamed .csv",
            "packed.csv",
            b"\x1F\x8B\x08\x00\x00".to_vec(),
            1,
            &["packed.csv", "gzip"],
        ),
        case(
            "corrupt xlsx",
            "broken.xlsx",
            b"PK\x03\x04garbage that is not a zip".to_vec(),
            1,
            &["broken.xlsx", "cannot read the workbook"],
        ),
        case(
            "password-protected xlsx (CFB container)",
            "locked.xlsx",
            {
                let mut b = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
                b.extend(std::iter::repeat_n(0u8, 600));
                b
            },
            1,
            &["locked.xlsx", "password-protected or damaged"],
        ),
        case(
            "UTF-16 without BOM",
            "utf16.csv",
            utf16le(&f.valid_text, false),
            1,
            &["utf16.csv:1:", "UTF-16"],
        ),
        case(
            "invalid UTF-8 that is not Windows-1252",
            "c1.csv",
            {
                let mut b = HEADER.as_bytes().to_vec();
                b.extend_from_slice(b"Nord,A1,1.a,\x81\n");
                b
            },
            1,
            &["c1.csv:2:13", "control character"],
        ),
        case(
            "NUL inside a UTF-8 field",
            "nul.csv",
            {
                let mut b = HEADER.as_bytes().to_vec();
                b.extend_from_slice("Øst,A1,1.a,4\u{0}\n".as_bytes());
                b
            },
            1,
            &["nul.csv:2:13", "control character"],
        ),
    ]
}

/// Readable files whose table cannot be used (headers, columns, nothing left): exit 1.
fn unusable_tables(dir: &Path) -> Vec<Case> {
    let mut no_newline = String::from(HEADER);
    no_newline.push_str(&"a".repeat(50 * 1024 * 1024));
    vec![
        case(
            "duplicate header names",
            "dup.csv",
            b"authority,visit_id,indicator,score,score\nNord,1,1.a,4,5\n".to_vec(),
            1,
            &["dup.csv:1", "column 4", "column 5", "score"],
        ),
        case(
            "headers differing only in case",
            "case.csv",
            b"authority,visit_id,indicator,Score,SCORE\nNord,1,1.a,4,5\n".to_vec(),
            1,
            &["case.csv:1", "`Score`", "`SCORE`"],
        ),
        case(
            "headers differing only in accents",
            "accent.csv",
            "authority,Besøg,Besog,indicator,score\nNord,1,1,1.a,4\n"
                .as_bytes()
                .to_vec(),
            1,
            &["accent.csv:1", "visit_id", "Besøg"],
        ),
        case(
            "required column missing",
            "cols.csv",
            b"authority,visit,indicator,points\nNord,1,1.a,4\n".to_vec(),
            1,
            &[
                "cols.csv:1",
                "no column for score",
                "\"points\"",
                "Bedømmelse",
            ],
        ),
        case(
            "every score invalid",
            "allbad.csv",
            format!("{HEADER}Nord,1,1.a,x\nSyd,2,1.a,9\n").into_bytes(),
            1,
            &["allbad.csv", "no visit is left", "invalid_score"],
        ),
        case(
            "50 MB line without newline",
            "longline.csv",
            no_newline.into_bytes(),
            1,
            &["longline.csv", "no visit is left", "malformed_row"],
        ),
        case(
            "xlsx with no rows",
            "empty.xlsx",
            xlsx_bytes(&[], dir),
            1,
            &["empty.xlsx", "empty"],
        ),
    ]
}

/// Options that do not fit the file: exit 1, naming the option.
fn bad_options(f: &Fixtures) -> Vec<Case> {
    vec![
        with_args(
            case(
                "unknown sheet",
                "book.xlsx",
                f.xlsx.clone(),
                1,
                &["book.xlsx", "Ark9", "\"Sheet1\""],
            ),
            &["--sheet", "Ark9"],
        ),
        with_args(
            case(
                "mapping to a missing column",
                "map.csv",
                f.valid.clone(),
                1,
                &["score=Vurdering", "no column `Vurdering`", "\"score\""],
            ),
            &["--column", "score=Vurdering"],
        ),
        with_args(
            case(
                "mapping with an unknown field",
                "map2.csv",
                f.valid.clone(),
                1,
                &["colour=score", "unknown field", "authority, visit_id"],
            ),
            &["--column", "colour=score"],
        ),
        with_args(
            case(
                "wrong forced separator",
                "sep.csv",
                f.valid.clone(),
                1,
                &["sep.csv:1", "no column for"],
            ),
            &["--separator", ";"],
        ),
        with_args(
            case(
                "forced UTF-8 on Windows-1252",
                "cp.csv",
                b"authority,visit_id,indicator,score\n\xD8st,1,1.a,4\n".to_vec(),
                1,
                &["cp.csv:2:1", "0xD8", "UTF-8"],
            ),
            &["--encoding", "utf-8"],
        ),
    ]
}

/// Data problems: check --strict exits 3 and names file:line and the rule.
fn data_problems() -> Vec<Case> {
    let mut huge_field = String::from("Nord,A9,1.a,\"");
    huge_field.push_str(&"4".repeat(10 * 1024 * 1024));
    huge_field.push_str("\"\n");
    vec![
        bad_rows(
            "ragged row (too few fields)",
            "Nord,A1,1.a\n",
            "malformed_row",
        ),
        bad_rows(
            "ragged row (too many fields)",
            "Nord,A1,1.a,4,oops\n",
            "malformed_row",
        ),
        bad_rows(
            "unterminated quote",
            "Nord,A1,\"1.a,4\nNord,A1,1.b,4\n",
            "malformed_row",
        ),
        bad_rows("mixed separators", "Nord;A1;1.a;4\n", "malformed_row"),
        bad_rows("score NaN", "Nord,A1,2.d,NaN\n", "invalid_score"),
        bad_rows("score inf", "Nord,A1,2.d,inf\n", "invalid_score"),
        bad_rows("score 1e308", "Nord,A1,2.d,1e308\n", "invalid_score"),
        bad_rows("score -0", "Nord,A1,2.d,-0\n", "invalid_score"),
        bad_rows(
            "score 4.0000001",
            "Nord,A1,2.d,4.0000001\n",
            "invalid_score",
        ),
        bad_rows("score 4 point", "Nord,A1,2.d,4 point\n", "invalid_score"),
        bad_rows(
            "score 3,5 (decimal comma, quoted)",
            "Nord,A1,2.d,\"3,5\"\n",
            "invalid_score",
        ),
        bad_rows(
            "score 0 and 6",
            "Nord,A1,2.d,0\nNord,A2,2.d,6\n",
            "invalid_score",
        ),
        bad_rows("empty score", "Nord,A1,2.d,\n", "invalid_score"),
        bad_rows("10 MB single field", &huge_field, "invalid_score"),
        bad_rows(
            "indicator id not parseable",
            "Nord,A1,foo,4\n",
            "unknown_indicator",
        ),
        bad_rows(
            "indicator of a criterion not in the model",
            "Nord,A1,99.a,4\n",
            "unknown_indicator",
        ),
        bad_rows_at(
            "visit id under two authorities",
            "Syd,A1,2.d,4\n",
            "conflicting_authority",
            2,
        ),
        bad_rows_at(
            "same indicator twice, different scores",
            "Nord,A1,1.a,5\n",
            "conflicting_duplicate",
            2,
        ),
        bad_rows(
            "same indicator twice, same score",
            "Nord,A1,1.a,4\n",
            "duplicate_rating",
        ),
        bad_rows("blank visit id", "Nord,,1.a,4\n", "missing_visit_id"),
        bad_rows(
            "visit without authority",
            &visit("", "C1"),
            "missing_authority",
        ),
        bad_rows(
            "visit whose every score is 1",
            &visit("Nord", "C1").replace(",4\n", ",1\n"),
            "all_ones",
        ),
        bad_rows(
            "visit missing a universal indicator",
            &visit("Nord", "C1").replace("Nord,C1,1.a,4\n", ""),
            "missing_universal",
        ),
    ]
}

/// Accepted files: exit 0 (awkward but legitimate formats, encodings and cells).
fn accepted_files(f: &Fixtures) -> Vec<Case> {
    vec![
        case(
            "xlsx that is really CSV",
            "really-csv.xlsx",
            f.valid.clone(),
            0,
            &[],
        ),
        case(
            "CSV that is really xlsx",
            "really-xlsx.csv",
            f.xlsx.clone(),
            0,
            &[],
        ),
        case(
            "UTF-16 with BOM",
            "utf16bom.csv",
            utf16le(&f.valid_text, true),
            0,
            &[],
        ),
        case(
            "Windows-1252 with Danish letters",
            "cp1252.csv",
            {
                let danish = f.valid_text.replace("Syd", "Øst");
                encoding_rs::WINDOWS_1252.encode(&danish).0.into_owned()
            },
            0,
            &[],
        ),
        case(
            "CRLF line ends",
            "crlf.csv",
            f.valid_text.replace('\n', "\r\n").into_bytes(),
            0,
            &[],
        ),
        case(
            "trailing separators",
            "trail.csv",
            f.valid_text.replace('\n', ",\n").into_bytes(),
            0,
            &[],
        ),
        case(
            "mixed decimal styles in one column",
            "mixed.csv",
            export_with("Nord,A1,2.d,\"4,0\"\nNord,A2,2.d,4.0\n"),
            0,
            &[],
        ),
        case(
            "spaces around a score",
            "spaces.csv",
            export_with("Nord,A1,2.d, 4 \n"),
            0,
            &[],
        ),
    ]
}

/// Accepted contents: exit 0 (awkward but legitimate shapes and labels).
fn accepted_shapes(f: &Fixtures) -> Vec<Case> {
    let long_label = "x".repeat(10_000);
    vec![
        case(
            "only one authority",
            "one-authority.csv",
            format!("{HEADER}{}{}", visit("Nord", "1"), visit("Nord", "2")).into_bytes(),
            0,
            &[],
        ),
        case(
            "only one visit",
            "one-visit.csv",
            format!("{HEADER}{}", visit("Nord", "1")).into_bytes(),
            0,
            &[],
        ),
        case(
            "an authority with every visit excluded",
            "gone.csv",
            export_with(&visit("Midt", "M1").replace(",4\n", ",1\n")),
            0,
            &[],
        ),
        case(
            "labels with newlines and tabs",
            "nl.csv",
            export_with(&visit("\"Nord\nNorth\"", "\"C\t1\"")),
            0,
            &[],
        ),
        case(
            "right-to-left and emoji labels",
            "rtl.csv",
            export_with(&visit("Nord", "زيارة-😀")),
            0,
            &[],
        ),
        case(
            "10,000-character label",
            "long.csv",
            export_with(&visit("Nord", &long_label)),
            0,
            &[],
        ),
        case(
            "formula injection labels",
            "formula.csv",
            export_with(&format!(
                "{}{}{}{}",
                visit("Nord", "=cmd|' /C calc'!A0"),
                visit("Nord", "+1"),
                visit("Nord", "-1"),
                visit("Nord", "@SUM(A1)")
            )),
            0,
            &[],
        ),
        case(
            "indicator ids as LOS writes them",
            "ids.csv",
            f.valid_text
                .replace(",1.a,", ",1 A,")
                .replace(",8.b,", ",Indikator 8b,")
                .into_bytes(),
            0,
            &[],
        ),
        case(
            "blank lines between rows",
            "gaps.csv",
            f.valid_text
                .replace("\nNord,A2", "\n\n\nNord,A2")
                .into_bytes(),
            0,
            &[],
        ),
    ]
}

/// Model files (`model_for`): a model without universal indicators warns; a broken one fails.
fn models(f: &Fixtures) -> Vec<Case> {
    vec![
        with_args(
            case(
                "model without universal indicators",
                "nouniv.csv",
                f.valid.clone(),
                0,
                &["warning", "no universal indicator"],
            ),
            &[],
        ),
        Case {
            name: "model with an indicator in two criteria",
            file: "model-input.csv",
            bytes: f.valid.clone(),
            command: &["compare"],
            args: Vec::new(),
            code: 1,
            stderr: vec!["bad-model.csv:3".into(), "listed twice".into()],
        },
        Case {
            name: "model with a criterion under two themes (a cycle)",
            file: "model-input2.csv",
            bytes: f.valid.clone(),
            command: &["compare"],
            args: Vec::new(),
            code: 1,
            stderr: vec!["cycle-model.csv:3".into(), "exactly one theme".into()],
        },
    ]
}

/// Model files some cases point at (by the case's name).
fn model_for(name: &str, dir: &Path) -> Option<PathBuf> {
    let text = match name {
        "model with an indicator in two criteria" => (
            "bad-model.csv",
            "indicator,criterion,theme,universal\n1.a,1,1,yes\n1.a,1,1,no\n",
        ),
        "model with a criterion under two themes (a cycle)" => (
            "cycle-model.csv",
            "indicator,criterion,theme,universal\n4.a,4,4,yes\n4.b,4,5,yes\n",
        ),
        "model without universal indicators" => (
            "open-model.csv",
            "indicator,criterion,theme,universal\n1.a,1,1,no\n1.b,1,1,no\n",
        ),
        _ => return None,
    };
    Some(write(dir, text.0, text.1))
}

#[test]
fn hostile_inputs_fail_clearly_or_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = cases(dir.path());
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let input = write(dir.path(), c.file, &c.bytes);
        let mut cmd = losstat();
        if let Some(model) = model_for(c.name, dir.path()) {
            cmd.arg("--model").arg(model);
        }
        let output = cmd
            .args(c.command)
            .arg(&input)
            .args(&c.args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(c.code) {
            problems.push(format!(
                "exit {:?}, expected {}",
                output.status.code(),
                c.code
            ));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("panicked".to_string());
        }
        for want in &c.stderr {
            if !stderr.contains(want.as_str()) {
                problems.push(format!("stderr lacks {want:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {}",
                c.name,
                problems.join("; "),
                stderr.chars().take(400).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn csv_outputs_neutralise_formulas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(
        dir.path(),
        "f.csv",
        export_with(&visit("Nord", "=HYPERLINK(\"x\")")),
    );
    let out = dir.path().join("out");
    compare_out(&input, &out, &[]);
    let visits = std::fs::read_to_string(out.join("visits.csv")).expect("visits.csv");
    assert!(
        visits.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{}",
        &visits[..visits.len().min(400)]
    );
    assert!(!visits.lines().any(|l| l.starts_with('=')));
}

#[test]
fn report_escapes_every_user_string() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = "<script>alert('x')</script>";
    let input = write(
        dir.path(),
        "h.csv",
        export_with(&visit(hostile, "<img src=x onerror=alert(1)>")),
    );
    let out = dir.path().join("out");
    compare_out(&input, &out, &[]);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "unescaped markup in the report"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    for svg in std::fs::read_dir(out.join("figures"))
        .expect("figures")
        .flatten()
    {
        if svg.path().extension().is_some_and(|e| e == "svg") {
            let text = std::fs::read_to_string(svg.path()).expect("svg");
            assert!(!text.contains("<script"), "{}", svg.path().display());
            roxmltree::Document::parse(&text).expect("still valid XML");
        }
    }
}

#[test]
fn stdin_fifo_and_out_targets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "ok.csv", export_with(""));
    // `-` and /dev/stdin read standard input.
    for name in ["-", "/dev/stdin"] {
        losstat()
            .args(["check", "--strict", name])
            .pipe_stdin(&input)
            .expect("stdin")
            .assert()
            .success();
    }
    // A FIFO.
    let fifo = dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let writer_path = fifo.clone();
        let bytes = export_with("");
        let writer = std::thread::spawn(move || std::fs::write(writer_path, bytes));
        losstat()
            .args(["check", "--strict"])
            .arg(&fifo)
            .assert()
            .success();
        writer.join().expect("writer thread").expect("fifo written");
    }
    // --out at the input file, at another file, and where nothing can be written.
    for out in [input.clone(), write(dir.path(), "notes.txt", "keep")] {
        losstat()
            .arg("compare")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(predicates::str::contains("not a directory"));
    }
    assert_eq!(
        std::fs::read(&input).expect("input"),
        export_with(""),
        "input untouched"
    );
    losstat()
        .arg("compare")
        .arg(&input)
        .args(["--out", "/proc/losstat-cannot-write-here"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot write").and(predicates::str::contains("/proc/")));
}
