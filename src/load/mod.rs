//! Stage 1: load exports into one long ratings table.
//!
//! Input: one or more files (or `-` for standard input), as analysts get them by access
//! request: CSV with `,` `;` or tab separators, decimal comma, UTF-8 with or without BOM or
//! Windows-1252 (`decode`); Excel workbooks through calamine (`workbook`); long (one
//! rating per row) or wide (one visit per row) layouts with English or Danish headers
//! (`columns`). The format is recognised from the bytes, not the file name.
//!
//! Output: [`Loaded`]: [`RawRatings`], one row per rating with its source `file` (index into
//! [`Loaded::sources`]), `line` (where the rating was read) and the fields `authority`,
//! `visit_id`, `indicator`, `score`, `offer_id`, `offer_type`, `visit_date` (dictionary-encoded
//! strings exactly as read, `table`; validation is the filter stage's job), the malformed
//! records, and what was detected per file. Several files are concatenated.
//!
//! The header need not be the first record: title rows above it are skipped (`sink`), and a
//! workbook's first sheet with a header is read (`workbook`). The export's own criterion, theme
//! and overall scores are set aside, not read as ratings ([`LevelScore`], `levels`;
//! [`Loaded::levels`]).
//!
//! A delimited file is read as a stream of blocks that are parsed in parallel while the next
//! ones are read (`stream`), so its bytes are never all in memory; standard input, FIFOs,
//! workbooks and whatever the stream gives up on are read whole, with the SHA-256 computed on
//! a second thread while the bytes are parsed, and released before the next file is read.
//!
//! Parquet is recognised but not read: the polars Parquet reader would double the build
//! time, and exports obtained by access request arrive as Excel or CSV.

mod archive;
mod columns;
mod decode;
mod delimited;
mod levels;
mod sink;
mod stream;
mod table;
mod workbook;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::progress::{Progress, Silent, Step};

pub use columns::{ColumnMapping, Field, Layout, fold, indicator_prefix};
pub use decode::EncodingChoice;
pub use levels::{ExportLevel, LevelScore, LevelScoreRef, LevelScores};
pub use sink::{Counts, MalformedRow};
#[cfg(test)]
pub(crate) use table::TableBuilder;
pub use table::{DictColumn, MISSING, RawRatings};

/// How to read the inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Text encoding (delimited files only).
    pub encoding: EncodingChoice,
    /// Field separator; sniffed when `None` (delimited files only).
    pub separator: Option<u8>,
    /// Sheet name (workbooks only); when `None`, the first sheet with a header naming the
    /// required columns among its first rows.
    pub sheet: Option<String>,
    /// Explicit `FIELD=NAME` column mappings.
    pub columns: Vec<ColumnMapping>,
    /// The header's line (or Excel row), 1-based; everything above it is skipped. When
    /// `None`, the header is the first of the first 20 non-blank records that names the
    /// required columns.
    pub header_row: Option<u64>,
}

/// The kind of file that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Delimited text.
    Csv,
    /// An Excel or OpenDocument workbook.
    Workbook,
}

/// One input file and what was detected in it.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The path as given (`-` for standard input).
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Text or workbook.
    pub format: Format,
    /// Long or wide.
    pub layout: Layout,
    /// Text encoding (delimited files).
    pub encoding: Option<String>,
    /// Separator (delimited files), e.g. `;` or `\t`.
    pub separator: Option<String>,
    /// Sheet (workbooks).
    pub sheet: Option<String>,
    /// Line (or Excel row) of the header.
    pub header_line: u64,
    /// Header names as written.
    pub header: Vec<String>,
    /// Each field found, with the header name it is read from (as written). Not written into
    /// `results.json`, whose `input` block stays as it was.
    #[serde(skip)]
    pub columns: Vec<(Field, String)>,
    /// What the file held.
    pub counts: Counts,
    /// The file's criterion, theme and overall scores, in file order (see [`Loaded::levels`]).
    #[serde(skip)]
    pub levels: LevelScores,
}

/// Everything the load stage read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// One row per rating; see the module docs for the columns.
    pub ratings: RawRatings,
    /// Records whose field count did not match their header.
    pub malformed: Vec<MalformedRow>,
    /// The input files, in the order given.
    pub sources: Vec<Source>,
}

impl Loaded {
    /// The export's own criterion, theme and overall scores ([`LevelScore`]), file after file,
    /// each file's in file order. They are not among the ratings, so no filter rule sees them.
    /// (They are kept with their file, [`Source::levels`].)
    pub fn levels(&self) -> impl Iterator<Item = LevelScoreRef<'_>> {
        self.sources.iter().flat_map(|s| s.levels.iter())
    }
}

/// Loads every file in `paths` (see the module docs).
///
/// ```
/// # fn main() -> losstat::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("export.csv");
/// std::fs::write(&path, "Socialtilsyn;Tilsynsbesøg;Indikator;Score\nNord;v1;1.a;4,0\n").unwrap();
/// let loaded = losstat::load::load(&[path], &Default::default())?;
/// assert_eq!(loaded.ratings.height(), 1);
/// assert_eq!(loaded.sources[0].separator.as_deref(), Some(";"));
/// # Ok(()) }
/// ```
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Loaded> {
    load_with_progress(paths, options, &Silent)
}

/// [`load`], reporting the bytes parsed to `progress` ([`Step::Load`]).
pub fn load_with_progress(
    paths: &[PathBuf],
    options: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Loaded> {
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok().filter(std::fs::Metadata::is_file))
        .map(|m| m.len())
        .sum();
    progress.start(Step::Load, total);
    let loaded = load_files(paths, options, progress);
    progress.finish();
    loaded
}

fn load_files(paths: &[PathBuf], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
    let mut table = table::TableBuilder::new();
    let mut malformed = Vec::new();
    let mut sources = Vec::with_capacity(paths.len());
    for (file, path) in paths.iter().enumerate() {
        let file_index = u32::try_from(file).unwrap_or(u32::MAX);
        if streamable(path, options)
            && let Some(streamed) = stream::read(path, file_index, options, progress)?
        {
            table.append(streamed.table);
            malformed.extend(streamed.read.malformed);
            sources.push(Source {
                path: path.clone(),
                sha256: streamed.sha256,
                bytes: streamed.bytes,
                format: Format::Csv,
                layout: streamed.read.layout,
                encoding: Some(streamed.encoding),
                separator: Some(shown_separator(streamed.separator)),
                sheet: None,
                header_line: streamed.read.header_line,
                header: streamed.read.header,
                columns: streamed.read.columns,
                counts: streamed.read.counts,
                levels: streamed.read.levels,
            });
            continue;
        }
        let bytes = read_bytes(path)?;
        let mut sink = sink::RowSink::new(path, file_index, options, &mut table);
        let (parsed, sha256) = std::thread::scope(|scope| {
            let digest = scope.spawn(|| hex(&Sha256::digest(&bytes)));
            let parsed = parse(&bytes, path, options, &mut sink, progress);
            // The hashing thread cannot panic (it only reads a slice).
            (parsed, digest.join().unwrap_or_default())
        });
        let (format, encoding, separator, sheet) = parsed?;
        let read = sink.finish()?;
        malformed.extend(read.malformed);
        sources.push(Source {
            path: path.clone(),
            sha256,
            bytes: bytes.len() as u64,
            format,
            layout: read.layout,
            encoding,
            separator,
            sheet,
            header_line: read.header_line,
            header: read.header,
            columns: read.columns,
            counts: read.counts,
            levels: read.levels,
        });
    }
    Ok(Loaded {
        ratings: table.finish(),
        malformed,
        sources,
    })
}

/// What [`parse`] detected: format, encoding, separator (as shown) and sheet.
type Detected = (Format, Option<String>, Option<String>, Option<String>);

/// Parses one file's bytes into `sink`.
fn parse(
    bytes: &[u8],
    path: &Path,
    options: &LoadOptions,
    sink: &mut sink::RowSink,
    progress: &dyn Progress,
) -> Result<Detected> {
    Ok(match detect(bytes, path)? {
        Format::Workbook => {
            sink.set_grid();
            let sheet = workbook::read(bytes, options.sheet.as_deref(), path, sink)?;
            (Format::Workbook, None, None, Some(sheet))
        }
        Format::Csv => {
            let decoded = decode::decode(bytes, options.encoding, path)?;
            if decoded.text.trim().is_empty() {
                return Err(Error::EmptyInput {
                    path: path.to_path_buf(),
                });
            }
            let separator = delimited::read(&decoded.text, options, sink, progress)?;
            (
                Format::Csv,
                Some(decoded.encoding),
                Some(shown_separator(separator)),
                None,
            )
        }
    })
}

/// The separator as `results.json` shows it (`\t` for tab).
fn shown_separator(separator: u8) -> String {
    match separator {
        b'\t' => "\\t".to_string(),
        other => (other as char).to_string(),
    }
}

/// Whether `path` is read as a stream (`stream`): a regular file (not standard input or a
/// FIFO, whose bytes could not be read again if the stream gives up) in an encoding the
/// stream decodes.
fn streamable(path: &Path, options: &LoadOptions) -> bool {
    path.as_os_str() != "-"
        && !matches!(
            options.encoding,
            EncodingChoice::Utf16Le | EncodingChoice::Utf16Be
        )
        && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Reads a file, a FIFO, or standard input (`-`).
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        return Ok(bytes);
    }
    if path.is_dir() {
        return Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            found: "this is a directory".to_string(),
            expected: "a CSV or Excel file".to_string(),
        });
    }
    std::fs::read(path).map_err(read_error)
}

/// Recognises the format from the first bytes.
fn detect(bytes: &[u8], path: &Path) -> Result<Format> {
    let unsupported = |found: &str| Error::UnsupportedFormat {
        path: path.to_path_buf(),
        found: found.to_string(),
        expected: "a CSV/TSV text export or an Excel workbook (.xlsx, .xls, .ods)".to_string(),
    };
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if bytes.is_empty() {
        return Err(Error::EmptyInput {
            path: path.to_path_buf(),
        });
    }
    if starts(b"PK\x03\x04") || starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        Ok(Format::Workbook)
    } else if starts(b"%PDF") {
        Err(unsupported("this is a PDF document"))
    } else if starts(b"PAR1") {
        Err(unsupported(
            "this is a Parquet file, which this build does not read (convert it to CSV)",
        ))
    } else if starts(b"\x1F\x8B") {
        Err(unsupported("this is a gzip archive (unpack it first)"))
    } else {
        Ok(Format::Csv)
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(2 * digest.len());
    for b in digest {
        // Writing into a String cannot fail.
        let _ = write!(text, "{b:02x}");
    }
    text
}
