//! Periods (issue 15; DESIGN §2.3): has practice converged? The kept visits compared across
//! periods — the years of their visit dates, or the input files (one export per year) — as the
//! audit function's follow-up of its statement of 1 January 2024 asks. The pooled analysis is
//! not changed by it.
//!
//! Input: the filter's kept visits and ratings, the roll-up's overall scores, the input files,
//! [`PeriodOptions`] and the run's [`StatsOptions`]. Output: [`Periods`].
//!
//! **How visits become periods.** The filter and the roll-up run once, on all the inputs, and
//! the kept visits are split: every LOS rule acts on one rating or on one visit's own rows, and
//! the roll-up on one visit, so filtering a period's rows alone keeps exactly the visits, and
//! gives exactly the scores, that splitting the pooled result does. Splitting afterwards also
//! needs a visit's date, which is only known after the filter (the first readable date among
//! its kept ratings, read in its file's day/month order), keeps one exclusion listing and one
//! set of filter counts, and lets the raw table be freed as soon as it is filtered.
//! - `year` ([`PeriodBy::Year`]): a visit's period is the year of its visit date. A visit
//!   without a readable date is left out of every period, counted and listed ([`LeftOut`]).
//! - `file` ([`PeriodBy::File`]): one period per input file, in input order, labelled
//!   [`PeriodOptions::labels`] or by the file's stem. Visits are identified by their id across
//!   files (as in the pooled analysis), so a visit id with ratings in two files is one visit:
//!   it is left out of the periods, counted and listed. A file without kept visits makes no
//!   period.
//!
//! The unit is the visit: an offer visited in several periods counts in each.
//!
//! **Per period** ([`Period`]): per authority its visits, ratings and mean overall score with
//! a Student t interval (`mean ± t_{n−1} · sd/√n`); and the spread between the authorities
//! ([`Spread`]): the range and the sample standard deviation (n − 1) of the authority means
//! (each authority counts once, whatever its size), and the mean absolute per-indicator
//! deviation from the national mean — over every indicator × authority cell with a rating, of
//! `|mean_{a,i} − national_i|`, with `national_i` the pooled mean of all the period's ratings of
//! indicator `i` (the national mean of [`crate::stats::deviation`]). Each has a percentile
//! bootstrap interval (Efron & Tibshirani 1993, ch. 13): a replicate resamples, with
//! replacement, the visits of each authority separately (each keeps its size), and recomputes
//! the three from the resampled visits' overall scores and ratings.
//!
//! **Adjusted for offer type.** When the export has offer types (the case-mix adjustment runs,
//! [`crate::analysis::casemix`]), each authority's mean is also standardised directly to the
//! offer-type mix of all the kept visits, every period pooled (one standard for every period,
//! so that a change of mix does not move it; a stratum an authority lacks in a period is left
//! out and the weights of the rest renormalised, as [`crate::stats::standardise`] does), and
//! the spread's range and SD are given on these standardised means too, with intervals from
//! the same bootstrap replicates. The spread of estimated
//! means includes their sampling error, so it overstates the spread of the true means, most
//! where authorities have few visits; resampling adds that error once more, so where the true
//! spread is small the percentile interval can lie wholly above the estimate (the bootstrap
//! does not remove the bias, and the interval is best read beside the other periods').
//!
//! **Change** between consecutive periods ([`Change`]), per authority present in both: the
//! difference of mean overall scores (later − earlier) with Welch's (1947) unequal-variance
//! interval and t test (`scipy.stats.ttest_ind(later, earlier, equal_var=False)`; the p-values
//! adjusted across the authorities of one pair of periods by `--adjust`), and the two-sample
//! Kolmogorov–Smirnov test ([`crate::stats::ks::ks_2samp`]: SciPy's p and the exact p given
//! the ties). For the spread ([`SpreadChange`]): the change of the SD of the authority means
//! from the first period to the last, over the authorities present in both, tested by
//! permutation — the period labels of each authority's visits in the two periods are permuted
//! (each authority keeps its number of visits in each), the SDs recomputed, and
//! `p = (1 + #{|Δ*| ≥ |Δ|}) / (1 + B)` (Phipson & Smyth 2010); `|Δ*| ≥ |Δ|` allows 1e-12 for
//! rounding. With offer types, the same test of the SD of the standardised means
//! ([`SpreadChange::adjusted`]): the period labels are permuted within each authority ×
//! offer-type cell, so each authority keeps its mix in each period, and a change of mix alone
//! is no change. The spread statistics and these tests are [`crate::stats::spread`]'s.
//!
//! Random numbers: ChaCha8, seeded from `--seed` (mixed with a constant per use, so the
//! streams are not those of the pairwise permutations or the case-mix bootstrap), one stream
//! per bootstrap replicate of each period and per permutation; the results do not depend on the
//! number of threads.

use std::collections::HashMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::StatsOptions;
use super::casemix;
use crate::error::{Error, Result};
use crate::filter::{self, Filtered};
use crate::load::Source;
use crate::rollup::{self, Rollup};
use crate::stats::descriptive;
use crate::stats::ks::{self, Alternative, KsMethod};
use crate::stats::means::{MeanInterval, mean_interval, sample_sd, welch};
use crate::stats::multitest::{self, Adjustment};
use crate::stats::spread;
use crate::stats::standardise::weighted;

/// Permutations of the test of change in spread by default (`--period-permutations`).
pub const DEFAULT_PERMUTATIONS: u64 = 2000;

/// Mixed into `--seed` for the bootstrap of the spread ("PERIODBS").
const BOOTSTRAP_SALT: u64 = 0x5045_5249_4f44_4253;
/// Mixed into `--seed` for the permutation test of change in spread ("PERIODPT").
const PERMUTATION_SALT: u64 = 0x5045_5249_4f44_5054;
/// Mixed into `--seed` for the same test on the standardised means ("PERIODPS").
const ADJUSTED_PERMUTATION_SALT: u64 = 0x5045_5249_4f44_5053;

/// What makes a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum PeriodBy {
    /// The calendar year of the visit date.
    Year,
    /// The input file (one export per period), in input order.
    File,
}

/// Options of the period analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodOptions {
    /// What makes a period; `None`: no period analysis (the default).
    pub by: Option<PeriodBy>,
    /// With [`PeriodBy::File`]: one label per input file, in input order (empty: the file
    /// stems).
    pub labels: Vec<String>,
    /// Permutations of the test of change in spread (0: no test).
    pub permutations: u64,
}

impl Default for PeriodOptions {
    fn default() -> Self {
        Self {
            by: None,
            labels: Vec::new(),
            permutations: DEFAULT_PERMUTATIONS,
        }
    }
}

/// Why a kept visit is in no period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// `year`: the visit has no readable date.
    NoDate,
    /// `file`: the visit id has ratings in two or more input files.
    SeveralFiles,
}

/// A kept visit left out of the periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Authority.
    pub authority: String,
    /// Visit id.
    pub visit_id: String,
    /// Why.
    pub reason: LeftOutReason,
}

/// One authority in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodAuthority {
    /// Authority.
    pub authority: String,
    /// Kept visits in the period.
    pub visits: usize,
    /// Their ratings.
    pub ratings: usize,
    /// Mean overall score.
    pub mean: f64,
    /// Standard deviation of the overall scores (n − 1); `None` with one visit.
    pub sd: Option<f64>,
    /// Student t interval of `mean`; `None` with one visit.
    pub ci: Option<[f64; 2]>,
    /// Mean overall score standardised to the national offer-type mix of all periods
    /// ([`crate::analysis::casemix`]); `None` without the case-mix adjustment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standardised_mean: Option<f64>,
}

/// The spread between the authorities in one period (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Authorities with visits in the period.
    pub authorities: usize,
    /// Largest minus smallest authority mean overall score.
    pub range: f64,
    /// Bootstrap interval of `range`.
    pub range_ci: Option<[f64; 2]>,
    /// Standard deviation (n − 1) of the authority mean overall scores.
    pub sd: f64,
    /// Bootstrap interval of `sd`.
    pub sd_ci: Option<[f64; 2]>,
    /// Mean over indicator × authority cells of |authority mean − national mean|.
    pub mean_abs_deviation: f64,
    /// Bootstrap interval of `mean_abs_deviation`.
    pub mean_abs_deviation_ci: Option<[f64; 2]>,
    /// Indicator × authority cells in `mean_abs_deviation`.
    pub cells: usize,
    /// The range and SD of the standardised means (adjusted for offer type); `None` without
    /// the case-mix adjustment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted: Option<AdjustedSpread>,
}

/// The spread between the authorities' means standardised to the national offer-type mix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdjustedSpread {
    /// Largest minus smallest standardised mean.
    pub range: f64,
    /// Bootstrap interval of `range`.
    pub range_ci: Option<[f64; 2]>,
    /// Standard deviation (n − 1) of the standardised means.
    pub sd: f64,
    /// Bootstrap interval of `sd`.
    pub sd_ci: Option<[f64; 2]>,
}

/// One period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// The year, or the file's label.
    pub label: String,
    /// Kept visits in the period.
    pub visits: usize,
    /// Their ratings.
    pub ratings: usize,
    /// Per authority with visits in the period, sorted.
    pub authorities: Vec<PeriodAuthority>,
    /// The spread between the authorities; `None` with fewer than two.
    pub spread: Option<Spread>,
}

/// One authority's change between two consecutive periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The earlier period.
    pub from: String,
    /// The later period.
    pub to: String,
    /// Authority.
    pub authority: String,
    /// Visits in the earlier period.
    pub n_from: usize,
    /// Visits in the later period.
    pub n_to: usize,
    /// Mean overall score in the earlier period.
    pub mean_from: f64,
    /// Mean overall score in the later period.
    pub mean_to: f64,
    /// `mean_to − mean_from`.
    pub difference: f64,
    /// Welch interval of `difference` (a point when neither period varies); `None` with a
    /// single visit in a period.
    pub difference_ci: Option<[f64; 2]>,
    /// Welch's t.
    pub welch_t: Option<f64>,
    /// Welch's degrees of freedom.
    pub welch_df: Option<f64>,
    /// Two-sided p of Welch's test (exact permutation p when neither period varies).
    pub p_value: Option<f64>,
    /// `p_value` adjusted across the authorities of this pair of periods.
    pub p_value_adjusted: Option<f64>,
    /// `p_value_adjusted ≤ alpha`.
    pub significant: bool,
    /// Two-sample KS statistic D of the overall scores.
    pub ks_statistic: f64,
    /// SciPy-compatible KS p.
    pub ks_p_value: f64,
    /// The method of `ks_p_value`.
    pub ks_method: KsMethod,
    /// Exact KS p given the ties (`None` beyond [`ks::MAX_TIE_EXACT_CELLS`]).
    pub ks_p_value_ties: Option<f64>,
}

/// The test of change in the spread (SD of authority means) from the first period to the last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpreadChange {
    /// The first period.
    pub from: String,
    /// The last period.
    pub to: String,
    /// Authorities with visits in both (the SDs are over these).
    pub authorities: usize,
    /// SD of their means in the first period.
    pub sd_from: f64,
    /// SD of their means in the last period.
    pub sd_to: f64,
    /// `sd_to − sd_from`.
    pub difference: f64,
    /// Permutation p (`None` without permutations).
    pub p_value: Option<f64>,
    /// Permutations drawn.
    pub permutations: u64,
    /// The same change of the means standardised to the national offer-type mix, tested by
    /// permutation within each authority × offer-type cell (each period keeps its mix; see
    /// [`spread::standardised_sd_change`]), over the same authorities; `None` without offer
    /// types.
    pub adjusted: Option<spread::SdChange>,
}

/// Everything the period analysis found (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Periods {
    /// What made the periods.
    pub by: PeriodBy,
    /// The periods, in order (years ascending, files in input order); only those with visits.
    pub periods: Vec<Period>,
    /// Per pair of consecutive periods, per authority in both.
    pub changes: Vec<Change>,
    /// The test of change in spread, first to last period (with two periods or more and two
    /// authorities in both).
    pub spread_change: Option<SpreadChange>,
    /// Kept visits in no period, in the order of the kept visits.
    pub left_out: Vec<LeftOut>,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Bootstrap replicates of the spread intervals (`--bootstrap`; 0: none).
    pub bootstrap: u64,
    /// Adjustment of the change p-values across authorities.
    pub adjustment: Adjustment,
    /// Significance level of `Change::significant`.
    pub alpha: f64,
}

impl Periods {
    /// Whether there is something to compare: two periods or more. With fewer, no output
    /// shows the period analysis, so that the outputs are those of a run without it.
    pub fn compared(&self) -> bool {
        self.periods.len() >= 2
    }

    /// Every authority with visits in some period, sorted.
    pub fn authority_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .periods
            .iter()
            .flat_map(|x| x.authorities.iter().map(|a| a.authority.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Kept visits left out for `reason`.
    pub fn left_out_for(&self, reason: LeftOutReason) -> usize {
        self.left_out.iter().filter(|l| l.reason == reason).count()
    }
}

/// The period analysis; `None` when `options.by` is `None`.
///
/// # Errors
/// [`Error::InvalidParameter`] for labels without `file` periods, a number of labels other
/// than the number of inputs, or two periods with the same label; an error of the stage
/// tables.
pub fn periods(
    filtered: &Filtered,
    rollup: &Rollup,
    sources: &[Source],
    options: &PeriodOptions,
    stats: &StatsOptions,
) -> Result<Option<Periods>> {
    let Some(by) = options.by else {
        return Ok(None);
    };
    if by == PeriodBy::Year && !options.labels.is_empty() {
        return Err(Error::InvalidParameter {
            name: "--label",
            value: options.labels.join(", "),
            expected: "labels only with --period file (one per input file)",
        });
    }
    let visits = Visits::read(filtered, rollup)?;
    let split = match by {
        PeriodBy::Year => by_year(filtered, &visits)?,
        PeriodBy::File => by_file(filtered, &visits, sources, &options.labels)?,
    };
    // With one period nothing is shown (see [`Periods::compared`]): no bootstrap for it.
    let described = StatsOptions {
        bootstrap: if split.labels.len() >= 2 {
            stats.bootstrap
        } else {
            0
        },
        ..*stats
    };
    let periods = split
        .members
        .iter()
        .zip(&split.labels)
        .enumerate()
        .map(|(p, (members, label))| describe_period(&visits, members, label, p as u64, &described))
        .collect::<Result<Vec<_>>>()?;
    let changes = changes(&visits, &split, stats)?;
    let spread_change = spread_change(&visits, &split, options.permutations, stats.pairwise.seed);
    Ok(Some(Periods {
        by,
        periods,
        changes,
        spread_change,
        left_out: split.left_out,
        confidence: stats.confidence,
        bootstrap: stats.bootstrap,
        adjustment: stats.pairwise.adjustment,
        alpha: stats.pairwise.alpha,
    }))
}

/// The kept visits as the period analysis reads them, by row of [`Filtered::visits`].
struct Visits {
    /// Authority names, sorted.
    authorities: Vec<String>,
    /// Per visit: its authority (index into `authorities`) and overall score.
    authority: Vec<usize>,
    overall: Vec<f64>,
    /// Visit `v`'s ratings are `starts[v]..starts[v + 1]`.
    starts: Vec<usize>,
    /// Per rating: its indicator (a dense number, in order of first appearance) and its score,
    /// as `indicator << 8 | score` (one load a rating in the bootstrap's inner loop).
    rating: Vec<u32>,
    /// Distinct indicators.
    slots: usize,
    /// Per visit its offer-type stratum, and the strata's national weights (see
    /// [`casemix::visit_strata`]); `None` without the case-mix adjustment.
    strata: Option<(Vec<usize>, Vec<f64>)>,
}

impl Visits {
    fn read(filtered: &Filtered, rollup: &Rollup) -> Result<Self> {
        let names = filter::visits::AUTHORITY.of(&filtered.visits)?;
        let mut authorities: Vec<String> = names.iter().flatten().map(str::to_string).collect();
        authorities.sort();
        authorities.dedup();
        let authority = names
            .iter()
            .map(|n| {
                authorities
                    .binary_search_by(|a| a.as_str().cmp(n.unwrap_or("")))
                    .unwrap_or(0)
            })
            .collect();
        // The roll-up's overall score of each kept visit, by id.
        let ids = rollup::visits::VISIT_ID.of(&rollup.visits)?;
        let scores = rollup::visits::OVERALL.slice(&rollup.visits)?;
        let by_id: HashMap<&str, (f64, usize)> = ids
            .iter()
            .zip(scores.iter())
            .enumerate()
            .filter_map(|(row, (id, &x))| id.map(|id| (id, (x, row))))
            .collect();
        let rows: Vec<Option<(f64, usize)>> = filter::visits::VISIT_ID
            .of(&filtered.visits)?
            .iter()
            .map(|id| id.and_then(|id| by_id.get(id).copied()))
            .collect();
        let overall = rows.iter().map(|r| r.map_or(f64::NAN, |r| r.0)).collect();
        let strata = casemix::visit_strata(rollup)?.map(|(of_row, weights)| {
            let of_visit = rows.iter().map(|r| r.map_or(0, |r| of_row[r.1])).collect();
            (of_visit, weights)
        });
        let (rating, slots) = packed_ratings(filtered);
        Ok(Self {
            authorities,
            authority,
            overall,
            starts: filtered.visit_starts()?,
            rating,
            slots,
            strata,
        })
    }

    fn ratings(&self, v: usize) -> std::ops::Range<usize> {
        self.starts[v]..self.starts[v + 1]
    }
}

/// Each kept rating as `indicator << 8 | score` ([`Visits::rating`]), its indicator numbered
/// in order of first appearance among the ratings, and how many indicators there are.
fn packed_ratings(filtered: &Filtered) -> (Vec<u32>, usize) {
    let mut slot_of: Vec<Option<u32>> = vec![None; filtered.indicators.len()];
    let mut slots = 0;
    let ratings = &filtered.ratings;
    let rating = ratings
        .indicator
        .iter()
        .zip(&ratings.score)
        .map(|(&i, &score)| {
            let slot = match slot_of.get_mut(usize::from(i)) {
                Some(Some(slot)) => *slot,
                Some(slot) => {
                    *slot = Some(slots);
                    slots += 1;
                    slots - 1
                }
                None => 0,
            };
            slot << 8 | u32::from(score)
        })
        .collect();
    (rating, slots as usize)
}

/// The periods: their labels, their visits by authority, and the visits left out.
struct Split {
    labels: Vec<String>,
    /// `members[p][a]`: the visits of authority `a` in period `p`, in visit order.
    members: Vec<Vec<Vec<usize>>>,
    left_out: Vec<LeftOut>,
}

impl Split {
    /// Puts each visit in its period (`None`: left out for `reason`); drops empty periods.
    fn new(
        visits: &Visits,
        filtered: &Filtered,
        labels: Vec<String>,
        period_of: &[std::result::Result<usize, LeftOutReason>],
    ) -> Result<Self> {
        let ids = filter::visits::VISIT_ID.of(&filtered.visits)?;
        let mut members = vec![vec![Vec::new(); visits.authorities.len()]; labels.len()];
        let mut left_out = Vec::new();
        for (v, period) in period_of.iter().enumerate() {
            let a = visits.authority[v];
            match *period {
                Ok(p) => members[p][a].push(v),
                Err(reason) => left_out.push(LeftOut {
                    authority: visits.authorities[a].clone(),
                    visit_id: ids.get(v).unwrap_or("").to_string(),
                    reason,
                }),
            }
        }
        let (labels, members) = labels
            .into_iter()
            .zip(members)
            .filter(|(_, m)| m.iter().any(|a| !a.is_empty()))
            .unzip();
        Ok(Self {
            labels,
            members,
            left_out,
        })
    }
}

/// Periods by the year of the visit date.
fn by_year(filtered: &Filtered, visits: &Visits) -> Result<Split> {
    let dates = filter::visits::VISIT_DATE.of(&filtered.visits)?;
    let year_of: Vec<Option<i32>> = dates
        .iter()
        .map(|d| d.and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()))
        .collect();
    let mut years: Vec<i32> = year_of.iter().flatten().copied().collect();
    years.sort_unstable();
    years.dedup();
    let period_of: Vec<_> = year_of
        .iter()
        .map(|y| {
            y.and_then(|y| years.binary_search(&y).ok())
                .ok_or(LeftOutReason::NoDate)
        })
        .collect();
    let labels = years.iter().map(i32::to_string).collect();
    Split::new(visits, filtered, labels, &period_of)
}

/// Periods by input file.
fn by_file(
    filtered: &Filtered,
    visits: &Visits,
    sources: &[Source],
    labels: &[String],
) -> Result<Split> {
    let labels = file_labels(sources, labels)?;
    let period_of: Vec<_> = (0..visits.authority.len())
        .map(|v| match filtered.visit_files.get(v).copied().flatten() {
            Some(file) if (file as usize) < labels.len() => Ok(file as usize),
            _ => Err(LeftOutReason::SeveralFiles),
        })
        .collect();
    Split::new(visits, filtered, labels, &period_of)
}

/// The label of each input file: as given (one per file), or its stem; all distinct.
fn file_labels(sources: &[Source], given: &[String]) -> Result<Vec<String>> {
    if !given.is_empty() && given.len() != sources.len() {
        return Err(Error::InvalidParameter {
            name: "--label",
            value: format!("{} labels for {} input files", given.len(), sources.len()),
            expected: "one label per input file, in input order",
        });
    }
    let labels: Vec<String> = if given.is_empty() {
        sources
            .iter()
            .map(|s| {
                s.path.file_stem().map_or_else(
                    || s.path.display().to_string(),
                    |stem| stem.to_string_lossy().into_owned(),
                )
            })
            .collect()
    } else {
        given.to_vec()
    };
    for (i, label) in labels.iter().enumerate() {
        if labels[..i].contains(label) {
            return Err(Error::InvalidParameter {
                name: "--label",
                value: label.clone(),
                expected: "a distinct label per input file (--label NAME, once per file, in input order)",
            });
        }
    }
    Ok(labels)
}

/// One period's descriptives and spread (`index`: the period's number, for its random streams).
fn describe_period(
    visits: &Visits,
    members: &[Vec<usize>],
    label: &str,
    index: u64,
    stats: &StatsOptions,
) -> Result<Period> {
    let observed = Accumulated::of(visits, members);
    let authorities: Vec<PeriodAuthority> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(a, m)| PeriodAuthority {
            standardised_mean: observed.standardised(a),
            ..describe_authority(visits, a, m, stats.confidence)
        })
        .collect();
    let spread = observed.spread().map(|point| {
        let replicates = bootstrap(visits, members, index, stats);
        let ci = |pick: fn(&SpreadPoint) -> f64| {
            percentile_interval(&replicates, pick, stats.confidence)
        };
        Spread {
            authorities: authorities.len(),
            range: point.range,
            range_ci: ci(|p| p.range),
            sd: point.sd,
            sd_ci: ci(|p| p.sd),
            mean_abs_deviation: point.mean_abs_deviation,
            mean_abs_deviation_ci: ci(|p| p.mean_abs_deviation),
            cells: point.cells,
            adjusted: point.adjusted.map(|(range, sd)| AdjustedSpread {
                range,
                range_ci: ci(|p| p.adjusted.map_or(f64::NAN, |a| a.0)),
                sd,
                sd_ci: ci(|p| p.adjusted.map_or(f64::NAN, |a| a.1)),
            }),
        }
    });
    if let Some(bad) = authorities.iter().find(|a| !a.mean.is_finite()) {
        return Err(Error::NonFiniteValue {
            what: format!("mean overall score of {} in period {label}", bad.authority),
            value: bad.mean,
        });
    }
    Ok(Period {
        label: label.to_string(),
        visits: authorities.iter().map(|a| a.visits).sum(),
        ratings: authorities.iter().map(|a| a.ratings).sum(),
        authorities,
        spread,
    })
}

/// One authority's visits, ratings, mean overall score and its t interval.
fn describe_authority(
    visits: &Visits,
    a: usize,
    members: &[usize],
    confidence: f64,
) -> PeriodAuthority {
    let values: Vec<f64> = members.iter().map(|&v| visits.overall[v]).collect();
    let m = mean_interval(&values, confidence).unwrap_or(MeanInterval {
        n: 0,
        mean: f64::NAN,
        sd: None,
        ci: None,
    });
    PeriodAuthority {
        authority: visits.authorities[a].clone(),
        visits: m.n,
        ratings: members.iter().map(|&v| visits.ratings(v).len()).sum(),
        mean: m.mean,
        sd: m.sd,
        ci: m.ci,
        standardised_mean: None,
    }
}

/// The three spread statistics of one sample of visits.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SpreadPoint {
    range: f64,
    sd: f64,
    mean_abs_deviation: f64,
    cells: usize,
    /// Range and SD of the standardised means.
    adjusted: Option<(f64, f64)>,
}

/// Per authority the sum and count of the overall scores of a sample of visits, per
/// authority × indicator the sum and count of their ratings, and per authority × offer-type
/// stratum the sum and count of the overall scores.
struct Accumulated {
    authorities: usize,
    slots: usize,
    overall: Vec<(f64, usize)>,
    /// Per authority × indicator: the sum of the scores and their number, as integers (each
    /// partial sum of whole scores is exact in `f64` too, so the means are those of `f64`
    /// sums in any order, and the integer adds are the cheaper inner loop).
    tally: Vec<(u64, u32)>,
    /// The strata's national weights (empty without the case-mix adjustment).
    weights: Vec<f64>,
    by_stratum: Vec<(f64, usize)>,
}

impl Accumulated {
    fn new(visits: &Visits, authorities: usize) -> Self {
        let weights = visits.strata.as_ref().map_or(Vec::new(), |s| s.1.clone());
        Self {
            authorities,
            slots: visits.slots,
            overall: vec![(0.0, 0); authorities],
            tally: vec![(0, 0); authorities * visits.slots],
            by_stratum: vec![(0.0, 0); authorities * weights.len()],
            weights,
        }
    }

    /// The visits `members[a]` of each authority `a`.
    fn of(visits: &Visits, members: &[Vec<usize>]) -> Self {
        let mut acc = Self::new(visits, members.len());
        for (a, m) in members.iter().enumerate() {
            for &v in m {
                acc.add_visit(visits, a, v);
                acc.add_ratings(visits, a, v, 1);
            }
        }
        acc
    }

    fn clear(&mut self) {
        self.overall.fill((0.0, 0));
        self.tally.fill((0, 0));
        self.by_stratum.fill((0.0, 0));
    }

    /// Adds visit `v`'s overall score to authority `a`'s sums (in the order of the calls: these
    /// `f64` sums depend on it).
    fn add_visit(&mut self, visits: &Visits, a: usize, v: usize) {
        let o = &mut self.overall[a];
        o.0 += visits.overall[v];
        o.1 += 1;
        if let Some((stratum, weights)) = &visits.strata {
            let cell = &mut self.by_stratum[a * weights.len() + stratum[v]];
            cell.0 += visits.overall[v];
            cell.1 += 1;
        }
    }

    /// Adds visit `v`'s ratings `times` times to authority `a`'s tallies (whole numbers: the
    /// order of the calls does not matter).
    fn add_ratings(&mut self, visits: &Visits, a: usize, v: usize, times: u32) {
        let row = &mut self.tally[a * self.slots..(a + 1) * self.slots];
        for &rating in &visits.rating[visits.ratings(v)] {
            let cell = &mut row[(rating >> 8) as usize];
            cell.0 += u64::from(rating & 0xff) * u64::from(times);
            cell.1 += times;
        }
    }

    /// Authority `a`'s mean standardised to the strata's weights, over the strata it has
    /// (as [`crate::stats::standardise`]); `None` without strata or visits.
    fn standardised(&self, a: usize) -> Option<f64> {
        let k = self.weights.len();
        if k == 0 || self.overall[a].1 == 0 {
            return None;
        }
        let means: Vec<Option<f64>> = self.by_stratum[a * k..(a + 1) * k]
            .iter()
            .map(|&(sum, n)| (n > 0).then(|| sum / n as f64))
            .collect();
        Some(weighted(&means, &self.weights))
    }

    /// Range, SD and mean absolute deviation; `None` with fewer than two authorities.
    fn spread(&self) -> Option<SpreadPoint> {
        let means: Vec<f64> = self
            .overall
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| s / *n as f64)
            .collect();
        let sd = sample_sd(&means)?;
        let (lo, hi) = spread::range(&means);
        let standardised: Vec<f64> = (0..self.authorities)
            .filter_map(|a| self.standardised(a))
            .collect();
        let adjusted = sample_sd(&standardised).map(|sd| {
            let (lo, hi) = spread::range(&standardised);
            (hi - lo, sd)
        });
        #[allow(
            clippy::cast_precision_loss,
            reason = "a sum of whole scores below 2^53 is exact in f64"
        )]
        let sums: Vec<f64> = self.tally.iter().map(|&(sum, _)| sum as f64).collect();
        let counts: Vec<u32> = self.tally.iter().map(|&(_, n)| n).collect();
        let (mean_abs_deviation, cells) =
            spread::mean_absolute_deviation(&sums, &counts, self.slots);
        Some(SpreadPoint {
            range: hi - lo,
            sd,
            mean_abs_deviation,
            cells,
            adjusted,
        })
    }
}

/// The bootstrap replicates of one period's spread (see the module docs); empty without
/// replicates.
fn bootstrap(
    visits: &Visits,
    members: &[Vec<usize>],
    period: u64,
    stats: &StatsOptions,
) -> Vec<SpreadPoint> {
    let seed = stats.pairwise.seed ^ BOOTSTRAP_SALT;
    (0..stats.bootstrap)
        .into_par_iter()
        .map_init(
            || {
                let drawn: Vec<Vec<u32>> = members.iter().map(|m| vec![0; m.len()]).collect();
                (Accumulated::new(visits, members.len()), drawn)
            },
            |(acc, drawn), b| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream((period << 40) | b);
                acc.clear();
                for ((a, m), times) in members.iter().enumerate().zip(drawn.iter_mut()) {
                    // The overall scores in the order drawn; the ratings once per visit drawn,
                    // in visit order (their tallies are whole numbers), which reads them in
                    // the order they are stored.
                    times.fill(0);
                    for _ in 0..m.len() {
                        let i = rng.random_range(0..m.len());
                        acc.add_visit(visits, a, m[i]);
                        times[i] += 1;
                    }
                    for (&v, &t) in m.iter().zip(times.iter()) {
                        if t > 0 {
                            acc.add_ratings(visits, a, v, t);
                        }
                    }
                }
                acc.spread()
            },
        )
        .flatten()
        .collect()
}

/// The percentile interval of one statistic of the replicates, over its finite values
/// (`None` without any).
fn percentile_interval(
    replicates: &[SpreadPoint],
    pick: fn(&SpreadPoint) -> f64,
    confidence: f64,
) -> Option<[f64; 2]> {
    let mut values: Vec<f64> = replicates
        .iter()
        .map(pick)
        .filter(|v| v.is_finite())
        .collect();
    descriptive::percentile_interval(&mut values, confidence)
}

/// Per pair of consecutive periods, per authority in both: Welch and KS (see the module docs).
fn changes(visits: &Visits, split: &Split, stats: &StatsOptions) -> Result<Vec<Change>> {
    let values =
        |members: &[usize]| -> Vec<f64> { members.iter().map(|&v| visits.overall[v]).collect() };
    let mut out = Vec::new();
    for p in 1..split.members.len() {
        let mut pair = Vec::new();
        for (a, name) in visits.authorities.iter().enumerate() {
            let (earlier, later) = (&split.members[p - 1][a], &split.members[p][a]);
            if earlier.is_empty() || later.is_empty() {
                continue;
            }
            let (x0, x1) = (values(earlier), values(later));
            let ks = ks::ks_2samp(&x0, &x1, Alternative::TwoSided, stats.pairwise.ks_method)?;
            let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
            let w = welch(&x1, &x0, stats.confidence);
            pair.push(Change {
                from: split.labels[p - 1].clone(),
                to: split.labels[p].clone(),
                authority: name.clone(),
                n_from: x0.len(),
                n_to: x1.len(),
                mean_from: mean(&x0),
                mean_to: mean(&x1),
                difference: mean(&x1) - mean(&x0),
                difference_ci: w.map(|w| w.ci),
                welch_t: w.and_then(|w| w.t),
                welch_df: w.and_then(|w| w.df),
                p_value: w.map(|w| w.p),
                p_value_adjusted: None,
                significant: false,
                ks_statistic: ks.statistic,
                ks_p_value: ks.p_value,
                ks_method: ks.method,
                ks_p_value_ties: ks.p_value_ties.is_finite().then_some(ks.p_value_ties),
            });
        }
        let p_values: Vec<Option<f64>> = pair.iter().map(|c| c.p_value).collect();
        let adjusted = multitest::adjust_optional(&p_values, stats.pairwise.adjustment);
        for (c, q) in pair.iter_mut().zip(adjusted) {
            c.p_value_adjusted = q;
            c.significant = q.is_some_and(|q| q <= stats.pairwise.alpha);
        }
        out.extend(pair);
    }
    Ok(out)
}

/// The permutation test of change in the SD of the authority means, first to last period,
/// and, with offer types, of the standardised means.
fn spread_change(
    visits: &Visits,
    split: &Split,
    permutations: u64,
    seed: u64,
) -> Option<SpreadChange> {
    let (first, last) = (split.members.first()?, split.members.last()?);
    if split.members.len() < 2 {
        return None;
    }
    // The authorities in both periods: their visits in the first, and in the last.
    let both: Vec<(&[usize], &[usize])> = first
        .iter()
        .zip(last)
        .filter(|(f, l)| !f.is_empty() && !l.is_empty())
        .map(|(f, l)| (f.as_slice(), l.as_slice()))
        .collect();
    // Per authority: the overall scores of the first period, then of the last.
    let pooled: Vec<spread::Split> = both
        .iter()
        .map(|(f, l)| split_scores(visits, f.iter(), l.iter()))
        .collect();
    let change = spread::sd_change(&pooled, permutations, seed ^ PERMUTATION_SALT)?;
    let salt = seed ^ ADJUSTED_PERMUTATION_SALT;
    let adjusted = adjusted_spread_change(visits, &both, permutations, salt);
    Some(SpreadChange {
        from: split.labels.first()?.clone(),
        to: split.labels.last()?.clone(),
        authorities: pooled.len(),
        sd_from: change.sd_from,
        sd_to: change.sd_to,
        difference: change.difference,
        p_value: change.p_value,
        permutations,
        adjusted,
    })
}

/// [`spread_change`]'s test on the standardised means, over the authorities `both` (their
/// visits in the first and in the last period); `None` without offer types.
fn adjusted_spread_change(
    visits: &Visits,
    both: &[(&[usize], &[usize])],
    permutations: u64,
    seed: u64,
) -> Option<spread::SdChange> {
    let (stratum, weights) = visits.strata.as_ref()?;
    // Per authority, per offer-type stratum: the scores of the first period, then of the last.
    let cells: Vec<Vec<spread::Split>> = both
        .iter()
        .map(|(f, l)| {
            (0..weights.len())
                .map(|s| {
                    let in_stratum = |v: &&usize| stratum[**v] == s;
                    split_scores(
                        visits,
                        f.iter().filter(in_stratum),
                        l.iter().filter(in_stratum),
                    )
                })
                .collect()
        })
        .collect();
    spread::standardised_sd_change(&cells, weights, permutations, seed)
}

/// The overall scores of the visits `from`, then of `to`, and how many are `from`'s.
fn split_scores<'v>(
    visits: &Visits,
    from: impl Iterator<Item = &'v usize>,
    to: impl Iterator<Item = &'v usize>,
) -> spread::Split {
    let mut values: Vec<f64> = from.map(|&v| visits.overall[v]).collect();
    let n = values.len();
    values.extend(to.map(|&v| visits.overall[v]));
    (values, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_by_times_drawn_are_the_draws_added_one_at_a_time() {
        // 60 visits of 3 authorities with 1–6 ratings each over 7 indicators, from a fixed
        // linear congruential sequence; 30 bootstrap-like rounds of draws with replacement.
        // Each round's spread from the tallies (each visit's ratings once, times drawn, in
        // visit order) against f64 sums added draw by draw in draw order: the same bits.
        let mut lcg = crate::stats::reference::Lcg::new(7);
        let mut next = |m: u64| lcg.below(m) as usize;
        let (mut starts, mut rating) = (vec![0], Vec::new());
        for _ in 0..60 {
            let mut slots: Vec<u32> = (0..7).collect();
            for k in 0..1 + next(6) {
                slots.swap(k, k + next(7 - k as u64));
                rating.push(slots[k] << 8 | (1 + next(5)) as u32);
            }
            starts.push(rating.len());
        }
        let visits = Visits {
            authorities: ["A", "B", "C"].map(String::from).to_vec(),
            authority: (0..60).map(|v| v % 3).collect(),
            overall: (0..60).map(|_| 1.0 + next(400) as f64 / 100.0).collect(),
            starts,
            rating,
            slots: 7,
            strata: None,
        };
        let members: Vec<Vec<usize>> = (0..3)
            .map(|a| (0..60).filter(|v| v % 3 == a).collect())
            .collect();
        for _ in 0..30 {
            let mut acc = Accumulated::new(&visits, 3);
            let mut sums = vec![0.0f64; 3 * 7];
            let mut counts = vec![0u32; 3 * 7];
            for (a, m) in members.iter().enumerate() {
                let mut times = vec![0u32; m.len()];
                for _ in 0..m.len() {
                    let i = next(m.len() as u64);
                    acc.add_visit(&visits, a, m[i]);
                    times[i] += 1;
                    for &r in &visits.rating[visits.ratings(m[i])] {
                        sums[a * 7 + (r >> 8) as usize] += f64::from(r & 0xff);
                        counts[a * 7 + (r >> 8) as usize] += 1;
                    }
                }
                for (&v, &t) in m.iter().zip(&times) {
                    if t > 0 {
                        acc.add_ratings(&visits, a, v, t);
                    }
                }
            }
            let point = acc.spread().expect("three authorities");
            let (mad, cells) = spread::mean_absolute_deviation(&sums, &counts, 7);
            assert_eq!(point.mean_abs_deviation.to_bits(), mad.to_bits());
            assert_eq!(point.cells, cells);
        }
    }

    #[test]
    fn quantiles_and_intervals_follow_type_7() {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.975]) = [1.075, 3.925].
        let points: Vec<SpreadPoint> = [4.0, 1.0, 3.0, 2.0]
            .iter()
            .map(|&v| SpreadPoint {
                range: v,
                sd: v,
                mean_abs_deviation: v,
                cells: 1,
                adjusted: None,
            })
            .collect();
        let ci = percentile_interval(&points, |p| p.sd, 0.95).expect("interval");
        assert!((ci[0] - 1.075).abs() < 1e-12 && (ci[1] - 3.925).abs() < 1e-12);
        assert!(percentile_interval(&[], |p| p.sd, 0.95).is_none());
    }
}
