//! Excel workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine.
//!
//! The chosen sheet (`--sheet`, else the first) is read as a grid; its first non-empty row is
//! the header. Cells become the same strings a CSV export would hold, so the CSV and Excel
//! paths share one validation: integers print as integers (`4.0` → `4`), other numbers in
//! Rust's shortest round-trip form, dates as ISO `YYYY-MM-DD`, Excel error cells as their
//! error text (`#DIV/0!`, which the score rule then rejects). Line numbers are Excel row
//! numbers.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use crate::error::{Error, Result};

use super::sink::{Cells, RowSink};

impl Cells for Vec<String> {
    fn len(&self) -> usize {
        <[String]>::len(self)
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

/// Reads the sheet of a workbook into `sink`. Returns the sheet's name.
pub fn read(bytes: &[u8], sheet: Option<&str>, path: &Path, sink: &mut RowSink) -> Result<String> {
    let workbook_error = |message: String| Error::Workbook {
        path: path.to_path_buf(),
        message,
    };
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| workbook_error(format!("{e} (is it password-protected or damaged?)")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
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
        None => names
            .first()
            .cloned()
            .ok_or_else(|| workbook_error("the workbook has no sheets".to_string()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| workbook_error(format!("sheet \"{name}\": {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let first_col = range.start().map_or(0, |(_, col)| col as usize);
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<String> = vec![String::new(); first_col];
        cells.extend(row.iter().map(cell_text));
        sink.push(first_row + i as u64 + 1, &cells, ',')?;
    }
    Ok(name)
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

fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
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
    fn excel_serial_dates() {
        // Excel: =DATE(2023,10,30) is serial 45229; =DATE(1900,3,1) is 61; =DATE(2000,2,29) is 36585.
        assert_eq!(excel_serial_date(45229.0), "2023-10-30");
        assert_eq!(excel_serial_date(61.0), "1900-03-01");
        assert_eq!(excel_serial_date(36585.0), "2000-02-29");
    }
}
