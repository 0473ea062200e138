//! Delimited text (CSV, semicolon CSV, TSV): separator sniffing and record reading.
//!
//! The separator is the one of `,` `;` tab `|` that splits the first lines (outside quotes)
//! into the same number of fields as the first line, preferring more fields; Danish Excel
//! writes `;` because `,` is its decimal mark. When that separator makes no record among the
//! first ones a header naming the required columns, which happens when title rows stand above
//! the header (`Samlede kvalitetsscore fra alle tilsyn 2023`, with no separator in it), the
//! separator under which the earliest record is such a header is taken instead. Only the
//! first [`SNIFF_LINES`] non-blank lines are looked at, so a reader that holds just those (the
//! stream's first block) sniffs what the whole text gives.
//!
//! Records are read by [`Records`] with the rules of RFC 4180 as the `csv` crate applies them
//! by default: `"` quotes a field and `""` inside quotes is one quote; a quote inside an
//! unquoted field is kept as written; CR, LF or CRLF ends a record; empty lines are skipped;
//! a record may have any number of fields (a ragged row reaches the sink and becomes an
//! exclusion, not an error). Records are cut at their separators and line ends in place,
//! without copying, which covers what exports hold: plain fields, and quoted fields without a
//! quote inside (`"§ 66, stk. 1"`, which Excel and pandas write for text with a separator).
//! A record with anything else (`""` inside quotes, text after a closing quote, a quote
//! inside an unquoted field), and every record of a text holding a carriage return that does
//! not end a line, goes through `csv-core`, the `csv` crate's own parser. The tests check that
//! the two together give exactly what the `csv` crate gives.
//! Line numbers are the physical lines where records start.
//!
//! Large texts are read in parallel parts cut at record boundaries ([`read`]).

use std::path::Path;

use rayon::prelude::*;

use crate::error::Result;
use crate::progress::Progress;

use super::LoadOptions;
use super::columns;
use super::sink::{Cells, HEADER_SEARCH, RowSink, is_blank};
use super::table::TableBuilder;

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Non-blank lines the separator is sniffed from.
pub const SNIFF_LINES: usize = 30;

/// Picks the separator for `text` (see the module docs), with the column mappings and header
/// row of `options`. Falls back to `,`.
pub fn sniff_separator(text: &str, options: &LoadOptions) -> u8 {
    let sample = sniff_sample(text);
    let counted = count_separator(sample);
    if header_line(sample, counted, options).is_some() {
        return counted;
    }
    CANDIDATES
        .into_iter()
        .filter(|&sep| sep != counted)
        .filter_map(|sep| Some((header_line(sample, sep, options)?, sep)))
        .min_by_key(|&(line, _)| line)
        .map_or(counted, |(_, sep)| sep)
}

/// The start of `text` up to the end of its [`SNIFF_LINES`]th non-blank line.
fn sniff_sample(text: &str) -> &str {
    let mut non_blank = 0;
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        end += line.len();
        if !line.trim().is_empty() {
            non_blank += 1;
            if non_blank == SNIFF_LINES {
                break;
            }
        }
    }
    &text[..end]
}

/// The line of the first record of `sample` (among the first [`HEADER_SEARCH`] non-blank ones,
/// or the one on `options.header_row`) that, split at `separator`, names the required columns.
fn header_line(sample: &str, separator: u8, options: &LoadOptions) -> Option<u64> {
    let mut records = Records::new(sample, separator, 1, true);
    let mut tried = 0;
    while tried < HEADER_SEARCH {
        let (line, record) = records.next_record()?;
        if (0..record.len()).all(|i| record.cell(i).is_none_or(is_blank)) {
            continue;
        }
        match options.header_row {
            Some(wanted) if line < wanted => continue,
            Some(wanted) if line > wanted => return None,
            Some(_) => tried = HEADER_SEARCH,
            None => tried += 1,
        }
        let names: Vec<String> = (0..record.len())
            .map(|i| record.cell(i).unwrap_or("").trim().to_string())
            .collect();
        if columns::resolve(&names, &options.columns, Path::new(""), line).is_ok() {
            return Some(line);
        }
    }
    None
}

/// The separator that splits the lines of `sample` into as many fields as the first one, most
/// consistently (see the module docs).
fn count_separator(sample: &str) -> u8 {
    let lines: Vec<&str> = sample
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

/// One record read by [`Records`]: field `i` is `source[bounds[i].0..bounds[i].1]`.
#[derive(Debug, Clone, Copy)]
pub struct Record<'r> {
    source: &'r str,
    bounds: &'r [(usize, usize)],
}

impl Cells for Record<'_> {
    fn len(&self) -> usize {
        self.bounds.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        let &(start, end) = self.bounds.get(i)?;
        self.source.get(start..end)
    }
}

/// The records of a text that starts at a record boundary (see the module docs).
pub struct Records<'t> {
    text: &'t str,
    separator: u8,
    /// Byte offset where the next record starts (or empty lines before it).
    pos: usize,
    /// Physical line of `pos`.
    line: u64,
    /// Every record goes through csv-core: a carriage return that does not end a line ends a
    /// record there, which the line cutter does not know.
    careful: bool,
    /// The next record goes through csv-core (a byte-order mark at the start of the text,
    /// which the `csv` crate drops).
    careful_next: bool,
    core: csv_core::Reader,
    /// Separators, line feeds and quotes, from `scan_from` on.
    scan: memchr::Memchr3<'t>,
    scan_from: usize,
    /// A quote was read that does not open a field (see [`Records::quotes_regular`]).
    irregular_quote: bool,
    /// Scanned positions below this lie inside a quoted field already read.
    skip_to: usize,
    bounds: Vec<(usize, usize)>,
    unescaped: Vec<u8>,
    ends: Vec<usize>,
}

impl<'t> Records<'t> {
    /// The records of `text`, whose first byte is on line `first_line`. `at_start`: `text` is
    /// the start of the file's text, where a byte-order mark is dropped.
    pub fn new(text: &'t str, separator: u8, first_line: u64, at_start: bool) -> Self {
        let bytes = text.as_bytes();
        let careful = memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'));
        let mut core = csv_core::ReaderBuilder::new().delimiter(separator).build();
        let bom_first = at_start && text.starts_with('\u{feff}');
        if !bom_first {
            // csv-core drops a byte-order mark at the start of its first input, which is not
            // the start of the text when lines were cut before; the `csv` crate reading the
            // whole text drops only the one at its very start. An empty line read first
            // (skipped, as blank lines are) makes csv-core keep any later mark.
            let mut out = [0u8; 1];
            let mut ends = [0usize; 1];
            let _ = core.read_record(b"\n", &mut out, &mut ends);
        }
        Self {
            text,
            separator,
            pos: 0,
            line: first_line,
            careful,
            careful_next: bom_first,
            core,
            scan: memchr::memchr3_iter(separator, b'\n', b'"', bytes),
            scan_from: 0,
            irregular_quote: false,
            skip_to: 0,
            bounds: Vec::with_capacity(16),
            unescaped: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Byte offset of the first byte not yet read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Whether every quote read so far opens a field, closes one, or is doubled inside one:
    /// then quote parity tells which line feeds end records ([`parity_record_end`]).
    pub fn quotes_regular(&self) -> bool {
        !self.irregular_quote
    }

    /// The next record and the line it starts on, or `None` at the end of the text.
    pub fn next_record(&mut self) -> Option<(u64, Record<'_>)> {
        let bytes = self.text.as_bytes();
        loop {
            if self.pos >= bytes.len() {
                return None;
            }
            if self.careful || self.careful_next {
                self.careful_next = false;
                return self.through_core();
            }
            let start = self.pos;
            let mut field = start;
            // The current field's content, when it was quoted.
            let mut quoted: Option<(usize, usize)> = None;
            let mut quoted_lines = 0;
            self.bounds.clear();
            let end = loop {
                let Some(i) = self.scan.next() else {
                    // The last line, without a line feed.
                    break bytes.len();
                };
                let at = self.scan_from + i;
                if at < self.skip_to {
                    continue; // inside the quoted field just read
                }
                match bytes[at] {
                    b'\n' => break at,
                    b'"' => {
                        // A quoted field without a quote inside is read in place; anything
                        // else (`""` inside, text after the closing quote, a quote inside
                        // an unquoted field) goes to csv-core.
                        let close = (at == field)
                            .then(|| memchr::memchr(b'"', &bytes[at + 1..]))
                            .flatten()
                            .map(|c| at + 1 + c);
                        let Some(close) = close.filter(|&c| self.ends_field(c + 1)) else {
                            if at != field {
                                self.irregular_quote = true;
                            }
                            return self.through_core();
                        };
                        let inside = &bytes[at + 1..close];
                        if memchr::memchr(b'\n', inside).is_some() {
                            quoted_lines += memchr::memchr_iter(b'\n', inside).count();
                        }
                        quoted = Some((at + 1, close));
                        self.skip_to = close + 1;
                    }
                    _ => {
                        self.bounds.push(quoted.take().unwrap_or((field, at)));
                        field = at + 1;
                    }
                }
            };
            let last = quoted.unwrap_or_else(|| {
                if end > field && bytes[end - 1] == b'\r' {
                    (field, end - 1)
                } else {
                    (field, end)
                }
            });
            self.pos = (end + 1).min(bytes.len());
            let line = self.line;
            self.line += 1 + quoted_lines as u64;
            if self.bounds.is_empty() && quoted.is_none() && last.0 == last.1 {
                continue; // an empty line
            }
            self.bounds.push(last);
            return Some((
                line,
                Record {
                    source: self.text,
                    bounds: &self.bounds,
                },
            ));
        }
    }

    /// Whether a quoted field whose closing quote is just before `at` ends there: at a
    /// separator, a line end, or the end of the text.
    fn ends_field(&self, at: usize) -> bool {
        let bytes = self.text.as_bytes();
        match bytes.get(at) {
            None | Some(b'\n') => true,
            // A carriage return here ends the line: one that does not would have made the
            // whole text careful.
            Some(b'\r') => true,
            Some(&b) => b == self.separator,
        }
    }

    /// Reads the record at `pos` with csv-core, then goes back to cutting lines.
    fn through_core(&mut self) -> Option<(u64, Record<'_>)> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if self.unescaped.len() < 256 {
            self.unescaped.resize(256, 0);
        }
        if self.ends.len() < 32 {
            self.ends.resize(32, 0);
        }
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        let found = loop {
            let input = bytes.get(start + nin..).unwrap_or_default();
            let (result, i, o, e) =
                self.core
                    .read_record(input, &mut self.unescaped[nout..], &mut self.ends[nend..]);
            nin += i;
            nout += o;
            nend += e;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {} // next: the rest, or the end
                csv_core::ReadRecordResult::OutputFull => {
                    let grown = self.unescaped.len() * 2;
                    self.unescaped.resize(grown, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                csv_core::ReadRecordResult::Record => break true,
                csv_core::ReadRecordResult::End => break false,
            }
        };
        let consumed = bytes.get(start..start + nin).unwrap_or_default();
        // The record starts after the empty lines csv-core skipped.
        let skipped = consumed
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let line = self.line + skipped;
        self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
        self.pos = start + nin;
        self.scan = memchr::memchr3_iter(
            self.separator,
            b'\n',
            b'"',
            bytes.get(self.pos..).unwrap_or_default(),
        );
        self.scan_from = self.pos;
        if last_record_end(consumed, self.separator).is_err() {
            self.irregular_quote = true;
        }
        if !found {
            self.pos = bytes.len();
            return None;
        }
        self.bounds.clear();
        let mut from = 0;
        for &to in &self.ends[..nend] {
            self.bounds.push((from, to));
            from = to;
        }
        // csv-core copies valid UTF-8 minus quote bytes, which stays valid UTF-8.
        let source = std::str::from_utf8(&self.unescaped[..nout]).unwrap_or_default();
        Some((
            line,
            Record {
                source,
                bounds: &self.bounds,
            },
        ))
    }
}

/// Reads every record of `text` (separator `options.separator`, or sniffed) into `sink`,
/// which finds the header among the first records. Returns the separator used.
///
/// After the header, a large body is cut into one part per thread at record boundaries and
/// the parts are parsed in parallel, each into its own table, appended in order: the result
/// is the same as reading one record after another. A record boundary is a line feed
/// outside quotes; quotes are tracked by parity, which is only sound when every opening
/// quote starts a field (as RFC 4180 writers do), so any other quote (`5" screen`) makes the
/// whole body be read sequentially.
pub fn read(
    text: &str,
    options: &LoadOptions,
    sink: &mut RowSink,
    progress: &dyn Progress,
) -> Result<u8> {
    read_split(text, options, sink, progress, PARALLEL_MIN_BYTES)
}

/// [`read`], splitting bodies of at least `parallel_min` bytes.
fn read_split(
    text: &str,
    options: &LoadOptions,
    sink: &mut RowSink,
    progress: &dyn Progress,
    parallel_min: usize,
) -> Result<u8> {
    let separator = options
        .separator
        .unwrap_or_else(|| sniff_separator(text, options));
    let mut records = Records::new(text, separator, 1, true);
    if !read_header(&mut records, sink, separator)? {
        return Ok(separator);
    }
    let body_start = records.position();
    progress.advance(body_start as u64);
    let parts = rayon::current_num_threads().max(1);
    let bounds = match text.as_bytes().get(body_start..) {
        Some(body) if body.len() >= parallel_min && parts > 1 => {
            split_records(body, separator, parts)
        }
        _ => None,
    };
    let Some(bounds) = bounds else {
        read_body(&mut records, sink, separator, progress)?;
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
            let lines_before = memchr::memchr_iter(b'\n', &text.as_bytes()[..range.start]).count();
            let mut records = Records::new(
                text.get(range.clone()).unwrap_or_default(),
                separator,
                lines_before as u64 + 1,
                false,
            );
            read_body(&mut records, part, separator, progress)
        })
        .collect();
    results.into_iter().collect::<Result<Vec<()>>>()?;
    for part in forks {
        sink.absorb(part.into_counts());
    }
    for table in tables {
        sink.table().append(table);
    }
    Ok(separator)
}

/// Feeds records to `sink` until it has its header (blank records and title rows before it
/// are skipped, see [`super::sink`]). `false` if the text ended first.
pub fn read_header(records: &mut Records, sink: &mut RowSink, separator: u8) -> Result<bool> {
    while !sink.has_header() {
        let Some((line, record)) = records.next_record() else {
            return Ok(false);
        };
        sink.push(line, &record, separator as char)?;
    }
    Ok(true)
}

/// Bodies smaller than this are read by one thread.
const PARALLEL_MIN_BYTES: usize = 4 << 20;
/// Progress is reported after about this many bytes.
const PROGRESS_BYTES: usize = 1 << 20;

/// Reads the rest of `records` into `sink`, reporting the bytes read to `progress`.
pub fn read_body(
    records: &mut Records,
    sink: &mut RowSink,
    separator: u8,
    progress: &dyn Progress,
) -> Result<()> {
    let mut reported = records.position();
    while let Some((line, record)) = records.next_record() {
        sink.push(line, &record, separator as char)?;
        let at = records.position();
        if at - reported >= PROGRESS_BYTES {
            progress.advance((at - reported) as u64);
            reported = at;
        }
    }
    progress.advance((records.position() - reported) as u64);
    Ok(())
}

/// A quote that does not open a field (`5" screen`): quote parity then does not say where
/// records end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IrregularQuote;

/// Whether the quote at `q` may open a quoted field: it starts a field, or follows a closing
/// quote (`""` inside a quoted field is an escaped quote, which parity also reads right).
fn opens_field(bytes: &[u8], q: usize, separator: u8) -> bool {
    q == 0 || matches!(bytes[q - 1], b'\n' | b'\r' | b'"') || bytes[q - 1] == separator
}

/// The offset just after the last line feed outside quotes in `bytes` (which starts at a
/// record boundary): where the records it holds in full end. `None` if every line feed is
/// quoted (or there is none).
pub fn last_record_end(
    bytes: &[u8],
    separator: u8,
) -> std::result::Result<Option<usize>, IrregularQuote> {
    let mut end = None;
    let mut outside_from = 0;
    let mut inside = false;
    let last_feed = |from: usize, to: usize, end: &mut Option<usize>| {
        if let Some(at) = memchr::memrchr(b'\n', &bytes[from..to]) {
            *end = Some(from + at + 1);
        }
    };
    for q in memchr::memchr_iter(b'"', bytes) {
        if inside {
            outside_from = q + 1;
        } else {
            if !opens_field(bytes, q, separator) {
                return Err(IrregularQuote);
            }
            last_feed(outside_from, q, &mut end);
        }
        inside = !inside;
    }
    if !inside {
        last_feed(outside_from, bytes.len(), &mut end);
    }
    Ok(end)
}

/// The offset just after the last line feed in `bytes` (which starts at a record boundary)
/// that an even number of quotes precedes: where the records it holds in full end, if every
/// quote is regular (which the parser then checks, [`Records::quotes_regular`]). `None` if
/// there is no such line feed. Counting is all it takes, so a block is cut in a fraction of
/// the time a quote-by-quote walk ([`last_record_end`]) needs.
pub fn parity_record_end(bytes: &[u8]) -> Option<usize> {
    let total = memchr::memchr_iter(b'"', bytes).count();
    let mut after = 0;
    let mut end = bytes.len();
    loop {
        let feed = memchr::memrchr(b'\n', &bytes[..end])?;
        after += memchr::memchr_iter(b'"', &bytes[feed..end]).count();
        if (total - after).is_multiple_of(2) {
            return Some(feed + 1);
        }
        end = feed;
    }
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
            if !*inside && !opens_field(body, q, separator) {
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
    use std::path::Path;

    use super::*;

    use proptest::prelude::*;

    use crate::load::table::TableBuilder;
    use crate::progress::Silent;

    /// The table and counts from reading `text` with bodies split from `parallel_min` bytes.
    type Rows = Vec<(u64, Vec<Option<String>>)>;

    fn read_with(text: &str, parallel_min: usize) -> (Rows, Vec<u64>, Vec<u64>) {
        let mut table = TableBuilder::new();
        let path = Path::new("t.csv");
        let options = LoadOptions::default();
        let mut sink = RowSink::new(path, 0, &options, &mut table);
        read_split(text, &options, &mut sink, &Silent, parallel_min).expect("reads");
        let malformed: Vec<u64> = sink.malformed.iter().map(|m| m.line).collect();
        let counts = vec![sink.ratings_read, sink.records_read, sink.blank_records];
        let raw = table.finish();
        let rows = (0..raw.height())
            .map(|r| {
                let fields = crate::load::Field::ALL
                    .iter()
                    .map(|&f| raw.get(f, r).map(str::to_string))
                    .collect();
                (raw.line(r).expect("line"), fields)
            })
            .collect();
        (rows, malformed, counts)
    }

    /// Every record of `text` with its line, as [`Records`] reads it.
    fn ours(text: &str, separator: u8, first_line: u64, at_start: bool) -> Vec<(u64, Vec<String>)> {
        let mut records = Records::new(text, separator, first_line, at_start);
        let mut out = Vec::new();
        while let Some((line, record)) = records.next_record() {
            let fields = (0..record.len())
                .map(|i| record.cell(i).unwrap_or("<none>").to_string())
                .collect();
            out.push((line, fields));
        }
        out
    }

    /// Every record of `text` as the `csv` crate reads it (flexible, no headers), with the
    /// physical line of its first byte: the reference [`Records`] must equal.
    fn csv_crate(text: &str, separator: u8) -> Vec<(u64, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).expect("valid UTF-8") {
            let start = record.position().map_or(0, |p| p.byte() as usize);
            // The reader places a record at the line end it skipped before it.
            let first = start
                + text.as_bytes()[start..]
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
            let line = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..first]).count() as u64;
            out.push((line, record.iter().map(str::to_string).collect()));
        }
        out
    }

    #[test]
    fn records_equal_the_csv_crate_on_awkward_texts() {
        for text in [
            "a,b,c\n1,2,3\n",
            "a,b,c\r\n1,2,3\r\n\r\n\r\n4,5,6",
            "a,b\n\n\n1,2\n   \n,\n",
            "a,\"b,c\",d\n\"x\"\"y\",\"multi\nline\",z\n1,2,3\n",
            "a,5\" screen,c\n\"open,never closes\n1,2\n",
            "lone\rcarriage,return\r1,2\n3,4\r\n",
            "\u{feff}a,b\n1,2\n",
            "a,b\n\u{feff}x,y\n\"q\",\u{feff}\n",
            "a,\"b\"tail,c\n\"\",\"\"\"\",\n",
            "only one field\n\"\"\n\"\n",
            "trailing,separator,\n,leading\n,,\n",
            "\n\r\n\ra,b\n",
            "x",
            "\"",
            "a,b\r",
        ] {
            assert_eq!(ours(text, b',', 1, true), csv_crate(text, b','), "{text:?}");
        }
        assert_eq!(
            ours("a;\"b;c\";d\n1;2,5;3\n", b';', 1, true),
            csv_crate("a;\"b;c\";d\n1;2,5;3\n", b';')
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// On texts made of separators, quotes, line ends, a BOM, spaces and letters, the
        /// line cutter and csv-core together read what the `csv` crate reads.
        #[test]
        fn records_equal_the_csv_crate(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just(","), Just(";"), Just("\""), Just("\"\""), Just("\n"), Just("\r\n"),
                    Just("\r"), Just(" "), Just("a"), Just("bc"), Just("ø"), Just("\u{feff}"),
                ],
                0..60,
            ),
            separator in prop_oneof![Just(b','), Just(b';')],
        ) {
            let text: String = pieces.concat();
            prop_assert_eq!(ours(&text, separator, 1, true), csv_crate(&text, separator));
            // A part that starts later (here: after one empty line) keeps a leading mark.
            prop_assert_eq!(
                ours(&text, separator, 2, false),
                csv_crate(&format!("\n{text}"), separator)
            );
        }
    }

    #[test]
    fn a_part_keeps_a_byte_order_mark_that_the_start_drops() {
        let text = "\u{feff}a,b\n";
        assert_eq!(ours(text, b',', 1, true)[0].1[0], "a");
        assert_eq!(
            ours(text, b',', 5, false)[0],
            (5, vec!["\u{feff}a".to_string(), "b".to_string()])
        );
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
        assert_eq!(last_record_end(&body, b','), Err(IrregularQuote));
        let text = format!(
            "authority,visit_id,indicator,score,offer_type\n{}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(read_with(&text, 0), read_with(&text, usize::MAX));
    }

    proptest! {
        /// On regularly quoted text, counting quotes cuts where walking them does.
        #[test]
        fn parity_cuts_where_the_quote_walk_cuts(
            fields in proptest::collection::vec(
                prop_oneof![Just("a"), Just("\"b,c\""), Just("\"x\ny\""), Just("\"q\"\"q\""), Just("")],
                0..30,
            ),
            ends in proptest::collection::vec(prop_oneof![Just(","), Just("\n"), Just("\r\n")], 30),
            open_tail in proptest::bool::ANY,
        ) {
            let mut text = String::new();
            for (field, end) in fields.iter().zip(&ends) {
                text.push_str(field);
                text.push_str(end);
            }
            if open_tail {
                text.push_str("\"open\nfield");
            }
            let walked = last_record_end(text.as_bytes(), b',').expect("regular");
            prop_assert_eq!(parity_record_end(text.as_bytes()), walked);
        }
    }

    #[test]
    fn the_parser_notices_quotes_that_parity_misreads() {
        for (text, regular) in [
            ("a,\"b,c\",d\n\"x\"\"y\",z\n", true),
            ("a,5\" screen\n", false),
            ("\"a\"b\"c\",d\n", false),
            ("\"a\"\"b\",5\" screen\n", false),
        ] {
            let mut records = Records::new(text, b',', 1, true);
            while records.next_record().is_some() {}
            assert_eq!(records.quotes_regular(), regular, "{text:?}");
            assert_eq!(
                last_record_end(text.as_bytes(), b',').is_ok(),
                regular,
                "{text:?}"
            );
        }
    }

    #[test]
    fn records_end_at_the_last_line_feed_outside_quotes() {
        assert_eq!(last_record_end(b"a,b\n1,2\n3,", b','), Ok(Some(8)));
        assert_eq!(
            last_record_end(b"a,\"x\ny\",b\n\"open\n", b','),
            Ok(Some(10))
        );
        assert_eq!(
            last_record_end(b"a,\"\"\"q\n\"\"\"\n,c", b','),
            Ok(Some(11))
        );
        assert_eq!(last_record_end(b"\"all\nquoted\n", b','), Ok(None));
        assert_eq!(last_record_end(b"no feed", b','), Ok(None));
        assert_eq!(
            last_record_end(b"a,5\" screen\n", b','),
            Err(IrregularQuote)
        );
    }

    #[test]
    fn sniffs_the_separator_that_splits_lines_consistently() {
        let options = LoadOptions::default();
        assert_eq!(sniff_separator("a,b,c\n1,2,3\n", &options), b',');
        assert_eq!(sniff_separator("a;b;c\n1;4,0;3\n2;3,0;1\n", &options), b';');
        assert_eq!(sniff_separator("a\tb\n1\t2\n", &options), b'\t');
        assert_eq!(sniff_separator("\"x,y\";b\n\"1,2\";3\n", &options), b';');
        assert_eq!(sniff_separator("", &options), b',');
    }

    #[test]
    fn title_rows_do_not_mislead_the_sniffer() {
        let options = LoadOptions::default();
        let body = "Socialtilsyn;Tilsynsbesøg;Indikator;Score\nNord;v1;1.a;4,0\nNord;v1;1.b;3,0\n";
        // A title without a separator: the first line says nothing (`,` before issue 12).
        let text = format!("Samlede kvalitetsscore fra alle tilsyn 2023\n\n{body}");
        assert_eq!(sniff_separator(&text, &options), b';');
        // A title with a comma, which the decimal commas below agree with.
        let text = format!("Kvalitetsscore, 2023\n{body}");
        assert_eq!(sniff_separator(&text, &options), b';');
        // Excel pads a title row with separators: the count already finds `;`.
        let text = format!("Kvalitetsscore 2023;;;\n{body}");
        assert_eq!(sniff_separator(&text, &options), b';');
        // --header-row points at the header.
        let text = format!("a,b\nc,d\n{body}");
        let at_three = LoadOptions {
            header_row: Some(3),
            ..LoadOptions::default()
        };
        assert_eq!(sniff_separator(&text, &at_three), b';');
        // Nothing resolves: the count decides, as before.
        assert_eq!(sniff_separator("x;y\n1;2\n", &options), b';');
    }

    #[test]
    fn title_rows_and_blank_lines_above_the_header() {
        let plain = "authority,visit_id,indicator,score\nNord,v1,1.a,4\nNord,v1,1.b,5\n";
        let titled = format!("Samlede kvalitetsscore fra alle tilsyn 2023\n\n\r\n{plain}");
        let (rows, malformed, counts) = read_with(&titled, usize::MAX);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 5, "the first rating is on line 5");
        assert!(malformed.is_empty());
        assert_eq!(counts, vec![2, 2, 0], "ratings, records, blank records");
        let plain_rows = read_with(plain, usize::MAX).0;
        let fields = |rows: &Rows| rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>();
        assert_eq!(fields(&rows), fields(&plain_rows));
    }
}
