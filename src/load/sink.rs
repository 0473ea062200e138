//! The row sink: records from any reader → the long ratings table.
//!
//! The header is the first of the first [`HEADER_SEARCH`] non-blank records that names the
//! required columns ([`super::columns::resolve`] succeeds); the records above it are *title
//! rows* (`Samlede kvalitetsscore fra alle tilsyn 2023`), skipped and counted. If none of them
//! resolves, the error is the first one's, so a file whose header is simply wrong fails as it
//! always did, after [`HEADER_SEARCH`] records rather than the whole file.
//! [`LoadOptions::header_row`](super::LoadOptions::header_row) names the header's line (or
//! Excel row) instead; everything above it is skipped.
//!
//! Every record below the header becomes one rating (long layout) or one rating per non-empty
//! indicator cell (wide layout; an empty cell means "not scored", not an invalid score), except
//! the export's own criterion, theme and overall scores, which are set aside as
//! [`LevelScore`]s ([`super::levels`]). A record with a different number of fields than the
//! header is *malformed*: it is kept aside as data for the filter stage (rule
//! `malformed_row`), never an error. Blank records are counted and skipped.
//!
//! A sheet is a grid, not a text of records: in *grid* mode ([`RowSink::set_grid`], workbooks) a
//! row is never malformed, a cell beyond a row's last one is empty, and the header is as wide
//! as the widest row (as a calamine range of the sheet would make it).
//!
//! [`RowSink::push`] fails only while looking for the header; below it every record is data
//! (or on a rating past line `u32::MAX`, beyond what the table numbers, see [`super::table`]).

use std::path::Path;

use crate::error::{Error, Result};

use super::LoadOptions;
use super::columns::{self, Field, Layout, ResolvedColumns};
use super::levels::{ExportLevel, LevelKind, LevelScores};
use super::table::TableBuilder;

/// How many non-blank records the header is looked for among.
pub const HEADER_SEARCH: u64 = 20;

/// Longest raw text kept for a malformed row in the exclusion listing.
const RAW_PREVIEW: usize = 200;

/// A record as a reader sees it.
pub trait Cells {
    /// Number of fields.
    fn len(&self) -> usize;
    /// Field `i`, if present.
    fn cell(&self, i: usize) -> Option<&str>;
}

/// A record whose field count does not match its header.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MalformedRow {
    /// Index of the source file in [`super::Loaded::sources`].
    pub file: u32,
    /// Line (or Excel row) where the record starts.
    pub line: u64,
    /// The authority field, if the record reaches it.
    pub authority: Option<String>,
    /// The visit field, if the record reaches it.
    pub visit_id: Option<String>,
    /// How many ratings the record would have held.
    pub ratings: u64,
    /// What is wrong.
    pub detail: String,
    /// The record's text, shortened.
    pub raw: String,
}

/// Whether a cell holds nothing but whitespace (Unicode's, as [`str::trim`]); a first byte
/// that is a visible ASCII character settles it at once.
pub fn is_blank(cell: &str) -> bool {
    match cell.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii_graphic() => false,
        Some(_) => cell.trim().is_empty(),
    }
}

/// `line` as the table stores it (32 bits), or an error naming the file.
fn stored_line(path: &Path, line: u64) -> Result<u32> {
    u32::try_from(line).map_err(|_| Error::TooManyLines {
        path: path.to_path_buf(),
        line,
        limit: u32::MAX.into(),
    })
}

/// Receives one file's records.
pub struct RowSink<'a> {
    path: &'a Path,
    file: u32,
    options: &'a LoadOptions,
    table: &'a mut TableBuilder,
    header: Option<Header>,
    search: Search,
    /// Grid mode (see the module docs).
    grid: bool,
    /// Grid mode: the widest record seen, which the header's names are padded to.
    widest: usize,
    /// The last level-column value and what it says (values repeat row after row).
    level_cache: Option<(Box<str>, Option<LevelKind>)>,
    /// Malformed records seen so far.
    pub malformed: Vec<MalformedRow>,
    /// Criterion, theme and overall scores, in file order.
    pub levels: LevelScores,
    /// Ratings read (long rows, wide cells), malformed ones included.
    pub ratings_read: u64,
    /// Data records read (not counting the header and blank records).
    pub records_read: u64,
    /// Blank records skipped.
    pub blank_records: u64,
}

#[derive(Debug, Clone)]
struct Header {
    line: u64,
    names: Vec<String>,
    resolved: ResolvedColumns,
}

/// The search for the header: what was skipped, and why the first record was not it.
#[derive(Debug, Default)]
struct Search {
    /// Non-blank records skipped (title rows, or records that did not resolve).
    skipped: u64,
    /// Line of the last record skipped.
    last_line: u64,
    /// Why the first record skipped is not the header.
    first_error: Option<Error>,
}

impl<'a> RowSink<'a> {
    /// A sink for file number `file` at `path`, reading with `options` (the column mappings
    /// and the header row).
    pub fn new(
        path: &'a Path,
        file: u32,
        options: &'a LoadOptions,
        table: &'a mut TableBuilder,
    ) -> Self {
        Self {
            path,
            file,
            options,
            table,
            header: None,
            search: Search::default(),
            grid: false,
            widest: 0,
            level_cache: None,
            malformed: Vec::new(),
            levels: LevelScores::new(file),
            ratings_read: 0,
            records_read: 0,
            blank_records: 0,
        }
    }

    /// Switches to grid mode (workbook sheets, see the module docs).
    pub fn set_grid(&mut self) {
        self.grid = true;
    }

    /// Whether the header has been read.
    pub fn has_header(&self) -> bool {
        self.header.is_some()
    }

    /// Number of names in the header (0 before it is read).
    pub fn header_width(&self) -> usize {
        self.header.as_ref().map_or(0, |h| h.names.len())
    }

    /// Gives up the search for a header in what was pushed so far (a sheet without one) and
    /// starts afresh: the reason no header was found, `None` if nothing but blank records came.
    pub fn abandon_search(&mut self) -> Option<Error> {
        let error = self.missing_header();
        self.search = Search::default();
        self.widest = 0;
        error
    }

    /// What a sink for a later part of the same file needs (see [`SinkTemplate`]).
    pub fn template(&self) -> SinkTemplate<'a> {
        SinkTemplate {
            path: self.path,
            file: self.file,
            options: self.options,
            header: self.header.clone(),
            grid: self.grid,
        }
    }

    /// A sink for a later part of the same file, writing into `table`: it shares this one's
    /// header and starts with zero counts. [`RowSink::absorb`] adds it back.
    pub fn fork<'b>(&self, table: &'b mut TableBuilder) -> RowSink<'b>
    where
        'a: 'b,
    {
        self.template().sink(table)
    }

    /// The counts, malformed records and level scores, without the table.
    pub fn into_counts(self) -> SinkCounts {
        SinkCounts {
            malformed: self.malformed,
            levels: self.levels,
            ratings_read: self.ratings_read,
            records_read: self.records_read,
            blank_records: self.blank_records,
        }
    }

    /// Adds the counts, malformed records and level scores of a sink that read the part of the
    /// file after everything this sink has read (its table is appended separately).
    pub fn absorb(&mut self, part: SinkCounts) {
        self.malformed.extend(part.malformed);
        self.levels.append(part.levels);
        self.ratings_read += part.ratings_read;
        self.records_read += part.records_read;
        self.blank_records += part.blank_records;
    }

    /// The table this sink writes into.
    pub fn table(&mut self) -> &mut TableBuilder {
        self.table
    }

    /// Takes one record starting at `line`; `separator` is used to show malformed rows.
    /// Fails only while the header is looked for, or on a rating past line `u32::MAX` (see the
    /// module docs).
    pub fn push<C: Cells + ?Sized>(
        &mut self,
        line: u64,
        record: &C,
        separator: char,
    ) -> Result<()> {
        if self.grid {
            self.widest = self.widest.max(record.len());
        }
        let blank = (0..record.len()).all(|i| record.cell(i).is_none_or(is_blank));
        if blank {
            if self.header.is_some() {
                self.blank_records += 1;
            }
            return Ok(());
        }
        let Some(header) = &self.header else {
            return self.look_for_header(line, record);
        };
        self.records_read += 1;
        let width = header.names.len();
        let extra_is_blank = (width..record.len()).all(|i| record.cell(i).is_none_or(is_blank));
        if !self.grid && (record.len() < width || !extra_is_blank) {
            let malformed = malformed_row(self.file, line, record, separator, header);
            self.ratings_read += malformed.ratings;
            self.malformed.push(malformed);
            return Ok(());
        }
        let resolved = &header.resolved;
        let raw = |field: Field| resolved.of(field).and_then(|i| record.cell(i));
        let get = |field: Field| raw(field).filter(|v| !is_blank(v));
        let level_of = |value: &str, cache: &mut Option<(Box<str>, Option<LevelKind>)>| match cache
        {
            Some((last, kind)) if **last == *value => *kind,
            _ => {
                let kind = LevelKind::parse(value);
                *cache = Some((value.into(), kind));
                kind
            }
        };
        match resolved.layout {
            Layout::Long => {
                let indicator = raw(Field::Indicator).unwrap_or("");
                let kind = resolved
                    .level_column
                    .and_then(|i| record.cell(i))
                    .filter(|v| !is_blank(v))
                    .and_then(|v| level_of(v, &mut self.level_cache));
                let level = match kind {
                    Some(kind) => kind.level(indicator),
                    None => ExportLevel::parse(indicator),
                };
                if let Some(level) = level {
                    if let Some(score) = get(Field::Score) {
                        let line = stored_line(self.path, line)?;
                        self.levels
                            .push(line, level, level_texts(&raw, indicator, score));
                    }
                    return Ok(());
                }
                self.ratings_read += 1;
                let values = Field::ALL.map(|f| match f {
                    Field::Authority | Field::VisitId | Field::Indicator | Field::Score => raw(f),
                    _ => get(f),
                });
                self.table
                    .push(self.file, stored_line(self.path, line)?, values);
            }
            Layout::Wide => {
                for (index, indicator) in &resolved.indicator_columns {
                    let Some(score) = record.cell(*index).filter(|c| !is_blank(c)) else {
                        continue;
                    };
                    self.ratings_read += 1;
                    let values = Field::ALL.map(|f| match f {
                        Field::Indicator => Some(indicator.as_str()),
                        Field::Score => Some(score),
                        Field::Authority | Field::VisitId => raw(f),
                        _ => get(f),
                    });
                    self.table
                        .push(self.file, stored_line(self.path, line)?, values);
                }
                for (index, level, label) in &resolved.level_columns {
                    if let Some(score) = record.cell(*index).filter(|c| !is_blank(c)) {
                        let line = stored_line(self.path, line)?;
                        self.levels
                            .push(line, *level, level_texts(&raw, label, score));
                    }
                }
            }
        }
        Ok(())
    }

    /// A non-blank record before the header: the header, a title row, or the end of the search.
    fn look_for_header<C: Cells + ?Sized>(&mut self, line: u64, record: &C) -> Result<()> {
        let names: Vec<String> = (0..record.len())
            .map(|i| record.cell(i).unwrap_or("").trim().to_string())
            .collect();
        let mappings = &self.options.columns;
        let resolved = match self.options.header_row {
            Some(wanted) if line < wanted => {
                self.skip(line);
                return Ok(());
            }
            Some(wanted) if line > wanted => {
                return Err(Error::HeaderRow {
                    path: self.path.to_path_buf(),
                    line: wanted,
                    detail: format!(
                        "no record starts on it (it is blank, or inside a record above); \
                         the first record below it starts on line {line}"
                    ),
                });
            }
            Some(_) => columns::resolve(&names, mappings, self.path, line)?,
            None => match columns::resolve(&names, mappings, self.path, line) {
                Ok(resolved) => resolved,
                Err(error) => {
                    self.skip(line);
                    let first = self.search.first_error.take().unwrap_or(error);
                    if self.search.skipped >= HEADER_SEARCH {
                        return Err(first);
                    }
                    self.search.first_error = Some(first);
                    return Ok(());
                }
            },
        };
        self.header = Some(Header {
            line,
            names,
            resolved,
        });
        Ok(())
    }

    fn skip(&mut self, line: u64) {
        self.search.skipped += 1;
        self.search.last_line = line;
    }

    /// Why no header was found in what was pushed; `None` if only blank records came.
    fn missing_header(&mut self) -> Option<Error> {
        if let Some(error) = self.search.first_error.take() {
            return Some(error);
        }
        let wanted = self.options.header_row?;
        (self.search.skipped > 0).then(|| Error::HeaderRow {
            path: self.path.to_path_buf(),
            line: wanted,
            detail: format!(
                "the input ends before it (its last record starts on line {})",
                self.search.last_line
            ),
        })
    }

    /// Ends the file: what it held, or an error if it held no header or no data.
    pub fn finish(mut self) -> Result<FileRead> {
        let Some(mut header) = self.header.take() else {
            return Err(self.missing_header().unwrap_or_else(|| Error::EmptyInput {
                path: self.path.to_path_buf(),
            }));
        };
        if self.records_read == 0 {
            return Err(Error::NoDataRows {
                path: self.path.to_path_buf(),
                line: header.line,
            });
        }
        if self.grid && header.names.len() < self.widest {
            header.names.resize(self.widest, String::new());
        }
        Ok(FileRead {
            header_line: header.line,
            columns: header.resolved.named(&header.names),
            header: header.names,
            layout: header.resolved.layout,
            malformed: self.malformed,
            counts: Counts {
                ratings_read: self.ratings_read,
                records_read: self.records_read,
                blank_records: self.blank_records,
                title_rows: self.search.skipped,
                level_scores: self.levels.len() as u64,
            },
            levels: self.levels,
        })
    }
}

/// A record whose field count does not match `header`, as an exclusion.
fn malformed_row<C: Cells + ?Sized>(
    file: u32,
    line: u64,
    record: &C,
    separator: char,
    header: &Header,
) -> MalformedRow {
    let resolved = &header.resolved;
    let width = header.names.len();
    let get = |field: Field| {
        resolved
            .of(field)
            .and_then(|i| record.cell(i))
            .filter(|v| !is_blank(v))
            .map(str::to_string)
    };
    let ratings = match resolved.layout {
        Layout::Long => 1,
        Layout::Wide => resolved
            .indicator_columns
            .iter()
            .filter(|(i, _)| record.cell(*i).is_some_and(|c| !is_blank(c)))
            .count()
            .max(1) as u64,
    };
    let raw: String = (0..record.len())
        .map(|i| record.cell(i).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(&separator.to_string());
    MalformedRow {
        file,
        line,
        authority: get(Field::Authority),
        visit_id: get(Field::VisitId),
        ratings,
        detail: format!(
            "{} field(s) where the header (line {}) has {width}{}",
            record.len(),
            header.line,
            if record.len() < width {
                "; a missing separator or an unterminated quote?"
            } else {
                ""
            }
        ),
        raw: raw.chars().take(RAW_PREVIEW).collect(),
    }
}

/// The texts of a level score ([`LevelScores::push`]): the record's authority and visit as
/// written (`raw`; empty when blank), its label and its score.
fn level_texts<'r>(
    raw: &impl Fn(Field) -> Option<&'r str>,
    label: &'r str,
    score: &'r str,
) -> [&'r str; 4] {
    [
        raw(Field::Authority).unwrap_or(""),
        raw(Field::VisitId).unwrap_or(""),
        label,
        score,
    ]
}

/// A sink's header and origin without its table, from which sinks for later parts of the
/// same file are made (on other threads).
#[derive(Debug, Clone)]
pub struct SinkTemplate<'a> {
    path: &'a Path,
    file: u32,
    options: &'a LoadOptions,
    header: Option<Header>,
    grid: bool,
}

impl<'a> SinkTemplate<'a> {
    /// A sink with this header and zero counts, writing into `table`.
    pub fn sink<'b>(&self, table: &'b mut TableBuilder) -> RowSink<'b>
    where
        'a: 'b,
    {
        let mut sink = RowSink::new(self.path, self.file, self.options, table);
        sink.header = self.header.clone();
        sink.grid = self.grid;
        sink
    }
}

/// What a [`RowSink`] counted, without its table ([`RowSink::into_counts`]).
#[derive(Debug, Clone, Default)]
pub struct SinkCounts {
    /// Malformed records seen.
    pub malformed: Vec<MalformedRow>,
    /// Level scores, in file order.
    pub levels: LevelScores,
    /// Ratings read.
    pub ratings_read: u64,
    /// Data records read.
    pub records_read: u64,
    /// Blank records skipped.
    pub blank_records: u64,
}

/// What [`RowSink::finish`] reports about one file.
#[derive(Debug, Clone)]
pub struct FileRead {
    /// Line (or Excel row) of the header.
    pub header_line: u64,
    /// The header names as written.
    pub header: Vec<String>,
    /// Each field found, with the header name it is read from.
    pub columns: Vec<(Field, String)>,
    /// The detected layout.
    pub layout: Layout,
    /// Records whose field count did not match the header.
    pub malformed: Vec<MalformedRow>,
    /// The export's criterion, theme and overall scores, in file order.
    pub levels: LevelScores,
    /// Counts of what was read.
    pub counts: Counts,
}

/// What one file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Ratings read (long rows, or non-empty indicator cells of wide rows).
    pub ratings_read: u64,
    /// Data records (rows below the header, blank ones excluded).
    pub records_read: u64,
    /// Blank records skipped.
    pub blank_records: u64,
    /// Non-blank records above the header, skipped (title rows). Left out of `results.json`
    /// when 0, so the outputs of a file without title rows are as they were.
    #[serde(skip_serializing_if = "is_zero")]
    pub title_rows: u64,
    /// Criterion, theme and overall scores set aside ([`super::LevelScore`]); not among the ratings.
    /// Left out of `results.json` when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub level_scores: u64,
}

/// Whether a count is 0 (for `skip_serializing_if`, which passes a reference).
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::load::{ColumnMapping, RawRatings};

    /// A record of `fields`.
    fn record(fields: &[&str]) -> Vec<String> {
        fields.iter().map(ToString::to_string).collect()
    }

    /// What a sink makes of `records` (line i + 1 for record i): its result and the table.
    fn sink_read(
        records: &[&[&str]],
        options: &LoadOptions,
        grid: bool,
    ) -> (Result<FileRead>, RawRatings) {
        let mut table = TableBuilder::new();
        let path = Path::new("export.csv");
        let mut sink = RowSink::new(path, 0, options, &mut table);
        if grid {
            sink.set_grid();
        }
        let mut result = Ok(());
        for (i, fields) in records.iter().enumerate() {
            result = sink.push(i as u64 + 1, &record(fields), ';');
            if result.is_err() {
                break;
            }
        }
        let read = result.and_then(|()| sink.finish());
        (read, table.finish())
    }

    /// The (indicator, score) of every rating.
    fn ratings(table: &RawRatings) -> Vec<(String, String)> {
        (0..table.height())
            .map(|r| {
                let text = |f| table.get(f, r).unwrap_or("-").to_string();
                (text(Field::Indicator), text(Field::Score))
            })
            .collect()
    }

    const HEADER: &[&str] = &["Socialtilsyn", "Tilsynsbesøg", "Indikator", "Score"];

    #[test]
    fn title_rows_above_the_header_are_skipped_and_counted() {
        let records: &[&[&str]] = &[
            &["Samlede kvalitetsscore fra alle tilsyn 2023"],
            &["", "", ""],
            &["Udtrukket 2024-01-05", "", "af Socialstyrelsen"],
            HEADER,
            &["Nord", "v1", "1.a", "4"],
            &["", "", "", ""],
            &["Nord", "v1", "1.b", "5"],
        ];
        let (read, table) = sink_read(records, &LoadOptions::default(), false);
        let read = read.expect("reads");
        assert_eq!(read.header_line, 4);
        assert_eq!(read.counts.title_rows, 2, "two non-blank records above");
        assert_eq!(read.counts.blank_records, 1, "only blanks below the header");
        assert_eq!(read.counts.records_read, 2);
        assert_eq!(
            read.columns,
            vec![
                (Field::Authority, "Socialtilsyn".to_string()),
                (Field::VisitId, "Tilsynsbesøg".to_string()),
                (Field::Indicator, "Indikator".to_string()),
                (Field::Score, "Score".to_string()),
            ]
        );
        assert_eq!(table.height(), 2);
    }

    #[test]
    fn a_rating_past_the_last_line_the_table_numbers_is_an_error_naming_the_file() {
        let mut table = TableBuilder::new();
        let options = LoadOptions::default();
        let mut sink = RowSink::new(Path::new("huge.csv"), 0, &options, &mut table);
        sink.push(1, &record(HEADER), ';').expect("header");
        let last = u64::from(u32::MAX);
        sink.push(last, &record(&["Nord", "v1", "1.a", "4"]), ';')
            .expect("the last line numbered");
        // Blank records past it are no ratings and need no number.
        sink.push(last + 1, &record(&["", "", "", ""]), ';')
            .expect("blank");
        let error = sink
            .push(last + 2, &record(&["Nord", "v1", "1.b", "5"]), ';')
            .expect_err("past the limit");
        let message = error.to_string();
        assert!(message.starts_with("huge.csv:4294967297: "), "{message}");
        assert!(message.contains("more than 4294967295 lines"), "{message}");
        let raw = table.finish();
        assert_eq!(raw.height(), 1);
        assert_eq!(raw.line(0), Some(last));
    }

    #[test]
    fn without_a_header_the_first_records_error_is_given() {
        // 25 records none of which names the columns: the error is the first record's, given
        // when the 20th is pushed (the rest is not read).
        let rows: Vec<Vec<String>> = (0..25)
            .map(|i| record(&["authority", "visit", &format!("what {i}")]))
            .collect();
        let mut table = TableBuilder::new();
        let options = LoadOptions::default();
        let mut sink = RowSink::new(Path::new("x.csv"), 0, &options, &mut table);
        let mut failed_at = None;
        for (i, row) in rows.iter().enumerate() {
            if let Err(error) = sink.push(i as u64 + 1, row, ',') {
                failed_at = Some((i + 1, error.to_string()));
                break;
            }
        }
        let (at, message) = failed_at.expect("fails");
        assert_eq!(at, 20);
        assert!(message.starts_with("x.csv:1: no column for"), "{message}");
        assert!(message.contains("\"what 0\""), "{message}");

        // Fewer records: the same error when the input ends.
        let (read, _) = sink_read(
            &[&["authority", "visit", "what"], &["Nord", "v1", "4"]],
            &LoadOptions::default(),
            false,
        );
        let message = read.expect_err("no header").to_string();
        assert!(
            message.starts_with("export.csv:1: no column for"),
            "{message}"
        );
    }

    #[test]
    fn header_row_names_the_header() {
        let records: &[&[&str]] = &[
            HEADER,
            &["Samlede kvalitetsscore"],
            &[],
            HEADER,
            &["Nord", "v1", "1.a", "4"],
        ];
        let options = LoadOptions {
            header_row: Some(4),
            ..LoadOptions::default()
        };
        let (read, table) = sink_read(records, &options, false);
        let read = read.expect("reads");
        assert_eq!(read.header_line, 4);
        assert_eq!(read.counts.title_rows, 2, "lines 1 and 2 (3 is blank)");
        assert_eq!(table.height(), 1);

        // Line 3 is blank: no header there.
        let options = LoadOptions {
            header_row: Some(3),
            ..LoadOptions::default()
        };
        let message = sink_read(records, &options, false)
            .0
            .expect_err("blank")
            .to_string();
        assert!(
            message.starts_with("export.csv:3: --header-row 3: no record starts on it"),
            "{message}"
        );
        assert!(message.contains("line 4"), "{message}");
        // Line 2 is a title: its own error.
        let options = LoadOptions {
            header_row: Some(2),
            ..LoadOptions::default()
        };
        let message = sink_read(records, &options, false)
            .0
            .expect_err("title")
            .to_string();
        assert!(
            message.starts_with("export.csv:2: no column for"),
            "{message}"
        );
        // Past the end.
        let options = LoadOptions {
            header_row: Some(9),
            ..LoadOptions::default()
        };
        let message = sink_read(records, &options, false)
            .0
            .expect_err("end")
            .to_string();
        assert!(message.contains("ends before it"), "{message}");
        assert!(message.contains("line 5"), "{message}");
    }

    #[test]
    fn level_rows_are_set_aside_in_file_order() {
        let records: &[&[&str]] = &[
            HEADER,
            &["Nord", "v1", "1.a", "4"],
            &["Nord", "v1", "Kriterium 1", "4,5"],
            &["Nord", "v1", "Tema 1: Uddannelse og beskæftigelse", "4,25"],
            &["Nord", "v1", "Samlet vurdering", "4,33"],
            &["Nord", "v1", "Kriterium 2", ""],
            &["Nord", "v1", "1.b", "5"],
        ];
        let (read, table) = sink_read(records, &LoadOptions::default(), false);
        let read = read.expect("reads");
        assert_eq!(
            ratings(&table),
            vec![("1.a".into(), "4".into()), ("1.b".into(), "5".into())]
        );
        assert_eq!(read.counts.ratings_read, 2);
        assert_eq!(read.counts.records_read, 6);
        assert_eq!(
            read.counts.level_scores, 3,
            "the blank criterion 2 is skipped"
        );
        let levels: Vec<(u64, ExportLevel, &str, &str)> = read
            .levels
            .iter()
            .map(|l| (l.line, l.level, l.label, l.raw_score))
            .collect();
        assert_eq!(
            levels,
            vec![
                (3, ExportLevel::Criterion(1), "Kriterium 1", "4,5"),
                (
                    4,
                    ExportLevel::Theme(1),
                    "Tema 1: Uddannelse og beskæftigelse",
                    "4,25"
                ),
                (5, ExportLevel::Overall, "Samlet vurdering", "4,33"),
            ]
        );
        assert_eq!(read.levels.get(0).expect("a level score").authority, "Nord");
        assert_eq!(read.levels.get(0).expect("a level score").visit_id, "v1");
    }

    #[test]
    fn a_level_column_says_which_rows_are_levels() {
        let records: &[&[&str]] = &[
            &[
                "Socialtilsyn",
                "Tilsynsbesøg",
                "Niveau",
                "Indikator",
                "Score",
            ],
            &["Syd", "v2", "Indikator", "1.a", "3"],
            &["Syd", "v2", "Kriterium", "1", "3,5"],
            &["Syd", "v2", "kriterium", "Kriterium 2", "4"],
            &["Syd", "v2", "Tema", "1", "3,75"],
            &["Syd", "v2", "Samlet", "", "3,9"],
            &["Syd", "v2", "Kriterium", "x", "4"],
            &["Syd", "v2", "", "2.a", "4"],
        ];
        let (read, table) = sink_read(records, &LoadOptions::default(), false);
        let read = read.expect("reads");
        let levels: Vec<ExportLevel> = read.levels.iter().map(|l| l.level).collect();
        assert_eq!(
            levels,
            vec![
                ExportLevel::Criterion(1),
                ExportLevel::Criterion(2),
                ExportLevel::Theme(1),
                ExportLevel::Overall,
            ]
        );
        // An unreadable unit number stays a rating (the filter lists it as unknown).
        assert_eq!(
            ratings(&table),
            vec![
                ("1.a".into(), "3".into()),
                ("x".into(), "4".into()),
                ("2.a".into(), "4".into())
            ]
        );
    }

    #[test]
    fn wide_columns_with_long_headers_and_level_columns() {
        let records: &[&[&str]] = &[
            &[
                "Socialtilsyn",
                "Tilsynsbesøg",
                "Indikator 1.a: Tilbuddet understøtter borgernes uddannelse",
                "1.b Tilbuddet understøtter beskæftigelse",
                "11.a) Økonomi",
                "Kriterium 1",
                "Tema 1: Uddannelse og beskæftigelse",
                "Samlet score",
                "Bemærkning 1.a",
            ],
            &["Øst", "v3", "4", "5", "", "4,5", "4,5", "4,5", "ok"],
            &["Øst", "v4", "", "3", "2", "", "3", "3,1", ""],
        ];
        let (read, table) = sink_read(records, &LoadOptions::default(), false);
        let read = read.expect("reads");
        assert_eq!(read.layout, Layout::Wide);
        assert_eq!(
            ratings(&table),
            vec![
                ("1.a".into(), "4".into()),
                ("1.b".into(), "5".into()),
                ("1.b".into(), "3".into()),
                ("11.a".into(), "2".into()),
            ]
        );
        let levels: Vec<(u64, ExportLevel, &str)> = read
            .levels
            .iter()
            .map(|l| (l.line, l.level, l.raw_score))
            .collect();
        assert_eq!(
            levels,
            vec![
                (2, ExportLevel::Criterion(1), "4,5"),
                (2, ExportLevel::Theme(1), "4,5"),
                (2, ExportLevel::Overall, "4,5"),
                (3, ExportLevel::Theme(1), "3"),
                (3, ExportLevel::Overall, "3,1"),
            ]
        );
        assert_eq!(
            read.levels.get(0).expect("a level score").label,
            "Kriterium 1"
        );
        assert_eq!(read.counts.level_scores, 5);
    }

    #[test]
    fn mapped_columns_are_recorded_as_written() {
        let options = LoadOptions {
            columns: vec![ColumnMapping::parse("score=Vurdering").expect("parses")],
            ..LoadOptions::default()
        };
        let records: &[&[&str]] = &[
            &[" Myndighed ", "Besøg", "Indikator", "Vurdering"],
            &["Nord", "v1", "1.a", "4"],
        ];
        let read = sink_read(records, &options, false).0.expect("reads");
        assert_eq!(read.columns[0], (Field::Authority, "Myndighed".to_string()));
        assert_eq!(read.columns[3], (Field::Score, "Vurdering".to_string()));
    }

    #[test]
    fn in_a_grid_no_row_is_malformed_and_the_header_is_as_wide_as_the_widest_row() {
        let records: &[&[&str]] = &[
            HEADER,
            &["Nord", "v1", "1.a"],
            &["Nord", "v1", "1.b", "5", "", "note"],
        ];
        let (read, table) = sink_read(records, &LoadOptions::default(), true);
        let read = read.expect("reads");
        assert!(read.malformed.is_empty());
        assert_eq!(read.header.len(), 6);
        assert_eq!(read.header[5], "");
        assert_eq!(table.height(), 2);
        // As text, the same records are malformed.
        let read = sink_read(records, &LoadOptions::default(), false)
            .0
            .expect("reads");
        assert_eq!(read.malformed.len(), 2);
        assert_eq!(read.header.len(), 4);
    }
}
