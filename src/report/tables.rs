//! One CSV per table: exclusions, filter counts, authorities, and the roll-up levels.
//!
//! Written with the `csv` crate (`,` separator, `.` decimal point, UTF-8 without BOM,
//! `\n` line ends). Text cells that a spreadsheet would read as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'`, so opening an
//! exclusion list in Excel never runs what a hostile export put in a label.

use polars::prelude::*;

use crate::analysis::Analysis;
use crate::anonymize::Anonymization;
use crate::error::Result;
use crate::export_check::ExportCheck;
use crate::filter::Filtered;
use crate::load::Source;

/// Neutralises spreadsheet formula injection in a text cell.
///
/// ```
/// use losstat::report::tables::safe_text;
/// assert_eq!(safe_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
/// assert_eq!(safe_text("Socialtilsyn Nord"), "Socialtilsyn Nord");
/// ```
pub fn safe_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The path of source file `file` as given (empty if there is no such file).
fn source_name(sources: &[Source], file: u32) -> String {
    sources
        .get(file as usize)
        .map(|s| s.path.display().to_string())
        .unwrap_or_default()
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner().map_err(|e| crate::Error::Csv {
        path: "(table)".into(),
        line: 0,
        message: e.to_string(),
    })
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "called as `map_err(csv_err)`, which hands the error over by value"
)]
fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Csv {
        path: "(table)".into(),
        line: 0,
        message: e.to_string(),
    }
}

/// `exclusions.csv`: one row per excluded or flagged rating.
pub fn exclusions(filtered: &Filtered, sources: &[Source]) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "rule",
        "file",
        "line",
        "authority",
        "visit_id",
        "indicator",
        "raw_value",
        "detail",
    ])
    .map_err(csv_err)?;
    for e in &filtered.exclusions {
        let file = source_name(sources, e.file);
        w.write_record([
            e.rule.name(),
            &safe_text(&file),
            &e.line.to_string(),
            &safe_text(&e.authority),
            &safe_text(&e.visit_id),
            &safe_text(&e.indicator),
            &safe_text(&e.raw_value),
            &safe_text(&e.detail),
        ])
        .map_err(csv_err)?;
    }
    finish(w)
}

/// `filter.csv`: per rule and authority, visits and ratings removed (or flagged), with an
/// `(all)` row per rule.
pub fn filter_counts(filtered: &Filtered) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "rule",
        "scope",
        "los_rule",
        "authority",
        "visits_dropped",
        "ratings_dropped",
        "ratings_flagged",
    ])
    .map_err(csv_err)?;
    for r in &filtered.summary.rules {
        let scope = format!("{:?}", r.scope).to_lowercase();
        let los_rule = r.los_rule.map(|n| n.to_string()).unwrap_or_default();
        let flagged = r.ratings_flagged > 0;
        w.write_record([
            r.rule.name(),
            &scope,
            &los_rule,
            "(all)",
            &r.visits_dropped.to_string(),
            &r.ratings_dropped.to_string(),
            &r.ratings_flagged.to_string(),
        ])
        .map_err(csv_err)?;
        for (authority, d) in &r.by_authority {
            let (dropped, flagged_n) = if flagged {
                (0, d.ratings)
            } else {
                (d.ratings, 0)
            };
            w.write_record([
                r.rule.name(),
                &scope,
                &los_rule,
                &safe_text(authority),
                &d.visits.to_string(),
                &dropped.to_string(),
                &flagged_n.to_string(),
            ])
            .map_err(csv_err)?;
        }
    }
    finish(w)
}

/// `authorities.csv`: descriptives per authority.
pub fn authorities(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "authority",
        "visits",
        "ratings",
        "share_1",
        "share_2",
        "share_3",
        "share_4",
        "share_5",
        "overall_n",
        "overall_mean",
        "overall_median",
        "overall_sd",
        "overall_min",
        "overall_q1",
        "overall_q3",
        "overall_max",
    ])
    .map_err(csv_err)?;
    for a in &analysis.authorities {
        let o = &a.overall;
        let mut row = vec![
            safe_text(&a.name).into_owned(),
            a.visits.to_string(),
            a.ratings.to_string(),
        ];
        row.extend(a.score_share.iter().map(f64::to_string));
        row.extend([
            o.n.to_string(),
            o.mean.to_string(),
            o.median.to_string(),
            o.sd.map(|s| s.to_string()).unwrap_or_default(),
            o.min.to_string(),
            o.q1.to_string(),
            o.q3.to_string(),
            o.max.to_string(),
        ]);
        w.write_record(&row).map_err(csv_err)?;
    }
    finish(w)
}

/// Any DataFrame as CSV (used for the roll-up tables); nulls are empty cells. Columns are
/// read as typed single-chunk arrays and cells formatted into one reused buffer, so a table
/// of millions of rows costs no allocation per cell; blocks of rows are formatted in
/// parallel and joined in order.
pub fn frame(df: &DataFrame) -> Result<Vec<u8>> {
    Ok(frame_blocks(df)?.concat())
}

/// [`frame`] as the header and the blocks of rows it was formatted in, in order.
pub fn frame_blocks(df: &DataFrame) -> Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    let mut df = df.clone();
    df.rechunk_mut();
    let mut header = writer();
    header
        .write_record(df.columns().iter().map(|c| c.name().as_str()))
        .map_err(csv_err)?;
    let typed: Vec<TypedColumn<'_>> = df
        .columns()
        .iter()
        .map(TypedColumn::new)
        .collect::<Result<_>>()?;
    let blocks: Vec<Vec<u8>> = (0..df.height())
        .step_by(FRAME_BLOCK_ROWS)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| rows_csv(&typed, start..(start + FRAME_BLOCK_ROWS).min(df.height())))
        .collect::<Result<_>>()?;
    let mut parts = Vec::with_capacity(blocks.len() + 1);
    parts.push(finish(header)?);
    parts.extend(blocks);
    Ok(parts)
}

/// Rows per block of [`frame`].
const FRAME_BLOCK_ROWS: usize = 1 << 16;

/// The CSV records of `rows` (no header), formatted straight into bytes: text is quoted
/// only when it holds a separator, quote or line break (as the `csv` writer does).
fn rows_csv(typed: &[TypedColumn<'_>], rows: std::ops::Range<usize>) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(rows.len() * 16 * typed.len());
    let mut integer = itoa::Buffer::new();
    let mut floats = FloatTexts::new();
    for i in rows {
        for (k, column) in typed.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match column {
                TypedColumn::Text(ca) => {
                    if let Some(text) = ca.get(i) {
                        push_text(&mut out, &safe_text(text));
                    }
                }
                TypedColumn::TextArray(array) => {
                    if let Some(text) = array.get(i) {
                        push_text(&mut out, &safe_text(text));
                    }
                }
                TypedColumn::F64Slice(values) => floats.push(&mut out, values[i]),
                TypedColumn::U32Slice(values) => {
                    out.extend_from_slice(integer.format(values[i]).as_bytes());
                }
                TypedColumn::F64(ca) => {
                    if let Some(x) = ca.get(i) {
                        floats.push(&mut out, x);
                    }
                }
                TypedColumn::U32(ca) => {
                    if let Some(x) = ca.get(i) {
                        out.extend_from_slice(integer.format(x).as_bytes());
                    }
                }
                TypedColumn::U64(ca) => {
                    if let Some(x) = ca.get(i) {
                        out.extend_from_slice(integer.format(x).as_bytes());
                    }
                }
                TypedColumn::Other(c) => match c.get(i)? {
                    AnyValue::Null => {}
                    other => push_text(&mut out, &other.to_string()),
                },
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// `x` exactly as `format!("{x}")` writes it (the shortest decimal that reads back as `x`,
/// never in exponent notation), but faster for the values tables hold. For
/// 10⁻⁴ ≤ |x| < 10⁷ Ryū's digits are the same as the standard library's and its notation
/// is plain (`4.0` loses its `.0`); elsewhere the two may break a tie between two shortest
/// 17-digit decimals differently, so `Display` is used (the test compares them).
fn push_f64(out: &mut Vec<u8>, x: f64) {
    use std::io::Write as _;
    let mut buffer = ryu::Buffer::new();
    if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        let text = buffer.format_finite(x);
        out.extend_from_slice(text.strip_suffix(".0").unwrap_or(text).as_bytes());
    } else {
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{x}");
    }
}

/// The text of recently written floats. Roll-up scores are fractions with small
/// denominators, so a table of millions of them holds a few thousand distinct values: each
/// is formatted once ([`push_f64`]) and then copied.
struct FloatTexts {
    /// Direct-mapped by the bits of the value: (bits, length, text).
    slots: Vec<(u64, u8, [u8; FLOAT_TEXT_MAX])>,
}

/// Slots of [`FloatTexts`] (a power of two).
const FLOAT_SLOTS: usize = 4096;
/// Longest text kept: `push_f64` writes at most 24 bytes for |x| < 10⁷ (sign, 17 digits,
/// point, leading zeros of 10⁻⁴); longer texts are written without the cache.
const FLOAT_TEXT_MAX: usize = 24;

impl FloatTexts {
    fn new() -> Self {
        // Bits 0 with length 0 never match: a stored text has at least one byte.
        Self {
            slots: vec![(0, 0, [0; FLOAT_TEXT_MAX]); FLOAT_SLOTS],
        }
    }

    /// Writes `x` as [`push_f64`] does.
    fn push(&mut self, out: &mut Vec<u8>, x: f64) {
        let bits = x.to_bits();
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize % FLOAT_SLOTS;
        let (stored, len, text) = &mut self.slots[slot];
        if *stored == bits && *len > 0 {
            out.extend_from_slice(&text[..usize::from(*len)]);
            return;
        }
        let start = out.len();
        push_f64(out, x);
        let written = &out[start..];
        if written.len() <= FLOAT_TEXT_MAX {
            *stored = bits;
            *len = written.len() as u8;
            text[..written.len()].copy_from_slice(written);
        }
    }
}

/// One CSV text field, quoted when needed.
fn push_text(out: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for b in text.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// A column of [`frame`], by type; a single chunk without nulls is read as a plain slice.
enum TypedColumn<'a> {
    Text(&'a StringChunked),
    TextArray(&'a polars_arrow::array::Utf8ViewArray),
    F64(&'a Float64Chunked),
    F64Slice(&'a [f64]),
    U32(&'a UInt32Chunked),
    U32Slice(&'a [u32]),
    U64(&'a UInt64Chunked),
    Other(&'a Column),
}

impl<'a> TypedColumn<'a> {
    fn new(column: &'a Column) -> Result<Self> {
        Ok(match column.dtype() {
            DataType::String => {
                let ca = column.str()?;
                match ca.downcast_iter().collect::<Vec<_>>().as_slice() {
                    [array] => Self::TextArray(array),
                    _ => Self::Text(ca),
                }
            }
            DataType::Float64 => {
                let ca = column.f64()?;
                ca.cont_slice().map_or(Self::F64(ca), Self::F64Slice)
            }
            DataType::UInt32 => {
                let ca = column.u32()?;
                ca.cont_slice().map_or(Self::U32(ca), Self::U32Slice)
            }
            DataType::UInt64 => Self::U64(column.u64()?),
            _ => Self::Other(column),
        })
    }
}

/// A float cell: empty for `None` or NaN.
fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => v.to_string(),
        _ => String::new(),
    }
}

/// `ks.csv`: every pairwise comparison, all levels (`level`, `unit` first).
pub fn pairs(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "level",
        "unit",
        "a",
        "b",
        "n_a",
        "n_b",
        "statistic",
        "statistic_location",
        "statistic_sign",
        "p_value",
        "method",
        "p_value_ties",
        "p_value_permutation",
        "permutations",
        "stratified",
        "primary",
        "p_value_adjusted",
        "p_value_scipy_adjusted",
        "significant",
        "mann_whitney_p",
        "brunner_munzel_p",
        "cliffs_delta",
        "cliffs_delta_ci_low",
        "cliffs_delta_ci_high",
    ])
    .map_err(csv_err)?;
    for family in &analysis.comparisons {
        for p in &family.pairs {
            let level = serde_json::to_value(family.level)?;
            let method = serde_json::to_value(p.method)?;
            let primary = serde_json::to_value(p.primary)?;
            w.write_record([
                level.as_str().unwrap_or(""),
                &family.unit.to_string(),
                &safe_text(&p.a),
                &safe_text(&p.b),
                &p.n_a.to_string(),
                &p.n_b.to_string(),
                &num(Some(p.statistic)),
                &num(Some(p.statistic_location)),
                &p.statistic_sign.to_string(),
                &num(Some(p.p_value)),
                method.as_str().unwrap_or(""),
                &num(Some(p.p_value_ties)),
                &num(p.p_value_permutation),
                &p.permutations.to_string(),
                &p.stratified.to_string(),
                primary.as_str().unwrap_or(""),
                &num(Some(p.p_value_adjusted)),
                &num(Some(p.p_value_scipy_adjusted)),
                &p.significant.to_string(),
                &num(Some(p.mann_whitney_p)),
                &num(p.brunner_munzel_p),
                &num(Some(p.cliffs_delta)),
                &num(p.cliffs_delta_ci_low),
                &num(p.cliffs_delta_ci_high),
            ])
            .map_err(csv_err)?;
        }
    }
    finish(w)
}

/// `deviation.csv`: one row per indicator × authority.
pub fn deviation(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "indicator",
        "authority",
        "n",
        "mean",
        "national_mean",
        "deviation",
        "ci_low",
        "ci_high",
        "p_value",
        "q_value",
        "significant",
        "inference",
        "welch_t",
        "welch_df",
        "confidence",
    ])
    .map_err(csv_err)?;
    for r in &analysis.deviation {
        let c = &r.cell;
        let inference = serde_json::to_value(c.inference)?;
        w.write_record([
            safe_text(&r.indicator).as_ref(),
            &safe_text(&c.authority),
            &c.n.to_string(),
            &num(Some(c.mean)),
            &num(Some(c.national_mean)),
            &num(Some(c.deviation)),
            &num(c.ci_low),
            &num(c.ci_high),
            &num(c.p_value),
            &num(r.q_value),
            &r.significant.to_string(),
            inference.as_str().unwrap_or(""),
            &num(c.welch_t),
            &num(c.welch_df),
            &num(Some(c.confidence)),
        ])
        .map_err(csv_err)?;
    }
    finish(w)
}

/// `kde.csv`: the KDE curves in long form (authority, x, density).
pub fn kde(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(["authority", "x", "density"])
        .map_err(csv_err)?;
    let d = &analysis.densities;
    for c in &d.curves {
        if let Some(curve) = &c.curve {
            for (x, y) in d.grid.iter().zip(&curve.density) {
                w.write_record([
                    safe_text(&c.authority).as_ref(),
                    &x.to_string(),
                    &y.to_string(),
                ])
                .map_err(csv_err)?;
            }
        }
    }
    finish(w)
}

/// `histogram.csv`: visits per bin of the overall score, per authority.
pub fn histogram(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(["authority", "bin_low", "bin_high", "count", "density"])
        .map_err(csv_err)?;
    let d = &analysis.densities;
    for h in &d.histograms {
        for (i, (count, density)) in h.counts.iter().zip(&h.density).enumerate() {
            let (lo, hi) = (d.edges.get(i), d.edges.get(i + 1));
            w.write_record([
                safe_text(&h.authority).as_ref(),
                &num(lo.copied()),
                &num(hi.copied()),
                &count.to_string(),
                &density.to_string(),
            ])
            .map_err(csv_err)?;
        }
    }
    finish(w)
}

/// `completeness.csv`: per authority and theme, visits with every universal indicator scored.
pub fn completeness(filtered: &Filtered) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(["authority", "theme", "visits", "complete", "share"])
        .map_err(csv_err)?;
    for r in &filtered.completeness {
        w.write_record([
            safe_text(&r.authority).as_ref(),
            &r.theme.map_or("all".to_string(), |t| t.to_string()),
            &r.visits.to_string(),
            &r.complete.to_string(),
            &r.share.to_string(),
        ])
        .map_err(csv_err)?;
    }
    finish(w)
}

/// `export_check.csv`: every criterion, theme and overall score of a kept visit in the export,
/// with losstat's score for it, the difference and the outcome (see [`crate::export_check`]).
pub fn export_check(check: &ExportCheck, sources: &[Source]) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record([
        "file",
        "line",
        "authority",
        "visit_id",
        "level",
        "unit",
        "exported",
        "exported_value",
        "recomputed",
        "difference",
        "status",
    ])
    .map_err(csv_err)?;
    for r in &check.rows {
        let file = source_name(sources, r.file);
        let status = serde_json::to_value(r.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        w.write_record([
            safe_text(&file).as_ref(),
            &r.line.to_string(),
            safe_text(&r.authority).as_ref(),
            safe_text(&r.visit_id).as_ref(),
            r.level.name(),
            &r.unit.map_or_else(String::new, |u| u.to_string()),
            safe_text(&r.exported).as_ref(),
            &num(r.exported_value),
            &num(r.recomputed),
            &num(r.difference),
            &status,
        ])
        .map_err(csv_err)?;
    }
    finish(w)
}

/// The anonymisation key as CSV (`label,authority`, one row per name, by label): which real
/// name became which label. Written only on request (`--anonymize-key`), never into `--out`.
pub fn anonymization_key(key: &Anonymization) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(["label", "authority"]).map_err(csv_err)?;
    for (name, label) in &key.pairs {
        w.write_record([safe_text(label).as_ref(), safe_text(name).as_ref()])
            .map_err(csv_err)?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_float_texts_equal_the_uncached_ones() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut floats = FloatTexts::new();
        // Many repeats (as in a roll-up table), colliding slots, and long texts.
        let values: Vec<f64> = (0..50_000)
            .map(|i| match i % 4 {
                0 => f64::from(rng.random_range(1..=40)) / f64::from(rng.random_range(1..=12)),
                1 => rng.random::<f64>() * 1e9,
                2 => -rng.random::<f64>() * 1e-6,
                _ => f64::from(i % 7),
            })
            .collect();
        for &x in values.iter().chain(values.iter()) {
            let (mut cached, mut plain) = (Vec::new(), Vec::new());
            floats.push(&mut cached, x);
            push_f64(&mut plain, x);
            assert_eq!(cached, plain, "{x:e}");
        }
    }

    #[test]
    fn fast_float_text_equals_display() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let check = |x: f64| {
            let mut out = Vec::new();
            push_f64(&mut out, x);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                format!("{x}"),
                "{x:e}"
            );
        };
        for x in [
            0.0,
            -0.0,
            1.0,
            5.0,
            4.5,
            1e-7,
            1e-5,
            1.5e-5,
            1e15,
            1e16,
            1.2e17,
            123456789.125,
        ] {
            check(x);
            check(-x);
        }
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
        ] {
            check(x);
        }
        // Every mean a roll-up can produce from up to 60 scores of 1–5, and random doubles.
        for n in 1..=60u32 {
            for k in n..=5 * n {
                check(f64::from(k) / f64::from(n));
            }
        }
        for _ in 0..300_000 {
            check(f64::from_bits(rng.random::<u64>()));
            check(rng.random::<f64>() * 4.0 + 1.0);
            check(rng.random::<f64>());
            check(10f64.powf(rng.random::<f64>() * 12.0 - 5.0));
        }
    }
}
