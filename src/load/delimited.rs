//! Delimited text (CSV, semicolon CSV, TSV): separator sniffing and record reading.
//!
//! The separator is the one of `,` `;` tab `|` that splits the first lines (outside quotes)
//! into the same number of fields, preferring more fields; Danish Excel writes `;` because
//! `,` is its decimal mark. Records are read with the `csv` crate (RFC 4180 quoting,
//! `flexible` so that a ragged row reaches the sink and becomes an exclusion instead of an
//! error). Line numbers are physical lines where each record starts.

use std::path::Path;

use crate::error::{Error, Result};

use super::sink::{Cells, RowSink};

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const SNIFF_LINES: usize = 30;

/// Picks the separator for `text` (see the module docs). Falls back to `,`.
pub fn sniff_separator(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let Some(first) = lines.first() else {
        return b',';
    };
    let mut best = (b',', 0usize, 0usize); // (separator, consistent lines, fields)
    for sep in CANDIDATES {
        let header_count = count_outside_quotes(first, sep);
        if header_count == 0 {
            continue;
        }
        let consistent = lines
            .iter()
            .filter(|l| count_outside_quotes(l, sep) == header_count)
            .count();
        let candidate = (sep, consistent, header_count);
        if (consistent, header_count) > (best.1, best.2) {
            best = candidate;
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, sep: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == sep && !quoted
        })
        .count()
}

impl Cells for csv::StringRecord {
    fn len(&self) -> usize {
        csv::StringRecord::len(self)
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
}

/// Reads every record of `text` into `sink`: the first non-blank record is the header.
/// Returns the separator used.
pub fn read(text: &str, separator: Option<u8>, path: &Path, sink: &mut RowSink) -> Result<u8> {
    let separator = separator.unwrap_or_else(|| sniff_separator(text));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| Error::Csv {
            path: path.to_path_buf(),
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        sink.push(line, &record, separator as char)?;
    }
    Ok(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_separator_that_splits_lines_consistently() {
        assert_eq!(sniff_separator("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_separator("a;b;c\n1;4,0;3\n2;3,0;1\n"), b';');
        assert_eq!(sniff_separator("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_separator("\"x,y\";b\n\"1,2\";3\n"), b';');
        assert_eq!(sniff_separator(""), b',');
    }
}
