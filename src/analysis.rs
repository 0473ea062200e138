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
use crate::filter::{self, FilterOptions, Filtered, Scope};
use crate::load::{self, Field, LoadOptions, Source};
use crate::model::QualityModel;
use crate::progress::{self, Progress, Silent, Step};
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
    /// Replace authority names by "Socialtilsyn 1" … "Socialtilsyn k", in an order drawn
    /// from this seed, before anything is computed or written.
    pub anonymize: Option<u64>,
}

/// The anonymisation key: which real name became which label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anonymization {
    /// (real name, label), sorted by label.
    pub pairs: Vec<(String, String)>,
}

/// Draws the anonymous labels for `names` (sorted real names): a seeded shuffle, so the
/// labels do not follow the names' alphabetical order.
pub fn anonymous_labels(names: &[String], seed: u64) -> BTreeMap<String, String> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..names.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    order
        .iter()
        .enumerate()
        .filter_map(|(label, &i)| {
            names
                .get(i)
                .map(|name| (name.clone(), format!("Socialtilsyn {}", label + 1)))
        })
        .collect()
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

/// Which p-values one adjustment (`--adjust`) spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
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
}

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            pairwise: PairwiseOptions::default(),
            bandwidth: Bandwidth::Scott,
            confidence: deviation::DEFAULT_CONFIDENCE,
            levels: Levels::Overall,
            stratify: Stratify::None,
            adjust_scope: AdjustScope::Family,
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

/// Picks the visit to profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitSelector {
    /// A visit id.
    Visit(String),
    /// An offer id: its most recent visit (by date, then id).
    Offer(String),
}

/// One visit at a glance (seed 000's minimum report content): its scores at every level, what
/// is missing, and the reference means.
#[derive(Debug, Clone, Serialize)]
pub struct VisitProfile {
    /// Visit id.
    pub visit_id: String,
    /// Authority (canonical name).
    pub authority: String,
    /// Offer id, if the export has one.
    pub offer_id: Option<String>,
    /// Offer type, if the export has one.
    pub offer_type: Option<String>,
    /// Visit date, if the export has one.
    pub visit_date: Option<String>,
    /// (indicator, score) in model order.
    pub indicators: Vec<(String, f64)>,
    /// (criterion, score).
    pub criteria: Vec<(u32, f64)>,
    /// (theme, score).
    pub themes: Vec<(u32, f64)>,
    /// Mean of the theme scores.
    pub overall: Option<f64>,
    /// Universal indicators without a valid score.
    pub missing_universal: Vec<String>,
    /// Visit-level rules that drop this visit from the comparisons, if any.
    pub excluded_by: Vec<String>,
    /// Other visits of the same offer (when selected by offer).
    pub other_visits: Vec<String>,
    /// The authority's mean theme scores (reference polygon).
    pub authority_means: Vec<ThemeMean>,
    /// The national mean theme scores (reference polygon).
    pub national_means: Vec<ThemeMean>,
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
    let anonymization = match options.anonymize {
        Some(seed) => {
            let mapping = anonymous_labels(&filtered.authority_names()?, seed);
            filtered.rename_authorities(&mapping)?;
            let mut pairs: Vec<(String, String)> = mapping.into_iter().collect();
            pairs.sort_by(|a, b| a.1.cmp(&b.1));
            Some(Anonymization { pairs })
        }
        None => None,
    };
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
    let stats = &options.stats;
    let comparisons = compare_levels(&rollup, stats, progress)?;
    let (authorities, densities, theme_means, deviation) =
        progress::run(progress, Step::Describe, || -> Result<_> {
            // Each pass reads the large tables once; the four run side by side.
            let ((summaries, deviation), (densities, theme_means)) = rayon::join(
                || {
                    rayon::join(
                        || describe(&filtered, &rollup),
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
                        || densities(&rollup, stats.bandwidth),
                        || theme_means(&rollup),
                    )
                },
            );
            Ok((summaries?, densities?, theme_means?, deviation?))
        })?;
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
    })
}

/// Mean theme scores per authority (sorted by name) and nationally (`authority: None`, last).
fn theme_means(rollup: &Rollup) -> Result<Vec<ThemeMean>> {
    let authority = rollup.themes.column("authority")?.str()?;
    let theme = rollup.themes.column("theme")?.u32()?;
    let score = rollup.themes.column("score")?.f64()?;
    let mut by: BTreeMap<(Option<&str>, u32), Vec<f64>> = BTreeMap::new();
    for ((a, t), x) in authority.iter().zip(theme.iter()).zip(score.iter()) {
        if let (Some(a), Some(t), Some(x)) = (a, t, x) {
            by.entry((Some(a), t)).or_default().push(x);
            by.entry((None, t)).or_default().push(x);
        }
    }
    use rayon::prelude::*;
    let mut out = by
        .into_par_iter()
        .map(|((authority, theme), values)| {
            let summary = descriptive::summarize(&values, "theme scores")?;
            Ok(ThemeMean {
                authority: authority.map(str::to_string),
                theme,
                visits: summary.n,
                mean: summary.mean,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| {
        (a.authority.is_none(), &a.authority, a.theme).cmp(&(
            b.authority.is_none(),
            &b.authority,
            b.theme,
        ))
    });
    Ok(out)
}

/// Profiles one visit (see [`VisitProfile`]): its own scores come from its valid ratings even
/// if a LOS visit rule would drop it from the comparisons (that is then said in
/// `excluded_by`); the reference means come from the full, filtered data.
pub fn visit_profile(
    paths: &[PathBuf],
    model: &QualityModel,
    options: &AnalysisOptions,
    selector: &VisitSelector,
) -> Result<VisitProfile> {
    let loaded = load::load(paths, &options.load)?;
    let full = filter::filter(&loaded, model)?;
    let full_rollup = rollup::rollup(&full)?;
    let means = theme_means(&full_rollup)?;

    let raw = &loaded.ratings;
    let (visit_id, other_visits) = match selector {
        VisitSelector::Visit(id) => (id.trim().to_string(), Vec::new()),
        VisitSelector::Offer(offer) => {
            let mut candidates: BTreeMap<String, String> = BTreeMap::new();
            for row in 0..raw.height() {
                let v = raw.get(Field::VisitId, row);
                let o = raw.get(Field::OfferId, row);
                let d = raw.get(Field::VisitDate, row);
                if let (Some(v), Some(o)) = (v, o)
                    && o.trim() == offer.trim()
                    && !v.trim().is_empty()
                {
                    let date = d.unwrap_or("").trim().to_string();
                    let entry = candidates.entry(v.trim().to_string()).or_default();
                    if date > *entry {
                        *entry = date;
                    }
                }
            }
            let mut ordered: Vec<(String, String)> =
                candidates.into_iter().map(|(v, d)| (d, v)).collect();
            ordered.sort();
            let Some((_, latest)) = ordered.pop() else {
                return Err(Error::NotFound {
                    what: format!("offer `{offer}`"),
                    hint:
                        "no row has this offer id; check the offer column (--column offer_id=NAME)"
                            .to_string(),
                });
            };
            (latest, ordered.into_iter().rev().map(|(_, v)| v).collect())
        }
    };
    let rows: Vec<usize> = (0..raw.height())
        .filter(|&row| {
            raw.get(Field::VisitId, row)
                .is_some_and(|v| v.trim() == visit_id)
        })
        .collect();
    let rows = raw.take(&rows);
    if rows.height() == 0 {
        return Err(Error::NotFound {
            what: format!("visit `{visit_id}`"),
            hint: "no row has this visit id".to_string(),
        });
    }
    let single = load::Loaded {
        ratings: rows,
        malformed: Vec::new(),
        sources: loaded.sources.clone(),
    };
    let shown = filter::filter_with(
        &single,
        model,
        &FilterOptions {
            los_visit_rules: false,
        },
    )?;
    if shown.summary.visits_kept == 0 {
        return Err(Error::NotFound {
            what: format!("a valid rating of visit `{visit_id}`"),
            hint: format!(
                "the visit has no usable rating ({})",
                shown.summary.one_line()
            ),
        });
    }
    let r = rollup::rollup(&shown)?;
    let text = |df: &DataFrame, col: &str| -> Result<Option<String>> {
        Ok(df.column(col)?.str()?.get(0).map(str::to_string))
    };
    let pairs_u32 = |df: &DataFrame, key: &str| -> Result<Vec<(u32, f64)>> {
        let k = df.column(key)?.u32()?;
        let x = df.column("score")?.f64()?;
        Ok(k.iter()
            .zip(x.iter())
            .filter_map(|(k, x)| Some((k?, x?)))
            .collect())
    };
    let ind = shown.ratings.column("indicator")?.str()?;
    let score = shown.ratings.column("score")?.f64()?;
    let mut indicators: Vec<(String, f64)> = ind
        .iter()
        .zip(score.iter())
        .filter_map(|(i, x)| Some((i?.to_string(), x?)))
        .collect();
    indicators.sort_by_key(|(id, _)| crate::model::IndicatorId::parse(id));
    let present: Vec<&str> = indicators.iter().map(|(id, _)| id.as_str()).collect();
    let missing_universal = model
        .universal()
        .map(|i| i.id.to_string())
        .filter(|id| !present.contains(&id.as_str()))
        .collect();
    let mut excluded_by: Vec<String> = full
        .exclusions
        .iter()
        .filter(|e| e.visit_id.trim() == visit_id && e.rule.scope() == Scope::Visit)
        .map(|e| e.rule.name().to_string())
        .collect();
    excluded_by.dedup();
    let authority = text(&r.visits, "authority")?.unwrap_or_default();
    Ok(VisitProfile {
        offer_id: text(&r.visits, "offer_id")?,
        offer_type: text(&r.visits, "offer_type")?,
        visit_date: text(&r.visits, "visit_date")?,
        overall: r.visits.column("overall")?.f64()?.get(0),
        criteria: pairs_u32(&r.criteria, "criterion")?,
        themes: pairs_u32(&r.themes, "theme")?,
        indicators,
        missing_universal,
        excluded_by,
        other_visits,
        authority_means: means
            .iter()
            .filter(|m| m.authority.as_deref() == Some(authority.as_str()))
            .cloned()
            .collect(),
        national_means: means
            .iter()
            .filter(|m| m.authority.is_none())
            .cloned()
            .collect(),
        authority,
        visit_id,
    })
}

/// Scores of one frame grouped by unit (theme/criterion, or 0) and authority, each with the
/// offer type of its visit.
type Grouped<'a> = BTreeMap<u32, BTreeMap<&'a str, (Vec<f64>, Vec<Option<&'a str>>)>>;

fn group_scores<'a>(
    df: &'a DataFrame,
    unit: Option<&str>,
    value: &str,
    offer_type: &HashMap<&str, Option<&'a str>>,
) -> Result<Grouped<'a>> {
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
            let slot = out.entry(u).or_default().entry(a).or_default();
            slot.0.push(x);
            slot.1.push(offer_type.get(v).copied().flatten());
        }
    }
    Ok(out)
}

fn compare_levels(
    rollup: &Rollup,
    stats: &StatsOptions,
    progress: &dyn Progress,
) -> Result<Vec<ComparisonFamily>> {
    let visit = rollup.visits.column("visit_id")?.str()?;
    let offer = rollup.visits.column("offer_type")?.str()?;
    let offer_type: HashMap<&str, Option<&str>> = visit
        .iter()
        .zip(offer.iter())
        .filter_map(|(v, o)| v.map(|v| (v, o)))
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
    let grouped = frames
        .into_iter()
        .map(|(level, unit_col, df, value)| {
            Ok((level, group_scores(df, unit_col, value, &offer_type)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let pairs_total: usize = grouped
        .iter()
        .flat_map(|(_, by_unit)| by_unit.values())
        .map(|by_authority| {
            let k = by_authority.values().filter(|(v, _)| !v.is_empty()).count();
            k * k.saturating_sub(1) / 2
        })
        .sum();
    progress.start(Step::Compare, pairs_total as u64);
    for (level, by_unit) in grouped {
        for (unit, by_authority) in by_unit {
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
            let pairs = pairwise::compare_pairs_with_progress(
                &groups,
                &stats.pairwise,
                stream_base,
                progress,
            )?;
            stream_base += 100;
            families.push(ComparisonFamily { level, unit, pairs });
        }
    }
    progress.finish();
    if stats.adjust_scope == AdjustScope::Level {
        adjust_across_level(&mut families, &stats.pairwise);
    }
    Ok(families)
}

/// Adjusts the pairs of each level as one family (replacing the per-family adjustment).
fn adjust_across_level(families: &mut [ComparisonFamily], options: &PairwiseOptions) {
    for level in [Level::Overall, Level::Theme, Level::Criterion] {
        let pairs = families
            .iter_mut()
            .filter(|f| f.level == level)
            .flat_map(|f| f.pairs.iter_mut());
        pairwise::adjust_pairs(pairs, options);
    }
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

/// The kept ratings ([`Filtered::ratings`]) grouped by indicator (model order, then ids
/// outside the model) and authority: the input of [`deviation::deviation_table`].
pub fn indicator_groups(filtered: &Filtered, model: &QualityModel) -> Result<Vec<IndicatorScores>> {
    let ratings = &filtered.ratings;
    let indicator = ratings.column("indicator")?.str()?;
    let score = ratings.column("score")?.f64()?;
    let (authorities, authority_of_row) = rating_authorities(filtered)?;
    // Scores by [indicator slot][authority slot]: one hash lookup per rating (the
    // indicator).
    let mut indicator_slot: HashMap<&str, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut cells: Vec<Vec<Vec<f64>>> = Vec::new();
    for ((i, a_slot), x) in indicator.iter().zip(authority_of_row).zip(score.iter()) {
        let (Some(i), Some(a_slot), Some(x)) = (i, a_slot, x) else {
            continue;
        };
        let next = indicator_slot.len();
        let i_slot = *indicator_slot.entry(i).or_insert(next);
        if i_slot == cells.len() {
            cells.push(Vec::new());
        }
        let row = &mut cells[i_slot];
        if row.len() <= a_slot {
            row.resize_with(a_slot + 1, Vec::new);
        }
        row[a_slot].push(x);
    }
    let mut by: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for (i, slot) in indicator_slot {
        let groups = by.entry(i.to_string()).or_default();
        for (a, values) in std::mem::take(&mut cells[slot]).into_iter().enumerate() {
            if !values.is_empty() {
                groups.insert(authorities[a].to_string(), values);
            }
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

/// The distinct authorities of the kept visits (in order of first appearance), and for each
/// kept rating the slot of its authority there (through its `visit`).
fn rating_authorities(
    filtered: &Filtered,
) -> Result<(Vec<&str>, impl Iterator<Item = Option<usize>> + '_)> {
    let names = filtered.visits.column("authority")?.str()?;
    let mut authorities: Vec<&str> = Vec::new();
    let slot_of_visit: Vec<Option<usize>> = names
        .iter()
        .map(|name| {
            let name = name?;
            Some(
                authorities
                    .iter()
                    .position(|&n| n == name)
                    .unwrap_or_else(|| {
                        authorities.push(name);
                        authorities.len() - 1
                    }),
            )
        })
        .collect();
    let visit = filtered.ratings.column("visit")?.u32()?;
    let per_row = visit
        .iter()
        .map(move |v| v.and_then(|v| slot_of_visit.get(v as usize).copied().flatten()));
    Ok((authorities, per_row))
}

fn describe(filtered: &Filtered, rollup: &Rollup) -> Result<Vec<AuthoritySummary>> {
    let score = filtered.ratings.column("score")?.f64()?;
    let (authorities, authority_of_row) = rating_authorities(filtered)?;
    let mut by_slot = vec![[0u64; 5]; authorities.len()];
    for (a, s) in authority_of_row.zip(score.iter()) {
        if let (Some(a), Some(s)) = (a, s) {
            by_slot[a][(s as usize).clamp(1, 5) - 1] += 1;
        }
    }
    let counts: BTreeMap<&str, [u64; 5]> = authorities.into_iter().zip(by_slot).collect();
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
