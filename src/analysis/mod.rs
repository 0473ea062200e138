//! Stage 5: run the pipeline and hold everything it computed in one [`Analysis`].
//!
//! Input: the input paths, the [`QualityModel`] and [`AnalysisOptions`]. Output: an
//! [`Analysis`]: what was read, the filter's tables and counts, the roll-up, the
//! per-authority descriptives (share of each score 1–5, LOS figure 1; summary of the overall
//! scores, LOS figure 2), the KDE of the overall scores and their histogram (figure 2), the
//! pairwise comparisons of the authorities (LOS footnote 10; [`crate::stats::pairwise`]) at
//! the overall level and, on request, per theme and per criterion, and the per-indicator
//! deviations with uncertainty (figure 3; [`crate::stats::deviation`]). It writes nothing:
//! `report` and `plot` only read it, and never recompute a statistic.
//!
//! The steps: [`screen`] (load, filter), anonymisation on request ([`mod@crate::anonymize`]),
//! the roll-up, the comparisons (module `compare`), the descriptives (module `describe`), the
//! case mix ([`casemix`]) and, on request, the comparison across periods ([`periods`]).

pub mod casemix;
mod compare;
mod describe;
pub mod guard;
pub mod periods;

use std::path::PathBuf;

use serde::Serialize;

use crate::anonymize::{self, Anonymization};
use crate::error::{Error, Result};
use crate::export_check::{self, ExportCheck};
use crate::filter::{self, Filtered};
use crate::load::{self, LevelScores, LoadOptions, Source};
use crate::model::QualityModel;
use crate::progress::{self, Progress, Silent, Step};
use crate::rollup::{self, Rollup};
use crate::stats::descriptive::Summary;
use crate::stats::deviation::{self, DeviationRow};
use crate::stats::kde::{Bandwidth, KdeCurve};
use crate::stats::pairwise::{PairComparison, PairwiseOptions};

pub use describe::indicator_groups;
pub(crate) use describe::theme_means;

/// Options for a run.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// How to read the inputs.
    pub load: LoadOptions,
    /// How to compute the statistics.
    pub stats: StatsOptions,
    /// Replace authority names by "Socialtilsyn 1" … "Socialtilsyn k", in an order drawn
    /// from this seed, before anything is computed or written.
    pub anonymize: Option<u64>,
    /// Stop after loading when the authority column holds more distinct authorities than this
    /// ([`guard::MAX_AUTHORITIES`] by default; see [`guard`]).
    pub max_authorities: usize,
    /// The comparison across periods (none by default; see [`periods`]).
    pub periods: periods::PeriodOptions,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            load: LoadOptions::default(),
            stats: StatsOptions::default(),
            anonymize: None,
            max_authorities: guard::MAX_AUTHORITIES,
            periods: periods::PeriodOptions::default(),
        }
    }
}

/// Which levels the pairwise comparisons cover (the overall level always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Levels {
    /// Overall scores only.
    #[default]
    Overall,
    /// Also each theme.
    Theme,
    /// Also each criterion.
    Criterion,
    /// Also each theme and each criterion.
    All,
}

/// Whether permutation tests respect strata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Stratify {
    /// Permute freely.
    #[default]
    None,
    /// Permute only among visits of the same offer type.
    OfferType,
}

/// Which p-values one adjustment (`--adjust`) spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum AdjustScope {
    /// The pairs of one family: one level and unit, e.g. the 10 pairs of theme 3 (LOS's
    /// footnote 10 tests the 10 overall pairs as one family).
    #[default]
    Family,
    /// Every pair of a level at once, e.g. all 70 theme × pair tests: stricter, and the
    /// right scope when a level's results are read as one set of findings.
    Level,
}

/// Options for the statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsOptions {
    /// Pairwise comparison options (KS method, adjustment, alpha, permutations, seed).
    pub pairwise: PairwiseOptions,
    /// KDE bandwidth rule.
    pub bandwidth: Bandwidth,
    /// Confidence level of the deviation intervals.
    pub confidence: f64,
    /// Levels of the pairwise comparisons.
    pub levels: Levels,
    /// Strata for the permutation test.
    pub stratify: Stratify,
    /// What one adjustment spans.
    pub adjust_scope: AdjustScope,
    /// Bootstrap replicates of the standardised means of the case-mix analysis (0: none).
    pub bootstrap: u64,
}

/// Bootstrap replicates by default: the Monte Carlo error of a 2.5 % percentile is then about
/// ±0.4 percentage points of coverage.
pub const DEFAULT_BOOTSTRAP: u64 = 2000;

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            pairwise: PairwiseOptions::default(),
            bandwidth: Bandwidth::Scott,
            confidence: deviation::DEFAULT_CONFIDENCE,
            levels: Levels::Overall,
            stratify: Stratify::None,
            adjust_scope: AdjustScope::Family,
            bootstrap: DEFAULT_BOOTSTRAP,
        }
    }
}

/// The level of a comparison family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Overall scores.
    Overall,
    /// One theme's scores.
    Theme,
    /// One criterion's scores.
    Criterion,
}

/// The pairwise comparisons of one family (a level and unit).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonFamily {
    /// The level.
    pub level: Level,
    /// Theme or criterion number (0 for the overall level).
    pub unit: u32,
    /// The 10 pairs (fewer when authorities are missing).
    pub pairs: Vec<PairComparison>,
}

/// The KDE of one authority's overall scores.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorityCurve {
    /// Authority.
    pub authority: String,
    /// The curve; `None` when the KDE is undefined (one visit, or all scores equal).
    pub curve: Option<KdeCurve>,
    /// Why the curve is missing.
    pub note: Option<String>,
}

/// The histogram of one authority's overall scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorityHistogram {
    /// Authority.
    pub authority: String,
    /// Visits per bin.
    pub counts: Vec<u64>,
    /// Density per bin (integrates to 1 over the bins).
    pub density: Vec<f64>,
}

/// LOS figure 2's data: KDE curves on a common grid, and histograms on common edges.
#[derive(Debug, Clone, Serialize)]
pub struct Densities {
    /// Evaluation grid (512 points on [1, 5]).
    pub grid: Vec<f64>,
    /// One curve per authority.
    pub curves: Vec<AuthorityCurve>,
    /// Histogram bin edges.
    pub edges: Vec<f64>,
    /// One histogram per authority.
    pub histograms: Vec<AuthorityHistogram>,
}

/// Descriptives for one authority.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthoritySummary {
    /// Canonical authority name.
    pub name: String,
    /// Visits kept.
    pub visits: u64,
    /// Ratings kept.
    pub ratings: u64,
    /// Number of ratings with score 1, 2, 3, 4, 5.
    pub score_counts: [u64; 5],
    /// Share of ratings with score 1 … 5 (LOS figure 1).
    pub score_share: [f64; 5],
    /// Summary of the visits' overall scores (LOS figure 2).
    pub overall: Summary,
}

/// Everything one run computed.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The input files and what was detected in each.
    pub sources: Vec<Source>,
    /// The quality model used.
    pub model: QualityModel,
    /// Kept ratings, exclusions and counts.
    pub filtered: Filtered,
    /// Per-visit criterion, theme and overall scores.
    pub rollup: Rollup,
    /// Per-authority descriptives, sorted by name.
    pub authorities: Vec<AuthoritySummary>,
    /// Pairwise comparisons: the overall family first, then themes, then criteria.
    pub comparisons: Vec<ComparisonFamily>,
    /// KDE and histograms of the overall scores.
    pub densities: Densities,
    /// Per-indicator deviations from the national mean.
    pub deviation: Vec<DeviationRow>,
    /// The statistics options used.
    pub options: StatsOptions,
    /// The anonymisation key, when names were anonymised (never written unless asked for).
    pub anonymization: Option<Anonymization>,
    /// Mean theme scores per authority and nationally (spider charts' reference polygons).
    pub theme_means: Vec<ThemeMean>,
    /// The export's own criterion, theme and overall scores checked against the roll-up;
    /// `None` when the export has none.
    pub export_check: Option<ExportCheck>,
    /// Authority effects adjusted for offer type; `None` without offer types.
    pub case_mix: Option<casemix::CaseMix>,
    /// The comparison across periods, when asked for (see [`Analysis::compared_periods`]).
    pub periods: Option<periods::Periods>,
}

/// The mean of a theme's per-visit scores, for one authority or nationally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeMean {
    /// The authority; `None` for all visits of all authorities.
    pub authority: Option<String>,
    /// Theme number.
    pub theme: u32,
    /// Visits with a score for the theme.
    pub visits: usize,
    /// Mean of their theme scores.
    pub mean: f64,
}

impl Analysis {
    /// The overall-level pairwise comparisons (LOS footnote 10).
    pub fn overall_pairs(&self) -> &[PairComparison] {
        self.comparisons
            .iter()
            .find(|f| f.level == Level::Overall)
            .map_or(&[], |f| f.pairs.as_slice())
    }

    /// The comparison across periods when there are two periods or more: what every output
    /// shows. With one period (or none) the outputs are those of a run without `--period`.
    pub fn compared_periods(&self) -> Option<&periods::Periods> {
        self.periods.as_ref().filter(|p| p.compared())
    }
}

/// Load and filter only: what `losstat check` reports.
#[derive(Debug, Clone)]
pub struct Screening {
    /// The input files and what was detected in each.
    pub sources: Vec<Source>,
    /// Kept ratings, exclusions and counts.
    pub filtered: Filtered,
}

/// Loads the inputs and applies the filters.
pub fn screen(
    paths: &[PathBuf],
    model: &QualityModel,
    options: &AnalysisOptions,
) -> Result<Screening> {
    screen_with_progress(paths, model, options, &Silent)
}

/// [`screen`], reporting progress (the raw table is freed as soon as it is filtered).
pub fn screen_with_progress(
    paths: &[PathBuf],
    model: &QualityModel,
    options: &AnalysisOptions,
    progress: &dyn Progress,
) -> Result<Screening> {
    let loaded = load::load_with_progress(paths, &options.load, progress)?;
    guard::check_authorities(&loaded, options.max_authorities)?;
    let filtered = progress::run(progress, Step::Filter, || filter::filter(&loaded, model))?;
    Ok(Screening {
        sources: loaded.sources,
        filtered,
    })
}

/// Runs load → filter → roll-up → descriptives.
pub fn analyze(
    paths: &[PathBuf],
    model: QualityModel,
    options: &AnalysisOptions,
) -> Result<Analysis> {
    analyze_with_progress(paths, model, options, &Silent)
}

/// [`analyze`], reporting the long steps to `progress`.
pub fn analyze_with_progress(
    paths: &[PathBuf],
    model: QualityModel,
    options: &AnalysisOptions,
    progress: &dyn Progress,
) -> Result<Analysis> {
    let Screening {
        sources,
        mut filtered,
    } = screen_with_progress(paths, &model, options, progress)?;
    let anonymization = options
        .anonymize
        .map(|seed| anonymize::anonymize(&mut filtered, seed))
        .transpose()?;
    if filtered.summary.visits_kept == 0 {
        return Err(Error::NothingLeft {
            files: sources
                .iter()
                .map(|s| s.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            summary: filtered.summary.one_line(),
        });
    }
    let rollup = progress::run(progress, Step::Rollup, || rollup::rollup(&filtered))?;
    let levels: Vec<&LevelScores> = sources.iter().map(|s| &s.levels).collect();
    let export_check = if levels.iter().all(|l| l.is_empty()) {
        None
    } else {
        progress::run(progress, Step::ExportCheck, || {
            export_check::check(&levels, &filtered, &rollup)
        })?
    };
    let stats = &options.stats;
    let comparisons = compare::compare_levels(&rollup, stats, progress)?;
    let (authorities, densities, theme_means, deviation) =
        progress::run(progress, Step::Describe, || -> Result<_> {
            // Each pass reads the large tables once; the four run side by side.
            let ((summaries, deviation), (densities, theme_means)) = rayon::join(
                || {
                    rayon::join(
                        || describe::describe(&filtered, &rollup),
                        || {
                            deviation::deviation_table(
                                &indicator_groups(&filtered, &model)?,
                                stats.confidence,
                                stats.pairwise.alpha,
                            )
                        },
                    )
                },
                || {
                    rayon::join(
                        || describe::densities(&rollup, stats.bandwidth),
                        || theme_means(&rollup),
                    )
                },
            );
            Ok((summaries?, densities?, theme_means?, deviation?))
        })?;
    let case_mix = progress::run(progress, Step::CaseMix, || {
        casemix::case_mix(
            &filtered,
            &rollup,
            casemix::CaseMixOptions {
                bootstrap: stats.bootstrap,
                confidence: stats.confidence,
                alpha: stats.pairwise.alpha,
                seed: stats.pairwise.seed,
            },
        )
    })?;
    let periods = match options.periods.by {
        None => None,
        Some(_) => progress::run(progress, Step::Periods, || {
            periods::periods(&filtered, &rollup, &sources, &options.periods, stats)
        })?,
    };
    Ok(Analysis {
        sources,
        model,
        filtered,
        rollup,
        authorities,
        comparisons,
        densities,
        deviation,
        options: *stats,
        anonymization,
        theme_means,
        export_check,
        case_mix,
        periods,
    })
}
