//! Exports as analysts receive them (issue 12): title rows above the header, a cover sheet
//! before the data, indicator columns headed by the indicator's text, the export's own
//! criterion, theme and overall scores beside the ratings, ids Excel stores as numbers, and a
//! workbook that is a zip bomb.
//!
//! Each test builds the plain export with `losstat simulate` (seeded), makes the real-world
//! variant of the same data in the test, and expects the results the plain export gives: the
//! expected values come from losstat reading the plain file, which the other integration tests
//! check against hand counts and reference values.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{compare_json, losstat, simulate, succeed, without_input, write};

/// The title line of issue 12's example export.
const TITLE: &str = "Samlede kvalitetsscore fra alle tilsyn 2023";

/// The first file's entry of the `input` block.
fn first_file(results: &Value) -> &Value {
    &results["input"]["files"][0]
}

/// Every record of a UTF-8 CSV (flexible, header included).
fn records(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .expect("CSV opens")
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// `rows` as a CSV text.
fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).expect("row");
    }
    writer.into_inner().expect("bytes")
}

/// `losstat ARGS` fails; returns standard error.
fn fails(args: &[&std::ffi::OsStr]) -> String {
    let output = losstat().args(args).output().expect("losstat runs");
    assert_eq!(output.status.code(), Some(1), "exit code of {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn title_rows_and_a_blank_line_above_the_header_change_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // A dirty canonical export (`,`) and a dirty Danish one (`;`, Windows-1252): the title line
    // holds no separator, so the separator must be sniffed from the lines below it.
    for (seed, style) in [(31, "canonical"), (32, "danish")] {
        let plain = simulate(
            dir,
            &format!("{style}.csv"),
            seed,
            &["--dirty", "--style", style],
        );
        let mut bytes = format!("{TITLE}\r\n\r\n").into_bytes();
        bytes.extend(std::fs::read(&plain).expect("plain bytes"));
        let titled = write(dir, &format!("{style}-titled.csv"), bytes);

        let expected = compare_json(&plain, &[]);
        assert!(
            first_file(&expected)["counts"].get("title_rows").is_none(),
            "no title_rows key without title rows (results.json as before)"
        );
        let got = compare_json(&titled, &[]);
        assert_eq!(first_file(&got)["header_line"], 3, "{style}");
        assert_eq!(first_file(&got)["counts"]["title_rows"], 1, "{style}");
        assert_eq!(
            got["input"]["separator"], expected["input"]["separator"],
            "{style}"
        );
        assert_eq!(
            without_input(got),
            without_input(expected.clone()),
            "{style}"
        );

        // The same with the header's line given.
        let given = compare_json(&titled, &["--header-row", "3"]);
        assert_eq!(first_file(&given)["header_line"], 3);
        assert_eq!(without_input(given), without_input(expected), "{style}");
    }

    // A header row that is blank is an error naming the file and the line.
    let titled = dir.join("canonical-titled.csv");
    let message = fails(&[
        "check".as_ref(),
        titled.as_os_str(),
        "--header-row".as_ref(),
        "2".as_ref(),
    ]);
    assert!(
        message.contains("canonical-titled.csv:2: --header-row 2: no record starts on it"),
        "{message}"
    );
}

/// What an analyst's Excel makes of a CSV field: a number, a date, or text.
fn write_cell(sheet: &mut rust_xlsxwriter::Worksheet, row: u32, column: u16, field: &str) {
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let b = field.as_bytes();
    let number = !field.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-');
    if field.is_empty() {
        return;
    }
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(field).expect("a date");
        sheet
            .write_datetime_with_format(row, column, &date, &date_format)
            .expect("cell");
    } else if let (true, Ok(x)) = (number, field.parse::<f64>()) {
        sheet.write_number(row, column, x).expect("cell");
    } else {
        sheet.write_string(row, column, field).expect("cell");
    }
}

/// A workbook of `rows`: a cover sheet `Forside` with a paragraph of text, then `Data` with a
/// title row, a blank row, and `rows` from row 3.
fn workbook_with_cover(rows: &[Vec<String>], path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("Forside").expect("name");
    for (r, line) in [
        "Kvalitetsvurderinger fra socialtilsynene",
        "",
        "Udtrækket er udleveret efter aktindsigt. Arket Data indeholder én række pr. \
         indikatorvurdering; kriterie- og temascorer er ikke medtaget.",
        "Kontakt: Socialstyrelsen, Edisonsvej 18, 5000 Odense C",
    ]
    .iter()
    .enumerate()
    {
        if !line.is_empty() {
            cover.write_string(r as u32, 0, *line).expect("cell");
        }
    }
    let data = book.add_worksheet();
    data.set_name("Data").expect("name");
    data.write_string(0, 0, TITLE).expect("cell");
    for (r, row) in rows.iter().enumerate() {
        for (c, field) in row.iter().enumerate() {
            write_cell(data, r as u32 + 2, c as u16, field);
        }
    }
    book.save(path).expect("workbook saved");
}

#[test]
fn a_cover_sheet_and_title_rows_in_a_workbook_change_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // Clean data: a malformed CSV row would become a short row in a workbook, excluded by
    // another rule (see snapshots.rs, xlsx_export).
    let plain = simulate(dir, "plain.csv", 33, &[]);
    let book = dir.join("export.xlsx");
    workbook_with_cover(&records(&plain), &book);
    let expected = without_input(compare_json(&plain, &[]));
    for extra in [&[][..], &["--sheet", "Data"], &["--header-row", "3"]] {
        let got = compare_json(&book, extra);
        assert_eq!(got["input"]["sheet"], "Data", "{extra:?}");
        assert_eq!(first_file(&got)["header_line"], 3, "{extra:?}");
        assert_eq!(first_file(&got)["counts"]["title_rows"], 1, "{extra:?}");
        assert_eq!(without_input(got), expected, "{extra:?}");
    }

    // Asked for the cover, losstat says what it lacks.
    let message = fails(&[
        "check".as_ref(),
        book.as_os_str(),
        "--sheet".as_ref(),
        "Forside".as_ref(),
    ]);
    assert!(
        message.contains("export.xlsx:1: no column for"),
        "{message}"
    );
}

/// A visit's (indicator, score) ratings.
type Ratings = Vec<(String, String)>;

/// The clean export at `plain` as a wide table, one row per visit: `header(id)` heads each
/// indicator column; `extra` adds level columns (header, value per visit index).
fn wide(
    plain: &Path,
    header: impl Fn(usize, &str) -> String,
    extra: &[(&str, &dyn Fn(usize) -> String)],
) -> Vec<Vec<String>> {
    let rows = records(plain);
    let (head, body) = rows.split_first().expect("a header");
    let column = |name: &str| head.iter().position(|h| h == name).expect(name);
    let (indicator, score) = (column("indicator"), column("score"));
    let visit_fields = [
        "authority",
        "visit_id",
        "offer_id",
        "offer_type",
        "visit_date",
    ];
    let mut ids: Vec<&str> = Vec::new();
    let mut visits: Vec<(Vec<String>, Ratings)> = Vec::new();
    for row in body {
        let key: Vec<String> = visit_fields
            .iter()
            .map(|f| row[column(f)].clone())
            .collect();
        if !ids.contains(&row[indicator].as_str()) {
            ids.push(&row[indicator]);
        }
        match visits.last_mut() {
            Some((last, ratings)) if *last == key => {
                ratings.push((row[indicator].clone(), row[score].clone()));
            }
            _ => visits.push((key, vec![(row[indicator].clone(), row[score].clone())])),
        }
    }
    let mut out = vec![
        visit_fields
            .iter()
            .map(ToString::to_string)
            .chain(ids.iter().enumerate().map(|(i, id)| header(i, id)))
            .chain(extra.iter().map(|(name, _)| (*name).to_string()))
            .collect::<Vec<String>>(),
    ];
    for (v, (key, ratings)) in visits.into_iter().enumerate() {
        let mut row = key;
        for id in &ids {
            let cell = ratings.iter().find(|(i, _)| i == id);
            row.push(cell.map(|(_, s)| s.clone()).unwrap_or_default());
        }
        row.extend(extra.iter().map(|(_, value)| value(v)));
        out.push(row);
    }
    out
}

/// The text after an indicator id in a long header, in the forms exports use.
fn long_header(i: usize, id: &str) -> String {
    let text = "Tilbuddet understøtter borgernes uddannelse og beskæftigelse (1.a er et andet id)";
    match i % 6 {
        0 => format!("Indikator {id}: {text}"),
        1 => format!("{id} {text}"),
        2 => format!("{id}: {text}"),
        3 => format!("{id}) {text}"),
        4 => format!("{id} - {text}"),
        _ => format!("{id}. {text}"),
    }
}

#[test]
fn wide_columns_with_long_headers_read_as_short_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let plain = simulate(dir, "plain.csv", 34, &[]);
    let short = write(
        dir,
        "short.csv",
        csv_bytes(&wide(&plain, |_, id| id.into(), &[])),
    );
    let long = write(dir, "long.csv", csv_bytes(&wide(&plain, long_header, &[])));
    let expected = compare_json(&short, &[]);
    assert_eq!(expected["input"]["layout"], "wide");
    let got = compare_json(&long, &[]);
    assert_eq!(got["input"]["layout"], "wide");
    assert_eq!(without_input(got), without_input(expected));
}

/// The `filter` block's `rows_read` and `rules`, which must not see a level score.
fn filter_counts(results: &Value) -> (Value, Value) {
    (
        results["filter"]["rows_read"].clone(),
        results["filter"]["rules"].clone(),
    )
}

/// The dirty canonical export at `plain` with criterion, theme and overall rows after each
/// visit's ratings (one of them with a blank score, which is skipped); with a `Niveau` column
/// when `level_column`. Returns the rows and the number of level scores planted.
fn with_level_rows(plain: &Path, level_column: bool) -> (Vec<Vec<String>>, u64) {
    let rows = records(plain);
    let (head, body) = rows.split_first().expect("a header");
    let width = head.len();
    let column = |name: &str| head.iter().position(|h| h == name).expect(name);
    let (visit, indicator, score) = (column("visit_id"), column("indicator"), column("score"));
    let level_rows: [(&str, &str, &str); 5] = if level_column {
        [
            ("Kriterium", "1", "4.5"),
            ("Kriterium", "Kriterium 2", "3.67"),
            ("Tema", "1", "4.25"),
            ("Samlet", "", "4.33"),
            ("Kriterium", "3", ""),
        ]
    } else {
        [
            ("", "Kriterium 1", "4.5"),
            ("", "Kriterie 2", "3.67"),
            ("", "Tema 1: Uddannelse og beskæftigelse", "4.25"),
            ("", "Samlet vurdering", "4.33"),
            ("", "Kriterium 3", ""),
        ]
    };
    let with_level = |mut row: Vec<String>, level: &str| {
        if level_column {
            row.push(level.to_string());
        }
        row
    };
    let mut out = vec![with_level(head.clone(), "Niveau")];
    let mut planted = 0;
    for (i, row) in body.iter().enumerate() {
        out.push(with_level(row.clone(), "Indikator"));
        let last_of_visit = body
            .get(i + 1)
            .is_none_or(|next| next.get(visit) != row.get(visit));
        if last_of_visit && row.len() == width {
            for (level, label, value) in level_rows {
                let mut planted_row = row.clone();
                planted_row[indicator] = label.to_string();
                planted_row[score] = value.to_string();
                out.push(with_level(planted_row, level));
                planted += u64::from(!value.is_empty());
            }
        }
    }
    (out, planted)
}

#[test]
fn level_scores_are_kept_out_of_the_ratings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let plain = simulate(dir, "plain.csv", 35, &["--dirty"]);
    let expected = compare_json(&plain, &[]);
    for level_column in [false, true] {
        let (rows, planted) = with_level_rows(&plain, level_column);
        assert!(planted > 300, "{planted} level scores planted");
        let path = write(dir, "levels.csv", csv_bytes(&rows));
        let got = compare_json(&path, &[]);
        assert_eq!(
            filter_counts(&got),
            filter_counts(&expected),
            "level column: {level_column}"
        );
        let counts = &first_file(&got)["counts"];
        assert_eq!(
            counts["level_scores"], planted,
            "level column: {level_column}"
        );
        assert_eq!(
            counts["ratings_read"],
            first_file(&expected)["counts"]["ratings_read"]
        );
    }

    // Wide: level columns beside the indicator columns; every third overall cell is blank.
    let clean = simulate(dir, "clean.csv", 36, &[]);
    let plain_wide = write(
        dir,
        "wide.csv",
        csv_bytes(&wide(&clean, |_, id| id.into(), &[])),
    );
    let criterion = |v: usize| format!("{}.5", 3 + v % 2);
    let theme = |_: usize| "4,25".to_string();
    let overall = |v: usize| {
        if v.is_multiple_of(3) {
            String::new()
        } else {
            "4.1".into()
        }
    };
    let levels: [(&str, &dyn Fn(usize) -> String); 3] = [
        ("Kriterium 1", &criterion),
        ("Tema 1: Uddannelse og beskæftigelse", &theme),
        ("Samlet score", &overall),
    ];
    let rows = wide(&clean, |_, id| id.into(), &levels);
    let visits = rows.len() - 1;
    let planted = (2 * visits + (0..visits).filter(|v| !v.is_multiple_of(3)).count()) as u64;
    let with_levels = write(dir, "wide-levels.csv", csv_bytes(&rows));
    let expected = compare_json(&plain_wide, &[]);
    let got = compare_json(&with_levels, &[]);
    assert_eq!(filter_counts(&got), filter_counts(&expected));
    assert_eq!(first_file(&got)["counts"]["level_scores"], planted);
}

#[test]
fn ids_excel_stores_as_numbers_keep_their_written_form() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let plain = simulate(dir, "plain.csv", 37, &[]);
    let mut rows = records(&plain);
    let visit = rows[0]
        .iter()
        .position(|h| h == "visit_id")
        .expect("visit_id");
    let offer = rows[0]
        .iter()
        .position(|h| h == "offer_id")
        .expect("offer_id");
    // The first three visits get numeric ids (written as number cells by `write_cell`), the
    // first one's offer a text id with leading zeros.
    let originals: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for row in &rows[1..] {
            if !seen.contains(&row[visit]) {
                seen.push(row[visit].clone());
            }
        }
        seen.into_iter().take(3).collect()
    };
    let numeric = ["1234", "1234567890123456", "12345678901234567"];
    for row in &mut rows[1..] {
        if let Some(k) = originals.iter().position(|o| *o == row[visit]) {
            row[visit] = numeric[k].to_string();
            if k == 0 {
                row[offer] = "00042".to_string();
            }
        }
    }
    let path = dir.join("ids.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, field) in row.iter().enumerate() {
            if c == offer && field == "00042" {
                sheet.write_string(r as u32, c as u16, field).expect("text");
            } else {
                write_cell(sheet, r as u32, c as u16, field);
            }
        }
    }
    book.save(&path).expect("saved");

    // A 17-digit number is beyond 2^53: Excel (and any double) stores the nearest double,
    // 12345678901234568 (IEEE 754 round to nearest even of 12345678901234567); it must print
    // in full, not as 1.2345678901234568e16.
    for (id, shown, offer_id) in [
        ("1234", "1234", Some("00042")),
        ("1234567890123456", "1234567890123456", None),
        ("12345678901234568", "12345678901234568", None),
    ] {
        let mut command = losstat();
        command
            .arg("spider")
            .arg(&path)
            .args(["--visit", id, "--format", "json"]);
        let output = succeed(&mut command, &format!("spider --visit {id}"));
        let profile: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(profile["visit_id"], shown);
        if let Some(offer_id) = offer_id {
            assert_eq!(profile["offer_id"], offer_id, "the text id keeps its zeros");
        }
    }
}

/// A minimal zip writer for the bomb: entries with deflated data given as is, so that the
/// declared sizes can be chosen (the `zip` crate would compress and count itself).
struct RawZip {
    bytes: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl RawZip {
    fn new() -> Self {
        RawZip {
            bytes: Vec::new(),
            central: Vec::new(),
            entries: 0,
        }
    }

    /// Adds `name` with the raw deflate stream `deflated`, declaring `crc` and `size`.
    fn add(&mut self, name: &str, deflated: &[u8], crc: u32, size: u32) {
        let offset = u32::try_from(self.bytes.len()).expect("small archive");
        let packed = u32::try_from(deflated.len()).expect("small entry");
        let name_len = u16::try_from(name.len()).expect("short name");
        // Local file header: signature, version 2.0, no flags, deflate, 1980-01-01 00:00.
        let mut local = Vec::new();
        local.extend(0x0403_4b50u32.to_le_bytes());
        local.extend(20u16.to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(8u16.to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(0x21u16.to_le_bytes());
        local.extend(crc.to_le_bytes());
        local.extend(packed.to_le_bytes());
        local.extend(size.to_le_bytes());
        local.extend(name_len.to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        self.bytes.extend(local);
        self.bytes.extend(deflated);
        // Central directory header.
        let c = &mut self.central;
        c.extend(0x0201_4b50u32.to_le_bytes());
        c.extend(20u16.to_le_bytes());
        c.extend(20u16.to_le_bytes());
        c.extend(0u16.to_le_bytes());
        c.extend(8u16.to_le_bytes());
        c.extend(0u16.to_le_bytes());
        c.extend(0x21u16.to_le_bytes());
        c.extend(crc.to_le_bytes());
        c.extend(packed.to_le_bytes());
        c.extend(size.to_le_bytes());
        c.extend(name_len.to_le_bytes());
        c.extend([0u8; 8]); // extra and comment lengths, disk, internal attributes
        c.extend(0u32.to_le_bytes());
        c.extend(offset.to_le_bytes());
        c.extend(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let at = u32::try_from(self.bytes.len()).expect("small archive");
        let size = u32::try_from(self.central.len()).expect("small directory");
        self.bytes.extend(&self.central);
        self.bytes.extend(0x0605_4b50u32.to_le_bytes());
        self.bytes.extend([0u8; 4]);
        self.bytes.extend(self.entries.to_le_bytes());
        self.bytes.extend(self.entries.to_le_bytes());
        self.bytes.extend(size.to_le_bytes());
        self.bytes.extend(at.to_le_bytes());
        self.bytes.extend(0u16.to_le_bytes());
        self.bytes
    }
}

/// `data` deflated into non-final blocks ending on a byte boundary (a sync flush), so that
/// such pieces can be concatenated into one stream, which [`FINAL_BLOCK`] ends.
fn deflate_piece(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("deflates");
    encoder.flush().expect("sync flush");
    encoder.get_ref().clone()
}

/// An empty final block with fixed codes: it ends a deflate stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// The sheet of the zip bomb.
const BOMB_SHEET: &str = "xl/worksheets/sheet1.xml";

/// A workbook whose sheet XML is `repeats` MiB of one repeated row (plus the real header),
/// packed into about 4 kB per MiB (each MiB deflated on its own, then repeated), its sizes
/// declared as they are.
fn zip_bomb(repeats: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["authority", "visit_id", "indicator", "score"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    let small = book.save_to_buffer().expect("workbook");
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(small)).expect("rust_xlsxwriter's archive");
    let mut bomb = RawZip::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("entry content");
        let mut crc = flate2::Crc::new();
        if name != BOMB_SHEET {
            crc.update(&content);
            let mut deflated = deflate_piece(&content);
            deflated.extend(FINAL_BLOCK);
            bomb.add(&name, &deflated, crc.sum(), crc.amount());
            continue;
        }
        let text = String::from_utf8(content).expect("XML");
        let (head, tail) = text.split_at(text.find("</sheetData>").expect("sheet data"));
        let row = "<row><c t=\"inlineStr\"><is><t>Socialtilsyn Nord</t></is></c>\
                   <c t=\"inlineStr\"><is><t>B100001</t></is></c>\
                   <c t=\"inlineStr\"><is><t>1.a</t></is></c><c><v>4</v></c></row>";
        let chunk = row.repeat((1 << 20) / row.len());
        let piece = deflate_piece(chunk.as_bytes());
        let mut deflated = deflate_piece(head.as_bytes());
        crc.update(head.as_bytes());
        for _ in 0..repeats {
            deflated.extend(&piece);
            crc.update(chunk.as_bytes());
        }
        deflated.extend(deflate_piece(tail.as_bytes()));
        deflated.extend(FINAL_BLOCK);
        crc.update(tail.as_bytes());
        bomb.add(&name, &deflated, crc.sum(), crc.amount());
    }
    bomb.finish()
}

/// `bomb` with its sheet declared as `size` bytes unpacked, in the central directory and the
/// local header (offsets of the zip format: APPNOTE.TXT 4.3.7 and 4.3.12).
fn declare_sheet_size(mut bomb: Vec<u8>, size: u32) -> Vec<u8> {
    let name = bomb
        .windows(BOMB_SHEET.len())
        .rposition(|w| w == BOMB_SHEET.as_bytes())
        .expect("the sheet's central directory entry");
    let central = name - 46;
    let local = u32::from_le_bytes(
        bomb[central + 42..central + 46]
            .try_into()
            .expect("4 bytes"),
    );
    let local = local as usize;
    bomb[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    bomb[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    bomb
}

/// Runs `losstat check PATH` under `/usr/bin/time` when it is there: exit code, standard
/// error, wall time, and peak resident memory in KiB (`None` without `/usr/bin/time`).
fn check_measured(path: &Path) -> (Option<i32>, String, Duration, Option<u64>) {
    let dir = path.parent().expect("a directory");
    let time_out = dir.join("time.txt");
    let timer = Path::new("/usr/bin/time");
    let bin = Path::new(env!("CARGO_BIN_EXE_losstat"));
    let mut command = if timer.exists() {
        let mut command = std::process::Command::new(timer);
        command
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&time_out)
            .arg(bin);
        command
    } else {
        std::process::Command::new(bin)
    };
    command.arg("check").arg(path);
    let start = Instant::now();
    let output = command.output().expect("losstat runs");
    let wall = start.elapsed();
    let rss = std::fs::read_to_string(&time_out)
        .ok()
        .and_then(|t| t.trim().lines().last()?.trim().parse().ok());
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        wall,
        rss,
    )
}

#[test]
fn a_zip_bomb_is_refused_quickly_in_bounded_memory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // 1400 MiB of sheet XML in about 5.8 MB (240:1): declared as it is, it passes the 512 MiB
    // limit.
    let bytes = zip_bomb(1400);
    let bomb = write(dir, "bomb.xlsx", &bytes);
    let packed = std::fs::metadata(&bomb).expect("bomb").len();
    assert!(packed < 8 << 20, "{packed} bytes");
    let (code, message, wall, rss) = check_measured(&bomb);
    eprintln!(
        "zip bomb ({packed} bytes packed, 1400 MiB declared and actual): refused in {wall:?}, \
         peak RSS {rss:?} KiB"
    );
    assert_eq!(code, Some(1), "{message}");
    for part in [
        "bomb.xlsx",
        "xl/worksheets/sheet1.xml",
        // 1400 pieces of just under a MiB (whole rows).
        "unpacks to 1399 MiB",
        "512 MiB per part",
        "CSV",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(wall < Duration::from_secs(20), "{wall:?}");
    if let Some(rss) = rss {
        assert!(rss < 100 << 10, "peak RSS {rss} KiB");
    }

    // The same data declared as 200 kB: the archive looks harmless, and the zip reader stops
    // after 200 kB of the sheet instead of unpacking 1.4 GB.
    let lying = write(dir, "lying.xlsx", declare_sheet_size(bytes, 200_000));
    let (code, message, wall, rss) = check_measured(&lying);
    eprintln!("lying zip bomb: refused in {wall:?}, peak RSS {rss:?} KiB: {message}");
    assert_eq!(code, Some(1), "{message}");
    assert!(message.contains("lying.xlsx"), "{message}");
    assert!(message.contains("declared uncompressed size"), "{message}");
    assert!(wall < Duration::from_secs(20), "{wall:?}");
    if let Some(rss) = rss {
        assert!(rss < 100 << 10, "peak RSS {rss} KiB");
    }
}
