//! Limits on what a zipped workbook (.xlsx, .xlsm, .xlsb, .ods) may unpack to, checked before
//! the workbook is opened.
//!
//! A workbook is a zip archive of XML (or binary) parts. Its central directory declares each
//! part's packed and unpacked size; a "zip bomb" declares a few megabytes that unpack to
//! gigabytes. Before calamine opens the workbook, [`check`] reads the central directory (with
//! the `zip` crate calamine itself uses) and refuses the file, naming the part, its size and
//! the limit, when
//!
//! - a part declares more than [`PART_LIMIT`] (512 MiB) unpacked. A full Excel sheet of a long
//!   export (1,048,576 rows, the most a sheet holds, of 7 cells with inline strings) is about
//!   440 MB of XML; the national export of ~56k ratings is 24 MB (openpyxl) or less;
//! - all parts together declare more than [`TOTAL_LIMIT`] (1 GiB);
//! - a part of more than [`RATIO_FROM`] (16 MiB) unpacks to more than [`RATIO_LIMIT`] (100)
//!   times its packed size. Sheet XML of real data packs 8–20:1 (the shipped sample written by
//!   openpyxl: 16:1), because cell references and ids differ from row to row; deflate's
//!   ceiling is about 1032:1, which only repeated bytes reach. This refuses a bomb that stays
//!   under the size limits at once, instead of after parsing hundreds of megabytes.
//!
//! A part cannot unpack to more than it declares: the `zip` crate's reader (9.x, as locked)
//! fails with "File is larger than its declared uncompressed size" once a part's output passes
//! the size its central directory entry declares (`Crc32Reader::with_size_limit`); calamine
//! reads every part through that reader, and the test below pins the behaviour.
//!
//! An archive the `zip` crate cannot read is left to calamine, whose message says what is
//! wrong, as before these limits. .xls files are not archives (their size is their content).

use std::io::Cursor;
use std::path::Path;

use crate::error::{Error, Result};

/// Largest unpacked size of one part.
pub const PART_LIMIT: u64 = 512 << 20;
/// Largest unpacked size of all parts together.
pub const TOTAL_LIMIT: u64 = 1 << 30;
/// Parts larger than this must pack at most [`RATIO_LIMIT`]:1.
pub const RATIO_FROM: u64 = 16 << 20;
/// Largest unpacked/packed ratio of a part larger than [`RATIO_FROM`].
pub const RATIO_LIMIT: u64 = 100;

/// Refuses a zipped workbook whose parts declare more than the limits (see the module docs).
pub fn check(bytes: &[u8], path: &Path) -> Result<()> {
    let Ok(archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let refuse = |entry: String, found: String, limit: String| Error::WorkbookTooLarge {
        path: path.to_path_buf(),
        entry,
        found,
        limit,
    };
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_data(index) else {
            continue;
        };
        let name = || {
            entry
                .name()
                .map_or_else(|_| format!("part {index}"), |n| format!("part `{n}`"))
        };
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > PART_LIMIT {
            return Err(refuse(
                name(),
                format!("unpacks to {}", mib(size)),
                format!("{} MiB per part", PART_LIMIT >> 20),
            ));
        }
        let ratio = size / packed.max(1);
        if size > RATIO_FROM && ratio > RATIO_LIMIT {
            return Err(refuse(
                name(),
                format!("unpacks to {} from {} ({ratio}:1)", mib(size), mib(packed)),
                format!(
                    "{RATIO_LIMIT}:1 for a part of more than {} MiB",
                    RATIO_FROM >> 20
                ),
            ));
        }
        total = total.saturating_add(size);
    }
    if total > TOTAL_LIMIT {
        return Err(refuse(
            "parts together".to_string(),
            format!("unpack to {}", mib(total)),
            format!("{} MiB per workbook", TOTAL_LIMIT >> 20),
        ));
    }
    Ok(())
}

/// `1434 MiB (1503238553 bytes)`; sizes under a MiB in bytes only.
fn mib(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{bytes} bytes")
    } else {
        format!("{} MiB ({bytes} bytes)", bytes >> 20)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// A zip archive holding `entries` (name, content), deflated, written by the `zip` crate.
    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in entries {
            writer.start_file(*name, options).expect("entry starts");
            writer.write_all(content).expect("entry written");
        }
        writer.finish().expect("archive finished").into_inner()
    }

    /// Rewrites the unpacked size of the only entry of `bytes` to `size`, in its local header
    /// (offset 22) and its central directory header (offset 24), as a forged archive would.
    fn declare_size(bytes: &mut [u8], size: u32) {
        let central = bytes
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("central directory header");
        bytes[22..26].copy_from_slice(&size.to_le_bytes());
        bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    }

    #[test]
    fn the_zip_reader_stops_at_the_declared_size() {
        // 1 MiB of one repeated row, declared as 1000 bytes: the reader must fail instead of
        // producing the 1 MiB (this is what keeps a lying part within the limits above).
        let content = b"<row><c><v>5</v></c></row>".repeat(40_330);
        let mut bytes = archive(&[("xl/worksheets/sheet1.xml", &content)]);
        declare_size(&mut bytes, 1000);
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("archive reads");
        let mut entry = archive.by_index(0).expect("entry opens");
        assert_eq!(entry.size(), 1000);
        let mut out = Vec::new();
        let error = entry.read_to_end(&mut out).expect_err("more than declared");
        assert!(
            error.to_string().contains("larger than its declared"),
            "{error}"
        );
        assert!(out.len() <= 1001, "read {} bytes", out.len());
    }

    #[test]
    fn declared_sizes_over_the_limits_are_refused() {
        let path = Path::new("book.xlsx");
        let small = archive(&[("xl/workbook.xml", b"<workbook/>")]);
        assert!(check(&small, path).is_ok());
        // Not an archive: left to calamine.
        assert!(check(b"PK\x03\x04 not really", path).is_ok());

        let mut big = archive(&[("xl/worksheets/sheet1.xml", b"<x/>")]);
        declare_size(&mut big, 600 << 20);
        let message = check(&big, path).expect_err("over 512 MiB").to_string();
        for part in [
            "book.xlsx",
            "xl/worksheets/sheet1.xml",
            "600 MiB",
            "512 MiB per part",
            "CSV",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }

        // 20 MiB of one repeated row packs about 1000:1.
        let rows = b"<row><c><v>5</v></c></row>".repeat(806_600);
        let bomb = archive(&[("xl/worksheets/sheet1.xml", &rows)]);
        let message = check(&bomb, path).expect_err("ratio").to_string();
        assert!(message.contains("100:1 for a part"), "{message}");
    }
}
