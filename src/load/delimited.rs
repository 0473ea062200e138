//! Delimited text (CSV, semicolon CSV, TSV): separator sniffing and record reading.
//!
//! The separator is the one of `,` `;` tab `|` that splits the first lines (outside quotes)
//! into the same number of fields, preferring more fields; Danish Excel writes `;` because
//! `,` is its decimal mark. Records are read with the `csv` crate (RFC 4180 quoting,
//! `flexible` so that a ragged row reaches the sink and becomes an exclusion instead of an
//! error). Line numbers are physical lines where each record starts. Large files are read
//! in parallel parts ([`read`]).

use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::progress::Progress;

use super::sink::{Cells, RowSink};
use super::table::TableBuilder;

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
///
/// After the header, a large body is cut into one part per thread at record boundaries and
/// the parts are parsed in parallel, each into its own table, appended in order: the result
/// is the same as reading one record after another. A record boundary is a line feed
/// outside quotes; quotes are tracked by parity, which is only sound when every opening
/// quote starts a field (as RFC 4180 writers do), so any other quote (`5" screen`) makes the
/// whole body be read sequentially.
pub fn read(
    text: &str,
    separator: Option<u8>,
    path: &Path,
    sink: &mut RowSink,
    progress: &dyn Progress,
) -> Result<u8> {
    read_split(text, separator, path, sink, progress, PARALLEL_MIN_BYTES)
}

/// [`read`], splitting bodies of at least `parallel_min` bytes.
fn read_split(
    text: &str,
    separator: Option<u8>,
    path: &Path,
    sink: &mut RowSink,
    progress: &dyn Progress,
    parallel_min: usize,
) -> Result<u8> {
    let separator = separator.unwrap_or_else(|| sniff_separator(text));
    let mut reader = csv_reader(text.as_bytes(), separator);
    let mut record = csv::StringRecord::new();
    // The header, and any blank records before it, one at a time.
    let mut lines = Lines::new(text.as_bytes(), 1);
    while !sink.has_header() {
        if !next_record(&mut reader, &mut record, path, &mut lines)? {
            return Ok(separator);
        }
        let line = lines.of(record.position());
        sink.push(line, &record, separator as char)?;
    }
    let body_start = usize::try_from(reader.position().byte()).unwrap_or(text.len());
    progress.advance(body_start as u64);
    let parts = rayon::current_num_threads().max(1);
    let bounds = match text.as_bytes().get(body_start..) {
        Some(body) if body.len() >= parallel_min && parts > 1 => {
            split_records(body, separator, parts)
        }
        _ => None,
    };
    let Some(bounds) = bounds else {
        read_part(&mut reader, &mut lines, path, sink, separator, progress)?;
        return Ok(separator);
    };
    let mut ranges = Vec::with_capacity(bounds.len() + 1);
    let mut from = body_start;
    for cut in bounds {
        ranges.push(from..body_start + cut);
        from = body_start + cut;
    }
    ranges.push(from..text.len());
    let mut tables: Vec<TableBuilder> = ranges.iter().map(|_| TableBuilder::new()).collect();
    let mut forks: Vec<RowSink> = tables.iter_mut().map(|t| sink.fork(t)).collect();
    let results: Vec<Result<()>> = forks
        .par_iter_mut()
        .zip(ranges.par_iter())
        .map(|(part, range)| {
            let bytes = &text.as_bytes()[range.clone()];
            let lines_before = memchr::memchr_iter(b'\n', &text.as_bytes()[..range.start]).count();
            let mut lines = Lines::new(bytes, lines_before as u64 + 1);
            let mut reader = csv_reader(bytes, separator);
            read_part(&mut reader, &mut lines, path, part, separator, progress)
        })
        .collect();
    results.into_iter().collect::<Result<Vec<()>>>()?;
    for part in forks {
        sink.absorb(part);
    }
    for table in tables {
        sink.table().append(table);
    }
    Ok(separator)
}

/// Bodies smaller than this are read by one thread.
const PARALLEL_MIN_BYTES: usize = 4 << 20;
/// Progress is reported after about this many bytes.
const PROGRESS_BYTES: u64 = 1 << 20;

fn csv_reader(bytes: &[u8], separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// Physical line numbers of the records of a text, counted forward from the last record
/// (so each byte is looked at once). The csv reader's own line count lags by one after a
/// CRLF line end, so lines are counted here from byte offsets.
struct Lines<'t> {
    bytes: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    /// Counting in `bytes`, whose first byte is on line `first_line`.
    fn new(bytes: &'t [u8], first_line: u64) -> Self {
        Self {
            bytes,
            at: 0,
            line: first_line,
        }
    }

    /// The line where the record at `position` starts. The reader places a record at the
    /// line end it skipped before it, so leading CR and LF bytes are stepped over.
    fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let mut start =
            position.map_or(self.at, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        start = start.min(self.bytes.len());
        while self
            .bytes
            .get(start)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            start += 1;
        }
        if start > self.at {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..start]).count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// Reads the next record.
fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::StringRecord,
    path: &Path,
    lines: &mut Lines,
) -> Result<bool> {
    reader.read_record(record).map_err(|e| Error::Csv {
        path: path.to_path_buf(),
        line: lines.of(e.position()),
        message: e.to_string(),
    })
}

/// Reads the rest of `reader` into `sink`.
fn read_part(
    reader: &mut csv::Reader<&[u8]>,
    lines: &mut Lines,
    path: &Path,
    sink: &mut RowSink,
    separator: u8,
    progress: &dyn Progress,
) -> Result<()> {
    let mut record = csv::StringRecord::new();
    let mut reported = reader.position().byte();
    while next_record(reader, &mut record, path, lines)? {
        let line = lines.of(record.position());
        sink.push(line, &record, separator as char)?;
        let at = reader.position().byte();
        if at - reported >= PROGRESS_BYTES {
            progress.advance(at - reported);
            reported = at;
        }
    }
    progress.advance(reader.position().byte() - reported);
    Ok(())
}

/// Byte offsets in `body` (which starts at a record boundary) where `parts` parts of about
/// equal size begin, each just after a line feed outside quotes; `None` if a quote opens
/// anywhere but at the start of a field (parity would then not say what is quoted).
fn split_records(body: &[u8], separator: u8, parts: usize) -> Option<Vec<usize>> {
    let mut cuts = Vec::with_capacity(parts - 1);
    let mut quotes = memchr::memchr_iter(b'"', body).peekable();
    let mut inside = false;
    // Moves the quote state to just before `end`, checking every opening quote on the way.
    let mut advance_to = |end: usize, inside: &mut bool| -> Option<()> {
        while let Some(&q) = quotes.peek() {
            if q >= end {
                break;
            }
            quotes.next();
            // An opening quote must start a field, or follow a closing quote (`""` inside
            // a quoted field is an escaped quote, which parity also reads right).
            if !*inside
                && q > 0
                && !matches!(body[q - 1], b'\n' | b'\r' | b'"')
                && body[q - 1] != separator
            {
                return None;
            }
            *inside = !*inside;
        }
        Some(())
    };
    for k in 1..parts {
        let target = body.len() * k / parts;
        let mut from = cuts.last().copied().unwrap_or(0).max(target);
        loop {
            let newline = from + memchr::memchr(b'\n', body.get(from..)?)?;
            advance_to(newline, &mut inside)?;
            if !inside {
                cuts.push(newline + 1);
                break;
            }
            from = newline + 1;
        }
    }
    advance_to(body.len(), &mut inside)?;
    cuts.dedup();
    cuts.retain(|&c| c < body.len());
    Some(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::load::table::TableBuilder;
    use crate::progress::Silent;

    /// The table and counts from reading `text` with bodies split from `parallel_min` bytes.
    type Rows = Vec<(u64, Vec<Option<String>>)>;

    fn read_with(text: &str, parallel_min: usize) -> (Rows, Vec<u64>, Vec<u64>) {
        let mut table = TableBuilder::new();
        let path = Path::new("t.csv");
        let mut sink = RowSink::new(path, 0, &[], &mut table);
        read_split(text, None, path, &mut sink, &Silent, parallel_min).expect("reads");
        let malformed: Vec<u64> = sink.malformed.iter().map(|m| m.line).collect();
        let counts = vec![sink.ratings_read, sink.records_read, sink.blank_records];
        let raw = table.finish();
        let rows = (0..raw.height())
            .map(|r| {
                let fields = crate::load::Field::ALL
                    .iter()
                    .map(|&f| raw.get(f, r).map(str::to_string))
                    .collect();
                (raw.line[r], fields)
            })
            .collect();
        (rows, malformed, counts)
    }

    #[test]
    fn parallel_parts_read_exactly_like_one_pass() {
        let mut text = String::from("authority,visit_id,indicator,score,offer_type\r\n");
        for v in 0..400 {
            let offer = match v % 4 {
                0 => "\"§ 66, stk. 1\"".to_string(),
                1 => "\"two\nlines, \"\"quoted\"\"\"".to_string(),
                2 => String::new(),
                _ => "plain".to_string(),
            };
            for (i, id) in ["1.a", "1.b", "2.a"].iter().enumerate() {
                let score = (v + i) % 5 + 1;
                text.push_str(&format!("Nord,v{v},{id},{score},{offer}\r\n"));
            }
            if v % 97 == 0 {
                text.push_str(",,,,\r\nSyd,short\r\n");
            }
        }
        let sequential = read_with(&text, usize::MAX);
        assert!(
            sequential
                .0
                .iter()
                .any(|(_, f)| f[5].as_deref() == Some("two\nlines, \"quoted\"")),
            "quoted newline kept"
        );
        assert_eq!(sequential.0.len(), 1200);
        assert_eq!(
            sequential.0[0].0, 2,
            "CRLF: the first rating is on physical line 2"
        );
        // Lines 2–4: v0; 5: a blank record; 6: a short (malformed) row; then v1's rows,
        // two physical lines each.
        assert_eq!(sequential.0[3].0, 7);
        assert_eq!(sequential.0[4].0, 9);
        assert_eq!(sequential.1[0], 6, "the malformed row's line");
        assert_eq!(sequential.1.len(), 5, "malformed rows seen");
        let parallel = read_with(&text, 0);
        assert_eq!(parallel.1, sequential.1, "malformed lines");
        assert_eq!(parallel.2, sequential.2, "counts");
        assert_eq!(parallel.0.len(), sequential.0.len());
        for (p, q) in parallel.0.iter().zip(&sequential.0) {
            assert_eq!(p, q);
        }
        let body = &text.as_bytes()[text.find('\n').unwrap_or(0) + 1..];
        let cuts = split_records(body, b',', 7).expect("well-formed quotes");
        assert!(cuts.len() > 1);
        for cut in cuts {
            let before = &body[..cut];
            assert_eq!(before.last(), Some(&b'\n'));
            assert_eq!(before.iter().filter(|&&b| b == b'"').count() % 2, 0);
        }
    }

    #[test]
    fn a_quote_inside_a_field_keeps_the_reading_sequential() {
        let body = b"Nord,v1,1.a,4,5\" screen\nNord,v1,1.b,4,x\n".repeat(50);
        assert_eq!(split_records(&body, b',', 2), None);
        let text = format!(
            "authority,visit_id,indicator,score,offer_type\n{}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(read_with(&text, 0), read_with(&text, usize::MAX));
    }

    #[test]
    fn sniffs_the_separator_that_splits_lines_consistently() {
        assert_eq!(sniff_separator("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_separator("a;b;c\n1;4,0;3\n2;3,0;1\n"), b';');
        assert_eq!(sniff_separator("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_separator("\"x,y\";b\n\"1,2\";3\n"), b';');
        assert_eq!(sniff_separator(""), b',');
    }
}
