//! Stage 6, workbook: `results.xlsx`, the tables of `--out` in one workbook for Excel.
//!
//! Input: the [`Analysis`]. Output: an Office Open XML workbook, written with
//! `rust_xlsxwriter` straight into a file or any writer ([`save`]) or into memory
//! ([`workbook`]).
//!
//! One sheet per table, in this order: filter counts per rule, authorities, KS (the overall
//! pairs), KS by level (when themes or criteria were compared), deviation, completeness,
//! visits, themes, criteria, exclusions, the export check (when the export carries its own
//! scores), the case mix (when it has offer types), and the periods (with `--period` and two
//! periods or more). The tables are the CSV files' ([`super::tables`]), with the same columns
//! in the same order; sheet names and column headers are in the report's language ([`Lang`]),
//! from the one name table below.
//!
//! Cells are typed. Numbers are number cells with a format by column [`Kind`]: counts `0`,
//! scores, means and statistics `0.000`, shares `0.0%`, p- and q-values `0.00E+00` (the value
//! itself is stored in full). `true`/`false` are boolean cells (Excel shows them in its own
//! language). Text is always a string cell, never a formula, whatever it starts with (`=1+1`
//! stays the text `=1+1`, with no `'` added as in the CSV). Undefined numbers are empty cells.
//! Text longer than Excel's 32,767 characters per cell is cut there, ending in `…`.
//!
//! Each sheet has its header row frozen, an autofilter over its columns and column widths
//! fitted to the longest header or cell, at most [`MAX_COLUMN_WIDTH`] characters.
//!
//! Large tables: a sheet holds at most 1,048,576 rows, the header and [`ROWS_PER_SHEET`]
//! rows of data. A roll-up table (visits, themes, criteria) or the export check (one row per
//! exported score) longer than that (criteria at ten million ratings is four million rows,
//! the export check of such an export about seven million) is not put in the workbook at
//! all: its sheet holds one note saying how many rows the table has and that its CSV file
//! holds them all. Cutting it at the limit would leave out whole authorities, and a pivot
//! table over the rest would give wrong means without showing it; spreading it over several
//! sheets made the workbook cost 20–30 s at ten million ratings (the export check's seven
//! sheets, 3 GB of sheet XML, another 30 s), for tables no spreadsheet analysis uses whole.
//! Any other table that long (the exclusions of a very dirty export) goes on over as many
//! sheets as it needs, `Frasortering (2)` …, each with the header again.
//!
//! Cost: the sheets are written row by row into anonymous temporary files (the
//! `rust_xlsxwriter` "low memory" mode, which keeps only the distinct strings in memory), so
//! the workbook needs a writable temporary directory (`TMPDIR`) but little memory even at ten
//! million ratings; the archive is compressed at Excel's own deflate level (3). Writing it
//! is the dearest output by far: about 0.1 s at national size and 0.8 s at ten times it
//! (one core, while the figures are drawn and the CSV tables written on the other).
//!
//! The same analysis gives the same bytes on every run: the document's creation time is
//! fixed ([`CREATED`]), the archive's entry times are `rust_xlsxwriter`'s constant, and the
//! sheets are written one after another (so the shared strings are numbered in one order).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::tables::{CellSink, Column, Kind, PairLevels, Table};
use crate::analysis::{Analysis, Level};
use crate::error::{Error, Result};
use crate::plot::Lang;

/// Rows of data on one sheet: Excel's 1,048,576 rows less the header.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// The widest a column is made, in characters.
pub const MAX_COLUMN_WIDTH: usize = 60;

/// The document's creation date (`docProps/core.xml`; year, month, day, midnight UTC),
/// fixed so that reruns give the same bytes.
pub const CREATED: (u16, u8, u8) = (2025, 1, 1);

/// The archive's deflate level (`rust_xlsxwriter`'s default is 6).
const ZIP_LEVEL: u8 = 3;

/// Excel's limit on the characters (UTF-16 units) of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The sheets, in workbook order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sheet {
    Filter,
    Authorities,
    Ks,
    KsByLevel,
    Deviation,
    Completeness,
    Visits,
    Themes,
    Criteria,
    Exclusions,
    ExportCheck,
    Adjusted,
    OfferMix,
    Periods,
}

/// Sheet names (Danish, English): at most 26 characters, so that ` (NN)` still fits Excel's
/// 31, and none of `[]:*?/\`.
const SHEET_NAMES: [(Sheet, &str, &str); 14] = [
    (Sheet::Filter, "Filterregler", "Filter rules"),
    (Sheet::Authorities, "Socialtilsyn", "Authorities"),
    (Sheet::Ks, "KS-test", "KS tests"),
    (Sheet::KsByLevel, "KS-test pr. niveau", "KS tests by level"),
    (Sheet::Deviation, "Afvigelser", "Deviations"),
    (Sheet::Completeness, "Fuldstændighed", "Completeness"),
    (Sheet::Visits, "Besøg", "Visits"),
    (Sheet::Themes, "Temaer", "Themes"),
    (Sheet::Criteria, "Kriterier", "Criteria"),
    (Sheet::Exclusions, "Frasortering", "Exclusions"),
    (Sheet::ExportCheck, "Eksportens scorer", "Export check"),
    (
        Sheet::Adjusted,
        "Justeret for tilbudstype",
        "Adjusted for offer type",
    ),
    (Sheet::OfferMix, "Tilbudstyper", "Offer types"),
    (Sheet::Periods, "Perioder", "Periods"),
];

/// Column headers (CSV name, Danish, English). A column not listed keeps its CSV name.
const HEADERS: &[(&str, &str, &str)] = &[
    ("rule", "Regel", "Rule"),
    ("scope", "Omfang", "Scope"),
    ("los_rule", "LOS-regel", "LOS rule"),
    ("authority", "Socialtilsyn", "Authority"),
    ("visits_dropped", "Besøg frasorteret", "Visits dropped"),
    (
        "ratings_dropped",
        "Bedømmelser frasorteret",
        "Ratings dropped",
    ),
    ("ratings_flagged", "Bedømmelser markeret", "Ratings flagged"),
    ("visits", "Besøg", "Visits"),
    ("ratings", "Bedømmelser", "Ratings"),
    ("share_1", "Andel 1", "Share 1"),
    ("share_2", "Andel 2", "Share 2"),
    ("share_3", "Andel 3", "Share 3"),
    ("share_4", "Andel 4", "Share 4"),
    ("share_5", "Andel 5", "Share 5"),
    ("overall_n", "Samlet: antal", "Overall: n"),
    ("overall_mean", "Samlet: gennemsnit", "Overall: mean"),
    ("overall_median", "Samlet: median", "Overall: median"),
    ("overall_sd", "Samlet: standardafvigelse", "Overall: SD"),
    ("overall_min", "Samlet: mindste", "Overall: min"),
    ("overall_q1", "Samlet: 1. kvartil", "Overall: Q1"),
    ("overall_q3", "Samlet: 3. kvartil", "Overall: Q3"),
    ("overall_max", "Samlet: største", "Overall: max"),
    ("level", "Niveau", "Level"),
    ("unit", "Nummer", "Number"),
    ("a", "Socialtilsyn A", "Authority A"),
    ("b", "Socialtilsyn B", "Authority B"),
    ("n_a", "Antal A", "n A"),
    ("n_b", "Antal B", "n B"),
    ("statistic", "KS-statistik D", "KS statistic D"),
    ("statistic_location", "D's placering", "Location of D"),
    ("statistic_sign", "D's fortegn", "Sign of D"),
    ("p_value", "p-værdi", "p-value"),
    ("method", "Metode", "Method"),
    (
        "p_value_ties",
        "p-værdi (eksakt med ties)",
        "p-value (tie-exact)",
    ),
    (
        "p_value_permutation",
        "p-værdi (permutation)",
        "p-value (permutation)",
    ),
    ("permutations", "Permutationer", "Permutations"),
    ("stratified", "Stratificeret", "Stratified"),
    ("primary", "Primær p", "Primary p"),
    ("p_value_adjusted", "p-værdi justeret", "p-value adjusted"),
    (
        "p_value_scipy_adjusted",
        "p-værdi (SciPy) justeret",
        "p-value (SciPy) adjusted",
    ),
    ("significant", "Signifikant", "Significant"),
    ("mann_whitney_p", "Mann-Whitney p", "Mann-Whitney p"),
    ("brunner_munzel_p", "Brunner-Munzel p", "Brunner-Munzel p"),
    ("cliffs_delta", "Cliffs delta", "Cliff's delta"),
    (
        "cliffs_delta_ci_low",
        "Cliffs delta, KI nedre",
        "Cliff's delta, CI low",
    ),
    (
        "cliffs_delta_ci_high",
        "Cliffs delta, KI øvre",
        "Cliff's delta, CI high",
    ),
    ("indicator", "Indikator", "Indicator"),
    ("n", "Antal", "n"),
    ("mean", "Gennemsnit", "Mean"),
    ("national_mean", "Landsgennemsnit", "National mean"),
    ("deviation", "Afvigelse", "Deviation"),
    ("ci_low", "KI nedre", "CI low"),
    ("ci_high", "KI øvre", "CI high"),
    ("q_value", "q-værdi", "q-value"),
    ("inference", "Inferens", "Inference"),
    ("welch_t", "Welch t", "Welch t"),
    ("welch_df", "Welch frihedsgrader", "Welch df"),
    ("confidence", "Konfidensniveau", "Confidence level"),
    ("theme", "Tema", "Theme"),
    ("complete", "Komplette", "Complete"),
    ("share", "Andel", "Share"),
    ("visit_id", "Besøgs-id", "Visit id"),
    ("offer_id", "Tilbuds-id", "Offer id"),
    ("offer_type", "Tilbudstype", "Offer type"),
    ("visit_date", "Besøgsdato", "Visit date"),
    ("overall", "Samlet score", "Overall score"),
    ("themes", "Temaer", "Themes"),
    ("score", "Score", "Score"),
    ("criteria", "Kriterier", "Criteria"),
    ("criterion", "Kriterium", "Criterion"),
    ("indicators", "Indikatorer", "Indicators"),
    ("file", "Fil", "File"),
    ("line", "Linje", "Line"),
    ("raw_value", "Rå værdi", "Raw value"),
    ("detail", "Forklaring", "Detail"),
    ("exported", "I udtrækket (tekst)", "In the export (text)"),
    ("exported_value", "I udtrækket", "In the export"),
    ("recomputed", "Genberegnet", "Recomputed"),
    ("difference", "Forskel", "Difference"),
    ("status", "Status", "Status"),
    ("raw_mean", "Rå gennemsnit", "Raw mean"),
    (
        "standardised_mean",
        "Standardiseret gennemsnit",
        "Standardised mean",
    ),
    (
        "standardised_ci_low",
        "Standardiseret, KI nedre",
        "Standardised, CI low",
    ),
    (
        "standardised_ci_high",
        "Standardiseret, KI øvre",
        "Standardised, CI high",
    ),
    ("coverage", "Dækning", "Coverage"),
    ("emm", "Marginalt gennemsnit", "Marginal mean"),
    (
        "emm_ci_low",
        "Marginalt gns., KI nedre",
        "Marginal mean, CI low",
    ),
    (
        "emm_ci_high",
        "Marginalt gns., KI øvre",
        "Marginal mean, CI high",
    ),
    (
        "difference_ci_low",
        "Forskel, KI nedre",
        "Difference, CI low",
    ),
    (
        "difference_ci_high",
        "Forskel, KI øvre",
        "Difference, CI high",
    ),
    ("odds_ratio", "Odds ratio", "Odds ratio"),
    (
        "odds_ratio_ci_low",
        "Odds ratio, KI nedre",
        "Odds ratio, CI low",
    ),
    (
        "odds_ratio_ci_high",
        "Odds ratio, KI øvre",
        "Odds ratio, CI high",
    ),
    (
        "odds_ratio_ci_low_model",
        "Odds ratio, KI nedre (model)",
        "Odds ratio, CI low (model)",
    ),
    (
        "odds_ratio_ci_high_model",
        "Odds ratio, KI øvre (model)",
        "Odds ratio, CI high (model)",
    ),
    ("offer_type", "Tilbudstype", "Offer type"),
    ("note", "Note", "Note"),
    ("period", "Periode", "Period"),
    ("statistic", "Størrelse", "Statistic"),
    ("estimate", "Estimat", "Estimate"),
    ("compared_with", "Sammenlignet med", "Compared with"),
    ("change", "Ændring", "Change"),
    ("change_ci_low", "Ændring, KI nedre", "Change, CI low"),
    ("change_ci_high", "Ændring, KI øvre", "Change, CI high"),
    ("test", "Test", "Test"),
    ("ks_statistic", "KS-statistik D", "KS statistic D"),
    ("ks_p_value", "KS p-værdi", "KS p-value"),
    (
        "ks_p_value_ties",
        "KS p-værdi (eksakt med ties)",
        "KS p-value (tie-exact)",
    ),
];

fn sheet_name(sheet: Sheet, lang: Lang) -> &'static str {
    SHEET_NAMES
        .iter()
        .find(|(s, _, _)| *s == sheet)
        .map_or("", |&(_, da, en)| match lang {
            Lang::Da => da,
            Lang::En => en,
        })
}

fn header(name: &str, lang: Lang) -> &str {
    HEADERS
        .iter()
        .find(|(key, _, _)| *key == name)
        .map_or(name, |&(_, da, en)| match lang {
            Lang::Da => da,
            Lang::En => en,
        })
}

/// A roll-up table as a sheet (a level table's visits named from `visits`, as
/// [`Table::level`]), or, when it has more rows than one sheet holds, a note that points to
/// its CSV file (see the module docs).
fn rollup_table<'a>(
    frame: &'a polars::prelude::DataFrame,
    visits: Option<&polars::prelude::DataFrame>,
    csv: &'static str,
    lang: Lang,
) -> Table<'a> {
    let rows = frame.height();
    if rows > ROWS_PER_SHEET as usize {
        return too_long(rows, csv, lang);
    }
    match visits {
        Some(visits) => Table::level(frame, visits),
        None => Table::frame(frame),
    }
}

/// The export check's sheet (`table`) or, when it has more than `limit` rows (one per
/// exported score: about seven million at ten million ratings), a note as for a roll-up
/// table.
fn export_check_table<'a>(
    rows: u64,
    lang: Lang,
    limit: usize,
    table: impl FnOnce() -> Table<'a>,
) -> Table<'a> {
    match usize::try_from(rows).unwrap_or(usize::MAX) {
        rows if rows > limit => too_long(rows, "export_check.csv", lang),
        _ => table(),
    }
}

/// The one-cell note that stands for a table of `rows` rows, more than a sheet holds: the
/// whole table is in the CSV file `csv` (see the module docs).
fn too_long(rows: usize, csv: &'static str, lang: Lang) -> Table<'static> {
    let note = match lang {
        Lang::Da => {
            format!("{rows} rækker er flere, end et ark kan rumme; hele tabellen står i {csv}.")
        }
        Lang::En => {
            format!("{rows} rows are more than a sheet holds; the whole table is in {csv}.")
        }
    };
    let column = Column {
        name: "note".into(),
        kind: Kind::Text,
    };
    Table::new(vec![column], move |s| {
        s.label(&note)?;
        s.end_row()
    })
}

/// `results.xlsx` in memory: every table of the analysis as a sheet (see the module docs).
pub fn workbook(analysis: &Analysis, lang: Lang) -> Result<Vec<u8>> {
    build(analysis, lang)?.save_to_buffer().map_err(xlsx_error)
}

/// Writes `results.xlsx` into `out` (an output file: the archive is never whole in memory).
pub fn save(analysis: &Analysis, lang: Lang, out: impl std::io::Write + Send) -> Result<()> {
    build(analysis, lang)?
        .save_to_writer(out)
        .map_err(xlsx_error)
}

/// The workbook of every table of the analysis, ready to be saved.
fn build(analysis: &Analysis, lang: Lang) -> Result<Workbook> {
    let by_level = analysis
        .comparisons
        .iter()
        .any(|f| f.level != Level::Overall);
    let mut sheets = vec![
        (Sheet::Filter, Table::filter_counts(&analysis.filtered)),
        (Sheet::Authorities, Table::authorities(analysis)),
        (Sheet::Ks, Table::pairs(analysis, PairLevels::Overall)),
    ];
    if by_level {
        sheets.push((
            Sheet::KsByLevel,
            Table::pairs(analysis, PairLevels::ByLevel),
        ));
    }
    sheets.extend([
        (Sheet::Deviation, Table::deviation(analysis)),
        (Sheet::Completeness, Table::completeness(&analysis.filtered)),
        (
            Sheet::Visits,
            rollup_table(&analysis.rollup.visits, None, "visits.csv", lang),
        ),
        (
            Sheet::Themes,
            rollup_table(
                &analysis.rollup.themes,
                Some(&analysis.rollup.visits),
                "themes.csv",
                lang,
            ),
        ),
        (
            Sheet::Criteria,
            rollup_table(
                &analysis.rollup.criteria,
                Some(&analysis.rollup.visits),
                "criteria.csv",
                lang,
            ),
        ),
        (
            Sheet::Exclusions,
            Table::exclusions(&analysis.filtered, &analysis.sources),
        ),
    ]);
    if let Some(check) = &analysis.export_check {
        sheets.push((
            Sheet::ExportCheck,
            export_check_table(check.rows(), lang, ROWS_PER_SHEET as usize, || {
                Table::export_check(check, analysis)
            }),
        ));
    }
    if let Some(mix) = &analysis.case_mix {
        sheets.push((Sheet::Adjusted, Table::adjusted(mix)));
        sheets.push((Sheet::OfferMix, Table::offer_mix(mix)));
    }
    if let Some(periods) = analysis.compared_periods() {
        sheets.push((Sheet::Periods, Table::periods(periods)));
    }
    let named: Vec<(&str, Table<'_>)> = sheets
        .into_iter()
        .map(|(sheet, table)| (sheet_name(sheet, lang), table))
        .collect();
    book_of(&named, lang, ROWS_PER_SHEET)
}

/// An error of the workbook writer, as a failure to write `results.xlsx`.
#[allow(
    clippy::needless_pass_by_value,
    reason = "called as `map_err(xlsx_error)`, which hands the error over by value"
)]
fn xlsx_error(e: XlsxError) -> Error {
    Error::Write {
        path: "results.xlsx".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The workbook of `tables` (sheet name, table), at most `rows_per_sheet` data rows a sheet.
fn book_of(tables: &[(&str, Table<'_>)], lang: Lang, rows_per_sheet: u32) -> Result<Workbook> {
    let mut book = Workbook::new();
    let (year, month, day) = CREATED;
    let created = ExcelDateTime::from_ymd(year, month, day).map_err(xlsx_error)?;
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("losstat"),
    );
    // Excel's own level: a third of the default's time for a file about a sixth larger.
    book.set_zip_compression_level(ZIP_LEVEL);
    let formats = Formats::new();
    for (name, table) in tables {
        let headers: Vec<&str> = table
            .columns()
            .iter()
            .map(|c| header(&c.name, lang))
            .collect();
        let mut sink = SheetSink::new(
            &mut book,
            name,
            &headers,
            table.columns(),
            &formats,
            rows_per_sheet,
        )?;
        table.write(&mut sink)?;
        sink.finish()?;
    }
    Ok(book)
}

/// The cell formats, one per [`Kind`] (text and booleans have none).
struct Formats {
    header: Format,
    integer: Format,
    decimal: Format,
    share: Format,
    p_value: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            integer: Format::new().set_num_format("0"),
            decimal: Format::new().set_num_format("0.000"),
            share: Format::new().set_num_format("0.0%"),
            p_value: Format::new().set_num_format("0.00E+00"),
        }
    }

    fn of(&self, kind: Kind) -> Option<&Format> {
        match kind {
            Kind::Integer => Some(&self.integer),
            Kind::Decimal => Some(&self.decimal),
            Kind::Share => Some(&self.share),
            Kind::PValue => Some(&self.p_value),
            Kind::Text | Kind::Boolean => None,
        }
    }
}

/// Writes a table's cells into one sheet, and into `NAME (2)` … when it outgrows it.
///
/// The sheets are `rust_xlsxwriter`'s "low memory" ones: each row goes to a temporary file as
/// soon as the next one starts (only the distinct strings are kept in memory), so a table of
/// millions of rows costs little memory; the rows must come in order, as they do.
struct SheetSink<'a> {
    book: &'a mut Workbook,
    name: &'a str,
    headers: &'a [&'a str],
    kinds: Vec<Kind>,
    formats: &'a Formats,
    rows_per_sheet: u32,
    /// Sheets of this table so far.
    sheets: usize,
    /// The current sheet's index in the workbook.
    index: usize,
    /// Row of the next cell (the header is row 0).
    row: u32,
    /// Column of the next cell.
    col: u16,
    /// Widest cell so far per column, in characters.
    widths: Vec<usize>,
}

impl<'a> SheetSink<'a> {
    fn new(
        book: &'a mut Workbook,
        name: &'a str,
        headers: &'a [&'a str],
        columns: &[Column],
        formats: &'a Formats,
        rows_per_sheet: u32,
    ) -> Result<Self> {
        let mut sink = Self {
            book,
            name,
            headers,
            kinds: columns.iter().map(|c| c.kind).collect(),
            formats,
            rows_per_sheet: rows_per_sheet.max(1),
            sheets: 0,
            index: 0,
            row: 1,
            col: 0,
            widths: Vec::new(),
        };
        sink.start_sheet()?;
        Ok(sink)
    }

    fn sheet(&mut self) -> Result<&mut Worksheet> {
        self.book
            .worksheet_from_index(self.index)
            .map_err(xlsx_error)
    }

    /// Starts a sheet: its name, the header row, frozen.
    fn start_sheet(&mut self) -> Result<()> {
        self.sheets += 1;
        let name = match self.sheets {
            1 => self.name.to_string(),
            n => format!("{} ({n})", self.name),
        };
        let header_format = &self.formats.header;
        let sheet = self
            .book
            .add_worksheet_with_low_memory()
            .map_err(xlsx_error)?;
        sheet.set_name(name).map_err(xlsx_error)?;
        for (col, header) in (0..).zip(self.headers) {
            sheet
                .write_string_with_format(0, col, *header, header_format)
                .map_err(xlsx_error)?;
        }
        // A number cell without a format of its own takes its column's: set once here, so
        // that no cell has to look its format up.
        for (col, kind) in (0..).zip(&self.kinds) {
            if let Some(format) = self.formats.of(*kind) {
                sheet.set_column_format(col, format).map_err(xlsx_error)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        self.index = self.book.worksheets().len().saturating_sub(1);
        // The header is bold, and the autofilter's button takes two characters more.
        self.widths = self.headers.iter().map(|h| h.chars().count() + 3).collect();
        self.row = 1;
        Ok(())
    }

    /// Closes the current sheet: the autofilter over its rows, the column widths.
    fn close_sheet(&mut self) -> Result<()> {
        let last_col = u16::try_from(self.headers.len().saturating_sub(1)).unwrap_or(0);
        let last_row = self.row.saturating_sub(1);
        let widths = std::mem::take(&mut self.widths);
        let sheet = self.sheet()?;
        sheet
            .autofilter(0, 0, last_row, last_col)
            .map_err(xlsx_error)?;
        for (col, &width) in (0..).zip(&widths) {
            let width = width.min(MAX_COLUMN_WIDTH) as f64 + 1.0;
            sheet.set_column_width(col, width).map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// The position of the next cell, starting the next sheet when this one is full.
    fn next_cell(&mut self, chars: usize) -> Result<(u32, u16)> {
        if self.col == 0 && self.row > self.rows_per_sheet {
            self.close_sheet()?;
            self.start_sheet()?;
        }
        let at = (self.row, self.col);
        if let Some(width) = self.widths.get_mut(usize::from(self.col)) {
            *width = (*width).max(chars);
        }
        self.col += 1;
        Ok(at)
    }

    /// Writes a number (in its column's format).
    fn number(&mut self, x: f64) -> Result<()> {
        let kind = self.kinds.get(usize::from(self.col)).copied();
        let (row, col) = self.next_cell(shown_width(x, kind))?;
        self.sheet()?
            .write_number(row, col, x)
            .map_err(xlsx_error)?;
        Ok(())
    }

    /// Closes the last sheet.
    fn finish(mut self) -> Result<()> {
        self.close_sheet()
    }
}

/// About how many characters a number takes as its column's format shows it.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the digits of a finite number's integer part: a small positive count"
)]
fn shown_width(x: f64, kind: Option<Kind>) -> usize {
    let digits = |v: f64| {
        let v = v.abs().trunc();
        if v < 10.0 {
            1
        } else {
            v.log10().floor() as usize + 1
        }
    };
    let sign = usize::from(x < 0.0);
    sign + match kind {
        Some(Kind::Decimal) => digits(x) + 4,
        Some(Kind::Share) => digits(x * 100.0) + 3,
        Some(Kind::PValue) => 8 + usize::from(x != 0.0 && x.abs().log10().abs() >= 99.0),
        _ => digits(x),
    }
}

/// `text` cut to Excel's limit per cell, ending in `…` when cut.
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    // UTF-16 never takes more units than UTF-8 takes bytes: short texts are not counted.
    if text.len() <= MAX_CELL_CHARS || text.encode_utf16().count() <= MAX_CELL_CHARS {
        return text.into();
    }
    let mut units = 0;
    let mut cut = String::new();
    for c in text.chars() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS - 1 {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut.into()
}

impl CellSink for SheetSink<'_> {
    fn text(&mut self, text: &str) -> Result<()> {
        let text = fit_cell(text);
        let (row, col) = self.next_cell(text.chars().take(MAX_COLUMN_WIDTH).count())?;
        self.sheet()?
            .write_string(row, col, text.as_ref())
            .map_err(xlsx_error)?;
        Ok(())
    }

    fn label(&mut self, text: &str) -> Result<()> {
        self.text(text)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "counts and line numbers stay far below 2^53"
    )]
    fn unsigned(&mut self, x: u64) -> Result<()> {
        self.number(x as f64)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "signs and counts stay far below 2^53"
    )]
    fn signed(&mut self, x: i64) -> Result<()> {
        self.number(x as f64)
    }

    fn float(&mut self, x: f64) -> Result<()> {
        if x.is_finite() {
            self.number(x)
        } else {
            self.empty()
        }
    }

    fn boolean(&mut self, x: bool) -> Result<()> {
        let (row, col) = self.next_cell(5)?;
        self.sheet()?
            .write_boolean(row, col, x)
            .map_err(xlsx_error)?;
        Ok(())
    }

    fn empty(&mut self) -> Result<()> {
        self.next_cell(0)?;
        Ok(())
    }

    fn end_row(&mut self) -> Result<()> {
        self.row += 1;
        self.col = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    fn read(bytes: Vec<u8>) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook calamine reads")
    }

    #[test]
    fn a_rollup_table_longer_than_a_sheet_becomes_a_note() {
        use polars::prelude::{Column as FrameColumn, DataFrame};
        let rows = ROWS_PER_SHEET as usize + 1;
        let long = DataFrame::new(
            rows,
            vec![FrameColumn::new("theme".into(), vec![1u32; rows])],
        )
        .expect("frame");
        let table = rollup_table(&long, None, "themes.csv", Lang::En);
        let names: Vec<&str> = table.columns().iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(names, ["note"]);
        let short = DataFrame::new(2, vec![FrameColumn::new("theme".into(), vec![1u32; 2])])
            .expect("frame");
        let names: Vec<String> = rollup_table(&short, None, "themes.csv", Lang::En)
            .columns()
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names, ["theme"]);
    }

    #[test]
    fn an_export_check_longer_than_a_sheet_becomes_a_note() {
        let names = |limit: usize| -> Vec<String> {
            export_check_table(3, Lang::Da, limit, || numbered(3))
                .columns()
                .iter()
                .map(|c| c.name.to_string())
                .collect()
        };
        // Three rows: the table at a limit of three, a note at two.
        assert_eq!(names(3), ["line", "detail"]);
        assert_eq!(names(2), ["note"]);
    }

    /// A table of `n` rows: the row number, and a text that a spreadsheet could take for a
    /// formula.
    fn numbered(n: u64) -> Table<'static> {
        let columns = vec![
            Column {
                name: "line".into(),
                kind: Kind::Integer,
            },
            Column {
                name: "detail".into(),
                kind: Kind::Text,
            },
        ];
        Table::new(columns, move |s| {
            for i in 1..=n {
                s.unsigned(i)?;
                s.text(&format!("=A{i}"))?;
                s.end_row()?;
            }
            Ok(())
        })
    }

    #[test]
    fn a_long_table_goes_on_over_numbered_sheets() {
        let tables = [("Kriterier", numbered(7)), ("Frasortering", numbered(6))];
        let bytes = book_of(&tables, Lang::Da, 3)
            .unwrap()
            .save_to_buffer()
            .unwrap();
        let mut book = read(bytes);
        assert_eq!(
            book.sheet_names(),
            [
                "Kriterier",
                "Kriterier (2)",
                "Kriterier (3)",
                "Frasortering",
                "Frasortering (2)"
            ]
        );
        let mut seen = Vec::new();
        for name in ["Kriterier", "Kriterier (2)", "Kriterier (3)"] {
            let range = book.worksheet_range(name).unwrap();
            let rows: Vec<&[Data]> = range.rows().collect();
            assert_eq!(
                rows[0],
                [
                    Data::String("Linje".into()),
                    Data::String("Forklaring".into())
                ]
            );
            assert!(rows.len() - 1 <= 3, "{name}: {} data rows", rows.len() - 1);
            for row in &rows[1..] {
                let Data::Float(line) = row[0] else {
                    panic!("{name}: {row:?}")
                };
                assert_eq!(row[1], Data::String(format!("=A{line}")));
                seen.push(line);
            }
        }
        assert_eq!(seen, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        // Exactly full: no empty sheet after it.
        let last = book.worksheet_range("Frasortering (2)").unwrap();
        assert_eq!(last.height(), 4);
    }

    #[test]
    fn the_sheet_limit_is_excels() {
        // Excel's last row is 1,048,576, and the header takes one.
        assert_eq!(ROWS_PER_SHEET, 1_048_576 - 1);
    }

    #[test]
    fn sheet_names_are_valid_in_both_languages() {
        for (_, da, en) in SHEET_NAMES {
            for name in [da, en] {
                assert!(!name.is_empty() && name.chars().count() <= 26, "{name}");
                assert!(
                    !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                    "{name}"
                );
                assert!(!name.starts_with('\'') && !name.ends_with('\''), "{name}");
            }
        }
        for lang in [Lang::Da, Lang::En] {
            let mut names: Vec<String> = SHEET_NAMES
                .iter()
                .map(|&(s, _, _)| sheet_name(s, lang).to_lowercase())
                .collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), SHEET_NAMES.len(), "{lang:?}");
        }
    }

    #[test]
    fn over_long_text_is_cut_to_excels_limit() {
        let long = "æ".repeat(40_000);
        let cut = fit_cell(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(fit_cell("kort"), "kort");
        // Characters outside the basic plane take two units each.
        let wide = "😀".repeat(20_000);
        assert!(fit_cell(&wide).encode_utf16().count() <= MAX_CELL_CHARS);
    }

    #[test]
    fn number_widths_follow_the_format() {
        assert_eq!(shown_width(4.281, Some(Kind::Decimal)), 5);
        assert_eq!(shown_width(-0.22, Some(Kind::Decimal)), 6);
        assert_eq!(shown_width(0.515, Some(Kind::Share)), 5);
        assert_eq!(shown_width(1.3e-11, Some(Kind::PValue)), 8);
        assert_eq!(shown_width(1.3e-120, Some(Kind::PValue)), 9);
        assert_eq!(shown_width(53_746.0, Some(Kind::Integer)), 5);
    }
}
