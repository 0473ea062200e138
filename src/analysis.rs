//! Stage 5: run the pipeline and hold everything it computed in one [`Analysis`].
//!
//! Input: the input paths, the [`QualityModel`] and [`AnalysisOptions`]. Output: an
//! [`Analysis`]: what was read, the filter's tables and counts, the roll-up, the
//! per-authority descriptives (share of each score 1–5, LOS figure 1; summary of the overall
//! scores, LOS figure 2), the KDE of the overall scores and their histogram (figure 2), the
//! pairwise comparisons of the authorities (LOS footnote 10; [`crate::stats::pairwise`]) at
//! the overall level and, on request, per theme and per criterion, and the per-indicator
//! deviations with uncertainty (figure 3; [`crate::stats::deviation`]). It writes nothing:
//! `report` (and later `plot`) only read it, and never recompute a statistic.
//!
//! Stratification (`Stratify::OfferType`): the permutation test then permutes authority
//! labels only among visits of the same offer type (a missing type is a type of its own).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use polars::prelude::DataFrame;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::filter::{self, Filtered};
use crate::load::{self, LoadOptions, Source};
use crate::model::QualityModel;
use crate::rollup::{self, Rollup};
use crate::stats::descriptive::{self, Summary};
use crate::stats::deviation::{self, DeviationRow, IndicatorScores};
use crate::stats::kde::{self, Bandwidth, KdeCurve};
use crate::stats::pairwise::{self, Group, PairComparison, PairwiseOptions};

/// Options for a run.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// How to read the inputs.
    pub load: LoadOptions,
    /// How to compute the statistics.
    pub stats: StatsOptions,
}

/// Which levels the pairwise comparisons cover (the overall level always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
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
pub enum Stratify {
    /// Permute freely.
    #[default]
    None,
    /// Permute only among visits of the same offer type.
    OfferType,
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
}

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            pairwise: PairwiseOptions::default(),
            bandwidth: Bandwidth::Scott,
            confidence: deviation::DEFAULT_CONFIDENCE,
            levels: Levels::Overall,
            stratify: Stratify::None,
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
}

impl Analysis {
    /// The overall-level pairwise comparisons (LOS footnote 10).
    pub fn overall_pairs(&self) -> &[PairComparison] {
        self.comparisons
            .iter()
            .find(|f| f.level == Level::Overall)
            .map_or(&[], |f| f.pairs.as_slice())
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
    let loaded = load::load(paths, &options.load)?;
    let filtered = filter::filter(&loaded, model)?;
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
    let Screening { sources, filtered } = screen(paths, &model, options)?;
    if filtered.summary.visits_kept == 0 {
        return Err(Error::NothingLeft {
            summary: filtered.summary.one_line(),
        });
    }
    let rollup = rollup::rollup(&filtered)?;
    let authorities = describe(&filtered, &rollup)?;
    let stats = &options.stats;
    let comparisons = compare_levels(&rollup, stats)?;
    let densities = densities(&rollup, stats.bandwidth)?;
    let deviation = deviation::deviation_table(
        &indicator_groups(&filtered.ratings, &model)?,
        stats.confidence,
        stats.pairwise.alpha,
    )?;
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
    })
}

/// Scores of one frame grouped by unit (theme/criterion, or 0) and authority, each with the
/// offer type of its visit.
type Grouped = BTreeMap<u32, BTreeMap<String, (Vec<f64>, Vec<Option<String>>)>>;

fn group_scores(
    df: &DataFrame,
    unit: Option<&str>,
    value: &str,
    offer_type: &HashMap<String, Option<String>>,
) -> Result<Grouped> {
    let authority = df.column("authority")?.str()?;
    let visit = df.column("visit_id")?.str()?;
    let values = df.column(value)?.f64()?;
    let units: Vec<u32> = match unit {
        Some(name) => df
            .column(name)?
            .u32()?
            .iter()
            .map(|u| u.unwrap_or(0))
            .collect(),
        None => vec![0; df.height()],
    };
    let mut out: Grouped = BTreeMap::new();
    for (((a, v), x), u) in authority
        .iter()
        .zip(visit.iter())
        .zip(values.iter())
        .zip(units)
    {
        if let (Some(a), Some(v), Some(x)) = (a, v, x) {
            let slot = out.entry(u).or_default().entry(a.to_string()).or_default();
            slot.0.push(x);
            slot.1.push(offer_type.get(v).cloned().flatten());
        }
    }
    Ok(out)
}

fn compare_levels(rollup: &Rollup, stats: &StatsOptions) -> Result<Vec<ComparisonFamily>> {
    let visit = rollup.visits.column("visit_id")?.str()?;
    let offer = rollup.visits.column("offer_type")?.str()?;
    let offer_type: HashMap<String, Option<String>> = visit
        .iter()
        .zip(offer.iter())
        .filter_map(|(v, o)| v.map(|v| (v.to_string(), o.map(str::to_string))))
        .collect();
    let mut frames: Vec<(Level, Option<&str>, &DataFrame, &str)> =
        vec![(Level::Overall, None, &rollup.visits, "overall")];
    if matches!(stats.levels, Levels::Theme | Levels::All) {
        frames.push((Level::Theme, Some("theme"), &rollup.themes, "score"));
    }
    if matches!(stats.levels, Levels::Criterion | Levels::All) {
        frames.push((
            Level::Criterion,
            Some("criterion"),
            &rollup.criteria,
            "score",
        ));
    }
    let mut families = Vec::new();
    let mut stream_base = 0u64;
    for (level, unit_col, df, value) in frames {
        for (unit, by_authority) in group_scores(df, unit_col, value, &offer_type)? {
            let codes = pairwise::stratum_codes(
                by_authority
                    .values()
                    .flat_map(|(_, types)| types.iter().map(Option::as_deref)),
            );
            let mut offset = 0;
            let mut strata: Vec<&[u32]> = Vec::new();
            for (values, _) in by_authority.values() {
                strata.push(codes.get(offset..offset + values.len()).unwrap_or(&[]));
                offset += values.len();
            }
            let groups: Vec<Group<'_>> = by_authority
                .iter()
                .zip(&strata)
                .map(|((name, (values, _)), codes)| Group {
                    name,
                    values,
                    strata: (stats.stratify == Stratify::OfferType).then_some(*codes),
                })
                .collect();
            let pairs = pairwise::compare_pairs(&groups, &stats.pairwise, stream_base)?;
            stream_base += 100;
            families.push(ComparisonFamily { level, unit, pairs });
        }
    }
    Ok(families)
}

fn densities(rollup: &Rollup, bandwidth: Bandwidth) -> Result<Densities> {
    let grid = kde::default_grid();
    let edges = kde::score_histogram_edges();
    let mut curves = Vec::new();
    let mut histograms = Vec::new();
    for (authority, overall) in rollup.overall_by_authority()? {
        let (curve, note) = match kde::gaussian_kde(&overall, None, bandwidth, &grid) {
            Ok(curve) => (Some(curve), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let histogram = kde::histogram(&overall, &edges)?;
        curves.push(AuthorityCurve {
            authority: authority.clone(),
            curve,
            note,
        });
        histograms.push(AuthorityHistogram {
            authority,
            counts: histogram.counts,
            density: histogram.density,
        });
    }
    Ok(Densities {
        grid,
        curves,
        edges,
        histograms,
    })
}

/// The kept ratings grouped by indicator (model order, then ids outside the model) and
/// authority.
fn indicator_groups(ratings: &DataFrame, model: &QualityModel) -> Result<Vec<IndicatorScores>> {
    let indicator = ratings.column("indicator")?.str()?;
    let authority = ratings.column("authority")?.str()?;
    let score = ratings.column("score")?.f64()?;
    let mut by: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for ((i, a), x) in indicator.iter().zip(authority.iter()).zip(score.iter()) {
        if let (Some(i), Some(a), Some(x)) = (i, a, x) {
            by.entry(i.to_string())
                .or_default()
                .entry(a.to_string())
                .or_default()
                .push(x);
        }
    }
    let mut ordered: Vec<String> = model.indicators.iter().map(|i| i.id.to_string()).collect();
    let mut rest: Vec<String> = by
        .keys()
        .filter(|k| !ordered.contains(k))
        .cloned()
        .collect();
    rest.sort_by_key(|id| crate::model::IndicatorId::parse(id));
    ordered.extend(rest);
    Ok(ordered
        .into_iter()
        .filter_map(|id| {
            by.remove(&id).map(|groups| IndicatorScores {
                indicator: id,
                by_authority: groups.into_iter().collect(),
            })
        })
        .collect())
}

fn describe(filtered: &Filtered, rollup: &Rollup) -> Result<Vec<AuthoritySummary>> {
    let authority = filtered.ratings.column("authority")?.str()?;
    let score = filtered.ratings.column("score")?.f64()?;
    let mut counts: BTreeMap<&str, [u64; 5]> = BTreeMap::new();
    for (a, s) in authority.iter().zip(score.iter()) {
        if let (Some(a), Some(s)) = (a, s) {
            let slot = (s as usize).clamp(1, 5) - 1;
            counts.entry(a).or_insert([0; 5])[slot] += 1;
        }
    }
    rollup
        .overall_by_authority()?
        .into_iter()
        .map(|(name, overall)| {
            let score_counts = counts.get(name.as_str()).copied().unwrap_or([0; 5]);
            Ok(AuthoritySummary {
                visits: overall.len() as u64,
                ratings: score_counts.iter().sum(),
                score_share: descriptive::shares(&score_counts),
                score_counts,
                overall: descriptive::summarize(&overall, &format!("overall scores of {name}"))?,
                name,
            })
        })
        .collect()
}
