//! Bad inputs: non-zero exit, a message naming the file and what was expected, no panic, and
//! no output folder left behind, half written or otherwise.

use std::path::Path;

use crate::common::{losstat, write};

/// Runs `compare INPUT --out DIR` and checks the failure contract; returns stderr.
fn fails(input: &Path, extra: &[&str], out: &Path) -> String {
    let output = losstat()
        .arg("compare")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("losstat runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("losstat: error: "), "{stderr}");
    assert!(!out.exists(), "{} was created", out.display());
    let parent = out.parent().expect("parent");
    let leftovers: Vec<String> = std::fs::read_dir(parent)
        .expect("read parent")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("losstat-"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    stderr
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("nope.csv");
    let err = fails(&input, &[], &dir.path().join("out"));
    assert!(
        err.contains("nope.csv") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn empty_file_and_bom_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("bom.csv", &b"\xEF\xBB\xBF"[..]),
        ("blank.csv", &b"\n\n  \n"[..]),
    ] {
        let input = write(dir.path(), name, bytes);
        let err = fails(&input, &[], &dir.path().join("out"));
        assert!(
            err.contains(name) && err.contains("empty") && err.contains("header"),
            "{err}"
        );
    }
}

#[test]
fn header_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(
        dir.path(),
        "header.csv",
        "authority,visit_id,indicator,score\n",
    );
    let err = fails(&input, &[], &dir.path().join("out"));
    assert!(
        err.contains("header.csv") && err.contains("no data rows"),
        "{err}"
    );
}

#[test]
fn required_column_missing_lists_found_and_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(
        dir.path(),
        "cols.csv",
        "Socialtilsyn;Tilsynsbesøg;Indikator;Kommentar\nNord;1;1.a;fin\n",
    );
    let err = fails(&input, &[], &dir.path().join("out"));
    assert!(err.contains("cols.csv:1"), "{err}");
    assert!(err.contains("no column for score"), "{err}");
    assert!(err.contains("\"Kommentar\""), "{err}");
    assert!(
        err.contains("Bedømmelse") && err.contains("--column"),
        "{err}"
    );
    // The mapping option fixes it.
    losstat()
        .args(["compare", "--column", "score=Kommentar"])
        .arg(&input)
        .assert()
        .failure()
        .stderr(predicates::str::contains("no visit is left"));
}

#[test]
fn unknown_sheet_lists_the_sheets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Scores")
        .expect("name")
        .write_string(0, 0, "authority")
        .expect("cell");
    book.save(&path).expect("saved");
    let err = fails(&path, &["--sheet", "Ark1"], &dir.path().join("out"));
    assert!(
        err.contains("book.xlsx") && err.contains("Ark1") && err.contains("\"Scores\""),
        "{err}"
    );
}

#[test]
fn undecodable_bytes_name_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(
        dir.path(),
        "binary.csv",
        b"authority,visit_id,indicator,score\nNord,1,1.a,\x00\x01\x02\xFF\n",
    );
    let err = fails(&input, &[], &dir.path().join("out"));
    assert!(err.contains("binary.csv:2:12"), "{err}");
    let input = write(dir.path(), "forced.csv", b"authority,visit_id\n\xF8\n");
    let err = fails(&input, &["--encoding", "utf-8"], &dir.path().join("out"));
    assert!(
        err.contains("forced.csv:2:1") && err.contains("UTF-8"),
        "{err}"
    );
}

#[test]
fn pdf_and_directories_are_refused_by_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "report.csv", b"%PDF-1.7\n%\xE2\xE3\n");
    let err = fails(&input, &[], &dir.path().join("out"));
    assert!(err.contains("report.csv") && err.contains("PDF"), "{err}");
    let err = fails(dir.path(), &[], &dir.path().join("out"));
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn out_is_never_a_foreign_directory_or_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(
        dir.path(),
        "ok.csv",
        "authority,visit_id,indicator,score\nNord,1,1.a,4\n",
    );
    let model = write(
        dir.path(),
        "model.csv",
        "indicator,criterion,theme,universal\n1.a,1,1,yes\n",
    );
    let run = |out: &Path| {
        losstat()
            .args(["--model"])
            .arg(&model)
            .arg("compare")
            .arg(&input)
            .arg("--out")
            .arg(out)
            .output()
            .expect("runs")
    };
    // A new directory is written and can be rewritten.
    let out = dir.path().join("results");
    assert!(run(&out).status.success());
    assert!(out.join("results.json").is_file() && out.join("exclusions.csv").is_file());
    assert!(run(&out).status.success());
    // A directory losstat did not make is refused, and left as it was.
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).expect("dir");
    write(&foreign, "notes.txt", "keep me");
    let output = run(&foreign);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt"))
            .ok()
            .as_deref(),
        Some("keep me")
    );
    // A file is refused.
    let output = run(&input);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a directory"));
}
