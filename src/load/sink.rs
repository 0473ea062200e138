//! The row sink: records from any reader → the long ratings table.
//!
//! The first non-blank record is the header ([`super::columns::resolve`]); every later
//! record becomes one rating (long layout) or one rating per non-empty indicator cell (wide
//! layout; an empty cell means "not scored", not an invalid score). A record with a different
//! number of fields than the header is *malformed*: it is kept aside as data for the filter
//! stage (rule `malformed_row`), never an error. Blank records are counted and skipped.

use std::path::Path;

use crate::error::{Error, Result};

use super::columns::{self, ColumnMapping, Field, Layout, ResolvedColumns};
use super::table::TableBuilder;

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
fn is_blank(cell: &str) -> bool {
    match cell.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii_graphic() => false,
        Some(_) => cell.trim().is_empty(),
    }
}

/// Receives one file's records.
pub struct RowSink<'a> {
    path: &'a Path,
    file: u32,
    mappings: &'a [ColumnMapping],
    table: &'a mut TableBuilder,
    header: Option<Header>,
    /// Malformed records seen so far.
    pub malformed: Vec<MalformedRow>,
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

impl<'a> RowSink<'a> {
    /// A sink for file number `file` at `path`.
    pub fn new(
        path: &'a Path,
        file: u32,
        mappings: &'a [ColumnMapping],
        table: &'a mut TableBuilder,
    ) -> Self {
        Self {
            path,
            file,
            mappings,
            table,
            header: None,
            malformed: Vec::new(),
            ratings_read: 0,
            records_read: 0,
            blank_records: 0,
        }
    }

    /// Whether the header has been read.
    pub fn has_header(&self) -> bool {
        self.header.is_some()
    }

    /// What a sink for a later part of the same file needs (see [`SinkTemplate`]).
    pub fn template(&self) -> SinkTemplate<'a> {
        SinkTemplate {
            path: self.path,
            file: self.file,
            mappings: self.mappings,
            header: self.header.clone(),
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

    /// The counts and malformed records, without the table.
    pub fn into_counts(self) -> SinkCounts {
        SinkCounts {
            malformed: self.malformed,
            ratings_read: self.ratings_read,
            records_read: self.records_read,
            blank_records: self.blank_records,
        }
    }

    /// Adds the counts and malformed records of a sink that read the part of the file after
    /// everything this sink has read (its table is appended separately).
    pub fn absorb(&mut self, part: SinkCounts) {
        self.malformed.extend(part.malformed);
        self.ratings_read += part.ratings_read;
        self.records_read += part.records_read;
        self.blank_records += part.blank_records;
    }

    /// The table this sink writes into.
    pub fn table(&mut self) -> &mut TableBuilder {
        self.table
    }

    /// Takes one record starting at `line`; `separator` is used to show malformed rows.
    pub fn push<C: Cells + ?Sized>(
        &mut self,
        line: u64,
        record: &C,
        separator: char,
    ) -> Result<()> {
        let blank = (0..record.len()).all(|i| record.cell(i).is_none_or(is_blank));
        if blank {
            if self.header.is_some() {
                self.blank_records += 1;
            }
            return Ok(());
        }
        let Some(header) = &self.header else {
            let names: Vec<String> = (0..record.len())
                .map(|i| record.cell(i).unwrap_or("").trim().to_string())
                .collect();
            let resolved = columns::resolve(&names, self.mappings, self.path, line)?;
            self.header = Some(Header {
                line,
                names,
                resolved,
            });
            return Ok(());
        };
        self.records_read += 1;
        let resolved = &header.resolved;
        let get = |field: Field| {
            resolved
                .of(field)
                .and_then(|i| record.cell(i))
                .filter(|v| !is_blank(v))
        };
        let width = header.names.len();
        let extra_is_blank = (width..record.len()).all(|i| record.cell(i).is_none_or(is_blank));
        if record.len() < width || !extra_is_blank {
            let ratings = match resolved.layout {
                Layout::Long => 1,
                Layout::Wide => resolved
                    .indicator_columns
                    .iter()
                    .filter(|(i, _)| record.cell(*i).is_some_and(|c| !is_blank(c)))
                    .count()
                    .max(1) as u64,
            };
            self.ratings_read += ratings;
            let raw: String = (0..record.len())
                .map(|i| record.cell(i).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(&separator.to_string());
            self.malformed.push(MalformedRow {
                file: self.file,
                line,
                authority: get(Field::Authority).map(str::to_string),
                visit_id: get(Field::VisitId).map(str::to_string),
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
            });
            return Ok(());
        }
        let raw = |field: Field| resolved.of(field).and_then(|i| record.cell(i));
        match resolved.layout {
            Layout::Long => {
                self.ratings_read += 1;
                let values = Field::ALL.map(|f| match f {
                    Field::Authority | Field::VisitId | Field::Indicator | Field::Score => raw(f),
                    _ => get(f),
                });
                self.table.push(self.file, line, values);
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
                    self.table.push(self.file, line, values);
                }
            }
        }
        Ok(())
    }

    /// Ends the file: what it held, or an error if it held no header or no data.
    pub fn finish(self) -> Result<FileRead> {
        let Some(header) = self.header else {
            return Err(Error::EmptyInput {
                path: self.path.to_path_buf(),
            });
        };
        if self.records_read == 0 {
            return Err(Error::NoDataRows {
                path: self.path.to_path_buf(),
                line: header.line,
            });
        }
        Ok(FileRead {
            header_line: header.line,
            header: header.names,
            layout: header.resolved.layout,
            malformed: self.malformed,
            counts: Counts {
                ratings_read: self.ratings_read,
                records_read: self.records_read,
                blank_records: self.blank_records,
            },
        })
    }
}

/// A sink's header and origin without its table, from which sinks for later parts of the
/// same file are made (on other threads).
#[derive(Debug, Clone)]
pub struct SinkTemplate<'a> {
    path: &'a Path,
    file: u32,
    mappings: &'a [ColumnMapping],
    header: Option<Header>,
}

impl<'a> SinkTemplate<'a> {
    /// A sink with this header and zero counts, writing into `table`.
    pub fn sink<'b>(&self, table: &'b mut TableBuilder) -> RowSink<'b>
    where
        'a: 'b,
    {
        RowSink {
            path: self.path,
            file: self.file,
            mappings: self.mappings,
            table,
            header: self.header.clone(),
            malformed: Vec::new(),
            ratings_read: 0,
            records_read: 0,
            blank_records: 0,
        }
    }
}

/// What a [`RowSink`] counted, without its table ([`RowSink::into_counts`]).
#[derive(Debug, Clone, Default)]
pub struct SinkCounts {
    /// Malformed records seen.
    pub malformed: Vec<MalformedRow>,
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
    /// The detected layout.
    pub layout: Layout,
    /// Records whose field count did not match the header.
    pub malformed: Vec<MalformedRow>,
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
}
