//! The library's one error type.
//!
//! An [`Error`] means losstat could not do what was asked: a file could not be read or
//! decoded, a required column is missing, an output could not be written. Each variant says
//! what was attempted and where (file, line, column), in words an analyst can act on.
//!
//! A *bad row* is not an error: it is data. The filter stage excludes it, counts it and
//! lists it (see [`mod@crate::filter`]); the run goes on.

use std::path::PathBuf;

/// Everything that can stop a losstat run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The file has no bytes at all (or only a byte-order mark).
    #[error(
        "{}: the file is empty; expected a header row naming the columns \
         authority, visit_id, indicator, score (or their Danish names) and then one row per rating",
        path.display()
    )]
    EmptyInput {
        /// The file.
        path: PathBuf,
    },

    /// The header is there, but no data row follows it.
    #[error("{}: the file has a header row but no data rows; expected at least one rating below line {line}", path.display())]
    NoDataRows {
        /// The file.
        path: PathBuf,
        /// Line (or Excel row) of the header.
        line: u64,
    },

    /// Required columns are missing from the header.
    #[error(
        "{}:{line}: no column for {missing}; the columns found are [{found}]. Accepted names: {accepted}. \
         Map another column with --column FIELD=NAME",
        path.display()
    )]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// Line (or Excel row) of the header.
        line: u64,
        /// The fields that have no column, comma separated.
        missing: String,
        /// The header names found, quoted and comma separated.
        found: String,
        /// For each missing field, the names that would have been accepted.
        accepted: String,
    },

    /// Two columns of the header both match one field.
    #[error(
        "{}:{line}: columns {columns} all match the field `{field}`; rename one or choose with --column {field}=NAME",
        path.display()
    )]
    AmbiguousColumn {
        /// The file.
        path: PathBuf,
        /// Line (or Excel row) of the header.
        line: u64,
        /// The field (e.g. `score`).
        field: String,
        /// The matching header names with their column numbers.
        columns: String,
    },

    /// A `--column FIELD=NAME` mapping could not be used.
    #[error("column mapping `{spec}`: {reason}")]
    Mapping {
        /// The mapping as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Bytes that are neither UTF-8 nor the legacy encoding in use.
    #[error("{}:{line}:{column}: {detail}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending byte.
        line: u64,
        /// 1-based byte column within that line.
        column: u64,
        /// What was found and what was expected.
        detail: String,
    },

    /// The file is not in a format losstat reads.
    #[error("{}: {found}; expected {expected}", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What the file looks like.
        found: String,
        /// What losstat accepts.
        expected: String,
    },

    /// A delimited-text record could not be parsed.
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line where the record starts.
        line: u64,
        /// The parser's complaint.
        message: String,
    },

    /// A file has more lines than a rating's line number can hold.
    #[error(
        "{}:{line}: the file has more than {limit} lines, more than losstat numbers; split it into smaller files",
        path.display()
    )]
    TooManyLines {
        /// The file.
        path: PathBuf,
        /// The first line beyond the limit.
        line: u64,
        /// The last line number losstat stores.
        limit: u64,
    },

    /// The input holds more ratings than a run numbers (rows are numbered in 32 bits).
    #[error(
        "the input holds {count} ratings, more than the {limit} losstat compares in one run; compare fewer files at a time"
    )]
    TooManyRatings {
        /// Ratings read.
        count: u64,
        /// The most a run takes.
        limit: u64,
    },

    /// An Excel workbook could not be opened or read.
    #[error("{}: cannot read the workbook: {message}", path.display())]
    Workbook {
        /// The file.
        path: PathBuf,
        /// calamine's complaint.
        message: String,
    },

    /// The requested sheet does not exist in the workbook.
    #[error("{}: there is no sheet named `{sheet}`; the workbook has [{available}]", path.display())]
    UnknownSheet {
        /// The file.
        path: PathBuf,
        /// The sheet asked for.
        sheet: String,
        /// The sheets the workbook has, quoted and comma separated.
        available: String,
    },

    /// The line (or Excel row) given with `--header-row` holds no header.
    #[error("{}:{line}: --header-row {line}: {detail}", path.display())]
    HeaderRow {
        /// The file.
        path: PathBuf,
        /// The line (or Excel row) asked for.
        line: u64,
        /// Why there is no header there.
        detail: String,
    },

    /// No sheet of a workbook has a header naming the required columns.
    #[error(
        "{first}. No sheet of {} has such a header among its first rows: {tried}. \
         Choose the sheet with --sheet NAME (and its header row with --header-row N)",
        path.display()
    )]
    NoHeaderInWorkbook {
        /// The workbook.
        path: PathBuf,
        /// Why the first sheet has no header (the error a one-sheet workbook gives).
        first: Box<Error>,
        /// Each sheet tried and why it was passed over.
        tried: String,
    },

    /// A part of a workbook archive unpacks to more than losstat reads (a zip bomb, or a
    /// workbook far larger than any export).
    #[error(
        "{}: refused: the workbook's {entry} {found}, over the limit of {limit}, which \
         keeps a damaged or hostile workbook (a \"zip bomb\") from filling the memory. If the \
         workbook is genuine, save the sheet as CSV (Excel: File > Save As > CSV UTF-8) and run \
         losstat on the CSV",
        path.display()
    )]
    WorkbookTooLarge {
        /// The workbook.
        path: PathBuf,
        /// The archive entry, as `part \`xl/worksheets/sheet1.xml\``, or `parts together`.
        entry: String,
        /// What it declares, e.g. `unpacks to 1434 MiB (1503238553 bytes)`.
        found: String,
        /// The limit, e.g. `512 MiB per part`.
        limit: String,
    },

    /// A quality-model file is wrong.
    #[error("{origin}:{line}: {message}")]
    Model {
        /// Where the model came from (a path, or `embedded model`).
        origin: String,
        /// 1-based line in the model file (0 when the problem is the file as a whole).
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },

    /// A visit or offer asked for is not in the data.
    #[error("there is no {what}: {hint}")]
    NotFound {
        /// What was looked for.
        what: String,
        /// What to check.
        hint: String,
    },

    /// No visit survived the filters, so there is nothing to compare.
    #[error(
        "{files}: no visit is left after the filters ({summary}); run `losstat check` to see every exclusion"
    )]
    NothingLeft {
        /// The input files, comma separated.
        files: String,
        /// The rule counts, as one line.
        summary: String,
    },

    /// The authority column names far more authorities than there are: most likely another
    /// column was read as the authority.
    #[error(
        "{files}: the authority column \"{column}\" holds {count} different authorities, more than \
         the {limit} a real export can have (Denmark has five socialtilsyn); the most frequent are \
         {examples}. Is it the right column? Name the right one with --column authority=NAME, or \
         give --max-authorities {count} to go on with these"
    )]
    TooManyAuthorities {
        /// The input files, comma separated.
        files: String,
        /// The header the authority was read from.
        column: String,
        /// Distinct authorities found.
        count: usize,
        /// The limit.
        limit: usize,
        /// The most frequent values with their row counts.
        examples: String,
    },

    /// An output could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The output directory exists and losstat did not make it.
    #[error("{}: {reason}", path.display())]
    OutputRefused {
        /// The directory.
        path: PathBuf,
        /// Why losstat will not write there.
        reason: String,
    },

    /// A figure could not be drawn.
    #[error("cannot draw figure {figure}: {message}")]
    Plot {
        /// The figure.
        figure: String,
        /// What went wrong.
        message: String,
    },

    /// A sample handed to a statistic is empty.
    #[error("{what}: the sample is empty")]
    EmptySample {
        /// Which sample.
        what: String,
    },

    /// A sample handed to a statistic holds NaN or an infinity.
    #[error("{what}: value {value} is not a finite number")]
    NonFiniteValue {
        /// Which sample.
        what: String,
        /// The value.
        value: f64,
    },

    /// A sample on which the statistic is undefined (e.g. zero variance for a KDE).
    #[error("{what}: {reason}")]
    DegenerateSample {
        /// Which sample.
        what: String,
        /// Why the statistic is undefined.
        reason: String,
    },

    /// A method parameter is out of its domain.
    #[error("invalid parameter {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: String,
        /// The domain.
        expected: &'static str,
    },

    /// A table operation failed inside polars. Input should never reach this; if it does,
    /// it is a losstat bug.
    #[error("internal table operation failed (please report this): {0}")]
    Table(#[from] polars::error::PolarsError),

    /// Serialising results to JSON failed.
    #[error("cannot serialise results: {0}")]
    Json(#[from] serde_json::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
