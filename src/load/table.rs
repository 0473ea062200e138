//! The raw ratings table: one row per rating, each text field dictionary-encoded.
//!
//! An export repeats the same few strings millions of times: five authority names, about
//! thirty indicator ids, five scores, a few dozen offer types, and one visit id, offer id and
//! date per visit (about 27 rows). Each field is stored as a code per row into a table of its
//! distinct values, so the filter stage parses each distinct value once instead of once per
//! row. A code takes as few bytes as the dictionary allows: one byte while a field has at most
//! 255 distinct values (score, authority, indicator, offer type), two up to 65,535 (dates),
//! four beyond (visit and offer ids of a large export); a column is widened in place when its
//! dictionary outgrows its width. The source file of each row is stored as runs (rows arrive
//! file by file), and so is its line where lines run on (one rating a line, or a wide row's
//! ratings on one line), else four bytes a row: 10 million ratings of a long export take
//! 14 bytes each. Values are stored exactly as read; [`MISSING`] marks an absent or blank
//! field.
//!
//! A line number must fit in 32 bits: the row sink refuses a line beyond `u32::MAX` with an
//! error naming the file ([`crate::Error::TooManyLines`]), which no real export (or Excel
//! sheet, of at most 1,048,576 rows) comes near.
//!
//! Encoding is a hash lookup, skipped when a value equals the previous row's (visit-level
//! fields arrive in runs).

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use polars::prelude::*;

use crate::error::Result;

use super::columns::Field;

/// The code of an absent (or blank) value.
pub const MISSING: u32 = u32::MAX;

/// The codes of a column at the narrowest width that holds them; the largest value of a
/// width stands for [`MISSING`], so a width of `n` bits holds `2^n - 1` distinct values.
#[derive(Debug, Clone)]
enum CodeVec {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for CodeVec {
    fn default() -> Self {
        CodeVec::U8(Vec::new())
    }
}

/// Distinct values a one-byte column holds (its 256th code is [`MISSING`]).
const U8_VALUES: usize = u8::MAX as usize;
/// Distinct values a two-byte column holds.
const U16_VALUES: usize = u16::MAX as usize;

impl CodeVec {
    fn len(&self) -> usize {
        match self {
            CodeVec::U8(v) => v.len(),
            CodeVec::U16(v) => v.len(),
            CodeVec::U32(v) => v.len(),
        }
    }

    /// Bytes a code takes.
    fn width(&self) -> usize {
        match self {
            CodeVec::U8(_) => 1,
            CodeVec::U16(_) => 2,
            CodeVec::U32(_) => 4,
        }
    }

    /// The code of `row` ([`MISSING`] for no value), `None` past the end.
    fn get(&self, row: usize) -> Option<u32> {
        match self {
            CodeVec::U8(v) => v
                .get(row)
                .map(|&c| if c == u8::MAX { MISSING } else { c.into() }),
            CodeVec::U16(v) => v
                .get(row)
                .map(|&c| if c == u16::MAX { MISSING } else { c.into() }),
            CodeVec::U32(v) => v.get(row).copied(),
        }
    }

    /// Appends `code`, which the width holds ([`CodeVec::fit`]) or is [`MISSING`]: cutting
    /// to the width keeps a code that fits and turns [`MISSING`] into the width's own.
    fn push(&mut self, code: u32) {
        match self {
            CodeVec::U8(v) => v.push(code as u8),
            CodeVec::U16(v) => v.push(code as u16),
            CodeVec::U32(v) => v.push(code),
        }
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            CodeVec::U8(v) => v.reserve(rows),
            CodeVec::U16(v) => v.reserve(rows),
            CodeVec::U32(v) => v.reserve(rows),
        }
    }

    /// Widens the column, if needed, to hold `distinct` values (with the same room ahead).
    fn fit(&mut self, distinct: usize) {
        match self {
            CodeVec::U8(v) if distinct > U8_VALUES => {
                let mut wide = Vec::with_capacity(v.capacity());
                wide.extend(
                    v.iter()
                        .map(|&c| if c == u8::MAX { u16::MAX } else { u16::from(c) }),
                );
                *self = CodeVec::U16(wide);
                self.fit(distinct);
            }
            CodeVec::U16(v) if distinct > U16_VALUES => {
                let mut wide = Vec::with_capacity(v.capacity());
                wide.extend(
                    v.iter()
                        .map(|&c| if c == u16::MAX { MISSING } else { u32::from(c) }),
                );
                *self = CodeVec::U32(wide);
            }
            _ => {}
        }
    }

    /// Every code in row order ([`MISSING`] for no value).
    fn iter(&self) -> CodeIter<'_> {
        match self {
            CodeVec::U8(v) => CodeIter::U8(v.iter()),
            CodeVec::U16(v) => CodeIter::U16(v.iter()),
            CodeVec::U32(v) => CodeIter::U32(v.iter()),
        }
    }

    /// The codes of `rows`, in that order, at the same width.
    fn take(&self, rows: &[usize]) -> CodeVec {
        match self {
            CodeVec::U8(v) => CodeVec::U8(rows.iter().map(|&r| v[r]).collect()),
            CodeVec::U16(v) => CodeVec::U16(rows.iter().map(|&r| v[r]).collect()),
            CodeVec::U32(v) => CodeVec::U32(rows.iter().map(|&r| v[r]).collect()),
        }
    }
}

/// The codes of a [`CodeVec`] in row order, as `u32` ([`MISSING`] for no value).
#[derive(Debug, Clone)]
enum CodeIter<'a> {
    U8(std::slice::Iter<'a, u8>),
    U16(std::slice::Iter<'a, u16>),
    U32(std::slice::Iter<'a, u32>),
}

impl Iterator for CodeIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match self {
            CodeIter::U8(it) => it
                .next()
                .map(|&c| if c == u8::MAX { MISSING } else { c.into() }),
            CodeIter::U16(it) => it
                .next()
                .map(|&c| if c == u16::MAX { MISSING } else { c.into() }),
            CodeIter::U32(it) => it.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            CodeIter::U8(it) => it.size_hint(),
            CodeIter::U16(it) => it.size_hint(),
            CodeIter::U32(it) => it.size_hint(),
        }
    }
}

/// One text field: a code per row into the distinct values, in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct DictColumn {
    codes: CodeVec,
    values: Vec<Box<str>>,
}

impl DictColumn {
    /// The code of row `row` (an index into [`DictColumn::values`]); `None` if the field is
    /// missing there (or the table has no such row).
    pub fn code(&self, row: usize) -> Option<u32> {
        self.codes.get(row).filter(|&c| c != MISSING)
    }

    /// The code of every row, in row order ([`MISSING`] for no value).
    pub fn codes(&self) -> impl Iterator<Item = u32> + '_ {
        self.codes.iter()
    }

    /// Bytes a row's code takes: 1, 2 or 4, the fewest that number the distinct values.
    pub fn code_width(&self) -> usize {
        self.codes.width()
    }

    /// The distinct values, indexed by code.
    pub fn values(&self) -> &[Box<str>] {
        &self.values
    }

    /// The value of row `row`, if present.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = self.code(row)?;
        self.values.get(code as usize).map(|v| &**v)
    }
}

/// Builds a [`DictColumn`] one value at a time.
#[derive(Debug, Default, Clone)]
pub(super) struct DictBuilder {
    column: DictColumn,
    /// The code of each distinct value, found by the value's hash (the texts are kept once,
    /// in the column's values).
    index: HashTable<u32>,
    hasher: RandomState,
    last: Option<u32>,
    /// Codes of values of at most 8 bytes (scores, indicator ids), by [`short_key`], in a
    /// small direct-mapped table: a hit needs no hashing of the text and no comparison of
    /// bytes.
    short: Vec<(u64, u32)>,
}

/// Slots of [`DictBuilder::short`] (a power of two).
const SHORT_SLOTS: usize = 64;

/// A value of at most 8 bytes as one number that tells it from every other such value (its
/// bytes and its length); `None` for longer values. Never 0, which marks an empty slot.
fn short_key(value: &[u8]) -> Option<u64> {
    if value.len() > 7 {
        return None;
    }
    // Built in a register: a copy into a buffer read back as a word stalls the load.
    let mut key = (value.len() as u64 + 1) << 56;
    for (i, &b) in value.iter().enumerate() {
        key |= u64::from(b) << (8 * i);
    }
    Some(key)
}

/// Whether two texts are equal; short ones are compared as numbers, without a call.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |x: &[u8], at: usize| u64::from_le_bytes(x[at..at + 8].try_into().unwrap_or([0; 8]));
    match a.len() {
        0 => true,
        1..8 => short_key(a) == short_key(b),
        // Two overlapping words cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, a.len() - 8) == word(b, b.len() - 8),
        _ => a == b,
    }
}

impl DictBuilder {
    /// The code of `value`, added to the values if new.
    fn code_of(&mut self, value: &str) -> u32 {
        let key = short_key(value.as_bytes());
        let slot = key.map(|k| (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize);
        if let (Some(k), Some(slot)) = (key, slot)
            && let Some(&(stored, code)) = self.short.get(slot)
            && stored == k
        {
            return code;
        }
        let hash = self.hasher.hash_one(value);
        let values = &self.column.values;
        let found = self.index.find(hash, |&c| *values[c as usize] == *value);
        let code = match found {
            Some(&code) => code,
            None => {
                let code = values.len() as u32;
                self.column.values.push(value.into());
                self.column.codes.fit(self.column.values.len());
                let (values, hasher) = (&self.column.values, &self.hasher);
                self.index
                    .insert_unique(hash, code, |&c| hasher.hash_one(&*values[c as usize]));
                code
            }
        };
        if let (Some(k), Some(slot)) = (key, slot) {
            if self.short.is_empty() {
                self.short = vec![(0, 0); SHORT_SLOTS];
            }
            self.short[slot] = (k, code);
        }
        code
    }

    /// Appends a row with `value` (`None`: missing).
    pub(super) fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING,
            Some(v) => match self.last {
                Some(last) if same(self.column.values[last as usize].as_bytes(), v.as_bytes()) => {
                    last
                }
                _ => {
                    let code = self.code_of(v);
                    self.last = Some(code);
                    code
                }
            },
        };
        self.column.codes.push(code);
    }

    /// The value of row `row`, if present.
    pub(super) fn get(&self, row: usize) -> Option<&str> {
        self.column.get(row)
    }

    /// Appends the rows of `part`, re-coding its values into this column's.
    pub(super) fn append(&mut self, part: &DictBuilder) {
        let recode: Vec<u32> = part
            .column
            .values
            .iter()
            .map(|value| self.code_of(value))
            .collect();
        let codes = &mut self.column.codes;
        codes.reserve(part.column.codes.len());
        for code in part.column.codes.iter() {
            codes.push(recode.get(code as usize).copied().unwrap_or(MISSING));
        }
    }
}

/// The source file of each row, as runs: rows `starts[i]..starts[i + 1]` (the last run up
/// to the table's end) come from file `files[i]`.
#[derive(Debug, Clone, Default)]
struct FileRuns {
    starts: Vec<usize>,
    files: Vec<u32>,
}

impl FileRuns {
    /// Notes that row `row` (the next one) comes from `file`.
    fn push(&mut self, row: usize, file: u32) {
        if self.files.last() != Some(&file) {
            self.starts.push(row);
            self.files.push(file);
        }
    }

    /// Appends the runs of `other`, whose rows follow this table's `rows` rows.
    fn append(&mut self, rows: usize, other: &FileRuns) {
        for (&start, &file) in other.starts.iter().zip(&other.files) {
            self.push(rows + start, file);
        }
    }

    /// The file of `row`, which is in the table.
    fn get(&self, row: usize) -> Option<u32> {
        let run = self.starts.partition_point(|&start| start <= row);
        self.files.get(run.checked_sub(1)?).copied()
    }

    /// The file of every row of a table of `rows` rows, in row order.
    fn iter(&self, rows: usize) -> impl Iterator<Item = u32> + '_ {
        let ends = self.starts.iter().skip(1).copied().chain([rows]);
        self.starts
            .iter()
            .zip(ends)
            .zip(&self.files)
            .flat_map(|((&start, end), &file)| std::iter::repeat_n(file, end - start))
    }
}

/// The line of each row. Lines mostly run on: the rows of the long layout (a rating a line)
/// have consecutive lines, a wide row's ratings share its line. So lines are kept as runs of
/// rows whose line goes up by one, or stays, from row to row; once runs would take more room
/// than four bytes a row (rows set aside between ratings, such as the export's own criterion
/// scores, break them up), as a line per row.
#[derive(Debug, Clone)]
struct Lines {
    rows: usize,
    store: LineStore,
}

#[derive(Debug, Clone)]
enum LineStore {
    Runs(Vec<LineRun>),
    Each(Vec<u32>),
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            rows: 0,
            store: LineStore::Runs(Vec::new()),
        }
    }
}

/// Rows from `start` on, until the next run: row `start + i` is on line `first + i * step`.
#[derive(Debug, Clone, Copy)]
struct LineRun {
    start: usize,
    first: u32,
    /// 0 or 1; [`ONE_ROW`] while the run has one row.
    step: u8,
}

/// The step of a run of one row (the next row decides it).
const ONE_ROW: u8 = u8::MAX;

/// Runs are given up for a line per row once there are at least this many, and more than one
/// per four rows (a run takes 16 bytes, a line 4).
const MIN_RUNS: usize = 64;

impl LineRun {
    /// Whether row `row`, on `line`, continues the run (which then takes it).
    fn extend(&mut self, row: usize, line: u32) -> bool {
        let next = u64::from(self.first) + (row - self.start) as u64;
        match self.step {
            ONE_ROW if line == self.first => self.step = 0,
            ONE_ROW if u64::from(line) == next => self.step = 1,
            0 => return line == self.first,
            1 => return u64::from(line) == next,
            _ => return false,
        }
        true
    }

    /// The line of `row`, which is in the run.
    fn line(&self, row: usize) -> u64 {
        let step = u64::from(self.step == 1);
        u64::from(self.first) + (row - self.start) as u64 * step
    }
}

impl Lines {
    /// Appends the next row's line.
    fn push(&mut self, line: u32) {
        let row = self.rows;
        self.rows += 1;
        let runs = match &mut self.store {
            LineStore::Each(lines) => return lines.push(line),
            LineStore::Runs(runs) => runs,
        };
        if let Some(run) = runs.last_mut()
            && run.extend(row, line)
        {
            return;
        }
        runs.push(LineRun {
            start: row,
            first: line,
            step: ONE_ROW,
        });
        if runs.len() >= MIN_RUNS && runs.len() * 4 > self.rows {
            let each: Vec<u32> = self.iter().map(|l| l as u32).collect();
            self.store = LineStore::Each(each);
        }
    }

    /// Room for `rows` more rows (once lines are kept per row).
    fn reserve(&mut self, rows: usize) {
        if let LineStore::Each(lines) = &mut self.store {
            lines.reserve(rows);
        }
    }

    /// The line of `row`, `None` past the end.
    fn get(&self, row: usize) -> Option<u64> {
        match &self.store {
            LineStore::Each(lines) => lines.get(row).map(|&l| l.into()),
            LineStore::Runs(_) if row >= self.rows => None,
            LineStore::Runs(runs) => {
                let run = runs.partition_point(|r| r.start <= row).checked_sub(1)?;
                runs.get(run).map(|r| r.line(row))
            }
        }
    }

    /// The line of every row, in row order.
    fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match &self.store {
            LineStore::Each(lines) => Box::new(lines.iter().map(|&l| u64::from(l))),
            LineStore::Runs(runs) => {
                let ends = runs.iter().skip(1).map(|r| r.start).chain([self.rows]);
                Box::new(
                    runs.iter()
                        .zip(ends)
                        .flat_map(|(run, end)| (run.start..end).map(|row| run.line(row))),
                )
            }
        }
    }

    /// Appends the lines of `other`. A run of `other` is pushed row by row until this table's
    /// last run has taken two of its rows at its step: the rest of it then follows that run.
    fn append(&mut self, other: &Lines) {
        let runs = match &other.store {
            LineStore::Each(lines) => return lines.iter().for_each(|&l| self.push(l)),
            LineStore::Runs(runs) => runs,
        };
        let ends = runs.iter().skip(1).map(|r| r.start).chain([other.rows]);
        for (run, end) in runs.iter().zip(ends) {
            for row in run.start..end {
                // Every line was pushed as a `u32`.
                self.push(run.line(row) as u32);
                if row > run.start && self.last_run_follows(run.step) {
                    self.rows += end - row - 1;
                    break;
                }
            }
        }
    }

    /// Whether the last run holds the last two rows at step `step`.
    fn last_run_follows(&self, step: u8) -> bool {
        match &self.store {
            LineStore::Runs(runs) => runs
                .last()
                .is_some_and(|r| r.step == step && r.start + 2 <= self.rows),
            LineStore::Each(_) => false,
        }
    }
}

/// The raw ratings of every input file (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct RawRatings {
    /// The source file of each rating.
    files: FileRuns,
    /// The line (or Excel row) where each rating was read.
    lines: Lines,
    fields: [DictColumn; 7],
}

impl RawRatings {
    /// Number of ratings.
    pub fn height(&self) -> usize {
        self.lines.rows
    }

    /// The index of the source file of row `row` (`None` past the end).
    pub fn file(&self, row: usize) -> Option<u32> {
        if row < self.height() {
            self.files.get(row)
        } else {
            None
        }
    }

    /// The source file of every row, in row order.
    pub fn files(&self) -> impl Iterator<Item = u32> + '_ {
        self.files.iter(self.height())
    }

    /// The line (or Excel row) where row `row` was read (`None` past the end).
    pub fn line(&self, row: usize) -> Option<u64> {
        self.lines.get(row)
    }

    /// The column of `field`.
    pub fn column(&self, field: Field) -> &DictColumn {
        &self.fields[field as usize]
    }

    /// The value of `field` in row `row`, if present.
    pub fn get(&self, field: Field, row: usize) -> Option<&str> {
        self.column(field).get(row)
    }

    /// The rows `rows`, in that order (the dictionaries are shared, not pruned, and the codes
    /// keep their width).
    pub fn take(&self, rows: &[usize]) -> RawRatings {
        let mut files = FileRuns::default();
        let mut lines = Lines::default();
        for (at, &row) in rows.iter().enumerate() {
            files.push(at, self.files.get(row).unwrap_or(0));
            lines.push(self.lines.get(row).unwrap_or(0) as u32);
        }
        RawRatings {
            files,
            lines,
            fields: self.fields.clone().map(|column| DictColumn {
                codes: column.codes.take(rows),
                values: column.values,
            }),
        }
    }

    /// The table as a polars frame: `file` (u32), `line` (u64), then one string column per
    /// [`Field`], named by [`Field::name`].
    pub fn to_frame(&self) -> Result<DataFrame> {
        let files: Vec<u32> = self.files().collect();
        let lines: Vec<u64> = self.lines.iter().collect();
        let mut columns = vec![
            Column::new("file".into(), files),
            Column::new("line".into(), lines),
        ];
        for field in Field::ALL {
            let column = self.column(field);
            let values: StringChunked = (0..self.height()).map(|r| column.get(r)).collect();
            columns.push(values.with_name(field.name().into()).into_column());
        }
        Ok(DataFrame::new(self.height(), columns)?)
    }
}

/// Growing [`RawRatings`], shared by all input files.
#[derive(Debug, Default)]
pub struct TableBuilder {
    files: FileRuns,
    lines: Lines,
    fields: [DictBuilder; 7],
}

impl TableBuilder {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `rows` more ratings without growing (an estimate: too large costs address
    /// space only, too small means growing as usual). A column that widens later takes the
    /// same room at its new width.
    pub fn reserve(&mut self, rows: usize) {
        self.lines.reserve(rows);
        for builder in &mut self.fields {
            builder.column.codes.reserve(rows);
        }
    }

    /// Ratings so far.
    pub fn height(&self) -> usize {
        self.lines.rows
    }

    /// Appends one rating, read at `line` of file `file`; `values` in [`Field::ALL`] order.
    pub fn push(&mut self, file: u32, line: u32, values: [Option<&str>; 7]) {
        self.files.push(self.lines.rows, file);
        self.lines.push(line);
        for (builder, value) in self.fields.iter_mut().zip(values) {
            builder.push(value);
        }
    }

    /// Appends the rows of `other` after this table's, re-coding its values (an empty table
    /// simply becomes `other`).
    pub fn append(&mut self, other: TableBuilder) {
        if self.lines.rows == 0 && self.fields.iter().all(|f| f.column.values.is_empty()) {
            *self = other;
            return;
        }
        self.files.append(self.lines.rows, &other.files);
        self.lines.append(&other.lines);
        for (builder, part) in self.fields.iter_mut().zip(other.fields) {
            builder.append(&part);
        }
    }

    /// The finished table.
    pub fn finish(self) -> RawRatings {
        RawRatings {
            files: self.files,
            lines: self.lines,
            fields: self.fields.map(|b| b.column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_and_same_tell_texts_apart_as_equality_does() {
        let texts = [
            "",
            "1",
            "1.a",
            "1.a ",
            "1.b",
            "14.b",
            "4,0",
            "\0",
            "\0\0",
            "a\0",
            "seven77",
            "eight888",
            "eight889",
            "B100013",
            "2023-09-21",
            "2023-09-22",
            "sixteen_bytes_16",
            "sixteen_bytes_17",
            "Socialtilsyn Hovedstaden",
            "Socialtilsyn Hovedstadeo",
            "ø",
            "øø",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
                if let (Some(x), Some(y)) = (short_key(a.as_bytes()), short_key(b.as_bytes())) {
                    assert_eq!(x == y, a == b, "{a:?} {b:?}");
                    assert_ne!(x, 0);
                }
            }
        }
        // Codes through the short table equal codes through the map.
        let mut builder = DictBuilder::default();
        let codes: Vec<u32> = texts
            .iter()
            .chain(texts.iter().rev())
            .map(|t| builder.code_of(t))
            .collect();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(builder.column.values[codes[i] as usize].as_ref(), *t);
            assert_eq!(codes[i], codes[2 * texts.len() - 1 - i]);
        }
    }

    #[test]
    fn codes_follow_first_appearance_and_missing_is_kept() {
        let mut table = TableBuilder::new();
        let row = |a: Option<&'static str>, s: Option<&'static str>| {
            [a, Some("v1"), Some("1.a"), s, None, None, None]
        };
        table.push(0, 2, row(Some("Nord"), Some("4")));
        table.push(0, 3, row(Some("Syd"), Some("4")));
        table.push(0, 4, row(None, Some("5")));
        table.push(1, 2, row(Some("Nord"), None));
        let raw = table.finish();
        assert_eq!(raw.height(), 4);
        let authority = raw.column(Field::Authority);
        assert_eq!(authority.codes().collect::<Vec<_>>(), [0, 1, MISSING, 0]);
        assert_eq!(authority.code(2), None);
        assert_eq!(authority.code(3), Some(0));
        assert_eq!(authority.code(4), None);
        assert_eq!(authority.values().len(), 2);
        assert_eq!(raw.get(Field::Score, 2), Some("5"));
        assert_eq!(raw.get(Field::Score, 3), None);
        assert_eq!(raw.get(Field::OfferId, 0), None);
        let picked = raw.take(&[3, 0]);
        assert_eq!(
            (picked.line(0), picked.line(1), picked.line(2)),
            (Some(2), Some(2), None)
        );
        assert_eq!(picked.files().collect::<Vec<_>>(), [1, 0]);
        assert_eq!(picked.get(Field::Authority, 1), Some("Nord"));
        let frame = raw.to_frame().expect("frame");
        assert_eq!(frame.height(), 4);
        let scores = frame.column("score").expect("score").str().expect("str");
        assert_eq!(scores.get(1), Some("4"));
        assert_eq!(scores.get(3), None);
    }

    /// A table whose field `field` of row `r` is `value(r)` (blank where it gives `None`),
    /// the other fields blank, pushed one row at a time or, if `parts` > 1, in that many parts
    /// appended in order (as the parallel reader does).
    fn table_of(rows: usize, parts: usize, value: impl Fn(usize) -> Option<String>) -> RawRatings {
        let mut table = TableBuilder::new();
        let chunk = rows.div_ceil(parts.max(1));
        for part_rows in (0..rows).collect::<Vec<_>>().chunks(chunk.max(1)) {
            let mut part = TableBuilder::new();
            for &r in part_rows {
                let text = value(r);
                let mut values = [None; 7];
                values[Field::VisitId as usize] = text.as_deref();
                part.push(0, r as u32 + 2, values);
            }
            table.append(part);
        }
        table.finish()
    }

    #[test]
    fn codes_widen_as_the_dictionary_grows_and_every_value_reads_back() {
        // Values repeat (each twice, far apart) and every seventh row is blank, so widening
        // must carry both old codes and MISSING over.
        let value = |r: usize| (r % 7 != 3).then(|| format!("v{}", (r / 2) % 70_000));
        let rows = 200_000;
        for parts in [1, 3] {
            let raw = table_of(rows, parts, value);
            let column = raw.column(Field::VisitId);
            assert_eq!(column.values().len(), 70_000);
            assert_eq!(column.code_width(), 4);
            for r in 0..rows {
                assert_eq!(column.get(r), value(r).as_deref(), "row {r}, {parts} parts");
            }
            let blanks = (0..rows).filter(|r| value(*r).is_none()).count();
            assert_eq!(column.codes().filter(|&c| c == MISSING).count(), blanks);
        }
        // Exactly at each width's limit: 255 values fit one byte, 256 take two; 65,535 fit
        // two bytes, 65,536 take four.
        for (distinct, width) in [(255, 1), (256, 2), (65_535, 2), (65_536, 4)] {
            let each = |r: usize| Some(format!("{r}"));
            let raw = table_of(distinct, 1, each);
            let column = raw.column(Field::VisitId);
            assert_eq!(column.code_width(), width, "{distinct} values");
            assert_eq!(
                column.get(distinct - 1),
                Some(format!("{}", distinct - 1).as_str())
            );
            assert_eq!(column.get(0), Some("0"));
            // A blank row after the last value is still missing, not the last code.
            let blank_last = table_of(distinct + 1, 2, |r| (r < distinct).then(|| format!("{r}")));
            let column = blank_last.column(Field::VisitId);
            assert_eq!(column.get(distinct), None);
            assert_eq!(column.code(distinct - 1), Some(distinct as u32 - 1));
            // Fields with few values stay at one byte.
            assert_eq!(blank_last.column(Field::Score).code_width(), 1);
        }
        // A taken subset keeps the values and the width.
        let raw = table_of(300, 1, |r| Some(format!("{r}")));
        let picked = raw.take(&[299, 0, 256]);
        assert_eq!(picked.column(Field::VisitId).code_width(), 2);
        let got: Vec<_> = (0..3).map(|r| picked.get(Field::VisitId, r)).collect();
        assert_eq!(got, [Some("299"), Some("0"), Some("256")]);
    }

    #[test]
    fn files_are_stored_as_runs_and_read_back_per_row() {
        // Files 0, 0, 1, 1, 1, 0, 2 (a file may come back, as in a subset of rows).
        let files = [0, 0, 1, 1, 1, 0, 2];
        let mut whole = TableBuilder::new();
        let (mut first, mut second) = (TableBuilder::new(), TableBuilder::new());
        for (r, &file) in files.iter().enumerate() {
            let row = [Some("Nord"), Some("v"), None, None, None, None, None];
            whole.push(file, 10 + r as u32, row);
            let part = if r < 3 { &mut first } else { &mut second };
            part.push(file, 10 + r as u32, row);
        }
        // Parts split inside a run of file 1 merge back into one run.
        first.append(second);
        let mut appended = TableBuilder::new();
        appended.append(first);
        for raw in [whole.finish(), appended.finish()] {
            assert_eq!(raw.files.files, [0, 1, 0, 2]);
            assert_eq!(raw.files().collect::<Vec<_>>(), files);
            let per_row: Vec<_> = (0..=files.len()).map(|r| raw.file(r)).collect();
            let mut expected: Vec<_> = files.iter().map(|&f| Some(f)).collect();
            expected.push(None);
            assert_eq!(per_row, expected);
            assert_eq!(raw.line(6), Some(16));
            let picked = raw.take(&[6, 2, 3, 0]);
            assert_eq!(picked.files().collect::<Vec<_>>(), [2, 1, 1, 0]);
            assert_eq!(picked.files.files, [2, 1, 0]);
            assert_eq!(picked.line(1), Some(12));
        }
    }

    #[test]
    fn lines_are_runs_where_they_run_on_and_read_back_either_way() {
        // A long export with a gap (two runs); a wide one, ten ratings a line (a hundred runs);
        // lines that never run on (a line per row).
        type LineOf = fn(usize) -> u32;
        let cases: [(LineOf, Option<usize>); 3] = [
            (
                |r| if r < 500 { r as u32 + 2 } else { r as u32 + 10 },
                Some(2),
            ),
            (|r| (r / 10) as u32 + 2, Some(100)),
            (|r| (r * r) as u32 + 2, None),
        ];
        let rows = 1000;
        for (case, (line_of, runs)) in cases.into_iter().enumerate() {
            let row = [Some("Nord"), Some("v"), None, None, None, None, None];
            let mut whole = TableBuilder::new();
            let mut parts = vec![
                TableBuilder::new(),
                TableBuilder::new(),
                TableBuilder::new(),
            ];
            for r in 0..rows {
                whole.push(0, line_of(r), row);
                // Parts cut inside runs: after row 0, at row 505 and at row 707.
                let part = usize::from(r >= 1) + usize::from(r >= 505) + usize::from(r >= 707);
                parts[part.min(2)].push(0, line_of(r), row);
            }
            let mut appended = TableBuilder::new();
            for part in parts {
                appended.append(part);
            }
            for raw in [whole.finish(), appended.finish()] {
                assert_eq!(raw.height(), rows);
                match (&raw.lines.store, runs) {
                    (LineStore::Runs(got), Some(runs)) => assert_eq!(got.len(), runs),
                    (LineStore::Each(_), None) => {}
                    _ => panic!("case {case}: stored as {:?}", raw.lines.store),
                }
                for r in 0..rows {
                    assert_eq!(
                        raw.line(r),
                        Some(u64::from(line_of(r))),
                        "case {case} row {r}"
                    );
                }
                assert_eq!(raw.line(rows), None);
                let all: Vec<u64> = raw.lines.iter().collect();
                let expected: Vec<u64> = (0..rows).map(|r| u64::from(line_of(r))).collect();
                assert_eq!(all, expected, "case {case}");
                let picked = raw.take(&[999, 3, 4, 5, 500]);
                let got: Vec<_> = (0..5).map(|r| picked.line(r)).collect();
                let want: Vec<_> = [999, 3, 4, 5, 500]
                    .iter()
                    .map(|&r| Some(u64::from(line_of(r))))
                    .collect();
                assert_eq!(got, want, "case {case}");
            }
        }
    }
}
