//! Delimited files read as a stream of blocks, parsed in parallel.
//!
//! A regular file in UTF-8 or Windows-1252 is not read whole: one thread reads it in blocks
//! of about [`BLOCK`] bytes, feeds them to the SHA-256, and cuts each after its last line feed
//! that an even number of quotes precedes, which is a record boundary when every quote opens,
//! closes or doubles inside a quoted field (the parsers check that; a longer record makes its
//! block grow); the rayon pool
//! decodes and parses the blocks with [`Records`], each into a part of the table, and the
//! parts are joined in file order as they finish. The result is what reading the file whole
//! gives ([`super::delimited::read`]): the same records, line numbers, counts and hash. Memory
//! beyond the table is a few blocks, so the file's bytes are never held at once, and reading
//! overlaps parsing.
//!
//! The rules for text are those of [`super::decode`]: a UTF-8 byte-order mark is dropped;
//! without one, the file is UTF-8 if its first block is, else Windows-1252. Whatever the
//! stream cannot settle on its own makes it give up, and the file is read whole instead,
//! which decides from all the bytes or names the line and column of the fault: another format
//! or a UTF-16 mark; a later block that is not valid UTF-8; a control character; a quote that
//! does not open a field (quote parity then does not say where records end); a header (with
//! the title rows above it) or the first lines the separator is sniffed from that do not fit in
//! the first block.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::progress::{Progress, Silent};

use super::decode::{self, EncodingChoice};
use super::delimited::{self, Records, SNIFF_LINES, last_record_end, parity_record_end};
use super::sink::{FileRead, RowSink, SinkCounts, SinkTemplate};
use super::table::TableBuilder;
use super::{Format, LoadOptions};

/// Bytes read per block (a block holds whole records, so it ends a little earlier).
pub const BLOCK: usize = 1 << 20;
/// Blocks read ahead of the parsers.
const AHEAD: usize = 4;

/// One file read by the stream.
#[derive(Debug)]
pub struct Streamed {
    /// Its ratings.
    pub table: TableBuilder,
    /// What the sink saw.
    pub read: FileRead,
    /// SHA-256 of every byte, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The encoding's name, as [`decode::decode`] gives it.
    pub encoding: String,
    /// The separator.
    pub separator: u8,
}

/// Reads the delimited file at `path` (a regular file) as a stream; `Ok(None)` when the
/// stream gives up (see the module docs) and the file must be read whole.
pub fn read(
    path: &Path,
    file_index: u32,
    options: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Option<Streamed>> {
    read_blocks(path, file_index, options, progress, BLOCK)
}

/// [`read`] with blocks of `block` bytes.
fn read_blocks(
    path: &Path,
    file_index: u32,
    options: &LoadOptions,
    progress: &dyn Progress,
    block: usize,
) -> Result<Option<Streamed>> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut blocks = Blocks {
        file: File::open(path).map_err(read_error)?,
        hasher: Sha256::new(),
        bytes: 0,
        lines: 0,
        eof: false,
        block,
    };
    let mut first = Vec::with_capacity(block);
    blocks
        .fill(&mut first, block, progress)
        .map_err(read_error)?;
    if first.is_empty() || super::detect(&first, path).ok() != Some(Format::Csv) {
        return Ok(None);
    }
    let Some(bom_len) = bom_length(&first, options.encoding) else {
        return Ok(None);
    };
    let head = Head {
        bom_len,
        options,
        progress,
    };
    let Some((kind, separator)) = head
        .settle_text(&mut blocks, &mut first)
        .map_err(read_error)?
    else {
        return Ok(None);
    };
    let Some(carry) = head
        .cut_first(&mut blocks, &mut first, separator)
        .map_err(read_error)?
    else {
        return Ok(None);
    };

    // The first block of whole records: header and first ratings, read on this thread.
    blocks.lines = memchr::memchr_iter(b'\n', &first).count() as u64;
    let Some(text) = kind.decode(&first[bom_len..]) else {
        return Ok(None);
    };
    if blocks.eof && carry.is_empty() && text.trim().is_empty() {
        return Ok(None);
    }
    let mut table = TableBuilder::new();
    let mut sink = RowSink::new(path, file_index, options, &mut table);
    let mut records = Records::new(&text, separator, 1, true);
    if !delimited::read_header(&mut records, &mut sink, separator)? {
        return Ok(None);
    }
    delimited::read_body(&mut records, &mut sink, separator, &Silent)?;
    drop(text);
    if !blocks.eof {
        reserve_rest(&mut sink, path, first.len());
    }
    let parser = Parser {
        kind,
        separator,
        progress,
    };
    let (blocks, sink) = match parser.parse_rest(blocks, carry, first, sink) {
        Ok(Some(done)) => done,
        Ok(None) | Err(Stop::GaveUp) => return Ok(None),
        Err(Stop::Read(source)) => return Err(read_error(source)),
    };
    let read = sink.finish()?;
    Ok(Some(Streamed {
        table,
        read,
        sha256: super::hex(&blocks.hasher.finalize()),
        bytes: blocks.bytes,
        encoding: match (kind, bom_len > 0) {
            (Text::Utf8, true) => "utf-8 (BOM)".to_string(),
            (Text::Utf8, false) => "utf-8".to_string(),
            (Text::Windows1252, _) => "windows-1252".to_string(),
        },
        separator,
    }))
}

/// The length of the byte-order mark the stream skips (0 without one); `None` when the stream
/// cannot read this encoding (UTF-16) and the file must be read whole.
fn bom_length(first: &[u8], choice: EncodingChoice) -> Option<usize> {
    match (choice, Encoding::for_bom(first)) {
        (EncodingChoice::Auto | EncodingChoice::Utf8, Some((encoding, len)))
            if encoding == UTF_8 =>
        {
            Some(len)
        }
        (EncodingChoice::Auto, Some(_)) => None,
        (EncodingChoice::Auto | EncodingChoice::Utf8 | EncodingChoice::Windows1252, _) => Some(0),
        (EncodingChoice::Utf16Le | EncodingChoice::Utf16Be, _) => None,
    }
}

/// Reserves room for the ratings of the rest of the file, which will hold about as many per
/// byte as the first block of `first_len` bytes.
fn reserve_rest(sink: &mut RowSink<'_>, path: &Path, first_len: usize) {
    let size = std::fs::metadata(path).map_or(0, |m| m.len()) as f64;
    let per_byte = sink.table().height() as f64 / first_len.max(1) as f64;
    let rest = (size - first_len as f64).max(0.0) * per_byte * 1.05;
    sink.table().reserve(rest as usize);
}

/// How the first block is read: after a byte-order mark of `bom_len` bytes.
struct Head<'o> {
    bom_len: usize,
    options: &'o LoadOptions,
    progress: &'o dyn Progress,
}

impl Head<'_> {
    /// The text encoding and the separator. The first block grows until it holds a line end
    /// and the lines the separator is sniffed from; the encoding is decided on its whole
    /// lines. `None` when they are not text.
    fn settle_text(
        &self,
        blocks: &mut Blocks,
        first: &mut Vec<u8>,
    ) -> std::io::Result<Option<(Text, u8)>> {
        let options = self.options;
        loop {
            let lines_end = match memchr::memrchr(b'\n', first) {
                _ if blocks.eof => first.len(),
                Some(at) => at + 1,
                None => 0,
            };
            let head = first.get(self.bom_len..lines_end).unwrap_or_default();
            let kind = match options.encoding {
                EncodingChoice::Windows1252 => Text::Windows1252,
                EncodingChoice::Auto
                    if self.bom_len == 0 && simdutf8::basic::from_utf8(head).is_err() =>
                {
                    Text::Windows1252
                }
                _ => Text::Utf8,
            };
            let Some(head) = kind.decode(head) else {
                return Ok(None);
            };
            let enough = blocks.eof
                || (lines_end > 0
                    && (options.separator.is_some()
                        || head
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .take(SNIFF_LINES)
                            .count()
                            == SNIFF_LINES));
            if enough {
                let separator = options
                    .separator
                    .unwrap_or_else(|| delimited::sniff_separator(&head, options));
                return Ok(Some((kind, separator)));
            }
            let grown = first.len() * 2;
            blocks.fill(first, grown, self.progress)?;
        }
    }

    /// Cuts the first block after its last whole record (growing it until it holds one) and
    /// returns the rest; `None` when a quote misleads the cut.
    fn cut_first(
        &self,
        blocks: &mut Blocks,
        first: &mut Vec<u8>,
        separator: u8,
    ) -> std::io::Result<Option<Vec<u8>>> {
        let cut = loop {
            match last_record_end(&first[self.bom_len..], separator) {
                Err(_) => return Ok(None),
                Ok(Some(end)) => break self.bom_len + end,
                Ok(None) if blocks.eof => break first.len(),
                Ok(None) => {
                    let grown = first.len() * 2;
                    blocks.fill(first, grown, self.progress)?;
                }
            }
        };
        Ok(Some(first.split_off(cut)))
    }
}

/// How the blocks after the first are parsed.
struct Parser<'p> {
    kind: Text,
    separator: u8,
    progress: &'p dyn Progress,
}

impl Parser<'_> {
    /// Reads the rest of the file on a thread of its own, starting with `carry`, while the
    /// pool parses its blocks into `sink`'s table; `first_buffer` is the first block's buffer,
    /// for reuse. `None` when a parser gave up.
    fn parse_rest<'s>(
        &self,
        mut blocks: Blocks,
        carry: Vec<u8>,
        first_buffer: Vec<u8>,
        sink: RowSink<'s>,
    ) -> std::result::Result<Option<(Blocks, RowSink<'s>)>, Stop> {
        let template = sink.template();
        let abandon = AtomicBool::new(false);
        let merge = Mutex::new(Merge {
            sink,
            next: 1,
            pending: BTreeMap::new(),
        });
        let (work, queue) = mpsc::sync_channel::<Block>(AHEAD);
        let (free, recycled) = mpsc::channel::<Vec<u8>>();
        let progress = self.progress;
        let sent = std::thread::scope(|scope| {
            let abandon = &abandon;
            let reader = scope.spawn(move || {
                let sent = blocks.run(carry, &work, &recycled, abandon, progress);
                drop(work); // the parsers stop when the queue is closed
                sent.map(|sent| (sent, blocks))
            });
            let _ = free.send(first_buffer);
            queue.into_iter().par_bridge().for_each(|block| {
                if abandon.load(Ordering::Relaxed) {
                    return;
                }
                match self.parse_block(&block, &template) {
                    Some((part, counts)) => {
                        let _ = free.send(block.bytes);
                        let mut merge = merge
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        merge.add(block.index, part, counts);
                    }
                    None => abandon.store(true, Ordering::Relaxed),
                }
            });
            reader.join().unwrap_or(Err(Stop::GaveUp))
        });
        let (sent, blocks) = sent?;
        let merge = merge
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if abandon.load(Ordering::Relaxed) || merge.next != sent + 1 || !merge.pending.is_empty() {
            return Ok(None);
        }
        Ok(Some((blocks, merge.sink)))
    }

    /// One block parsed into a part of the table; `None` if it cannot be (the file is then
    /// read again, whole).
    fn parse_block(
        &self,
        block: &Block,
        template: &SinkTemplate<'_>,
    ) -> Option<(TableBuilder, SinkCounts)> {
        let text = self.kind.decode(&block.bytes)?;
        let mut part = TableBuilder::new();
        let mut part_sink = template.sink(&mut part);
        let mut records = Records::new(&text, self.separator, block.first_line, false);
        // The block was cut by quote parity, which a quote that does not open a field
        // misleads: then the whole file is read again, in one piece.
        if delimited::read_body(&mut records, &mut part_sink, self.separator, &Silent).is_err()
            || !records.quotes_regular()
        {
            return None;
        }
        let counts = part_sink.into_counts();
        Some((part, counts))
    }
}

/// The text encoding of the blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Utf8,
    Windows1252,
}

impl Text {
    /// `bytes` as text, or `None` if they are not valid in this encoding or hold a control
    /// character (the whole-file reader then says where).
    fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        let text = match self {
            Text::Utf8 => Cow::Borrowed(simdutf8::basic::from_utf8(bytes).ok()?),
            Text::Windows1252 => {
                WINDOWS_1252.decode_without_bom_handling_and_without_replacement(bytes)?
            }
        };
        decode::first_control(&text).is_none().then_some(text)
    }
}

/// A block of whole records.
struct Block {
    /// Its place in the file (block 0 is the first, read before the others).
    index: usize,
    /// The line its first byte is on.
    first_line: u64,
    bytes: Vec<u8>,
}

/// Why the reader stopped early.
enum Stop {
    /// A parser gave up (see the module docs).
    GaveUp,
    /// The file could not be read.
    Read(std::io::Error),
}

/// The file being read, and what has been read of it.
struct Blocks {
    file: File,
    hasher: Sha256,
    /// Bytes read.
    bytes: u64,
    /// Line feeds in the blocks cut so far.
    lines: u64,
    eof: bool,
    /// Bytes to read per block.
    block: usize,
}

impl Blocks {
    /// Reads into `buffer` until it holds `target` bytes or the file ends, hashing what comes.
    fn fill(
        &mut self,
        buffer: &mut Vec<u8>,
        target: usize,
        progress: &dyn Progress,
    ) -> std::io::Result<()> {
        while !self.eof && buffer.len() < target {
            let before = buffer.len();
            let want = target - before;
            buffer.reserve(want);
            let got = (&mut self.file).take(want as u64).read_to_end(buffer)?;
            self.eof = got < want;
            self.hasher.update(&buffer[before..]);
            self.bytes += got as u64;
            progress.advance(got as u64);
        }
        Ok(())
    }

    /// Reads the rest of the file, starting with `carry`, and sends its blocks (numbered from
    /// 1) to `work`, taking buffers back from `recycled`. Returns the number of blocks sent.
    fn run(
        &mut self,
        mut carry: Vec<u8>,
        work: &mpsc::SyncSender<Block>,
        recycled: &mpsc::Receiver<Vec<u8>>,
        abandon: &AtomicBool,
        progress: &dyn Progress,
    ) -> std::result::Result<usize, Stop> {
        let mut sent = 0;
        while !(self.eof && carry.is_empty()) {
            if abandon.load(Ordering::Relaxed) {
                return Err(Stop::GaveUp);
            }
            let mut buffer = recycled.try_recv().unwrap_or_default();
            buffer.clear();
            buffer.append(&mut carry);
            let mut target = self.block.max(buffer.len());
            let cut = loop {
                self.fill(&mut buffer, target, progress)
                    .map_err(Stop::Read)?;
                if buffer.is_empty() {
                    return Ok(sent);
                }
                match parity_record_end(&buffer) {
                    Some(end) => break end,
                    None if self.eof => break buffer.len(),
                    None => target = buffer.len() * 2,
                }
            };
            carry.extend_from_slice(&buffer[cut..]);
            buffer.truncate(cut);
            let first_line = self.lines + 1;
            self.lines += memchr::memchr_iter(b'\n', &buffer).count() as u64;
            sent += 1;
            let block = Block {
                index: sent,
                first_line,
                bytes: buffer,
            };
            if work.send(block).is_err() {
                return Err(Stop::GaveUp);
            }
        }
        Ok(sent)
    }
}

/// Joins the parsed parts into the file's table in file order, as they come.
struct Merge<'a> {
    sink: RowSink<'a>,
    /// The block whose part is appended next.
    next: usize,
    /// Parts that finished before an earlier one.
    pending: BTreeMap<usize, (TableBuilder, SinkCounts)>,
}

impl Merge<'_> {
    fn add(&mut self, index: usize, part: TableBuilder, counts: SinkCounts) {
        self.pending.insert(index, (part, counts));
        while let Some((part, counts)) = self.pending.remove(&self.next) {
            self.sink.table().append(part);
            self.sink.absorb(counts);
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    use crate::load::Field;

    /// Everything a read yields that the stream must reproduce.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        rows: Vec<(u64, Vec<Option<String>>)>,
        read: String,
        sha256: String,
        bytes: u64,
        encoding: String,
        separator: u8,
    }

    fn outcome(
        table: TableBuilder,
        read: &FileRead,
        sha256: String,
        bytes: u64,
        encoding: String,
        separator: u8,
    ) -> Outcome {
        let raw = table.finish();
        let rows = (0..raw.height())
            .map(|r| {
                let fields = Field::ALL
                    .iter()
                    .map(|&f| raw.get(f, r).map(str::to_string))
                    .collect();
                (raw.line(r).expect("line"), fields)
            })
            .collect();
        Outcome {
            rows,
            read: format!("{read:?}"),
            sha256,
            bytes,
            encoding,
            separator,
        }
    }

    /// `bytes` read whole, as the loader does for standard input.
    fn whole(path: &Path, options: &LoadOptions) -> Result<Outcome> {
        let bytes = std::fs::read(path).expect("readable");
        let mut table = TableBuilder::new();
        let mut sink = RowSink::new(path, 0, options, &mut table);
        let (_, encoding, separator, _) =
            super::super::parse(&bytes, path, options, &mut sink, &Silent)?;
        let read = sink.finish()?;
        let separator = match separator.as_deref() {
            Some("\\t") => b'\t',
            other => other.and_then(|s| s.bytes().next()).unwrap_or(0),
        };
        Ok(outcome(
            table,
            &read,
            super::super::hex(&Sha256::digest(&bytes)),
            bytes.len() as u64,
            encoding.unwrap_or_default(),
            separator,
        ))
    }

    fn streamed(path: &Path, options: &LoadOptions, block: usize) -> Result<Option<Outcome>> {
        Ok(read_blocks(path, 0, options, &Silent, block)?
            .map(|s| outcome(s.table, &s.read, s.sha256, s.bytes, s.encoding, s.separator)))
    }

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("export.csv");
        std::fs::write(&path, bytes).expect("write");
        (dir, path)
    }

    /// An export of `visits` visits with quoted offer types (some over two lines), CRLF line
    /// ends, blank lines and short rows.
    fn export(visits: usize) -> String {
        let mut text = String::from("authority,visit_id,indicator,score,offer_type\r\n");
        for v in 0..visits {
            let offer = match v % 5 {
                0 => "\"§ 66, stk. 1\"",
                1 => "\"two\nlines, \"\"quoted\"\"\"",
                2 => "",
                3 => "\"\"",
                _ => "plain æøå",
            };
            for (i, id) in ["1.a", "1.b", "2.a"].iter().enumerate() {
                text.push_str(&format!("Nord,v{v},{id},{},{offer}\r\n", (v + i) % 5 + 1));
            }
            if v % 7 == 0 {
                text.push_str("\r\n,,,,\r\nSyd,short\r\n");
            }
        }
        text
    }

    #[test]
    fn blocks_read_exactly_what_the_whole_file_gives() {
        let text = export(300);
        let (_dir, path) = file_with(text.as_bytes());
        let options = LoadOptions::default();
        let expected = whole(&path, &options).expect("reads");
        assert!(expected.rows.len() > 800);
        // Blocks smaller than a line, than a record, and larger than the file.
        for block in [1, 7, 64, 300, 4096, 1 << 20] {
            let got = streamed(&path, &options, block).expect("reads");
            assert_eq!(got.as_ref(), Some(&expected), "block {block}");
        }
    }

    #[test]
    fn title_rows_stream_as_the_whole_file_reads_them() {
        // A title, blank lines and a Danish header: the first block must hold all of them and
        // the lines the separator is sniffed from.
        let body = export(200).replace(',', ";");
        let text = format!("Samlede kvalitetsscore fra alle tilsyn 2023\r\n\r\n;;;;\r\n{body}");
        let (_dir, path) = file_with(text.as_bytes());
        let options = LoadOptions::default();
        let expected = whole(&path, &options).expect("reads");
        assert_eq!(expected.separator, b';');
        assert_eq!(expected.rows[0].0, 5, "the first rating is on line 5");
        for block in [1, 64, 4096, 1 << 20] {
            let got = streamed(&path, &options, block).expect("reads");
            assert_eq!(got.as_ref(), Some(&expected), "block {block}");
        }
    }

    #[test]
    fn a_record_longer_than_a_block_makes_it_grow() {
        let long = "x\n".repeat(5000);
        let text =
            format!("authority;visit_id;indicator;score\nNord;\"{long}\";1.a;4\nNord;v2;1.b;5\n");
        let (_dir, path) = file_with(text.as_bytes());
        let options = LoadOptions::default();
        let expected = whole(&path, &options).expect("reads");
        let got = streamed(&path, &options, 64)
            .expect("reads")
            .expect("streamed");
        assert_eq!(got, expected);
        assert_eq!(got.rows[1].0, 5003, "line of the record after the long one");
    }

    #[test]
    fn windows_1252_and_a_byte_order_mark_stream_too() {
        let text = export(100);
        let (bytes, _, _) = WINDOWS_1252.encode(&text);
        let (_dir, path) = file_with(&bytes);
        let options = LoadOptions::default();
        let got = streamed(&path, &options, 256)
            .expect("reads")
            .expect("streamed");
        assert_eq!(got.encoding, "windows-1252");
        assert_eq!(got, whole(&path, &options).expect("reads"));
        let marked = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (_dir, path) = file_with(&marked);
        let got = streamed(&path, &options, 256)
            .expect("reads")
            .expect("streamed");
        assert_eq!(got.encoding, "utf-8 (BOM)");
        assert_eq!(got, whole(&path, &options).expect("reads"));
    }

    #[test]
    fn what_the_stream_cannot_settle_is_left_to_the_whole_file_reader() {
        let options = LoadOptions::default();
        let text = export(60);
        let late = |insert: &[u8]| -> Vec<u8> {
            let mut bytes = text.clone().into_bytes();
            let at = bytes.len() - 40;
            bytes.splice(at..at, insert.iter().copied());
            bytes
        };
        for (what, bytes) in [
            (
                "a quote inside a field",
                late(b"Nord,v1,1.a,4,5\" screen\r\n"),
            ),
            (
                "invalid UTF-8 after the first block",
                late(b"Nord,v1,1.a,4,\xE6\r\n"),
            ),
            ("a control character", late(b"Nord,v1,1.a,4,\x07\r\n")),
            (
                "a UTF-16 mark",
                [b"\xFF\xFE".as_slice(), text.as_bytes()].concat(),
            ),
        ] {
            let (_dir, path) = file_with(&bytes);
            assert_eq!(
                streamed(&path, &options, 512).expect("no error"),
                None,
                "{what}"
            );
        }
        // The public loader then reads the file whole: the late invalid byte makes the
        // whole file Windows-1252, and the control character is an error with its place.
        let (_dir, path) = file_with(&late(b"Nord,v1,1.a,4,\xE6\r\n"));
        let loaded = crate::load::load(&[path], &options).expect("reads");
        assert_eq!(loaded.sources[0].encoding.as_deref(), Some("windows-1252"));
        let (_dir, path) = file_with(&late(b"Nord,v1,1.a,4,\x07\r\n"));
        let error = crate::load::load(&[path], &options).expect_err("control character");
        assert!(error.to_string().contains("U+0007"), "{error}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Whatever the text and the block size, the stream reads what the whole-file reader
        /// reads, or leaves the file to it.
        #[test]
        fn the_stream_agrees_with_the_whole_file(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("Nord,v1,1.a,4\n"), Just("Syd,v2,1.b,5\r\n"), Just("\n"), Just("\r\n"),
                    Just(","), Just("\""), Just("\"a,\nb\""), Just("x"), Just("ø"), Just(" "),
                ],
                0..80,
            ),
            block in 1usize..200,
        ) {
            let text = format!("authority,visit_id,indicator,score\n{}", pieces.concat());
            let (_dir, path) = file_with(text.as_bytes());
            let options = LoadOptions { separator: Some(b','), ..Default::default() };
            let expected = whole(&path, &options).map_err(|e| e.to_string());
            match streamed(&path, &options, block).map_err(|e| e.to_string()) {
                Ok(None) => {}
                got => prop_assert_eq!(got.map(|o| o.expect("some")), expected),
            }
        }

        /// Rows of quoted and plain fields, ragged, with either line end and blank lines:
        /// quoting as RFC 4180 writers do it, which the stream always reads itself.
        #[test]
        fn regular_quoting_always_streams(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        prop_oneof![
                            Just("Nord"), Just("v1"), Just("1.a"), Just("4"), Just(""),
                            Just("\"\""), Just("\"a,b\""), Just("\"two\nlines\""),
                            Just("\"say \"\"hi\"\"\""), Just(" ø "),
                        ],
                        1..7,
                    ),
                    prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n"), Just("\r\n\r\n")],
                ),
                0..40,
            ),
            block in 1usize..200,
        ) {
            let mut text = String::from("authority,visit_id,indicator,score\n");
            for (fields, end) in &rows {
                text.push_str(&fields.join(","));
                text.push_str(end);
            }
            let (_dir, path) = file_with(text.as_bytes());
            let options = LoadOptions::default();
            let expected = whole(&path, &options).map_err(|e| e.to_string());
            let got = streamed(&path, &options, block).map_err(|e| e.to_string());
            match (got, expected) {
                (Ok(got), Ok(expected)) => prop_assert_eq!(got, Some(expected)),
                (got, expected) => prop_assert_eq!(got.map(|_| ()), expected.map(|_| ())),
            }
        }
    }
}
