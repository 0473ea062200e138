//! Stage 6, tables: every table of `--out` as typed cells, written as one CSV per table here
//! and as the sheets of `results.xlsx` by [`super::xlsx`].
//!
//! Input: the [`Analysis`] (or the filter's [`Filtered`] alone, for `check --format csv`).
//! Output: [`Table`]s. A table is its columns (the CSV header name and a [`Kind`]) and the
//! cells of its rows, handed row by row to a [`CellSink`]: numbers as numbers, text as text,
//! so that each writer styles them its own way and neither has to guess a cell's type back
//! from its text.
//!
//! CSV ([`Table::write_csv`], handed on piece by piece as it is formatted, so that a table
//! of millions of rows goes straight into its file; or [`Table::to_csv`], the whole text)
//! comes in two styles ([`CsvFormat`]):
//! * `standard` (the default): RFC 4180 as the `csv` crate writes it: `,` separator, `.`
//!   decimal point, UTF-8 without BOM, `\n` line ends.
//! * `danish`: what Excel on a Danish-locale machine opens straight into columns: `;`
//!   separator, decimal comma, UTF-8 with a byte-order mark (so Excel reads æøå), CRLF line
//!   ends.
//!
//! Numbers are written as the shortest decimal that reads back as the same `f64`, never in
//! exponent notation (`0.000000000013181417104076771`); the Danish style changes only their
//! decimal point. Text cells are never touched by the style: a visit id `12.5` stays `12.5`.
//! A field is quoted when it holds the separator, a quote or a line break. Text cells that a
//! spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
//! return) are prefixed with `'` in both styles, so opening an exclusion list in Excel never
//! runs what a hostile export put in a label.

use std::borrow::Cow;

use polars::prelude::*;

use crate::analysis::casemix::CaseMix;
use crate::analysis::periods::{Period, Periods, Spread};
use crate::analysis::{Analysis, Level};
use crate::anonymize::Anonymization;
use crate::error::Result;
use crate::export_check::{self, ExportCheck};
use crate::filter::Filtered;
use crate::load::{LevelScores, Source};
use crate::rollup;

/// Neutralises spreadsheet formula injection in a text cell.
///
/// ```
/// use losstat::report::tables::safe_text;
/// assert_eq!(safe_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
/// assert_eq!(safe_text("Socialtilsyn Nord"), "Socialtilsyn Nord");
/// ```
pub fn safe_text(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// How the CSV files are written (`--csv-style`). Only the layout changes, never a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum CsvFormat {
    /// RFC 4180: `,` separator, decimal point, UTF-8 without BOM, `\n` line ends.
    #[default]
    Standard,
    /// For Excel on Danish-locale machines: `;` separator, decimal comma, UTF-8 with BOM,
    /// CRLF line ends.
    Danish,
}

impl CsvFormat {
    fn separator(self) -> u8 {
        match self {
            Self::Standard => b',',
            Self::Danish => b';',
        }
    }

    fn decimal(self) -> u8 {
        match self {
            Self::Standard => b'.',
            Self::Danish => b',',
        }
    }

    fn line_end(self) -> &'static [u8] {
        match self {
            Self::Standard => b"\n",
            Self::Danish => b"\r\n",
        }
    }

    fn byte_order_mark(self) -> &'static [u8] {
        match self {
            Self::Standard => b"",
            Self::Danish => "\u{feff}".as_bytes(),
        }
    }
}

/// What a column holds; the workbook shows each kind with its own number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: names, ids, rule and method names.
    Text,
    /// A count or a number that names something (line, theme): an integer.
    Integer,
    /// A score, mean or statistic (three decimals in the workbook).
    Decimal,
    /// A share of 1 (a percentage in the workbook).
    Share,
    /// A p- or q-value (scientific notation in the workbook).
    PValue,
    /// `true` or `false`.
    Boolean,
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The CSV header (stable: scripts read these names).
    pub name: Cow<'static, str>,
    /// What the column holds.
    pub kind: Kind,
}

/// Columns from `(name, kind)` pairs.
fn columns(list: &[(&'static str, Kind)]) -> Vec<Column> {
    list.iter()
        .map(|&(name, kind)| Column {
            name: name.into(),
            kind,
        })
        .collect()
}

/// Receives the cells of a table, row by row, left to right: one call per cell, then
/// [`CellSink::end_row`].
pub trait CellSink {
    /// Text from the input or the user (an authority, a visit id, a raw value): neutralised
    /// against formula injection where the format needs it.
    fn text(&mut self, text: &str) -> Result<()>;
    /// Text losstat wrote itself (a rule, method or level name).
    fn label(&mut self, text: &str) -> Result<()>;
    /// An integer.
    fn unsigned(&mut self, x: u64) -> Result<()>;
    /// A signed integer.
    fn signed(&mut self, x: i64) -> Result<()>;
    /// A number; NaN and the infinities are empty cells.
    fn float(&mut self, x: f64) -> Result<()>;
    /// `true` or `false`.
    fn boolean(&mut self, x: bool) -> Result<()>;
    /// An empty cell.
    fn empty(&mut self) -> Result<()>;
    /// Ends the row.
    fn end_row(&mut self) -> Result<()>;

    /// A number, or an empty cell for `None` (and NaN).
    fn optional(&mut self, x: Option<f64>) -> Result<()> {
        match x {
            Some(x) => self.float(x),
            None => self.empty(),
        }
    }

    /// A number whose NaN or infinity is written as its text (`NaN`, `inf`), as the CSV
    /// tables have always written the values that are never undefined in practice.
    fn float_or_text(&mut self, x: f64) -> Result<()> {
        if x.is_finite() {
            self.float(x)
        } else {
            self.label(&x.to_string())
        }
    }
}

/// Writes the rows of a table into a sink.
type RowWriter<'a> = Box<dyn Fn(&mut dyn CellSink) -> Result<()> + Send + Sync + 'a>;

/// A table of `--out`: its columns and its rows (see the module docs).
pub struct Table<'a> {
    columns: Vec<Column>,
    rows: Rows<'a>,
}

enum Rows<'a> {
    /// Rows written by a function.
    Cells(RowWriter<'a>),
    /// A roll-up table (in one chunk per column), written by blocks of rows in parallel.
    Frame(Frame),
}

/// A roll-up table to write: its frame and, for a level table (criteria, themes), the
/// visits table whose authority and visit id are written in place of its visit column.
struct Frame {
    df: DataFrame,
    visits: Option<DataFrame>,
}

impl Frame {
    /// The columns to write, typed: a level table's visit column as two, the authority and
    /// the visit id of that row of the visits table.
    fn typed(&self) -> Result<Vec<TypedColumn<'_>>> {
        let Some(visits) = &self.visits else {
            return typed_columns(&self.df);
        };
        let mut typed = Vec::with_capacity(self.df.width() + 1);
        for column in self.df.columns() {
            if column.name().as_str() != rollup::criteria::VISIT.name() {
                typed.push(TypedColumn::new(column)?);
                continue;
            }
            let visit = column.u32()?.cont_slice()?;
            for name in [
                rollup::visits::AUTHORITY.name(),
                rollup::visits::VISIT_ID.name(),
            ] {
                let names = visits.column(name)?.str()?;
                let array = names
                    .downcast_iter()
                    .next()
                    .filter(|_| names.chunks().len() == 1);
                let Some(names) = array else {
                    return Err(
                        PolarsError::ComputeError("a visits column in chunks".into()).into(),
                    );
                };
                typed.push(TypedColumn::ByVisit { visit, names });
            }
        }
        Ok(typed)
    }
}

impl<'a> Table<'a> {
    /// A table whose rows `rows` writes, one [`CellSink::end_row`] per row, with as many
    /// cells per row as `columns`.
    pub fn new(
        columns: Vec<Column>,
        rows: impl Fn(&mut dyn CellSink) -> Result<()> + Send + Sync + 'a,
    ) -> Self {
        Self {
            columns,
            rows: Rows::Cells(Box::new(rows)),
        }
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Hands every row to `sink`.
    pub fn write(&self, sink: &mut dyn CellSink) -> Result<()> {
        match &self.rows {
            Rows::Cells(rows) => rows(sink),
            Rows::Frame(frame) => {
                let typed = frame.typed()?;
                frame_rows(&typed, 0..frame.df.height(), sink)
            }
        }
    }

    /// The table as one CSV file.
    pub fn to_csv(&self, format: CsvFormat) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.write_csv(format, &mut |piece| {
            bytes.extend_from_slice(piece);
            Ok(())
        })?;
        Ok(bytes)
    }

    /// Writes the table as CSV into `out`, piece by piece in order: the pieces one after
    /// another are the file. The text is handed on as it is formatted, so a long table is
    /// never whole in memory: rows written by a function go out every 64 KiB or so, a
    /// roll-up table by blocks of rows formatted in parallel, a few blocks at a time.
    pub fn write_csv(
        &self,
        format: CsvFormat,
        out: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut sink = SpillingCsv {
            csv: CsvSink::new(format),
            out,
        };
        sink.csv.out.extend_from_slice(format.byte_order_mark());
        for column in &self.columns {
            sink.label(&column.name)?;
        }
        sink.end_row()?;
        match &self.rows {
            Rows::Cells(rows) => rows(&mut sink)?,
            Rows::Frame(frame) => {
                sink.spill()?;
                let typed = frame.typed()?;
                let rows = |range, csv: &mut CsvSink| frame_rows(&typed, range, csv);
                csv_by_blocks(frame.df.height(), format, rows, sink.out)?;
            }
        }
        sink.spill()
    }

    /// Any DataFrame (the roll-up tables): `f64` columns as [`Kind::Decimal`], `u32` and
    /// `u64` as [`Kind::Integer`], anything else as text; nulls are empty cells.
    /// Columns are read as typed single-chunk arrays, so a table of millions of rows costs no
    /// allocation per cell.
    pub fn frame(df: &DataFrame) -> Self {
        let mut df = df.clone();
        df.rechunk_mut();
        let columns = df
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string().into(),
                kind: match c.dtype() {
                    DataType::Float64 => Kind::Decimal,
                    DataType::UInt32 | DataType::UInt64 => Kind::Integer,
                    _ => Kind::Text,
                },
            })
            .collect();
        Self {
            columns,
            rows: Rows::Frame(Frame { df, visits: None }),
        }
    }

    /// A roll-up level table ([`crate::rollup::Rollup::criteria`] or `themes`) as
    /// [`Table::frame`] writes a frame, but with its visit column written as two text
    /// columns: the authority and the visit id of that row of `visits` (the roll-up's).
    pub fn level(level: &DataFrame, visits: &DataFrame) -> Self {
        let mut table = Self::frame(level);
        let text = |name: &str| Column {
            name: name.to_string().into(),
            kind: Kind::Text,
        };
        table.columns = table
            .columns
            .into_iter()
            .flat_map(|c| {
                if c.name == rollup::criteria::VISIT.name() {
                    vec![
                        text(rollup::visits::AUTHORITY.name()),
                        text(rollup::visits::VISIT_ID.name()),
                    ]
                } else {
                    vec![c]
                }
            })
            .collect();
        let names = [
            rollup::visits::AUTHORITY.name(),
            rollup::visits::VISIT_ID.name(),
        ];
        // Only the two columns looked up (an error reading them surfaces when written).
        let mut labels = visits.select(names).unwrap_or_default();
        labels.rechunk_mut();
        if let Rows::Frame(frame) = &mut table.rows {
            frame.visits = Some(labels);
        }
        table
    }
}

/// The path of source file `file` as given (empty if there is no such file).
fn source_name(sources: &[Source], file: u32) -> String {
    sources
        .get(file as usize)
        .map(|s| s.path.display().to_string())
        .unwrap_or_default()
}

/// A serde enum's name (`"exact"`, `"ties_exact"` …).
fn serde_name(value: impl serde::Serialize) -> Result<String> {
    Ok(serde_json::to_value(value)?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// `exclusions.csv` (standard style): one row per excluded or flagged rating.
pub fn exclusions(filtered: &Filtered, sources: &[Source]) -> Result<Vec<u8>> {
    Table::exclusions(filtered, sources).to_csv(CsvFormat::Standard)
}

impl<'a> Table<'a> {
    /// `exclusions.csv`: one row per excluded or flagged rating.
    pub fn exclusions(filtered: &'a Filtered, sources: &'a [Source]) -> Self {
        use Kind::{Integer, Text};
        let columns = columns(&[
            ("rule", Text),
            ("file", Text),
            ("line", Integer),
            ("authority", Text),
            ("visit_id", Text),
            ("indicator", Text),
            ("raw_value", Text),
            ("detail", Text),
        ]);
        Self::new(columns, move |s| {
            for e in &filtered.exclusions {
                s.label(e.rule.name())?;
                s.text(&source_name(sources, e.file))?;
                s.unsigned(e.line)?;
                s.text(&e.authority)?;
                s.text(&e.visit_id)?;
                s.text(&e.indicator)?;
                s.text(&e.raw_value)?;
                s.text(&e.detail)?;
                s.end_row()?;
            }
            Ok(())
        })
    }

    /// `filter.csv`: per rule and authority, visits and ratings removed (or flagged), with an
    /// `(all)` row per rule.
    pub fn filter_counts(filtered: &'a Filtered) -> Self {
        use Kind::{Integer, Text};
        let columns = columns(&[
            ("rule", Text),
            ("scope", Text),
            ("los_rule", Integer),
            ("authority", Text),
            ("visits_dropped", Integer),
            ("ratings_dropped", Integer),
            ("ratings_flagged", Integer),
        ]);
        Self::new(columns, move |s| {
            for r in &filtered.summary.rules {
                let scope = format!("{:?}", r.scope).to_lowercase();
                let start = |s: &mut dyn CellSink| -> Result<()> {
                    s.label(r.rule.name())?;
                    s.label(&scope)?;
                    match r.los_rule {
                        Some(n) => s.unsigned(u64::from(n)),
                        None => s.empty(),
                    }
                };
                start(s)?;
                s.label("(all)")?;
                s.unsigned(r.visits_dropped)?;
                s.unsigned(r.ratings_dropped)?;
                s.unsigned(r.ratings_flagged)?;
                s.end_row()?;
                let flagged = r.ratings_flagged > 0;
                for (authority, d) in &r.by_authority {
                    start(s)?;
                    s.text(authority)?;
                    s.unsigned(d.visits)?;
                    s.unsigned(if flagged { 0 } else { d.ratings })?;
                    s.unsigned(if flagged { d.ratings } else { 0 })?;
                    s.end_row()?;
                }
            }
            Ok(())
        })
    }

    /// `authorities.csv`: descriptives per authority.
    pub fn authorities(analysis: &'a Analysis) -> Self {
        use Kind::{Decimal, Integer, Share, Text};
        let columns = columns(&[
            ("authority", Text),
            ("visits", Integer),
            ("ratings", Integer),
            ("share_1", Share),
            ("share_2", Share),
            ("share_3", Share),
            ("share_4", Share),
            ("share_5", Share),
            ("overall_n", Integer),
            ("overall_mean", Decimal),
            ("overall_median", Decimal),
            ("overall_sd", Decimal),
            ("overall_min", Decimal),
            ("overall_q1", Decimal),
            ("overall_q3", Decimal),
            ("overall_max", Decimal),
        ]);
        Self::new(columns, move |s| {
            for a in &analysis.authorities {
                let o = &a.overall;
                s.text(&a.name)?;
                s.unsigned(a.visits)?;
                s.unsigned(a.ratings)?;
                for &share in &a.score_share {
                    s.float_or_text(share)?;
                }
                s.unsigned(o.n as u64)?;
                s.float_or_text(o.mean)?;
                s.float_or_text(o.median)?;
                match o.sd {
                    Some(sd) => s.float_or_text(sd)?,
                    None => s.empty()?,
                }
                for x in [o.min, o.q1, o.q3, o.max] {
                    s.float_or_text(x)?;
                }
                s.end_row()?;
            }
            Ok(())
        })
    }
}

/// Which pairwise comparisons a [`Table::pairs`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairLevels {
    /// Every level (`ks.csv`).
    All,
    /// The overall scores only (`results.json`'s `ks`).
    Overall,
    /// Themes and criteria (`results.json`'s `ks_by_level`).
    ByLevel,
}

impl PairLevels {
    fn holds(self, level: Level) -> bool {
        match self {
            Self::All => true,
            Self::Overall => level == Level::Overall,
            Self::ByLevel => level != Level::Overall,
        }
    }
}

impl<'a> Table<'a> {
    /// `ks.csv`: every pairwise comparison of the levels asked for (`level`, `unit` first).
    pub fn pairs(analysis: &'a Analysis, levels: PairLevels) -> Self {
        use Kind::{Boolean, Decimal, Integer, PValue, Text};
        let columns = columns(&[
            ("level", Text),
            ("unit", Integer),
            ("a", Text),
            ("b", Text),
            ("n_a", Integer),
            ("n_b", Integer),
            ("statistic", Decimal),
            ("statistic_location", Decimal),
            ("statistic_sign", Integer),
            ("p_value", PValue),
            ("method", Text),
            ("p_value_ties", PValue),
            ("p_value_permutation", PValue),
            ("permutations", Integer),
            ("stratified", Boolean),
            ("primary", Text),
            ("p_value_adjusted", PValue),
            ("p_value_scipy_adjusted", PValue),
            ("significant", Boolean),
            ("mann_whitney_p", PValue),
            ("brunner_munzel_p", PValue),
            ("cliffs_delta", Decimal),
            ("cliffs_delta_ci_low", Decimal),
            ("cliffs_delta_ci_high", Decimal),
        ]);
        Self::new(columns, move |s| {
            let families = analysis.comparisons.iter();
            for family in families.filter(|f| levels.holds(f.level)) {
                let level = serde_name(family.level)?;
                for p in &family.pairs {
                    s.label(&level)?;
                    s.unsigned(u64::from(family.unit))?;
                    s.text(&p.a)?;
                    s.text(&p.b)?;
                    s.unsigned(p.n_a as u64)?;
                    s.unsigned(p.n_b as u64)?;
                    s.float(p.statistic)?;
                    s.float(p.statistic_location)?;
                    s.signed(i64::from(p.statistic_sign))?;
                    s.float(p.p_value)?;
                    s.label(&serde_name(p.method)?)?;
                    s.float(p.p_value_ties)?;
                    s.optional(p.p_value_permutation)?;
                    s.unsigned(p.permutations)?;
                    s.boolean(p.stratified)?;
                    s.label(&serde_name(p.primary)?)?;
                    s.float(p.p_value_adjusted)?;
                    s.float(p.p_value_scipy_adjusted)?;
                    s.boolean(p.significant)?;
                    s.float(p.mann_whitney_p)?;
                    s.optional(p.brunner_munzel_p)?;
                    s.float(p.cliffs_delta)?;
                    s.optional(p.cliffs_delta_ci_low)?;
                    s.optional(p.cliffs_delta_ci_high)?;
                    s.end_row()?;
                }
            }
            Ok(())
        })
    }

    /// `deviation.csv`: one row per indicator × authority.
    pub fn deviation(analysis: &'a Analysis) -> Self {
        use Kind::{Boolean, Decimal, Integer, PValue, Share, Text};
        let columns = columns(&[
            ("indicator", Text),
            ("authority", Text),
            ("n", Integer),
            ("mean", Decimal),
            ("national_mean", Decimal),
            ("deviation", Decimal),
            ("ci_low", Decimal),
            ("ci_high", Decimal),
            ("p_value", PValue),
            ("q_value", PValue),
            ("significant", Boolean),
            ("inference", Text),
            ("welch_t", Decimal),
            ("welch_df", Decimal),
            ("confidence", Share),
        ]);
        Self::new(columns, move |s| {
            for r in &analysis.deviation {
                let c = &r.cell;
                s.text(&r.indicator)?;
                s.text(&c.authority)?;
                s.unsigned(c.n as u64)?;
                s.float(c.mean)?;
                s.float(c.national_mean)?;
                s.float(c.deviation)?;
                s.optional(c.ci_low)?;
                s.optional(c.ci_high)?;
                s.optional(c.p_value)?;
                s.optional(r.q_value)?;
                s.boolean(r.significant)?;
                s.label(&serde_name(c.inference)?)?;
                s.optional(c.welch_t)?;
                s.optional(c.welch_df)?;
                s.float(c.confidence)?;
                s.end_row()?;
            }
            Ok(())
        })
    }

    /// `kde.csv`: the KDE curves in long form (authority, x, density).
    pub fn kde(analysis: &'a Analysis) -> Self {
        use Kind::{Decimal, Text};
        let columns = columns(&[("authority", Text), ("x", Decimal), ("density", Decimal)]);
        Self::new(columns, move |s| {
            let d = &analysis.densities;
            for c in &d.curves {
                if let Some(curve) = &c.curve {
                    for (&x, &y) in d.grid.iter().zip(&curve.density) {
                        s.text(&c.authority)?;
                        s.float_or_text(x)?;
                        s.float_or_text(y)?;
                        s.end_row()?;
                    }
                }
            }
            Ok(())
        })
    }

    /// `histogram.csv`: visits per bin of the overall score, per authority.
    pub fn histogram(analysis: &'a Analysis) -> Self {
        use Kind::{Decimal, Integer, Text};
        let columns = columns(&[
            ("authority", Text),
            ("bin_low", Decimal),
            ("bin_high", Decimal),
            ("count", Integer),
            ("density", Decimal),
        ]);
        Self::new(columns, move |s| {
            let d = &analysis.densities;
            for h in &d.histograms {
                for (i, (&count, &density)) in h.counts.iter().zip(&h.density).enumerate() {
                    s.text(&h.authority)?;
                    s.optional(d.edges.get(i).copied())?;
                    s.optional(d.edges.get(i + 1).copied())?;
                    s.unsigned(count)?;
                    s.float_or_text(density)?;
                    s.end_row()?;
                }
            }
            Ok(())
        })
    }

    /// `completeness.csv`: per authority and theme (`all`: every theme), visits with every
    /// universal indicator scored.
    pub fn completeness(filtered: &'a Filtered) -> Self {
        use Kind::{Integer, Share, Text};
        let columns = columns(&[
            ("authority", Text),
            ("theme", Integer),
            ("visits", Integer),
            ("complete", Integer),
            ("share", Share),
        ]);
        Self::new(columns, move |s| {
            for r in &filtered.completeness {
                s.text(&r.authority)?;
                match r.theme {
                    Some(theme) => s.unsigned(u64::from(theme))?,
                    None => s.label("all")?,
                }
                s.unsigned(r.visits)?;
                s.unsigned(r.complete)?;
                s.float_or_text(r.share)?;
                s.end_row()?;
            }
            Ok(())
        })
    }

    /// `export_check.csv`: every criterion, theme and overall score of a kept visit in the
    /// export, with losstat's score for it, the difference and the outcome (see
    /// [`crate::export_check`]).
    pub fn export_check(check: &'a ExportCheck, analysis: &'a Analysis) -> Self {
        use Kind::{Decimal, Integer, Text};
        let columns = columns(&[
            ("file", Text),
            ("line", Integer),
            ("authority", Text),
            ("visit_id", Text),
            ("level", Text),
            ("unit", Integer),
            ("exported", Text),
            ("exported_value", Decimal),
            ("recomputed", Decimal),
            ("difference", Decimal),
            ("status", Text),
        ]);
        let sources = &analysis.sources;
        Self::new(columns, move |s| {
            let levels: Vec<&LevelScores> = sources.iter().map(|f| &f.levels).collect();
            let (filtered, rollup) = (&analysis.filtered, &analysis.rollup);
            export_check::for_each_row(check, &levels, filtered, rollup, |r| {
                s.text(&source_name(sources, r.file))?;
                s.unsigned(r.line)?;
                s.text(&r.authority)?;
                s.text(&r.visit_id)?;
                s.label(r.level.name())?;
                match r.unit {
                    Some(unit) => s.unsigned(u64::from(unit))?,
                    None => s.empty()?,
                }
                s.text(&r.exported)?;
                s.optional(r.exported_value)?;
                s.optional(r.recomputed)?;
                s.optional(r.difference)?;
                s.label(&serde_name(r.status).unwrap_or_default())?;
                s.end_row()
            })
        })
    }

    /// `adjusted.csv`: each authority's raw and case-mix-adjusted effects (see
    /// [`crate::analysis::casemix`]).
    pub fn adjusted(mix: &'a CaseMix) -> Self {
        use Kind::{Decimal, Integer, Share, Text};
        let columns = columns(&[
            ("authority", Text),
            ("visits", Integer),
            ("raw_mean", Decimal),
            ("standardised_mean", Decimal),
            ("standardised_ci_low", Decimal),
            ("standardised_ci_high", Decimal),
            ("coverage", Share),
            ("emm", Decimal),
            ("emm_ci_low", Decimal),
            ("emm_ci_high", Decimal),
            ("difference", Decimal),
            ("difference_ci_low", Decimal),
            ("difference_ci_high", Decimal),
            ("odds_ratio", Decimal),
            ("odds_ratio_ci_low", Decimal),
            ("odds_ratio_ci_high", Decimal),
            ("odds_ratio_ci_low_model", Decimal),
            ("odds_ratio_ci_high_model", Decimal),
        ]);
        let bounds = |ci: Option<[f64; 2]>| (ci.map(|c| c[0]), ci.map(|c| c[1]));
        Self::new(columns, move |s| {
            for a in &mix.authorities {
                s.text(&a.authority)?;
                s.unsigned(a.visits as u64)?;
                s.float_or_text(a.raw_mean)?;
                s.float_or_text(a.standardised_mean)?;
                let (lo, hi) = bounds(a.standardised_ci);
                s.optional(lo)?;
                s.optional(hi)?;
                s.float_or_text(a.coverage)?;
                for (value, ci) in [(a.emm, a.emm_ci), (a.difference, a.difference_ci)] {
                    s.optional(value)?;
                    let (lo, hi) = bounds(ci);
                    s.optional(lo)?;
                    s.optional(hi)?;
                }
                s.optional(a.odds_ratio)?;
                for ci in [a.odds_ratio_ci, a.odds_ratio_ci_model] {
                    let (lo, hi) = bounds(ci);
                    s.optional(lo)?;
                    s.optional(hi)?;
                }
                s.end_row()?;
            }
            Ok(())
        })
    }

    /// `offer_mix.csv`: visits per authority and offer type (the case-mix strata), with the
    /// share of the authority's visits.
    pub fn offer_mix(mix: &'a CaseMix) -> Self {
        use Kind::{Integer, Share, Text};
        let columns = columns(&[
            ("authority", Text),
            ("offer_type", Text),
            ("visits", Integer),
            ("share", Share),
        ]);
        Self::new(columns, move |s| {
            for c in &mix.table {
                s.text(&c.authority)?;
                s.text(&c.offer_type)?;
                s.unsigned(c.visits as u64)?;
                s.float_or_text(c.share)?;
                s.end_row()?;
            }
            Ok(())
        })
    }

    /// `periods.csv`: the comparison across periods (see [`crate::analysis::periods`]), one
    /// row per period and statistic:
    /// - `mean`: an authority's mean overall score (`n`: its visits; interval: Student t), and
    ///   its change from the previous period (`compared_with`): Welch's interval and p
    ///   (`p_value_adjusted` across the authorities of the pair of periods), and the two-sample
    ///   KS test of the overall scores;
    /// - `range`, `sd`: the range and SD of the authority means (`n`: authorities), and
    ///   `mean_abs_deviation`, the mean absolute per-indicator deviation from the national mean
    ///   (`n`: indicator × authority cells), with bootstrap intervals, and the change from the
    ///   previous period (no test);
    /// - `range_adjusted`, `sd_adjusted` (with offer types): the same of the means standardised
    ///   to the national offer-type mix (`standardised_mean` rows: each authority's, no interval);
    /// - `sd_change` (last period only): the change of the SD from the first period
    ///   (`compared_with`) over the authorities in both, with its permutation p;
    ///   `sd_change_adjusted` (with offer types) the same of the standardised means, permuted
    ///   within each authority × offer-type cell.
    pub fn periods(periods: &'a Periods) -> Self {
        use Kind::{Decimal, Integer, PValue, Text};
        let columns = columns(&[
            ("period", Text),
            ("statistic", Text),
            ("authority", Text),
            ("n", Integer),
            ("estimate", Decimal),
            ("ci_low", Decimal),
            ("ci_high", Decimal),
            ("compared_with", Text),
            ("change", Decimal),
            ("change_ci_low", Decimal),
            ("change_ci_high", Decimal),
            ("test", Text),
            ("p_value", PValue),
            ("p_value_adjusted", PValue),
            ("ks_statistic", Decimal),
            ("ks_p_value", PValue),
            ("ks_p_value_ties", PValue),
        ]);
        Self::new(columns, move |s| {
            for (k, period) in periods.periods.iter().enumerate() {
                let previous = k.checked_sub(1).and_then(|k| periods.periods.get(k));
                period_means(s, periods, period)?;
                period_standardised(s, period)?;
                period_spread(s, period, previous)?;
            }
            if let Some(c) = &periods.spread_change {
                let plain = ("sd_change", c.difference, c.p_value);
                let adjusted = c
                    .adjusted
                    .map(|a| ("sd_change_adjusted", a.difference, a.p_value));
                for (statistic, difference, p_value) in std::iter::once(plain).chain(adjusted) {
                    s.text(&c.to)?;
                    s.label(statistic)?;
                    s.empty()?;
                    s.unsigned(c.authorities as u64)?;
                    s.empty()?;
                    s.empty()?;
                    s.empty()?;
                    s.text(&c.from)?;
                    s.float_or_text(difference)?;
                    s.empty()?;
                    s.empty()?;
                    s.label("permutation")?;
                    s.optional(p_value)?;
                    for _ in 0..4 {
                        s.empty()?;
                    }
                    s.end_row()?;
                }
            }
            Ok(())
        })
    }

    /// The anonymisation key (`label,authority`, one row per name, by label): which real
    /// name became which label. Written only on request (`--anonymize-key`), never into
    /// `--out`.
    pub fn anonymization_key(key: &'a Anonymization) -> Self {
        let columns = columns(&[("label", Kind::Text), ("authority", Kind::Text)]);
        Self::new(columns, move |s| {
            for (name, label) in &key.pairs {
                s.text(label)?;
                s.text(name)?;
                s.end_row()?;
            }
            Ok(())
        })
    }
}

/// The `mean` rows of one period of `periods.csv` (see [`Table::periods`]).
fn period_means(s: &mut dyn CellSink, periods: &Periods, period: &Period) -> Result<()> {
    for a in &period.authorities {
        s.text(&period.label)?;
        s.label("mean")?;
        s.text(&a.authority)?;
        s.unsigned(a.visits as u64)?;
        s.float_or_text(a.mean)?;
        s.optional(a.ci.map(|c| c[0]))?;
        s.optional(a.ci.map(|c| c[1]))?;
        let change = periods
            .changes
            .iter()
            .find(|c| c.to == period.label && c.authority == a.authority);
        match change {
            Some(c) => {
                s.text(&c.from)?;
                s.float_or_text(c.difference)?;
                s.optional(c.difference_ci.map(|x| x[0]))?;
                s.optional(c.difference_ci.map(|x| x[1]))?;
                s.label("welch")?;
                s.optional(c.p_value)?;
                s.optional(c.p_value_adjusted)?;
                s.float_or_text(c.ks_statistic)?;
                s.float_or_text(c.ks_p_value)?;
                s.optional(c.ks_p_value_ties)?;
            }
            None => {
                for _ in 0..10 {
                    s.empty()?;
                }
            }
        }
        s.end_row()?;
    }
    Ok(())
}

/// The `standardised_mean` rows of one period of `periods.csv` (with offer types only).
fn period_standardised(s: &mut dyn CellSink, period: &Period) -> Result<()> {
    for a in &period.authorities {
        let Some(mean) = a.standardised_mean else {
            continue;
        };
        s.text(&period.label)?;
        s.label("standardised_mean")?;
        s.text(&a.authority)?;
        s.unsigned(a.visits as u64)?;
        s.float_or_text(mean)?;
        for _ in 0..12 {
            s.empty()?;
        }
        s.end_row()?;
    }
    Ok(())
}

/// The spread rows of one period of `periods.csv`, with the change from `previous`.
fn period_spread(s: &mut dyn CellSink, period: &Period, previous: Option<&Period>) -> Result<()> {
    type Pick = fn(&Spread) -> (f64, Option<[f64; 2]>, usize);
    let Some(spread) = &period.spread else {
        return Ok(());
    };
    let statistics: [(&str, Pick); 3] = [
        ("range", |x| (x.range, x.range_ci, x.authorities)),
        ("sd", |x| (x.sd, x.sd_ci, x.authorities)),
        ("mean_abs_deviation", |x| {
            (x.mean_abs_deviation, x.mean_abs_deviation_ci, x.cells)
        }),
    ];
    let adjusted: [(&str, Pick); 2] = [
        ("range_adjusted", |x| {
            x.adjusted.as_ref().map_or((f64::NAN, None, 0), |a| {
                (a.range, a.range_ci, x.authorities)
            })
        }),
        ("sd_adjusted", |x| {
            x.adjusted
                .as_ref()
                .map_or((f64::NAN, None, 0), |a| (a.sd, a.sd_ci, x.authorities))
        }),
    ];
    let adjusted = if spread.adjusted.is_some() {
        &adjusted[..]
    } else {
        &[]
    };
    for &(name, pick) in statistics.iter().chain(adjusted) {
        let (value, ci, n) = pick(spread);
        s.text(&period.label)?;
        s.label(name)?;
        s.empty()?;
        s.unsigned(n as u64)?;
        s.float_or_text(value)?;
        s.optional(ci.map(|c| c[0]))?;
        s.optional(ci.map(|c| c[1]))?;
        let before = previous.and_then(|p| p.spread.as_ref().map(|x| (p, pick(x).0)));
        match before.filter(|(_, b)| b.is_finite()) {
            Some((p, before)) => {
                s.text(&p.label)?;
                s.float_or_text(value - before)?;
            }
            None => {
                s.empty()?;
                s.empty()?;
            }
        }
        for _ in 0..8 {
            s.empty()?;
        }
        s.end_row()?;
    }
    Ok(())
}

/// Rows per block of [`Table::frame`]'s CSV.
const FRAME_BLOCK_ROWS: usize = 1 << 16;

/// Most blocks of [`Table::frame`]'s CSV formatted at once. A batch has two blocks per
/// thread (so that a thread seldom waits for the slowest block of a batch), but never more
/// than this: at about 40 bytes a row, 16 blocks are 40 MB of text.
const FRAME_BLOCKS_AT_ONCE: usize = 16;

/// Bytes of CSV text gathered from a table written row by row before they are handed on.
const SPILL_BYTES: usize = 1 << 16;

/// The `height` rows that `rows` writes (by range) as CSV, into `out` in order: formatted by
/// blocks of [`FRAME_BLOCK_ROWS`] rows in parallel, a batch of blocks at a time, each batch
/// written before the next is formatted. Any table whose rows can be written by range (the
/// roll-up tables) goes through here.
fn csv_by_blocks(
    height: usize,
    format: CsvFormat,
    rows: impl Fn(std::ops::Range<usize>, &mut CsvSink) -> Result<()> + Sync,
    out: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use rayon::prelude::*;
    let starts: Vec<usize> = (0..height).step_by(FRAME_BLOCK_ROWS).collect();
    let at_once = (2 * rayon::current_num_threads()).clamp(1, FRAME_BLOCKS_AT_ONCE);
    for batch in starts.chunks(at_once) {
        let blocks: Vec<Vec<u8>> = batch
            .par_iter()
            .map(|&start| {
                let mut sink = CsvSink::new(format);
                rows(start..(start + FRAME_BLOCK_ROWS).min(height), &mut sink)?;
                Ok(sink.out)
            })
            .collect::<Result<_>>()?;
        for block in &blocks {
            out(block)?;
        }
    }
    Ok(())
}

/// A [`CsvSink`] whose text is handed on to `out` at the end of a row once it holds
/// [`SPILL_BYTES`], so that a table written row by row is never whole in memory. The cells
/// are formatted by the [`CsvSink`] itself, so the text is the same.
struct SpillingCsv<'o> {
    csv: CsvSink,
    out: &'o mut dyn FnMut(&[u8]) -> Result<()>,
}

impl SpillingCsv<'_> {
    /// Hands on the text gathered so far.
    fn spill(&mut self) -> Result<()> {
        if !self.csv.out.is_empty() {
            (self.out)(&self.csv.out)?;
            self.csv.out.clear();
        }
        Ok(())
    }
}

impl CellSink for SpillingCsv<'_> {
    fn text(&mut self, text: &str) -> Result<()> {
        self.csv.text(text)
    }

    fn label(&mut self, text: &str) -> Result<()> {
        self.csv.label(text)
    }

    fn unsigned(&mut self, x: u64) -> Result<()> {
        self.csv.unsigned(x)
    }

    fn signed(&mut self, x: i64) -> Result<()> {
        self.csv.signed(x)
    }

    fn float(&mut self, x: f64) -> Result<()> {
        self.csv.float(x)
    }

    fn float_or_text(&mut self, x: f64) -> Result<()> {
        self.csv.float_or_text(x)
    }

    fn boolean(&mut self, x: bool) -> Result<()> {
        self.csv.boolean(x)
    }

    fn empty(&mut self) -> Result<()> {
        self.csv.empty()
    }

    fn optional(&mut self, x: Option<f64>) -> Result<()> {
        self.csv.optional(x)
    }

    fn end_row(&mut self) -> Result<()> {
        self.csv.end_row()?;
        if self.csv.out.len() >= SPILL_BYTES {
            self.spill()?;
        }
        Ok(())
    }
}

/// The CSV writer: cells formatted straight into bytes.
struct CsvSink {
    out: Vec<u8>,
    separator: u8,
    line_end: &'static [u8],
    row_start: bool,
    integer: itoa::Buffer,
    floats: FloatTexts,
}

impl CsvSink {
    fn new(format: CsvFormat) -> Self {
        Self {
            out: Vec::new(),
            separator: format.separator(),
            line_end: format.line_end(),
            row_start: true,
            integer: itoa::Buffer::new(),
            floats: FloatTexts::new(format.decimal()),
        }
    }

    /// Starts a field: the separator, unless it is the first of its row.
    fn field(&mut self) {
        if !self.row_start {
            self.out.push(self.separator);
        }
        self.row_start = false;
    }
}

impl CellSink for CsvSink {
    fn text(&mut self, text: &str) -> Result<()> {
        self.field();
        push_text(&mut self.out, &safe_text(text), self.separator);
        Ok(())
    }

    fn label(&mut self, text: &str) -> Result<()> {
        self.field();
        push_text(&mut self.out, text, self.separator);
        Ok(())
    }

    fn unsigned(&mut self, x: u64) -> Result<()> {
        self.field();
        self.out
            .extend_from_slice(self.integer.format(x).as_bytes());
        Ok(())
    }

    fn signed(&mut self, x: i64) -> Result<()> {
        self.field();
        self.out
            .extend_from_slice(self.integer.format(x).as_bytes());
        Ok(())
    }

    fn float(&mut self, x: f64) -> Result<()> {
        self.field();
        if x.is_finite() {
            self.floats.push(&mut self.out, x);
        }
        Ok(())
    }

    fn float_or_text(&mut self, x: f64) -> Result<()> {
        self.field();
        self.floats.push(&mut self.out, x);
        Ok(())
    }

    fn boolean(&mut self, x: bool) -> Result<()> {
        self.field();
        self.out
            .extend_from_slice(if x { b"true" } else { b"false" });
        Ok(())
    }

    fn empty(&mut self) -> Result<()> {
        self.field();
        Ok(())
    }

    fn end_row(&mut self) -> Result<()> {
        self.out.extend_from_slice(self.line_end);
        self.row_start = true;
        Ok(())
    }
}

/// Hands the cells of `rows` of a roll-up table to `sink`.
fn frame_rows<S: CellSink + ?Sized>(
    typed: &[TypedColumn<'_>],
    rows: std::ops::Range<usize>,
    sink: &mut S,
) -> Result<()> {
    for i in rows {
        for column in typed {
            match column {
                TypedColumn::Text(ca) => match ca.get(i) {
                    Some(text) => sink.text(text)?,
                    None => sink.empty()?,
                },
                TypedColumn::TextArray(array) => match array.get(i) {
                    Some(text) => sink.text(text)?,
                    None => sink.empty()?,
                },
                TypedColumn::F64Slice(values) => sink.float_or_text(values[i])?,
                TypedColumn::U32Slice(values) => sink.unsigned(u64::from(values[i]))?,
                TypedColumn::F64(ca) => match ca.get(i) {
                    Some(x) => sink.float_or_text(x)?,
                    None => sink.empty()?,
                },
                TypedColumn::U32(ca) => match ca.get(i) {
                    Some(x) => sink.unsigned(u64::from(x))?,
                    None => sink.empty()?,
                },
                TypedColumn::U64(ca) => match ca.get(i) {
                    Some(x) => sink.unsigned(x)?,
                    None => sink.empty()?,
                },
                TypedColumn::ByVisit { visit, names } => {
                    let row = visit[i] as usize;
                    match (row < names.len()).then(|| names.get(row)).flatten() {
                        Some(text) => sink.text(text)?,
                        None => sink.empty()?,
                    }
                }
                TypedColumn::Other(c) => match c.get(i)? {
                    AnyValue::Null => sink.empty()?,
                    other => sink.label(&other.to_string())?,
                },
            }
        }
        sink.end_row()?;
    }
    Ok(())
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
/// is formatted once ([`push_f64`], with the style's decimal separator) and then copied.
struct FloatTexts {
    /// The decimal separator written.
    decimal: u8,
    /// Direct-mapped by the bits of the value: (bits, length, text).
    slots: Vec<(u64, u8, [u8; FLOAT_TEXT_MAX])>,
}

/// Slots of [`FloatTexts`] (a power of two).
const FLOAT_SLOTS: usize = 4096;
/// Longest text kept: `push_f64` writes at most 24 bytes for |x| < 10⁷ (sign, 17 digits,
/// point, leading zeros of 10⁻⁴); longer texts are written without the cache.
const FLOAT_TEXT_MAX: usize = 24;

impl FloatTexts {
    fn new(decimal: u8) -> Self {
        // Bits 0 with length 0 never match: a stored text has at least one byte.
        Self {
            decimal,
            slots: vec![(0, 0, [0; FLOAT_TEXT_MAX]); FLOAT_SLOTS],
        }
    }

    /// Writes `x` as [`push_f64`] does, with the decimal separator of the style.
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
        let written = &mut out[start..];
        if self.decimal != b'.'
            && let Some(point) = written.iter_mut().find(|b| **b == b'.')
        {
            *point = self.decimal;
        }
        if written.len() <= FLOAT_TEXT_MAX {
            *stored = bits;
            *len = written.len() as u8;
            text[..written.len()].copy_from_slice(written);
        }
    }
}

/// One CSV text field, quoted when it holds the separator, a quote or a line break (as the
/// `csv` writer does).
fn push_text(out: &mut Vec<u8>, text: &str, separator: u8) {
    if text
        .bytes()
        .any(|b| b == separator || matches!(b, b'"' | b'\n' | b'\r'))
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

/// A column of [`Table::frame`], by type; a single chunk without nulls is read as a plain
/// slice.
enum TypedColumn<'a> {
    Text(&'a StringChunked),
    TextArray(&'a polars_arrow::array::Utf8ViewArray),
    F64(&'a Float64Chunked),
    F64Slice(&'a [f64]),
    U32(&'a UInt32Chunked),
    U32Slice(&'a [u32]),
    U64(&'a UInt64Chunked),
    /// Text of another table, by the row this column's numbers give.
    ByVisit {
        visit: &'a [u32],
        names: &'a polars_arrow::array::Utf8ViewArray,
    },
    Other(&'a polars::prelude::Column),
}

impl<'a> TypedColumn<'a> {
    fn new(column: &'a polars::prelude::Column) -> Result<Self> {
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

/// The columns of `df`, typed.
fn typed_columns(df: &DataFrame) -> Result<Vec<TypedColumn<'_>>> {
    df.columns().iter().map(TypedColumn::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_float_texts_equal_the_uncached_ones() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut floats = FloatTexts::new(b'.');
        let mut danish = FloatTexts::new(b',');
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
            let mut comma = Vec::new();
            danish.push(&mut comma, x);
            let expected: Vec<u8> = plain
                .iter()
                .map(|&b| if b == b'.' { b',' } else { b })
                .collect();
            assert_eq!(comma, expected, "{x:e}");
        }
    }

    /// A table of every cell type, with text that looks like numbers and needs quoting.
    fn mixed() -> Table<'static> {
        use Kind::{Boolean, Decimal, Integer, PValue, Text};
        let columns = columns(&[
            ("visit_id", Text),
            ("authority", Text),
            ("n", Integer),
            ("sign", Integer),
            ("mean", Decimal),
            ("p", PValue),
            ("significant", Boolean),
            ("ci", Decimal),
        ]);
        Table::new(columns, |s| {
            s.text("12.5")?;
            s.text("Nord; Syd, \"Øst\"")?;
            s.unsigned(1234)?;
            s.signed(-1)?;
            s.float(4.25)?;
            s.float(1.5e-20)?;
            s.boolean(true)?;
            s.optional(None)?;
            s.end_row()?;
            s.text("=1+1")?;
            s.label("-")?;
            s.unsigned(0)?;
            s.signed(1)?;
            s.float(-0.5)?;
            s.float(f64::NAN)?;
            s.boolean(false)?;
            s.float_or_text(f64::NAN)?;
            s.end_row()
        })
    }

    #[test]
    fn standard_csv_is_rfc_4180() {
        let csv = String::from_utf8(mixed().to_csv(CsvFormat::Standard).unwrap()).unwrap();
        assert_eq!(
            csv,
            "visit_id,authority,n,sign,mean,p,significant,ci\n\
             12.5,\"Nord; Syd, \"\"Øst\"\"\",1234,-1,4.25,0.000000000000000000015,true,\n\
             '=1+1,-,0,1,-0.5,,false,NaN\n"
        );
    }

    #[test]
    fn a_level_table_names_each_visit_by_authority_and_id() {
        let visits = DataFrame::new(
            2,
            vec![
                polars::prelude::Column::new("authority".into(), ["Nord", "=Syd"]),
                polars::prelude::Column::new("visit_id".into(), ["n1", "s 2"]),
                polars::prelude::Column::new("overall".into(), [4.0, 3.0]),
            ],
        )
        .unwrap();
        let level = DataFrame::new(
            3,
            vec![
                polars::prelude::Column::new("visit".into(), [0u32, 1, 1]),
                polars::prelude::Column::new("theme".into(), [1u32, 1, 2]),
                polars::prelude::Column::new("score".into(), [4.5, 3.0, 2.25]),
            ],
        )
        .unwrap();
        let table = Table::level(&level, &visits);
        let csv = String::from_utf8(table.to_csv(CsvFormat::Standard).unwrap()).unwrap();
        // The names are input text: the one that looks like a formula is neutralised.
        assert_eq!(
            csv,
            "authority,visit_id,theme,score\nNord,n1,1,4.5\n'=Syd,s 2,1,3\n'=Syd,s 2,2,2.25\n"
        );
    }

    #[test]
    fn danish_csv_changes_numbers_only() {
        let csv = String::from_utf8(mixed().to_csv(CsvFormat::Danish).unwrap()).unwrap();
        assert_eq!(
            csv,
            "\u{feff}visit_id;authority;n;sign;mean;p;significant;ci\r\n\
             12.5;\"Nord; Syd, \"\"Øst\"\"\";1234;-1;4,25;0,000000000000000000015;true;\r\n\
             '=1+1;-;0;1;-0,5;;false;NaN\r\n"
        );
    }

    /// `write_csv`'s pieces, in order.
    fn pieces(table: &Table<'_>, format: CsvFormat) -> Vec<Vec<u8>> {
        let mut pieces = Vec::new();
        table
            .write_csv(format, &mut |piece| {
                pieces.push(piece.to_vec());
                Ok(())
            })
            .unwrap();
        pieces
    }

    #[test]
    fn a_long_table_is_handed_on_in_whole_rows_as_it_is_written() {
        let rows = 20_000;
        let columns = columns(&[("line", Kind::Integer), ("detail", Kind::Text)]);
        let table = Table::new(columns, move |s| {
            for i in 0..rows {
                s.unsigned(i)?;
                s.text(&format!("row {i}; ok"))?;
                s.end_row()?;
            }
            Ok(())
        });
        let pieces = pieces(&table, CsvFormat::Danish);
        let mut expected = String::from("\u{feff}line;detail\r\n");
        for i in 0..rows {
            expected.push_str(&format!("{i};\"row {i}; ok\"\r\n"));
        }
        assert!(expected.len() > 4 * SPILL_BYTES);
        assert!(pieces.len() > 4, "{} pieces", pieces.len());
        for piece in &pieces {
            assert!(piece.len() < SPILL_BYTES + 100, "{}", piece.len());
            assert!(piece.ends_with(b"\r\n"));
        }
        assert_eq!(String::from_utf8(pieces.concat()).unwrap(), expected);
    }

    #[test]
    fn a_long_frame_is_handed_on_in_blocks_of_rows() {
        let rows = 3 * FRAME_BLOCK_ROWS + 5;
        let id: Vec<u32> = (0..rows as u32).collect();
        let score: Vec<f64> = (0..rows).map(|i| (i % 13) as f64 / 4.0).collect();
        let df = DataFrame::new(
            rows,
            vec![
                polars::prelude::Column::new("id".into(), id),
                polars::prelude::Column::new("score".into(), score),
            ],
        )
        .unwrap();
        let table = Table::frame(&df);
        let pieces = pieces(&table, CsvFormat::Standard);
        let mut expected = String::from("id,score\n");
        for i in 0..rows {
            expected.push_str(&format!("{i},{}\n", (i % 13) as f64 / 4.0));
        }
        assert_eq!(pieces.len(), 1 + 4, "the header, then one piece per block");
        assert_eq!(String::from_utf8(pieces.concat()).unwrap(), expected);
        assert_eq!(
            table.to_csv(CsvFormat::Standard).unwrap(),
            expected.as_bytes()
        );
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
