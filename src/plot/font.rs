//! Self-contained SVGs: embeds the fonts the figure uses as a base64 `@font-face`.
//!
//! plotters' SVG backend writes `<text font-family="DejaVu Sans">` and relies on the
//! viewer having the font. `embed_font` (called by the renderer) collects the
//! characters of every `<text>` element, subsets the embedded DejaVu Sans (regular, and
//! bold if bold text occurs) to exactly those glyphs with [`subset_font`], and inserts
//! `<style>@font-face{…src:url(data:font/ttf;base64,…)}</style>` right after the opening
//! `<svg>` tag. A figure's two subsets (regular and bold) are typically 20–30 KB of
//! base64, instead of about 1 MB for the full regular face alone.
//!
//! The subsetter is a small TrueType (`glyf`) subsetter written for this purpose: typst's
//! `subsetter` crate drops the `cmap` table (its output is meant for PDF CID fonts) and so
//! cannot serve a browser `@font-face`. It keeps the glyphs for the requested characters
//! (plus `.notdef` and the components of composite glyphs), renumbers them, writes a new
//! `cmap` (format 4), `loca` (long), `hmtx`, `maxp`, `hhea`, `head` and a format-3
//! `post` and a reduced `name` (copyright, family, version, licence text and URL), copies
//! `OS/2` and `gasp`, and drops the hinting (`cvt `, `fpgm`, `prep` and the glyphs'
//! instructions; browsers smooth text without it), the layout tables (`GSUB`, `GPOS`,
//! `GDEF`, `kern`: plotters lays text out without them too) and the device-metric caches
//! (`hdmx`, `LTSH`, `VDMX`). The DejaVu licence allows modified copies under a name
//! without "Bitstream" or "Vera".
//!
//! For an HTML page that shows several figures, strip the font from each SVG with
//! [`svg_without_font`] and put one [`font_face_css`] rule for all of them in the page.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;

use super::style::{FONT_BOLD, FONT_FAMILY, FONT_REGULAR};
use crate::error::{Error, Result};

/// Marks the `<style>` element [`embed_font`] inserts, so it can be found and removed.
const MARKER: &str = "/*losstat-font*/";

/// Characters drawn in an SVG, split by weight.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct UsedChars {
    regular: BTreeSet<char>,
    bold: BTreeSet<char>,
}

/// Scans plotters' SVG output for `<text …>content</text>` elements.
fn used_chars(svg: &str, used: &mut UsedChars) {
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</text>") else {
            break;
        };
        let set = if tag.contains("font-weight=\"bold\"") {
            &mut used.bold
        } else {
            &mut used.regular
        };
        set.extend(unescape(&body[..close]).chars().filter(|c| !c.is_control()));
        set.insert(' ');
        rest = &body[close..];
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `@font-face` rules (no `<style>` wrapper) for the characters in `used`.
fn css_for(used: &UsedChars) -> std::result::Result<String, String> {
    let mut css = String::new();
    for (chars, bytes, weight) in [
        (&used.regular, FONT_REGULAR, "normal"),
        (&used.bold, FONT_BOLD, "bold"),
    ] {
        if chars.is_empty() {
            continue;
        }
        let subset = subset_font(bytes, chars)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(subset);
        css.push_str(&format!(
            "@font-face{{font-family:\"{FONT_FAMILY}\";font-style:normal;font-weight:{weight};\
             src:url(data:font/ttf;base64,{b64}) format(\"truetype\");}}"
        ));
    }
    Ok(css)
}

/// Inserts the font subset for `svg`'s text after its opening `<svg …>` tag.
pub(crate) fn embed_font(svg: &str) -> std::result::Result<String, String> {
    let mut used = UsedChars::default();
    used_chars(svg, &mut used);
    let css = css_for(&used)?;
    if css.is_empty() {
        return Ok(svg.to_owned());
    }
    let Some(open) = svg.find("<svg") else {
        return Err("the SVG backend produced no <svg> element".to_owned());
    };
    let Some(end) = svg[open..].find('>') else {
        return Err("the SVG backend produced an unterminated <svg> tag".to_owned());
    };
    let at = open + end + 1;
    let mut out = String::with_capacity(svg.len() + css.len() + 40);
    out.push_str(&svg[..at]);
    out.push_str("\n<style>");
    out.push_str(MARKER);
    out.push_str(&css);
    out.push_str("</style>");
    out.push_str(&svg[at..]);
    Ok(out)
}

/// `svg` without the `<style>` element holding the embedded font, for pages that
/// provide the font once themselves (see [`font_face_css`]). Returns the input
/// unchanged if it has no embedded font.
#[must_use]
pub fn svg_without_font(svg: &str) -> String {
    let open = format!("\n<style>{MARKER}");
    let Some(start) = svg.find(&open) else {
        return svg.to_owned();
    };
    let Some(len) = svg[start..].find("</style>") else {
        return svg.to_owned();
    };
    let end = start + len + "</style>".len();
    format!("{}{}", &svg[..start], &svg[end..])
}

/// One set of `@font-face` rules covering the text of all `svgs` (with or without their
/// own embedded font), for the `<style>` of an HTML page that inlines them after
/// [`svg_without_font`].
///
/// # Errors
/// [`Error::Plot`] if the embedded font cannot be subset (it always can; the check is
/// there because the font is parsed at run time).
pub fn font_face_css(svgs: &[&str]) -> Result<String> {
    let mut used = UsedChars::default();
    for svg in svgs {
        used_chars(&svg_without_font(svg), &mut used);
    }
    css_for(&used).map_err(|message| Error::Plot {
        figure: "(font)".to_owned(),
        message,
    })
}

// ---------------------------------------------------------------------------------------
// TrueType subsetting
// ---------------------------------------------------------------------------------------

/// Tables copied unchanged into a subset.
const COPIED_TABLES: [&[u8; 4]; 2] = [b"OS/2", b"gasp"];

/// `name` records kept: (platform, name id). Windows (3) records for the names a
/// system needs to identify the font (0 copyright, 1–6 family/style/ids/version,
/// 14 licence URL), and the licence text (13) once, in its compact Macintosh Roman (1)
/// form, as the Bitstream Vera licence asks its notice to travel with every copy.
fn keep_name(platform: u16, id: u16) -> bool {
    match platform {
        1 => id == 13,
        3 => id <= 6 || id == 14,
        _ => false,
    }
}

/// A `name` table (format 0) with only the records [`keep_name`] selects.
fn build_name(name: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let count = usize::from(be_u16(name, 2)?);
    let storage = usize::from(be_u16(name, 4)?);
    let mut records: Vec<([u16; 4], &[u8])> = Vec::new();
    for i in 0..count {
        let at = 6 + 12 * i;
        let field = |k: usize| be_u16(name, at + 2 * k);
        let (platform, encoding, language, id) = (field(0)?, field(1)?, field(2)?, field(3)?);
        let (len, offset) = (usize::from(field(4)?), usize::from(field(5)?));
        if keep_name(platform, id) {
            let start = storage + offset;
            let text = name
                .get(start..start + len)
                .ok_or("name string outside table")?;
            records.push(([platform, encoding, language, id], text));
        }
    }
    let n = u16::try_from(records.len()).map_err(|_| "too many names")?;
    let mut out = Vec::new();
    push_u16(&mut out, 0);
    push_u16(&mut out, n);
    push_u16(&mut out, 6 + 12 * n);
    let mut strings = Vec::new();
    for (key, text) in &records {
        for &v in key {
            push_u16(&mut out, v);
        }
        push_u16(
            &mut out,
            u16::try_from(text.len()).map_err(|_| "name too long")?,
        );
        push_u16(
            &mut out,
            u16::try_from(strings.len()).map_err(|_| "names too long")?,
        );
        strings.extend_from_slice(text);
    }
    out.extend_from_slice(&strings);
    Ok(out)
}

fn be_u16(data: &[u8], at: usize) -> std::result::Result<u16, String> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("font data truncated at byte {at}"))
}

fn be_u32(data: &[u8], at: usize) -> std::result::Result<u32, String> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("font data truncated at byte {at}"))
}

fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The table directory of a TrueType font.
fn tables(font: &[u8]) -> std::result::Result<BTreeMap<[u8; 4], &[u8]>, String> {
    let version = be_u32(font, 0)?;
    if version != 0x0001_0000 && version != u32::from_be_bytes(*b"true") {
        return Err("not a TrueType (glyf) font".to_owned());
    }
    let n = usize::from(be_u16(font, 4)?);
    let mut out = BTreeMap::new();
    for i in 0..n {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font
            .get(rec..rec + 4)
            .and_then(|t| t.try_into().ok())
            .ok_or("font table directory truncated")?;
        let offset = to_usize(be_u32(font, rec + 8)?);
        let length = to_usize(be_u32(font, rec + 12)?);
        let data = font
            .get(offset..offset.saturating_add(length))
            .ok_or("font table outside the file")?;
        out.insert(tag, data);
    }
    Ok(out)
}

fn table<'a>(
    tables: &BTreeMap<[u8; 4], &'a [u8]>,
    tag: [u8; 4],
) -> std::result::Result<&'a [u8], String> {
    tables
        .get(&tag)
        .copied()
        .ok_or_else(|| format!("font has no {} table", String::from_utf8_lossy(&tag)))
}

/// Composite glyph flags (OpenType `glyf` spec).
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;

const WE_HAVE_INSTRUCTIONS: u16 = 0x0100;

/// Where the parts of a composite glyph are.
#[derive(Debug, Default)]
struct Composite {
    /// Byte offsets of each component's flags; the glyph index follows at `+ 2`.
    flags: Vec<usize>,
    /// End of the component records (instructions, if any, follow).
    end: usize,
}

/// The component layout of a composite glyph; `None` for a simple or empty glyph.
fn composite(glyph: &[u8]) -> std::result::Result<Option<Composite>, String> {
    if glyph.len() < 10 || be_u16(glyph, 0)? & 0x8000 == 0 {
        return Ok(None); // empty or simple glyph (numberOfContours >= 0)
    }
    let mut out = Composite::default();
    let mut at = 10;
    loop {
        let flags = be_u16(glyph, at)?;
        be_u16(glyph, at + 2)?; // bounds check of the glyph index
        out.flags.push(at);
        at += 4;
        at += if flags & ARG_1_AND_2_ARE_WORDS != 0 {
            4
        } else {
            2
        };
        if flags & WE_HAVE_A_SCALE != 0 {
            at += 2;
        } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
            at += 4;
        } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
            at += 8;
        }
        if flags & MORE_COMPONENTS == 0 {
            if at > glyph.len() {
                return Err("composite glyph truncated".to_owned());
            }
            out.end = at;
            return Ok(Some(out));
        }
    }
}

/// A copy of `glyph` without TrueType hinting instructions, with composite component
/// ids mapped through `new_id`.
fn rewrite_glyph(
    glyph: &[u8],
    new_id: &BTreeMap<u16, u16>,
) -> std::result::Result<Vec<u8>, String> {
    if glyph.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(comp) = composite(glyph)? {
        let mut data = glyph[..comp.end].to_vec();
        for at in comp.flags {
            let flags = be_u16(&data, at)? & !WE_HAVE_INSTRUCTIONS;
            data[at..at + 2].copy_from_slice(&flags.to_be_bytes());
            let old = be_u16(&data, at + 2)?;
            let new = new_id
                .get(&old)
                .copied()
                .ok_or("composite component lost")?;
            data[at + 2..at + 4].copy_from_slice(&new.to_be_bytes());
        }
        return Ok(data);
    }
    // Simple glyph: header (10) + endPtsOfContours (2 per contour), then
    // instructionLength and the instructions, then flags and coordinates.
    let contours = usize::from(be_u16(glyph, 0)?);
    let at = 10 + 2 * contours;
    let len = usize::from(be_u16(glyph, at)?);
    let rest = glyph
        .get(at + 2 + len..)
        .ok_or("glyph instructions truncated")?;
    let mut data = Vec::with_capacity(at + 2 + rest.len());
    data.extend_from_slice(&glyph[..at]);
    push_u16(&mut data, 0);
    data.extend_from_slice(rest);
    Ok(data)
}

/// Components of `glyph` (empty for a simple glyph).
fn components(glyph: &[u8]) -> std::result::Result<Vec<u16>, String> {
    match composite(glyph)? {
        None => Ok(Vec::new()),
        Some(c) => c.flags.iter().map(|&at| be_u16(glyph, at + 2)).collect(),
    }
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// A `cmap` table with one format-4 subtable (Windows, Unicode BMP) mapping `pairs`
/// (character, new glyph id; sorted by character) .
fn build_cmap(pairs: &[(u16, u16)]) -> std::result::Result<Vec<u8>, String> {
    // Segments of consecutive characters with consecutive glyph ids share one idDelta.
    let mut segments: Vec<(u16, u16, u16)> = Vec::new(); // (start, end, delta)
    for &(c, g) in pairs {
        let delta = g.wrapping_sub(c);
        match segments.last_mut() {
            Some((_, end, d)) if *end != u16::MAX && *end + 1 == c && *d == delta => *end = c,
            _ => segments.push((c, c, delta)),
        }
    }
    segments.push((0xFFFF, 0xFFFF, 1));
    // The subtable length is a u16: at most 8189 segments (DejaVu has far fewer glyphs).
    let seg_count = u16::try_from(segments.len())
        .ok()
        .filter(|&n| n <= 8189)
        .ok_or("too many characters for one cmap subtable")?;
    let mut power = 1u16;
    let mut selector = 0u16;
    while power.saturating_mul(2) <= seg_count {
        power *= 2;
        selector += 1;
    }
    let search_range = power * 2;
    let mut sub = Vec::new();
    push_u16(&mut sub, 4); // format
    push_u16(&mut sub, 16 + 8 * seg_count); // length
    push_u16(&mut sub, 0); // language
    push_u16(&mut sub, seg_count * 2);
    push_u16(&mut sub, search_range);
    push_u16(&mut sub, selector);
    push_u16(&mut sub, seg_count * 2 - search_range);
    for s in &segments {
        push_u16(&mut sub, s.1); // endCode
    }
    push_u16(&mut sub, 0); // reservedPad
    for s in &segments {
        push_u16(&mut sub, s.0); // startCode
    }
    for s in &segments {
        push_u16(&mut sub, s.2); // idDelta
    }
    for _ in &segments {
        push_u16(&mut sub, 0); // idRangeOffset
    }
    let mut cmap = Vec::new();
    push_u16(&mut cmap, 0); // version
    push_u16(&mut cmap, 1); // numTables
    push_u16(&mut cmap, 3); // platform: Windows
    push_u16(&mut cmap, 1); // encoding: Unicode BMP
    push_u32(&mut cmap, 12); // offset
    cmap.extend_from_slice(&sub);
    Ok(cmap)
}

/// A TrueType font holding only the glyphs needed for `chars` (characters outside the
/// font or outside the Basic Multilingual Plane are skipped).
///
/// # Errors
/// A message if `font` is not a well-formed TrueType font with `glyf` outlines.
pub fn subset_font(font: &[u8], chars: &BTreeSet<char>) -> std::result::Result<Vec<u8>, String> {
    let face = ttf_parser::Face::parse(font, 0).map_err(|e| format!("cannot parse font: {e}"))?;
    let t = tables(font)?;
    let source = Glyphs::of(&t)?;
    // Characters -> old glyph ids.
    let mapping: Vec<(u16, u16)> = chars
        .iter()
        .filter_map(|&c| {
            let code = u16::try_from(u32::from(c)).ok()?;
            Some((code, face.glyph_index(c)?.0))
        })
        .collect();
    let old_ids = source.closure(mapping.iter().map(|m| m.1))?;
    let new_id: BTreeMap<u16, u16> = old_ids
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, u16::try_from(i).unwrap_or(u16::MAX)))
        .collect();
    let n_new = u16::try_from(old_ids.len()).map_err(|_| "too many glyphs")?;
    let mut out_tables = source.rewritten(&old_ids, &new_id)?;
    out_tables.extend(header_tables(&t, n_new)?);
    let cmap_pairs: Vec<(u16, u16)> = mapping
        .iter()
        .filter_map(|&(c, g)| new_id.get(&g).map(|&n| (c, n)))
        .collect();
    out_tables.insert(*b"cmap", build_cmap(&cmap_pairs)?);
    out_tables.insert(*b"name", build_name(table(&t, *b"name")?)?);
    for tag in COPIED_TABLES {
        if let Some(data) = t.get(tag) {
            out_tables.insert(*tag, data.to_vec());
        }
    }
    assemble(&out_tables)
}

/// The tables a subset's glyphs come from: outlines (`glyf` located by `loca`) and
/// horizontal metrics (`hmtx`).
struct Glyphs<'a> {
    loca: &'a [u8],
    glyf: &'a [u8],
    hmtx: &'a [u8],
    long_loca: bool,
    num_glyphs: u16,
    num_hmetrics: u16,
}

impl<'a> Glyphs<'a> {
    fn of(t: &BTreeMap<[u8; 4], &'a [u8]>) -> std::result::Result<Self, String> {
        let num_hmetrics = be_u16(table(t, *b"hhea")?, 34)?;
        if num_hmetrics == 0 {
            return Err("font has no horizontal metrics".to_owned());
        }
        Ok(Self {
            loca: table(t, *b"loca")?,
            glyf: table(t, *b"glyf")?,
            hmtx: table(t, *b"hmtx")?,
            long_loca: be_u16(table(t, *b"head")?, 50)? == 1,
            num_glyphs: be_u16(table(t, *b"maxp")?, 4)?,
            num_hmetrics,
        })
    }

    /// Glyph `gid`'s outline.
    fn data(&self, gid: u16) -> std::result::Result<&'a [u8], String> {
        let (loca, i) = (self.loca, usize::from(gid));
        let (start, end) = if self.long_loca {
            (
                to_usize(be_u32(loca, 4 * i)?),
                to_usize(be_u32(loca, 4 * i + 4)?),
            )
        } else {
            (
                2 * usize::from(be_u16(loca, 2 * i)?),
                2 * usize::from(be_u16(loca, 2 * i + 2)?),
            )
        };
        self.glyf
            .get(start..end)
            .ok_or_else(|| format!("glyph {gid} outside glyf"))
    }

    /// Glyph `gid`'s advance width and left side bearing.
    fn metrics(&self, gid: u16) -> std::result::Result<(u16, u16), String> {
        let (hmtx, n) = (self.hmtx, self.num_hmetrics);
        if gid < n {
            let at = 4 * usize::from(gid);
            return Ok((be_u16(hmtx, at)?, be_u16(hmtx, at + 2)?));
        }
        let last = 4 * usize::from(n - 1);
        let at = 4 * usize::from(n) + 2 * usize::from(gid - n);
        Ok((be_u16(hmtx, last)?, be_u16(hmtx, at)?))
    }

    /// The glyphs `wanted`, `.notdef` (glyph 0) and every component of a composite among
    /// them, in ascending order.
    fn closure(&self, wanted: impl Iterator<Item = u16>) -> std::result::Result<Vec<u16>, String> {
        let mut keep: BTreeSet<u16> = BTreeSet::new();
        let mut work: Vec<u16> = vec![0];
        work.extend(wanted);
        while let Some(g) = work.pop() {
            if g >= self.num_glyphs || !keep.insert(g) {
                continue;
            }
            for component in components(self.data(g)?)? {
                if !keep.contains(&component) {
                    work.push(component);
                }
            }
        }
        Ok(keep.into_iter().collect())
    }

    /// `glyf`, a long `loca` and `hmtx` of the glyphs `old_ids`, renumbered by `new_id`.
    fn rewritten(
        &self,
        old_ids: &[u16],
        new_id: &BTreeMap<u16, u16>,
    ) -> std::result::Result<BTreeMap<[u8; 4], Vec<u8>>, String> {
        let (mut glyf, mut loca, mut hmtx) = (Vec::new(), Vec::new(), Vec::new());
        let offset = |glyf: &Vec<u8>| u32::try_from(glyf.len()).map_err(|_| "glyf too large");
        for &g in old_ids {
            push_u32(&mut loca, offset(&glyf)?);
            glyf.extend_from_slice(&rewrite_glyph(self.data(g)?, new_id)?);
            while glyf.len() % 4 != 0 {
                glyf.push(0);
            }
            let (advance, lsb) = self.metrics(g)?;
            push_u16(&mut hmtx, advance);
            push_u16(&mut hmtx, lsb);
        }
        push_u32(&mut loca, offset(&glyf)?);
        Ok(BTreeMap::from([
            (*b"glyf", glyf),
            (*b"loca", loca),
            (*b"hmtx", hmtx),
        ]))
    }
}

/// `head` (long `loca`, checksum adjustment cleared for [`assemble`]), `hhea` and `maxp` with
/// `n_glyphs` glyphs, and `post` without glyph names.
fn header_tables(
    t: &BTreeMap<[u8; 4], &[u8]>,
    n_glyphs: u16,
) -> std::result::Result<BTreeMap<[u8; 4], Vec<u8>>, String> {
    let mut head = table(t, *b"head")?.to_vec();
    let mut hhea = table(t, *b"hhea")?.to_vec();
    let mut maxp = table(t, *b"maxp")?.to_vec();
    if head.len() < 54 || hhea.len() < 36 || maxp.len() < 6 {
        return Err("font header tables too short".to_owned());
    }
    head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set by `assemble`
    head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca
    hhea[34..36].copy_from_slice(&n_glyphs.to_be_bytes());
    maxp[4..6].copy_from_slice(&n_glyphs.to_be_bytes());
    let mut post = Vec::with_capacity(32);
    push_u32(&mut post, 0x0003_0000); // no glyph names
    let post_tail = table(t, *b"post")?.get(4..32);
    post.extend_from_slice(post_tail.ok_or("post table too short")?);
    Ok(BTreeMap::from([
        (*b"head", head),
        (*b"hhea", hhea),
        (*b"maxp", maxp),
        (*b"post", post),
    ]))
}

/// Writes the sfnt wrapper (directory sorted by tag, 4-byte padded tables, checksums,
/// `head.checkSumAdjustment`).
fn assemble(tables: &BTreeMap<[u8; 4], Vec<u8>>) -> std::result::Result<Vec<u8>, String> {
    let n = u16::try_from(tables.len()).map_err(|_| "too many tables")?;
    let mut power = 1u16;
    let mut selector = 0u16;
    while power * 2 <= n {
        power *= 2;
        selector += 1;
    }
    let search_range = power * 16;
    let mut out = Vec::new();
    push_u32(&mut out, 0x0001_0000);
    push_u16(&mut out, n);
    push_u16(&mut out, search_range);
    push_u16(&mut out, selector);
    push_u16(&mut out, n * 16 - search_range);
    let mut offset = 12 + 16 * usize::from(n);
    let mut head_offset = None;
    for (tag, data) in tables {
        out.extend_from_slice(tag);
        push_u32(&mut out, checksum(data));
        push_u32(
            &mut out,
            u32::try_from(offset).map_err(|_| "font too large")?,
        );
        push_u32(
            &mut out,
            u32::try_from(data.len()).map_err(|_| "table too large")?,
        );
        if tag == b"head" {
            head_offset = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for data in tables.values() {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let at = head_offset.ok_or("no head table")? + 8;
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[at..at + 4].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts outline commands, to compare a glyph before and after subsetting.
    #[derive(Default)]
    struct Count(usize);
    impl ttf_parser::OutlineBuilder for Count {
        fn move_to(&mut self, _: f32, _: f32) {
            self.0 += 1;
        }
        fn line_to(&mut self, _: f32, _: f32) {
            self.0 += 1;
        }
        fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {
            self.0 += 1;
        }
        fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {
            self.0 += 1;
        }
        fn close(&mut self) {
            self.0 += 1;
        }
    }

    #[test]
    fn subset_keeps_outlines_and_metrics_of_requested_characters() {
        let chars: BTreeSet<char> = "Ærø Å æøå ÆØÅ Socialtilsyn 0,12 −+%*–".chars().collect();
        for font in [FONT_REGULAR, FONT_BOLD] {
            let subset = subset_font(font, &chars).expect("subset");
            assert!(subset.len() < 40_000, "subset is {} bytes", subset.len());
            let old = ttf_parser::Face::parse(font, 0).expect("original parses");
            let new = ttf_parser::Face::parse(&subset, 0).expect("subset parses");
            for &c in &chars {
                let (g0, g1) = (old.glyph_index(c).expect("in font"), new.glyph_index(c));
                let g1 = g1.unwrap_or_else(|| panic!("{c:?} missing from subset"));
                assert_eq!(
                    old.glyph_hor_advance(g0),
                    new.glyph_hor_advance(g1),
                    "{c:?}"
                );
                let (mut a, mut b) = (Count::default(), Count::default());
                let bb0 = old.outline_glyph(g0, &mut a);
                let bb1 = new.outline_glyph(g1, &mut b);
                assert_eq!(bb0, bb1, "{c:?} bounding box");
                assert_eq!(a.0, b.0, "{c:?} outline");
            }
            assert!(new.glyph_index('Q').is_none(), "unrequested glyph kept");
            let ids: BTreeSet<u16> = new.names().into_iter().map(|n| n.name_id).collect();
            assert_eq!(ids, BTreeSet::from([0, 1, 2, 3, 4, 5, 6, 13, 14]));
            // The whole-file checksum of a valid font is 0xB1B0AFBA.
            assert_eq!(checksum(&subset), 0xB1B0_AFBA);
        }
    }

    /// The raw `glyf` bytes of glyph `gid` (long or short loca).
    fn glyph_bytes(font: &[u8], gid: u16) -> Vec<u8> {
        let t = tables(font).expect("tables");
        let (head, loca, glyf) = (t[b"head"], t[b"loca"], t[b"glyf"]);
        let i = usize::from(gid);
        let (a, b) = if be_u16(head, 50).expect("head") == 1 {
            (
                to_usize(be_u32(loca, 4 * i).expect("loca")),
                to_usize(be_u32(loca, 4 * i + 4).expect("loca")),
            )
        } else {
            (
                2 * usize::from(be_u16(loca, 2 * i).expect("loca")),
                2 * usize::from(be_u16(loca, 2 * i + 2).expect("loca")),
            )
        };
        glyf[a..b].to_vec()
    }

    #[test]
    fn composite_glyphs_keep_their_components_and_lose_instructions() {
        // Some accented letter is a composite glyph in DejaVu Sans (2607 of its 6253
        // glyphs are); find one.
        let face = ttf_parser::Face::parse(FONT_REGULAR, 0).expect("font");
        let c = "ÅåÄäÖöÜüÉéÈèÑñÇç"
            .chars()
            .find(|&c| {
                let g = face.glyph_index(c).expect("in font").0;
                !components(&glyph_bytes(FONT_REGULAR, g))
                    .expect("parse")
                    .is_empty()
            })
            .expect("a composite glyph");
        let subset = subset_font(FONT_REGULAR, &BTreeSet::from([c])).expect("subset");
        let new = ttf_parser::Face::parse(&subset, 0).expect("subset parses");
        // .notdef, the letter and its components
        assert!(
            new.number_of_glyphs() >= 3,
            "{c}: {}",
            new.number_of_glyphs()
        );
        let g = new.glyph_index(c).expect("kept").0;
        let bytes = glyph_bytes(&subset, g);
        let comp = composite(&bytes).expect("parse").expect("still composite");
        // only alignment padding after the components, and no instruction flag
        assert!(
            bytes.len() - comp.end < 4,
            "{} bytes after the components",
            bytes.len() - comp.end
        );
        for at in comp.flags {
            assert_eq!(be_u16(&bytes, at).expect("flags") & WE_HAVE_INSTRUCTIONS, 0);
        }
        for id in components(&bytes).expect("parse") {
            assert!(id < new.number_of_glyphs(), "component {id} renumbered");
        }
    }

    #[test]
    fn embedding_inserts_and_removal_restores() {
        let svg = "<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\">\n\
                   <text font-family=\"DejaVu Sans\">Ærø &amp; ø</text>\n\
                   <text font-weight=\"bold\">Øst</text>\n</svg>\n";
        let embedded = embed_font(svg).expect("embed");
        assert!(embedded.contains("@font-face"));
        assert!(embedded.contains("font-weight:bold"));
        assert_eq!(svg_without_font(&embedded), svg);
        assert_eq!(svg_without_font(svg), svg);
        let mut used = UsedChars::default();
        used_chars(svg, &mut used);
        assert!(used.regular.contains(&'&') && used.regular.contains(&'Æ'));
        assert!(!used.regular.contains(&';'));
        assert!(used.bold.contains(&'Ø') && !used.bold.contains(&'r'));
        let css = font_face_css(&[&embedded, svg]).expect("css");
        assert_eq!(css.matches("@font-face").count(), 2);
    }
}
