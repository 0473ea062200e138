//! `results.json`: the machine-readable results, a public interface.
//!
//! The key names follow DESIGN §4 and are stable: later versions add keys, never rename
//! them. Scores 1–5 are keyed `"1"` … `"5"`. The `input` block describes the first (usually
//! only) input file at its top level and every file under `input.files`. `ks` holds the
//! overall-level pairs (LOS footnote 10); `ks_by_level` the theme and criterion families when
//! asked for. Undefined numbers (a NaN p, a CI that cannot be estimated) are `null`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::{
    AdjustScope, Analysis, AuthoritySummary, ComparisonFamily, Level, Levels, Stratify,
};
use crate::error::Result;
use crate::filter::{DateReport, FilterSummary, Filtered};
use crate::load::{Layout, Source};
use crate::profile::VisitProfile;
use crate::stats::descriptive::Summary;
use crate::stats::deviation::DeviationRow;
use crate::stats::kde::Bandwidth;
use crate::stats::ks::KsMethod;
use crate::stats::multitest::Adjustment;
use crate::stats::pairwise::PairComparison;

/// The top-level object of `results.json`.
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    /// The losstat version that wrote the file.
    pub losstat_version: &'static str,
    /// What was read.
    pub input: Input<'a>,
    /// Which quality model was used.
    pub model: ModelInfo<'a>,
    /// The filter's counts.
    pub filter: &'a FilterSummary,
    /// Per-authority descriptives.
    pub authorities: Vec<AuthorityJson<'a>>,
    /// The statistics' parameters.
    pub parameters: Parameters,
    /// Pairwise comparisons of the overall scores.
    pub ks: &'a [PairComparison],
    /// Pairwise comparisons per theme and per criterion (when asked for).
    pub ks_by_level: Vec<FamilyJson<'a>>,
    /// KDE of the overall scores per authority.
    pub kde: KdeJson<'a>,
    /// Histograms of the overall scores per authority.
    pub histogram: HistogramJson<'a>,
    /// Per-indicator deviations from the national mean.
    pub deviation: &'a [DeviationRow],
    /// Completeness of the universal indicators per authority and theme.
    pub completeness: &'a [crate::filter::CompletenessRow],
    /// Whether authority names were replaced by "Socialtilsyn 1" … (the key is not written here).
    pub anonymized: bool,
    /// The export's own criterion, theme and overall scores checked against the roll-up
    /// (present only when the export has them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_check: Option<&'a crate::export_check::ExportCheck>,
    /// Authority effects adjusted for offer type (present when the export has offer types).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted: Option<&'a crate::analysis::casemix::CaseMix>,
    /// The visit dates of every input file, as [`crate::filter::DateReport`]s (the day/month
    /// order used, the evidence, whether it was ambiguous, what could not be read). Written
    /// only when some file's dates were not all ISO `YYYY-MM-DD` already (rewritten to ISO, or
    /// not read), so that the results of exports with ISO dates are as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dates: Option<&'a [DateReport]>,
    /// The comparison across periods (`--period`; present only with two periods or more, so
    /// that a run with one period writes what a run without `--period` writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods: Option<&'a crate::analysis::periods::Periods>,
}

/// The `parameters` block.
#[derive(Debug, Serialize)]
pub struct Parameters {
    /// KS alternative.
    pub alternative: crate::stats::ks::Alternative,
    /// Significance level.
    pub alpha: f64,
    /// Adjustment across the pairs of a family.
    pub adjustment: Adjustment,
    /// KS method for SciPy's p.
    pub ks_method: KsMethod,
    /// KDE bandwidth rule.
    pub bandwidth: Bandwidth,
    /// Confidence level of intervals.
    pub confidence: f64,
    /// Levels compared.
    pub levels: Levels,
    /// Strata of the permutation test.
    pub stratify: Stratify,
    /// What one adjustment spans (`family`: the pairs of one level and unit; `level`: all
    /// pairs of a level).
    pub adjust_scope: AdjustScope,
    /// Monte Carlo permutations per pair (0: none).
    pub permutations: u64,
    /// RNG seed.
    pub seed: u64,
    /// RNG algorithm.
    pub rng: &'static str,
    /// FDR method across the deviation cells.
    pub deviation_adjustment: Adjustment,
}

/// One KDE curve in `kde.curves`.
#[derive(Debug, Serialize)]
pub struct CurveJson<'a> {
    /// Authority.
    pub authority: &'a str,
    /// Bandwidth factor (SciPy's `kde.factor`); `null` when undefined.
    pub bandwidth: Option<f64>,
    /// Kernel standard deviation (factor × data sd).
    pub kernel_sd: Option<f64>,
    /// Density on `kde.grid` (empty when undefined).
    pub density: &'a [f64],
    /// Why the curve is undefined.
    pub note: Option<&'a str>,
}

/// One family of `ks_by_level`: the unit's number and, from the model, its names.
#[derive(Debug, Serialize)]
pub struct FamilyJson<'a> {
    /// `theme` or `criterion`.
    pub level: Level,
    /// Theme or criterion number.
    pub unit: u32,
    /// Danish name of the theme or criterion, if the model has one.
    pub unit_name: Option<&'a str>,
    /// English name (themes of the embedded model), if the model has one.
    pub unit_name_en: Option<&'a str>,
    /// The pairs.
    pub pairs: &'a [PairComparison],
}

impl<'a> FamilyJson<'a> {
    fn new(family: &'a ComparisonFamily, model: &'a crate::model::QualityModel) -> Self {
        let (name, name_en) = match family.level {
            Level::Theme => model
                .themes
                .get(&family.unit)
                .map_or((None, None), |t| (t.name.as_deref(), t.name_en.as_deref())),
            _ => (
                model
                    .criteria
                    .get(&family.unit)
                    .and_then(|c| c.name.as_deref()),
                None,
            ),
        };
        Self {
            level: family.level,
            unit: family.unit,
            unit_name: name,
            unit_name_en: name_en,
            pairs: &family.pairs,
        }
    }
}

/// The `kde` block.
#[derive(Debug, Serialize)]
pub struct KdeJson<'a> {
    /// Evaluation grid.
    pub grid: &'a [f64],
    /// One curve per authority.
    pub curves: Vec<CurveJson<'a>>,
}

/// The `histogram` block.
#[derive(Debug, Serialize)]
pub struct HistogramJson<'a> {
    /// Bin edges.
    pub edges: &'a [f64],
    /// One histogram per authority.
    pub curves: &'a [crate::analysis::AuthorityHistogram],
}

/// The `input` block.
#[derive(Debug, Serialize)]
pub struct Input<'a> {
    /// Path of the first input.
    pub path: String,
    /// SHA-256 of the first input.
    pub sha256: &'a str,
    /// Layout of the first input.
    pub layout: Layout,
    /// Encoding of the first input (delimited text).
    pub encoding: Option<&'a str>,
    /// Separator of the first input (delimited text).
    pub separator: Option<&'a str>,
    /// Sheet of the first input (workbooks).
    pub sheet: Option<&'a str>,
    /// Every input file.
    pub files: &'a [Source],
}

/// The `model` block.
#[derive(Debug, Serialize)]
pub struct ModelInfo<'a> {
    /// `embedded` or the model file's path.
    pub origin: &'a str,
    /// Number of indicators.
    pub indicators: usize,
    /// Number of universal indicators.
    pub universal: usize,
}

/// One entry of `authorities`.
#[derive(Debug, Serialize)]
pub struct AuthorityJson<'a> {
    /// Canonical name.
    pub name: &'a str,
    /// Visits kept.
    pub visits: u64,
    /// Ratings kept.
    pub ratings: u64,
    /// Count of each score, keyed "1" … "5".
    pub score_counts: BTreeMap<String, u64>,
    /// Share of each score, keyed "1" … "5".
    pub score_share: BTreeMap<String, f64>,
    /// Summary of the overall scores.
    pub overall: &'a Summary,
}

impl<'a> AuthorityJson<'a> {
    fn new(a: &'a AuthoritySummary) -> Self {
        let keyed = |i: usize| (i + 1).to_string();
        Self {
            name: &a.name,
            visits: a.visits,
            ratings: a.ratings,
            score_counts: (0..5).map(|i| (keyed(i), a.score_counts[i])).collect(),
            score_share: (0..5).map(|i| (keyed(i), a.score_share[i])).collect(),
            overall: &a.overall,
        }
    }
}

/// The results of `analysis` as the `results.json` object.
pub fn results(analysis: &Analysis) -> Results<'_> {
    let first = analysis.sources.first();
    Results {
        losstat_version: env!("CARGO_PKG_VERSION"),
        input: Input {
            path: first
                .map(|s| s.path.display().to_string())
                .unwrap_or_default(),
            sha256: first.map_or("", |s| s.sha256.as_str()),
            layout: first.map_or(Layout::Long, |s| s.layout),
            encoding: first.and_then(|s| s.encoding.as_deref()),
            separator: first.and_then(|s| s.separator.as_deref()),
            sheet: first.and_then(|s| s.sheet.as_deref()),
            files: &analysis.sources,
        },
        model: ModelInfo {
            origin: &analysis.model.origin,
            indicators: analysis.model.indicators.len(),
            universal: analysis.model.universal().count(),
        },
        filter: &analysis.filtered.summary,
        authorities: analysis
            .authorities
            .iter()
            .map(AuthorityJson::new)
            .collect(),
        parameters: parameters(analysis),
        ks: analysis.overall_pairs(),
        ks_by_level: analysis
            .comparisons
            .iter()
            .filter(|f| f.level != Level::Overall)
            .map(|f| FamilyJson::new(f, &analysis.model))
            .collect(),
        kde: KdeJson {
            grid: &analysis.densities.grid,
            curves: analysis
                .densities
                .curves
                .iter()
                .map(|c| CurveJson {
                    authority: &c.authority,
                    bandwidth: c.curve.as_ref().map(|k| k.bandwidth),
                    kernel_sd: c.curve.as_ref().map(|k| k.kernel_sd),
                    density: c.curve.as_ref().map_or(&[], |k| k.density.as_slice()),
                    note: c.note.as_deref(),
                })
                .collect(),
        },
        histogram: HistogramJson {
            edges: &analysis.densities.edges,
            curves: &analysis.densities.histograms,
        },
        deviation: &analysis.deviation,
        completeness: &analysis.filtered.completeness,
        anonymized: analysis.anonymization.is_some(),
        export_check: analysis.export_check.as_ref(),
        adjusted: analysis.case_mix.as_ref(),
        dates: dates(&analysis.filtered),
        periods: analysis.compared_periods(),
    }
}

/// The `dates` block: every file's [`DateReport`], if some file's dates were rewritten to ISO
/// or could not be read; `None` (no key) when all were ISO already, so that the results of such
/// exports are as they were before dates were read.
fn dates(filtered: &Filtered) -> Option<&[DateReport]> {
    let reports = filtered.dates.as_slice();
    (!reports.iter().all(DateReport::all_iso)).then_some(reports)
}

fn parameters(analysis: &Analysis) -> Parameters {
    let o = &analysis.options;
    Parameters {
        alternative: o.pairwise.alternative,
        alpha: o.pairwise.alpha,
        adjustment: o.pairwise.adjustment,
        ks_method: o.pairwise.ks_method,
        bandwidth: o.bandwidth,
        confidence: o.confidence,
        levels: o.levels,
        stratify: o.stratify,
        adjust_scope: o.adjust_scope,
        permutations: o.pairwise.permutations,
        seed: o.pairwise.seed,
        rng: "ChaCha8",
        deviation_adjustment: Adjustment::BenjaminiHochberg,
    }
}

/// `profile.json` (`losstat spider`): the visit profile as pretty-printed bytes, ending in a
/// newline.
pub fn profile_bytes(profile: &VisitProfile) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(profile)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `results.json` as pretty-printed bytes, ending in a newline.
pub fn to_bytes(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&results(analysis))?;
    bytes.push(b'\n');
    Ok(bytes)
}
