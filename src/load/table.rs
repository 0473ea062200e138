//! The raw ratings table: one row per rating, each text field dictionary-encoded.
//!
//! An export repeats the same few strings millions of times: five authority names, about
//! thirty indicator ids, five scores, a few dozen offer types, and one visit id, offer id and
//! date per visit (about 27 rows). Storing each field as a `u32` code into a table of its
//! distinct values keeps 10 million ratings in about 400 MB instead of several GB of
//! strings, and lets the filter stage parse each distinct value once instead of once per row.
//! Values are stored exactly as read; [`MISSING`] marks an absent or blank field.
//!
//! Encoding is a hash lookup, skipped when a value equals the previous row's (visit-level
//! fields arrive in runs).

use std::collections::HashMap;

use foldhash::fast::RandomState;
use polars::prelude::*;

use crate::error::Result;

use super::columns::Field;

/// The code of an absent (or blank) value.
pub const MISSING: u32 = u32::MAX;

/// One text field: a code per row into the distinct values, in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct DictColumn {
    codes: Vec<u32>,
    values: Vec<Box<str>>,
}

impl DictColumn {
    /// The code of every row ([`MISSING`] for no value).
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The distinct values, indexed by code.
    pub fn values(&self) -> &[Box<str>] {
        &self.values
    }

    /// The value of row `row`, if present.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)?;
        self.values.get(code as usize).map(|v| &**v)
    }
}

/// Builds a [`DictColumn`] one value at a time.
#[derive(Debug, Default)]
struct DictBuilder {
    column: DictColumn,
    index: HashMap<Box<str>, u32, RandomState>,
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
        let code = match self.index.get(value) {
            Some(&code) => code,
            None => {
                let code = self.column.values.len() as u32;
                self.column.values.push(value.into());
                self.index.insert(value.into(), code);
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

    fn push(&mut self, value: Option<&str>) {
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
}

/// The raw ratings of every input file (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct RawRatings {
    /// Index of the source file of each rating.
    pub file: Vec<u32>,
    /// Line (or Excel row) where each rating was read.
    pub line: Vec<u64>,
    fields: [DictColumn; 7],
}

impl RawRatings {
    /// Number of ratings.
    pub fn height(&self) -> usize {
        self.file.len()
    }

    /// The column of `field`.
    pub fn column(&self, field: Field) -> &DictColumn {
        &self.fields[field as usize]
    }

    /// The value of `field` in row `row`, if present.
    pub fn get(&self, field: Field, row: usize) -> Option<&str> {
        self.column(field).get(row)
    }

    /// The rows `rows`, in that order (the dictionaries are shared, not pruned).
    pub fn take(&self, rows: &[usize]) -> RawRatings {
        RawRatings {
            file: rows.iter().map(|&r| self.file[r]).collect(),
            line: rows.iter().map(|&r| self.line[r]).collect(),
            fields: self.fields.clone().map(|column| DictColumn {
                codes: rows.iter().map(|&r| column.codes[r]).collect(),
                values: column.values,
            }),
        }
    }

    /// The table as a polars frame: `file` (u32), `line` (u64), then one string column per
    /// [`Field`], named by [`Field::name`].
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut columns = vec![
            Column::new("file".into(), &self.file),
            Column::new("line".into(), &self.line),
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
    file: Vec<u32>,
    line: Vec<u64>,
    fields: [DictBuilder; 7],
}

impl TableBuilder {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `rows` more ratings without growing (an estimate: too large costs address
    /// space only, too small means growing as usual).
    pub fn reserve(&mut self, rows: usize) {
        self.file.reserve(rows);
        self.line.reserve(rows);
        for builder in &mut self.fields {
            builder.column.codes.reserve(rows);
        }
    }

    /// Ratings so far.
    pub fn height(&self) -> usize {
        self.file.len()
    }

    /// Appends one rating; `values` in [`Field::ALL`] order.
    pub fn push(&mut self, file: u32, line: u64, values: [Option<&str>; 7]) {
        self.file.push(file);
        self.line.push(line);
        for (builder, value) in self.fields.iter_mut().zip(values) {
            builder.push(value);
        }
    }

    /// Appends the rows of `other` after this table's, re-coding its values (an empty table
    /// simply becomes `other`).
    pub fn append(&mut self, other: TableBuilder) {
        if self.file.is_empty() && self.fields.iter().all(|f| f.column.values.is_empty()) {
            *self = other;
            return;
        }
        self.file.extend(other.file);
        self.line.extend(other.line);
        for (builder, part) in self.fields.iter_mut().zip(other.fields) {
            let recode: Vec<u32> = part
                .column
                .values
                .iter()
                .map(|value| builder.code_of(value))
                .collect();
            builder.column.codes.extend(
                part.column
                    .codes
                    .iter()
                    .map(|&c| recode.get(c as usize).copied().unwrap_or(MISSING)),
            );
        }
    }

    /// The finished table.
    pub fn finish(self) -> RawRatings {
        RawRatings {
            file: self.file,
            line: self.line,
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
        assert_eq!(authority.codes(), &[0, 1, MISSING, 0]);
        assert_eq!(authority.values().len(), 2);
        assert_eq!(raw.get(Field::Score, 2), Some("5"));
        assert_eq!(raw.get(Field::Score, 3), None);
        assert_eq!(raw.get(Field::OfferId, 0), None);
        let picked = raw.take(&[3, 0]);
        assert_eq!(picked.line, vec![2, 2]);
        assert_eq!(picked.file, vec![1, 0]);
        assert_eq!(picked.get(Field::Authority, 1), Some("Nord"));
        let frame = raw.to_frame().expect("frame");
        assert_eq!(frame.height(), 4);
        let scores = frame.column("score").expect("score").str().expect("str");
        assert_eq!(scores.get(1), Some("4"));
        assert_eq!(scores.get(3), None);
    }
}
