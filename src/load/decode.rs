//! Text decoding: bytes of a delimited export → UTF-8.
//!
//! polars and the CSV parser read UTF-8 only, while Danish Excel saves "CSV (semikolon
//! separeret)" as Windows-1252. The rule, in order:
//! 1. a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE) and is removed;
//! 2. bytes that are valid UTF-8 are UTF-8;
//! 3. otherwise Windows-1252 (which, per WHATWG, is also what `latin1` means).
//!
//! `--encoding` forces one. Decoded text that holds control characters other than tab, CR
//! and LF is not text (binary data, a PDF, UTF-16 without a mark): the error names the
//! file, line and column of the first such byte.

use std::borrow::Cow;
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;

use crate::error::{Error, Result};

/// Which text encoding to assume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum EncodingChoice {
    /// Byte-order mark, else UTF-8 if valid, else Windows-1252.
    #[default]
    Auto,
    /// UTF-8 (a BOM is allowed and removed).
    #[cfg_attr(feature = "cli", value(name = "utf-8"))]
    Utf8,
    /// Windows-1252 / Latin-1.
    #[cfg_attr(
        feature = "cli",
        value(name = "windows-1252", alias = "cp1252", alias = "latin1")
    )]
    Windows1252,
    /// UTF-16 little endian.
    #[cfg_attr(feature = "cli", value(name = "utf-16le"))]
    Utf16Le,
    /// UTF-16 big endian.
    #[cfg_attr(feature = "cli", value(name = "utf-16be"))]
    Utf16Be,
}

/// Decoded text and the name of the encoding that was used.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text, without a byte-order mark.
    pub text: Cow<'a, str>,
    /// e.g. `utf-8`, `utf-8 (BOM)`, `windows-1252`.
    pub encoding: String,
}

/// Decodes `bytes` (the contents of `path`) as the rule above says.
pub fn decode<'a>(bytes: &'a [u8], choice: EncodingChoice, path: &Path) -> Result<Decoded<'a>> {
    let bom = Encoding::for_bom(bytes);
    // Valid UTF-8 without a mark, the common case, is validated once and borrowed.
    let plain_utf8 = match (choice, bom) {
        (EncodingChoice::Auto, None) => simdutf8::basic::from_utf8(bytes).ok(),
        _ => None,
    };
    let (encoding, bom_len) = match (choice, bom) {
        (EncodingChoice::Auto, Some((enc, len))) => (enc, len),
        (EncodingChoice::Auto, None) if plain_utf8.is_some() => (UTF_8, 0),
        (EncodingChoice::Auto, None) => (WINDOWS_1252, 0),
        (EncodingChoice::Utf8, _) => (UTF_8, bom.filter(|(e, _)| *e == UTF_8).map_or(0, |b| b.1)),
        (EncodingChoice::Windows1252, _) => (WINDOWS_1252, 0),
        (EncodingChoice::Utf16Le, _) => (
            UTF_16LE,
            bom.filter(|(e, _)| *e == UTF_16LE).map_or(0, |b| b.1),
        ),
        (EncodingChoice::Utf16Be, _) => (
            UTF_16BE,
            bom.filter(|(e, _)| *e == UTF_16BE).map_or(0, |b| b.1),
        ),
    };
    let body = &bytes[bom_len..];
    let text: Cow<'a, str> = if let Some(text) = plain_utf8 {
        Cow::Borrowed(text)
    } else if encoding == UTF_8 {
        match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let offset = bom_len + e.valid_up_to();
                return Err(decode_error(
                    bytes,
                    offset,
                    path,
                    format!(
                        "byte 0x{:02X} is not valid UTF-8; expected UTF-8 text (or give --encoding windows-1252)",
                        bytes.get(offset).copied().unwrap_or(0)
                    ),
                ));
            }
        }
    } else {
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors {
            return Err(decode_error(
                bytes,
                bom_len,
                path,
                format!("the text is not valid {}", encoding.name()),
            ));
        }
        text
    };
    if let Some((char_offset, c)) = first_control(&text) {
        let utf16_hint = if c == '\0' && looks_like_utf16(body) {
            "; the file looks like UTF-16 without a byte-order mark: save it as CSV UTF-8, or give --encoding utf-16le"
        } else {
            ""
        };
        let (line, column) = line_and_column(&text, char_offset);
        return Err(Error::Decode {
            path: path.to_path_buf(),
            line,
            column,
            detail: format!(
                "control character U+{:04X} found; expected text in UTF-8 or Windows-1252 \
                 (is this a binary file, a PDF or a spreadsheet saved in another format?){utf16_hint}",
                c as u32
            ),
        });
    }
    let name = match (encoding.name(), bom_len > 0) {
        (name, true) => format!("{} (BOM)", name.to_lowercase()),
        (name, false) => name.to_lowercase(),
    };
    Ok(Decoded {
        text,
        encoding: name,
    })
}

/// The first control character other than tab, CR and LF, with its byte offset.
///
/// A byte scan: in UTF-8 the C0 controls and DEL are single bytes below 0x20 or 0x7F, and
/// the C1 controls (U+0080–U+009F) are 0xC2 followed by 0x80–0x9F; no other character
/// contains those byte patterns.
///
/// Blocks of 64 bytes (with the byte after each, for a 0xC2 at a block's end) are tested
/// without branches, which the compiler vectorises; only a block with a hit is looked at
/// byte by byte.
pub(super) fn first_control(text: &str) -> Option<(usize, char)> {
    use rayon::prelude::*;
    const BLOCK: usize = 64;
    const PART: usize = 1 << 20;
    let bytes = text.as_bytes();
    let is_c0 = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0x7F);
    let is_c1 = |b: u8, next: u8| (b == 0xC2) & (next & 0xE0 == 0x80);
    let hit = |at: usize| {
        let next = bytes.get(at + 1).copied().unwrap_or(0);
        is_c0(bytes[at]) || is_c1(bytes[at], next)
    };
    // Parts of a megabyte are scanned in parallel; the first hit in text order wins.
    let offset = (0..bytes.len().div_ceil(PART))
        .into_par_iter()
        .find_map_first(|p| {
            let part_end = ((p + 1) * PART).min(bytes.len());
            (p * PART..part_end).step_by(BLOCK).find_map(|start| {
                let end = (start + BLOCK).min(part_end);
                // The byte after each byte of the block; the text's last block is looked at
                // byte by byte.
                let Some(after) = bytes.get(start + 1..end + 1) else {
                    return (start..end).find(|&at| hit(at));
                };
                let block = &bytes[start..end];
                let c0 = block.iter().fold(false, |any, &b| any | is_c0(b));
                let c1 = block
                    .iter()
                    .zip(after)
                    .fold(false, |any, (&b, &n)| any | is_c1(b, n));
                if !(c0 || c1) {
                    return None;
                }
                (start..end).find(|&at| hit(at))
            })
        })?;
    text[offset..].chars().next().map(|c| (offset, c))
}

/// Whether every other byte is NUL, as in ASCII text stored as UTF-16.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    let zeros_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = sample.len() / 2;
    half > 0 && (zeros_at(0) * 10 > half * 8 || zeros_at(1) * 10 > half * 8)
}

fn decode_error(bytes: &[u8], offset: usize, path: &Path, detail: String) -> Error {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    Error::Decode {
        path: path.to_path_buf(),
        line,
        column: (offset - line_start) as u64 + 1,
        detail,
    }
}

/// 1-based line and character column of a byte offset in `text`.
fn line_and_column(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(bytes: &[u8]) -> Result<Decoded<'_>> {
        decode(bytes, EncodingChoice::Auto, Path::new("f.csv"))
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let d = auto("Myndighed;Besøg\n".as_bytes()).expect("decodes");
        assert_eq!(
            (d.text.as_ref(), d.encoding.as_str()),
            ("Myndighed;Besøg\n", "utf-8")
        );
        let d = auto("\u{feff}Myndighed\n".as_bytes()).expect("decodes");
        assert_eq!(
            (d.text.as_ref(), d.encoding.as_str()),
            ("Myndighed\n", "utf-8 (BOM)")
        );
    }

    #[test]
    fn windows_1252_danish_letters() {
        // "Øst;æøå" in Windows-1252: Ø = 0xD8, æ = 0xE6, ø = 0xF8, å = 0xE5.
        let d = auto(&[0xD8, b's', b't', b';', 0xE6, 0xF8, 0xE5]).expect("decodes");
        assert_eq!(d.text, "Øst;æøå");
        assert_eq!(d.encoding, "windows-1252");
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "a;ø\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let d = auto(&bytes).expect("decodes");
        assert_eq!(d.text, "a;ø\n");
    }

    #[test]
    fn binary_is_refused_with_line_and_column() {
        let err = auto(b"authority,visit\nNord,\x00\x01\x02")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.csv:2:6:"), "{err}");
        let mut utf16 = Vec::new();
        for unit in "authority,visit\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let err = auto(&utf16).unwrap_err().to_string();
        assert!(err.contains("UTF-16"), "{err}");
    }

    #[test]
    fn control_scan_agrees_with_char_is_control() {
        let text = "a\tb\r\nø€\u{80}x\u{9f}\u{7f}\u{1}\u{a0}ÿ\u{85}";
        let mut rest = text;
        let mut offset = 0;
        while let Some((at, c)) = first_control(rest) {
            let expected = rest
                .char_indices()
                .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            assert_eq!(Some((at, c)), expected);
            offset += at + c.len_utf8();
            rest = &text[offset..];
        }
        assert!(
            !rest
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        );
    }

    proptest::proptest! {
        /// Across 64-byte block boundaries too: `§` is 0xC2 0xA7, U+0085 is 0xC2 0x85.
        #[test]
        fn control_scan_finds_the_first_control_anywhere(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just('a'), proptest::strategy::Just('§'),
                    proptest::strategy::Just('ø'), proptest::strategy::Just('\t'),
                    proptest::strategy::Just('\u{85}'), proptest::strategy::Just('\u{7f}'),
                    proptest::strategy::Just('\u{1}'), proptest::strategy::Just('\u{a0}'),
                ],
                0..300,
            ),
            controls in 0usize..3,
        ) {
            // Mostly text without controls, so that hits land anywhere in long blocks.
            let text: String = chars
                .iter()
                .enumerate()
                .map(|(i, &c)| if controls == 0 && c.is_control() && c != '\t' && i % 7 != 0 { 'b' } else { c })
                .collect();
            let expected = text
                .char_indices()
                .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            proptest::prop_assert_eq!(first_control(&text), expected);
        }
    }

    #[test]
    fn forced_utf8_reports_the_bad_byte() {
        let err = decode(b"a,b\nc,\xF8\n", EncodingChoice::Utf8, Path::new("f.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("f.csv:2:3:") && err.contains("0xF8"),
            "{err}"
        );
    }
}
