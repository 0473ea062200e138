//! Excel workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.
//!
//! Before a zipped workbook (all but .xls) is opened, the sizes its archive declares are
//! checked against the limits of `archive`, so a zip bomb is refused at once.
//!
//! The sheet read is the one named by `--sheet`, else the first sheet with a header naming the
//! required columns among its first rows (a cover sheet, `Forside`, with a paragraph of text is
//! passed over); if no sheet has one, the error names the workbook and each sheet tried, with
//! the first sheet's reason first. The sink finds the header below any title rows (see
//! [`super::sink`]), as in a CSV file.
//!
//! .xlsx and .xlsm sheets are *streamed*: calamine's cell reader
//! ([`calamine::Xlsx::worksheet_cells_reader`]) parses the sheet XML cell by cell, and each row
//! goes to the sink as soon as it is complete, so the header is checked before the body is read
//! (a wrong header fails after the first rows, not the whole sheet) and memory holds the rows
//! kept and calamine's shared strings, never the sheet. Cells come in the order the sheet
//! stores them, which is row by row in every writer; a row with no value is a blank row. The
//! rows equal what a calamine range of the sheet gives: every row starts at column A, and the
//! header is as wide as the sheet's widest row (the sink's grid mode). .xlsb, .xls and .ods
//! sheets are read as a calamine range (the whole sheet at once): calamine has no cell
//! reader for them, and they are rare as exports.
//!
//! Cells become the same strings a CSV export would hold, so the CSV and Excel paths share one
//! validation: integral numbers print as integers (`4.0` → `4`, an id `1234567890123456` stays
//! that, never `1.234567890123456e15`), other numbers in Rust's shortest round-trip form
//! (`3.5`), dates as ISO `YYYY-MM-DD`, Excel error cells as their error text (`#DIV/0!`, which
//! the score rule then rejects). Text cells are kept as written, leading zeros included
//! (`0042`). A number typed into Excel keeps only 15 significant digits, and a cell whose
//! number format merely *shows* leading zeros holds the number without them: such ids cannot
//! be recovered from the workbook. Line numbers are Excel row numbers.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, DataRef, Reader, Sheets, Xlsx, XlsxError};

use crate::error::{Error, Result};

use super::archive;
use super::sink::{Cells, RowSink};

impl Cells for Vec<String> {
    fn len(&self) -> usize {
        <[String]>::len(self)
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

/// Reads the sheet of a workbook (`sheet`, or the first with a header) into `sink`. Returns
/// the sheet's name.
pub fn read(bytes: &[u8], sheet: Option<&str>, path: &Path, sink: &mut RowSink) -> Result<String> {
    let zipped = bytes.starts_with(b"PK\x03\x04");
    if zipped {
        archive::check(bytes, path)?;
    }
    if zipped && let Ok(xlsx) = Xlsx::new(Cursor::new(bytes)) {
        return read_book(&mut Streamed { xlsx, path }, sheet, path, sink);
    }
    let workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| workbook_error(path, format!("{e} (is it password-protected or damaged?)")))?;
    read_book(&mut Ranges { workbook, path }, sheet, path, sink)
}

fn workbook_error(path: &Path, message: String) -> Error {
    Error::Workbook {
        path: path.to_path_buf(),
        message,
    }
}

/// How reading a sheet into the sink ended.
enum Outcome {
    /// Every row was read (the sink may or may not have found its header).
    Read,
    /// The sink's header search failed (see [`RowSink::push`]); the rest was not read.
    NoHeader(Error),
}

/// A workbook whose sheets can be read into a sink.
trait Book {
    /// The sheet names, in workbook order.
    fn sheet_names(&self) -> Vec<String>;
    /// Reads the rows of sheet `name` into `sink`, stopping when the sink refuses one.
    fn read_sheet(&mut self, name: &str, sink: &mut RowSink) -> Result<Outcome>;
}

/// Reads the sheet `wanted`, or the first sheet with a header (see the module docs).
fn read_book(
    book: &mut dyn Book,
    wanted: Option<&str>,
    path: &Path,
    sink: &mut RowSink,
) -> Result<String> {
    let names = book.sheet_names();
    let name = match wanted {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| Error::UnknownSheet {
                path: path.to_path_buf(),
                sheet: wanted.to_string(),
                available: names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None if names.len() > 1 => return first_with_header(book, &names, path, sink),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| workbook_error(path, "the workbook has no sheets".to_string()))?,
    };
    // One sheet: what it lacks is the sink's to say (`RowSink::finish`).
    match book.read_sheet(&name, sink)? {
        Outcome::Read => Ok(name),
        Outcome::NoHeader(error) => Err(error),
    }
}

/// Reads the first of several sheets in which the sink finds a header.
fn first_with_header(
    book: &mut dyn Book,
    names: &[String],
    path: &Path,
    sink: &mut RowSink,
) -> Result<String> {
    let mut tried = Vec::with_capacity(names.len());
    let mut first = None;
    for name in names {
        let reason = match book.read_sheet(name, sink) {
            Ok(Outcome::Read) if sink.has_header() => return Ok(name.clone()),
            Ok(Outcome::Read) => sink.abandon_search(),
            Ok(Outcome::NoHeader(error)) => {
                sink.abandon_search();
                Some(error)
            }
            // A sheet calamine cannot read (a chart sheet, a damaged part) is passed over too,
            // unless it had a header, when its data are lost.
            Err(error) if !sink.has_header() => {
                sink.abandon_search();
                Some(error)
            }
            Err(error) => return Err(error),
        };
        tried.push(format!(
            "sheet \"{name}\" ({})",
            reason.as_ref().map_or("empty".to_string(), short_reason)
        ));
        if first.is_none() {
            first = reason;
        }
    }
    Err(Error::NoHeaderInWorkbook {
        path: path.to_path_buf(),
        first: Box::new(first.unwrap_or_else(|| Error::EmptyInput {
            path: path.to_path_buf(),
        })),
        tried: tried.join("; "),
    })
}

/// Why a sheet was passed over, in a few words.
fn short_reason(error: &Error) -> String {
    match error {
        Error::MissingColumns { line, missing, .. } => {
            format!("row {line} has no column for {missing}")
        }
        Error::AmbiguousColumn { line, field, .. } => {
            format!("row {line} has several columns for {field}")
        }
        Error::HeaderRow { line, detail, .. } => format!("row {line}: {detail}"),
        other => other.to_string(),
    }
}

/// An .xlsx or .xlsm workbook, its sheets streamed.
struct Streamed<'a> {
    xlsx: Xlsx<Cursor<&'a [u8]>>,
    path: &'a Path,
}

impl Book for Streamed<'_> {
    fn sheet_names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    fn read_sheet(&mut self, name: &str, sink: &mut RowSink) -> Result<Outcome> {
        let sheet_error =
            |e: XlsxError| workbook_error(self.path, format!("sheet \"{name}\": {e}"));
        let mut cells = match self.xlsx.worksheet_cells_reader(name) {
            Ok(cells) => cells,
            // A chart sheet holds no cells (a range of it is empty).
            Err(XlsxError::NotAWorksheet(_)) => return Ok(Outcome::Read),
            Err(e) => return Err(sheet_error(e)),
        };
        let mut rows = RowAssembler::default();
        while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
            let value = cell.get_value();
            if matches!(value, DataRef::Empty) {
                continue;
            }
            let (row, column) = cell.get_position();
            if let Err(error) = rows.place(row, column as usize, ref_text(value), sink) {
                return Ok(Outcome::NoHeader(error));
            }
        }
        Ok(match rows.flush(sink) {
            Ok(()) => Outcome::Read,
            Err(error) => Outcome::NoHeader(error),
        })
    }
}

/// Gathers streamed cells into rows and hands each finished row to the sink.
#[derive(Default)]
struct RowAssembler {
    /// The 0-based row being gathered.
    current: Option<u32>,
    cells: Vec<String>,
}

impl RowAssembler {
    /// Puts `text` at (`row`, `column`), first handing a finished row (and the blank rows
    /// between it and `row`) to `sink`.
    fn place(&mut self, row: u32, column: usize, text: String, sink: &mut RowSink) -> Result<()> {
        if self.current != Some(row) {
            self.flush(sink)?;
            if let Some(previous) = self.current {
                for blank in previous.saturating_add(1)..row {
                    sink.push(u64::from(blank) + 1, &Vec::<String>::new(), ',')?;
                }
            }
            self.current = Some(row);
        }
        if self.cells.len() <= column {
            self.cells.resize(column + 1, String::new());
        }
        self.cells[column] = text;
        Ok(())
    }

    /// Hands the row being gathered to `sink`, as wide as the header at least (the cells after
    /// a row's last value are empty, as in a range).
    fn flush(&mut self, sink: &mut RowSink) -> Result<()> {
        let Some(row) = self.current else {
            return Ok(());
        };
        if self.cells.is_empty() {
            return Ok(());
        }
        let width = sink.header_width();
        if self.cells.len() < width {
            self.cells.resize(width, String::new());
        }
        let pushed = sink.push(u64::from(row) + 1, &self.cells, ',');
        self.cells.clear();
        pushed
    }
}

/// Any workbook calamine opens, its sheets read as ranges.
struct Ranges<'a> {
    workbook: Sheets<Cursor<&'a [u8]>>,
    path: &'a Path,
}

impl Book for Ranges<'_> {
    fn sheet_names(&self) -> Vec<String> {
        self.workbook.sheet_names()
    }

    fn read_sheet(&mut self, name: &str, sink: &mut RowSink) -> Result<Outcome> {
        let range = self
            .workbook
            .worksheet_range(name)
            .map_err(|e| workbook_error(self.path, format!("sheet \"{name}\": {e}")))?;
        let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
        let first_col = range.start().map_or(0, |(_, col)| col as usize);
        for (i, row) in range.rows().enumerate() {
            let mut cells: Vec<String> = vec![String::new(); first_col];
            cells.extend(row.iter().map(cell_text));
            if let Err(error) = sink.push(first_row + i as u64 + 1, &cells, ',') {
                return Ok(Outcome::NoHeader(error));
            }
        }
        Ok(Outcome::Read)
    }
}

/// The text a CSV export would hold for this cell.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => excel_serial_date(dt.as_f64()),
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// [`cell_text`] of a streamed cell.
fn ref_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => excel_serial_date(dt.as_f64()),
        DataRef::DateTime(dt) => float_text(dt.as_f64()),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Largest integer up to which every integer is a double (2^53).
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// A number as text: an integral value as an integer, written out in full (`1234`, not
/// `1234.0`; `12345678901234568`, never with an exponent), others in Rust's shortest
/// round-trip form (`3.5`).
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT_INTEGERS {
        // Exact: |f| ≤ 2^53 is an integer an i64 holds.
        format!("{}", f as i64)
    } else {
        // Rust prints an f64 in decimal without an exponent (`1e16` as
        // `10000000000000000`), the shortest digits that read back as the same number.
        format!("{f}")
    }
}

/// `YYYY-MM-DD` for an Excel serial date (1900 system: day 0 = 1899-12-30).
fn excel_serial_date(serial: f64) -> String {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return float_text(serial);
    }
    // Days since 1970-01-01, then Howard Hinnant's civil_from_days.
    let z = serial.floor() as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_print_as_a_csv_export_would() {
        assert_eq!(cell_text(&Data::Float(4.0)), "4");
        assert_eq!(cell_text(&Data::Float(3.5)), "3.5");
        assert_eq!(cell_text(&Data::Int(5)), "5");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn integral_numbers_print_in_full() {
        // Ids as Excel stores them, as numbers: the digits as typed up to 2^53 = 9007199254740992.
        assert_eq!(float_text(1234.0), "1234");
        assert_eq!(float_text(1_234_567_890_123_456.0), "1234567890123456");
        assert_eq!(float_text(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(float_text(-42.0), "-42");
        // Beyond 2^53 the double is the nearest one: 12345678901234567 typed is
        // 12345678901234568 stored (IEEE 754 rounding), printed in full, no exponent.
        assert_eq!(float_text(12_345_678_901_234_567.0), "12345678901234568");
        assert_eq!(float_text(1e16), "10000000000000000");
        assert_eq!(float_text(0.1), "0.1");
    }

    #[test]
    fn streamed_cells_print_as_range_cells() {
        for data in [
            Data::Empty,
            Data::String("0042".to_string()),
            Data::Int(-7),
            Data::Float(4.0),
            Data::Float(4.33),
            Data::Bool(true),
            Data::DateTimeIso("2023-10-30T00:00:00".to_string()),
            Data::Error(calamine::CellErrorType::Div0),
        ] {
            let streamed = match &data {
                Data::Empty => DataRef::Empty,
                Data::String(s) => DataRef::SharedString(s),
                Data::Int(i) => DataRef::Int(*i),
                Data::Float(f) => DataRef::Float(*f),
                Data::Bool(b) => DataRef::Bool(*b),
                Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
                Data::Error(e) => DataRef::Error(e.clone()),
                _ => DataRef::Empty,
            };
            assert_eq!(ref_text(&streamed), cell_text(&data), "{data:?}");
        }
    }

    use crate::load::{LoadOptions, RawRatings, TableBuilder};

    /// What reading `bytes` gives: the sheet, what the sink saw, the ratings as text.
    type Read = (String, String, Vec<(u64, Vec<Option<String>>)>);

    fn rows(table: &RawRatings) -> Vec<(u64, Vec<Option<String>>)> {
        (0..table.height())
            .map(|r| {
                let fields = crate::load::Field::ALL
                    .iter()
                    .map(|&f| table.get(f, r).map(str::to_string))
                    .collect();
                (table.line(r).expect("line"), fields)
            })
            .collect()
    }

    /// Reads `bytes` with the streamed path when `stream`, else as ranges.
    fn read_book_with(
        bytes: &[u8],
        sheet: Option<&str>,
        options: &LoadOptions,
        stream: bool,
    ) -> Result<Read> {
        let path = Path::new("book.xlsx");
        let mut table = TableBuilder::new();
        let mut sink = RowSink::new(path, 0, options, &mut table);
        sink.set_grid();
        let name = if stream {
            let xlsx = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
            read_book(&mut Streamed { xlsx, path }, sheet, path, &mut sink)?
        } else {
            let workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).expect("opens");
            read_book(&mut Ranges { workbook, path }, sheet, path, &mut sink)?
        };
        let read = sink.finish()?;
        Ok((name, format!("{read:?}"), rows(&table.finish())))
    }

    /// A workbook: a cover sheet with a paragraph, then `Data` with a title, a blank row, a
    /// header starting in column B, rows with gaps, a short row, a row wider than the header.
    fn book() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let cover = book.add_worksheet();
        cover.set_name("Forside").expect("name");
        cover
            .write_string(0, 0, "Kvalitetsvurderinger 2023")
            .expect("cell");
        cover
            .write_string(
                2,
                0,
                "Udtrækket indeholder alle tilsynsbesøg, se arket Data.",
            )
            .expect("cell");
        let data = book.add_worksheet();
        data.set_name("Data").expect("name");
        data.write_string(0, 1, "Samlede kvalitetsscore fra alle tilsyn 2023")
            .expect("cell");
        for (c, h) in ["Socialtilsyn", "Tilsynsbesøg", "Indikator", "Score", "Dato"]
            .iter()
            .enumerate()
        {
            data.write_string(2, c as u16 + 1, *h).expect("cell");
        }
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 10, 30).expect("date");
        let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (r, (id, score)) in [("1.a", 4.0), ("1.b", 3.5), ("Kriterium 1", 3.75)]
            .iter()
            .enumerate()
        {
            let r = 3 + 2 * r as u32; // rows 4, 6, 8: a blank row after each
            data.write_string(r, 1, "Nord").expect("cell");
            data.write_number(r, 2, 1_234_567_890_123_456.0)
                .expect("cell");
            data.write_string(r, 3, *id).expect("cell");
            data.write_number(r, 4, *score).expect("cell");
            data.write_datetime_with_format(r, 5, &date, &date_format)
                .expect("cell");
        }
        data.write_string(9, 1, "Syd").expect("cell");
        data.write_string(9, 2, "0042").expect("cell");
        data.write_string(9, 3, "2.a").expect("cell"); // no score, no date
        data.write_string(10, 1, "Syd").expect("cell");
        data.write_string(10, 2, "0042").expect("cell");
        data.write_string(10, 3, "2.b").expect("cell");
        data.write_number(10, 4, 5.0).expect("cell");
        data.write_string(10, 8, "a note beyond the header")
            .expect("cell");
        book.save_to_buffer().expect("saved")
    }

    #[test]
    fn streamed_sheets_read_as_ranges_do() {
        let bytes = book();
        let options = LoadOptions::default();
        let streamed = read_book_with(&bytes, None, &options, true).expect("streams");
        let ranges = read_book_with(&bytes, None, &options, false).expect("reads");
        assert_eq!(streamed, ranges);
        let (sheet, read, rows) = streamed;
        assert_eq!(sheet, "Data", "the cover sheet is passed over");
        assert!(read.contains("header_line: 3"), "{read}");
        assert!(read.contains("title_rows: 1"), "{read}");
        assert!(read.contains("blank_records: 3"), "{read}");
        assert!(read.contains("level_scores: 1"), "{read}");
        // The header is as wide as the widest row (column I), every row starts at column A.
        assert!(read.contains(r#"header: ["", "Socialtilsyn""#), "{read}");
        assert!(read.contains(r#""Dato", "", "", ""]"#), "{read}");
        let first = &rows[0].1;
        assert_eq!(rows[0].0, 4);
        assert_eq!(
            first[1].as_deref(),
            Some("1234567890123456"),
            "a numeric id"
        );
        assert_eq!(first[3].as_deref(), Some("4"));
        assert_eq!(first[6].as_deref(), Some("2023-10-30"));
        assert_eq!(rows[2].0, 10);
        assert_eq!(
            rows[2].1[1].as_deref(),
            Some("0042"),
            "a text id keeps its zeros"
        );
        assert_eq!(
            rows[2].1[3].as_deref(),
            Some(""),
            "a missing score is empty"
        );
        assert_eq!(rows.len(), 4);

        // --header-row and --sheet read the same.
        let at_three = LoadOptions {
            header_row: Some(3),
            ..LoadOptions::default()
        };
        for stream in [true, false] {
            let got = read_book_with(&bytes, Some("data"), &at_three, stream).expect("reads");
            assert_eq!(got.2, rows);
        }
    }

    #[test]
    fn a_sheet_without_a_header_is_refused_with_the_sheets_tried() {
        let bytes = book();
        for stream in [true, false] {
            let options = LoadOptions::default();
            let error = read_book_with(&bytes, Some("Forside"), &options, stream)
                .expect_err("no header on the cover");
            let message = error.to_string();
            assert!(
                message.starts_with("book.xlsx:1: no column for"),
                "{message}"
            );
            // Headers on row 9 of neither sheet.
            let options = LoadOptions {
                header_row: Some(9),
                ..LoadOptions::default()
            };
            let message = read_book_with(&bytes, None, &options, stream)
                .expect_err("no header")
                .to_string();
            assert!(message.contains("No sheet of book.xlsx"), "{message}");
            assert!(message.contains("sheet \"Forside\" (row 9:"), "{message}");
            assert!(message.contains("sheet \"Data\" (row 9:"), "{message}");
            assert!(message.contains("--sheet NAME"), "{message}");
        }
    }

    #[test]
    fn excel_serial_dates() {
        // Excel: =DATE(2023,10,30) is serial 45229; =DATE(1900,3,1) is 61; =DATE(2000,2,29) is 36585.
        assert_eq!(excel_serial_date(45229.0), "2023-10-30");
        assert_eq!(excel_serial_date(61.0), "1900-03-01");
        assert_eq!(excel_serial_date(36585.0), "2000-02-29");
    }
}
