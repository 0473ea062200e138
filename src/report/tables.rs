//! One CSV per table: exclusions, filter counts, authorities, and the roll-up levels.
//!
//! Written with the `csv` crate (`,` separator, `.` decimal point, UTF-8 without BOM,
//! `\n` line ends). Text cells that a spreadsheet would read as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'`, so opening an
//! exclusion list in Excel never runs what a hostile export put in a label.

use polars::prelude::*;

use crate::analysis::Analysis;
use crate::error::Result;
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
        let file = sources
            .get(e.file as usize)
            .map(|s| s.path.display().to_string())
            .unwrap_or_default();
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
        "authority",
        "visits_dropped",
        "ratings_dropped",
        "ratings_flagged",
    ])
    .map_err(csv_err)?;
    for r in &filtered.summary.rules {
        let scope = format!("{:?}", r.scope).to_lowercase();
        let flagged = r.ratings_flagged > 0;
        w.write_record([
            r.rule.name(),
            &scope,
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
/// of millions of rows costs no allocation per cell.
pub fn frame(df: &DataFrame) -> Result<Vec<u8>> {
    use std::fmt::Write as _;
    let mut df = df.clone();
    df.rechunk_mut();
    let mut w = writer();
    w.write_record(df.columns().iter().map(|c| c.name().as_str()))
        .map_err(csv_err)?;
    let typed: Vec<TypedColumn<'_>> = df
        .columns()
        .iter()
        .map(TypedColumn::new)
        .collect::<Result<_>>()?;
    let mut cell = String::new();
    for i in 0..df.height() {
        for column in &typed {
            cell.clear();
            // Writing to a String cannot fail.
            let _ = match column {
                TypedColumn::Text(ca) => {
                    cell.push_str(&ca.get(i).map(safe_text).unwrap_or_default());
                    Ok(())
                }
                TypedColumn::F64(ca) => ca.get(i).map_or(Ok(()), |x| write!(cell, "{x}")),
                TypedColumn::U32(ca) => ca.get(i).map_or(Ok(()), |x| write!(cell, "{x}")),
                TypedColumn::U64(ca) => ca.get(i).map_or(Ok(()), |x| write!(cell, "{x}")),
                TypedColumn::Other(c) => match c.get(i)? {
                    AnyValue::Null => Ok(()),
                    other => write!(cell, "{other}"),
                },
            };
            w.write_field(&cell).map_err(csv_err)?;
        }
        w.write_record(None::<&[u8]>).map_err(csv_err)?;
    }
    finish(w)
}

/// A column of [`frame`], by type.
enum TypedColumn<'a> {
    Text(&'a StringChunked),
    F64(&'a Float64Chunked),
    U32(&'a UInt32Chunked),
    U64(&'a UInt64Chunked),
    Other(&'a Column),
}

impl<'a> TypedColumn<'a> {
    fn new(column: &'a Column) -> Result<Self> {
        Ok(match column.dtype() {
            DataType::String => Self::Text(column.str()?),
            DataType::Float64 => Self::F64(column.f64()?),
            DataType::UInt32 => Self::U32(column.u32()?),
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
