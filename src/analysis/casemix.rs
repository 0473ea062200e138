//! Case mix: how much of the difference between authorities is what they supervise (LOS
//! footnote 3: Syd supervises the boarding schools, Øst the secure institutions, Nord the BPA
//! schemes …). Each authority's effect adjusted for offer type, three ways, beside the raw one.
//!
//! Input: the roll-up's visits (authority, offer type, overall score) and the kept ratings.
//! Output: a [`CaseMix`]:
//! - the diagnostic: the authority × offer-type table and Pearson's chi-square test of
//!   independence with Cramér's V ([`crate::stats::contingency`]);
//! - direct standardisation of the mean overall score to the national mix of offer types,
//!   with percentile bootstrap intervals ([`crate::stats::standardise`]);
//! - the linear model `overall ~ authority + offer type` (R's `lm`), with each authority's
//!   estimated marginal mean at the national offer-type weights (emmeans' `"proportional"`)
//!   and its difference from the national mean of the fitted values, HC3 intervals with the
//!   t distribution on the residual degrees of freedom ([`crate::stats::linear`]);
//! - the proportional-odds model of the indicator ratings on authority, offer type and
//!   indicator (R's `ordinal::clm`), with each authority's odds ratio against the average
//!   authority (`exp(β_a − mean_b β_b)`), Wald intervals from the visit-clustered covariance
//!   (the model-based one beside it) ([`crate::stats::ordinal`]).
//!
//! Offer types, as strata: a blank type is the stratum `(unknown)`; a cell naming several
//! types (`§ 107, § 108`: a `,` `;` `/` or ` og ` followed by `§`) is stratified by its first;
//! a type with fewer than [`MIN_STRATUM_VISITS`] kept visits in all is pooled into
//! `(other offer types)`. Every such case is counted and listed ([`Strata`]).
//!
//! The limit, said wherever these numbers are shown: each offer is supervised by one
//! authority, so authority and region are confounded; adjustment removes only what offer type
//! explains and cannot tell a stricter authority from better offers.

use std::collections::{BTreeMap, HashMap};

use nalgebra::DMatrix;
use serde::Serialize;

use crate::error::Result;
use crate::filter::{self, Filtered};
use crate::rollup::{self, Rollup};
use crate::stats::contingency::{ChiSquare, chi_square};
use crate::stats::linear::{Ols, ols_hc3};
use crate::stats::ordinal::{OrdinalRows, clm_rows};
use crate::stats::standardise::{Bootstrap, Stratified, direct_standardisation};

/// Offer types with fewer kept visits than this are pooled.
pub const MIN_STRATUM_VISITS: usize = 10;
/// The stratum of visits without an offer type.
pub const UNKNOWN: &str = "(unknown)";
/// The stratum rare offer types are pooled into.
pub const OTHER: &str = "(other offer types)";

/// An offer type and its visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// The offer type (or stratum).
    pub offer_type: String,
    /// Kept visits.
    pub visits: usize,
}

/// How the offer types became strata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strata {
    /// The strata, sorted, with their visits.
    pub strata: Vec<TypeCount>,
    /// Offer types pooled into `(other offer types)`, with their visits.
    pub pooled: Vec<TypeCount>,
    /// Visits whose offer type named several types (stratified by the first).
    pub several_types: usize,
    /// Visits without an offer type.
    pub unknown: usize,
}

/// One authority's raw and adjusted effects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdjustedAuthority {
    /// Authority.
    pub authority: String,
    /// Visits.
    pub visits: usize,
    /// Mean overall score.
    pub raw_mean: f64,
    /// Mean overall score re-weighted to the national offer-type mix.
    pub standardised_mean: f64,
    /// Bootstrap interval of `standardised_mean`.
    pub standardised_ci: Option<[f64; 2]>,
    /// Share of the national offer-type weight in the strata the authority has.
    pub coverage: f64,
    /// Estimated marginal mean of the linear model at the national offer-type weights.
    pub emm: Option<f64>,
    /// HC3 interval of `emm`.
    pub emm_ci: Option<[f64; 2]>,
    /// `emm` minus the national mean of the fitted values.
    pub difference: Option<f64>,
    /// HC3 interval of `difference`.
    pub difference_ci: Option<[f64; 2]>,
    /// Odds ratio of a higher rating against the average authority (ordinal model).
    pub odds_ratio: Option<f64>,
    /// Its interval from the visit-clustered covariance.
    pub odds_ratio_ci: Option<[f64; 2]>,
    /// Its interval from the model-based covariance (ratings taken as independent).
    pub odds_ratio_ci_model: Option<[f64; 2]>,
}

/// One cell of the authority × offer-type table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixCell {
    /// Authority.
    pub authority: String,
    /// Offer type (stratum).
    pub offer_type: String,
    /// Kept visits.
    pub visits: usize,
    /// Share of the authority's visits.
    pub share: f64,
}

/// Everything the case-mix analysis found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseMix {
    /// The offer types as strata.
    pub strata: Strata,
    /// Visits per authority and stratum, with the share of the authority's visits.
    pub table: Vec<MixCell>,
    /// The test of independence of authority and offer type.
    pub diagnostic: Option<ChiSquare>,
    /// Whether the mix differs at the significance level.
    pub mix_differs: bool,
    /// Per authority, sorted.
    pub authorities: Vec<AdjustedAuthority>,
    /// Bootstrap replicates of the standardised means.
    pub bootstrap: u64,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Why a model could not be fitted, if one could not.
    pub notes: Vec<String>,
}

/// The options the case-mix analysis takes from the run's statistics options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseMixOptions {
    /// Bootstrap replicates (0: no interval for the standardised means).
    pub bootstrap: u64,
    /// Confidence level.
    pub confidence: f64,
    /// Significance level of the diagnostic.
    pub alpha: f64,
    /// RNG seed of the bootstrap.
    pub seed: u64,
}

/// The case-mix analysis; `None` when the export has no offer types or fewer than two
/// authorities.
pub fn case_mix(
    filtered: &Filtered,
    rollup: &Rollup,
    options: CaseMixOptions,
) -> Result<Option<CaseMix>> {
    let visits = Visits::read(rollup)?;
    if visits.authorities.len() < 2 || visits.offer_types.iter().all(Option::is_none) {
        return Ok(None);
    }
    let strata = strata_of(&visits.offer_types);
    let counts = counts(&visits, &strata);
    let diagnostic = chi_square(&counts).ok();
    let mut notes = Vec::new();
    // The three adjustments are independent: the bootstrap runs beside the two models (each
    // is deterministic, so the results do not depend on the thread count).
    let (standardised, (linear, ordinal)) = rayon::join(
        || {
            direct_standardisation(
                Stratified {
                    values: &visits.overall,
                    group: &visits.authority,
                    stratum: &strata.of_visit,
                },
                visits.authorities.len(),
                strata.names.len(),
                Bootstrap {
                    replicates: options.bootstrap,
                    confidence: options.confidence,
                    seed: options.seed,
                },
            )
        },
        || {
            // The two models one after the other: the linear model's design (at ten million
            // ratings 369,000 visits × 38 columns, 112 MB) is freed before the ordinal model's
            // ratings (8 bytes each, 80 MB) are built. The bootstrap beside them keeps the
            // other core busy.
            let linear = linear_effects(&visits, &strata, options.confidence);
            (
                linear,
                ordinal_effects(filtered, &visits, &strata, options.confidence),
            )
        },
    );
    let standardised = standardised?;
    let linear = linear
        .map_err(|e| notes.push(format!("linear model: {e}")))
        .ok();
    let ordinal = ordinal
        .map_err(|e| notes.push(format!("ordinal model: {e}")))
        .ok();
    let authorities = visits
        .authorities
        .iter()
        .enumerate()
        .map(|(a, name)| {
            let s = &standardised[a];
            let l = linear.as_ref().map(|l| l[a]);
            let o = ordinal.as_ref().map(|o| o[a]);
            AdjustedAuthority {
                authority: name.clone(),
                visits: s.n,
                raw_mean: s.raw_mean,
                standardised_mean: s.standardised,
                standardised_ci: s.ci_low.zip(s.ci_high).map(|(l, h)| [l, h]),
                coverage: s.coverage,
                emm: l.map(|l| l.emm),
                emm_ci: l.map(|l| l.emm_ci),
                difference: l.map(|l| l.difference),
                difference_ci: l.map(|l| l.difference_ci),
                odds_ratio: o.map(|o| o.odds_ratio),
                odds_ratio_ci: o.map(|o| o.ci_cluster),
                odds_ratio_ci_model: o.map(|o| o.ci_model),
            }
        })
        .collect();
    Ok(Some(CaseMix {
        mix_differs: diagnostic.is_some_and(|d| d.p_value < options.alpha),
        diagnostic,
        table: cells(&visits, &strata, &counts),
        strata: strata.summary,
        authorities,
        bootstrap: options.bootstrap,
        confidence: options.confidence,
        notes,
    }))
}

/// Each roll-up visit's stratum (by row of [`Rollup::visits`]) and the strata's shares of all
/// kept visits, the weights of the direct standardisation; `None` when [`case_mix`] finds
/// nothing to adjust (no offer types, or fewer than two authorities). The period analysis
/// ([`super::periods`]) standardises each period's means to these pooled weights.
///
/// # Errors
/// An error of the stage tables.
pub(crate) fn visit_strata(rollup: &Rollup) -> Result<Option<(Vec<usize>, Vec<f64>)>> {
    let visits = Visits::read(rollup)?;
    if visits.authorities.len() < 2 || visits.offer_types.iter().all(Option::is_none) {
        return Ok(None);
    }
    let strata = strata_of(&visits.offer_types);
    let total = strata.of_visit.len() as f64;
    let weights = strata
        .summary
        .strata
        .iter()
        .map(|s| s.visits as f64 / total)
        .collect();
    Ok(Some((strata.of_visit, weights)))
}

/// The roll-up's visits as codes.
struct Visits<'a> {
    /// Authority names, sorted.
    authorities: Vec<String>,
    /// Per visit: its authority (index), offer type as written, overall score.
    authority: Vec<usize>,
    offer_types: Vec<Option<String>>,
    overall: Vec<f64>,
    /// Visit id → row (the last row of an id that occurs twice).
    row_of: HashMap<&'a str, usize, foldhash::fast::RandomState>,
}

impl<'a> Visits<'a> {
    fn read(rollup: &'a Rollup) -> Result<Self> {
        let v = &rollup.visits;
        let names = rollup::visits::AUTHORITY.of(v)?;
        let mut authorities: Vec<String> = names.iter().flatten().map(str::to_string).collect();
        authorities.sort();
        authorities.dedup();
        let index = |name: Option<&str>| {
            authorities
                .binary_search_by(|a| a.as_str().cmp(name.unwrap_or("")))
                .unwrap_or(0)
        };
        let authority = names.iter().map(index).collect();
        let offer_types = rollup::visits::OFFER_TYPE
            .of(v)?
            .iter()
            .map(|t| {
                t.map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
            })
            .collect();
        let overall = rollup::visits::OVERALL.slice(v)?.into_owned();
        let row_of = rollup::visits::VISIT_ID
            .of(v)?
            .iter()
            .enumerate()
            .filter_map(|(i, id)| id.map(|id| (id, i)))
            .collect();
        Ok(Self {
            authorities,
            authority,
            offer_types,
            overall,
            row_of,
        })
    }
}

/// The strata and each visit's stratum.
struct StrataCodes {
    names: Vec<String>,
    of_visit: Vec<usize>,
    summary: Strata,
}

/// The first offer type a cell names (see the module docs).
fn first_type(cell: &str) -> (&str, bool) {
    let separators = [",", ";", "/", " og "];
    let cut = separators
        .iter()
        .filter_map(|sep| {
            cell.match_indices(sep)
                .find(|(at, _)| cell[at + sep.len()..].trim_start().starts_with('§'))
                .map(|(at, _)| at)
        })
        .min();
    match cut {
        Some(at) if at > 0 => (cell[..at].trim(), true),
        _ => (cell, false),
    }
}

/// The strata of the visits' offer types (see the module docs).
fn strata_of(offer_types: &[Option<String>]) -> StrataCodes {
    let mut several_types = 0;
    let first: Vec<String> = offer_types
        .iter()
        .map(|t| match t {
            None => UNKNOWN.to_string(),
            Some(t) => {
                let (first, several) = first_type(t);
                several_types += usize::from(several);
                first.to_string()
            }
        })
        .collect();
    let mut visits: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &first {
        *visits.entry(t.as_str()).or_default() += 1;
    }
    let pooled: Vec<TypeCount> = visits
        .iter()
        .filter(|&(t, &n)| n < MIN_STRATUM_VISITS && *t != UNKNOWN)
        .map(|(t, &n)| TypeCount {
            offer_type: t.to_string(),
            visits: n,
        })
        .collect();
    let stratum = |t: &str| -> String {
        if pooled.iter().any(|p| p.offer_type == t) {
            OTHER.to_string()
        } else {
            t.to_string()
        }
    };
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for t in &first {
        *sizes.entry(stratum(t)).or_default() += 1;
    }
    let names: Vec<String> = sizes.keys().cloned().collect();
    let of_visit = first
        .iter()
        .map(|t| names.binary_search(&stratum(t)).unwrap_or(0))
        .collect();
    StrataCodes {
        summary: Strata {
            strata: sizes
                .into_iter()
                .map(|(offer_type, visits)| TypeCount { offer_type, visits })
                .collect(),
            pooled,
            several_types,
            unknown: visits.get(UNKNOWN).copied().unwrap_or(0),
        },
        names,
        of_visit,
    }
}

/// Visits per authority (rows) and stratum (columns).
fn counts(visits: &Visits, strata: &StrataCodes) -> Vec<Vec<u64>> {
    let mut rows = vec![vec![0u64; strata.names.len()]; visits.authorities.len()];
    for (&a, &s) in visits.authority.iter().zip(&strata.of_visit) {
        rows[a][s] += 1;
    }
    rows
}

/// The table as cells, by authority and stratum.
fn cells(visits: &Visits, strata: &StrataCodes, counts: &[Vec<u64>]) -> Vec<MixCell> {
    let mut cells = Vec::new();
    for (a, row) in counts.iter().enumerate() {
        let total: u64 = row.iter().sum();
        for (s, &n) in row.iter().enumerate() {
            cells.push(MixCell {
                authority: visits.authorities[a].clone(),
                offer_type: strata.names[s].clone(),
                visits: n as usize,
                share: n as f64 / total.max(1) as f64,
            });
        }
    }
    cells
}

/// One authority's linear-model effects.
#[derive(Debug, Clone, Copy)]
struct LinearEffect {
    emm: f64,
    emm_ci: [f64; 2],
    difference: f64,
    difference_ci: [f64; 2],
}

/// The linear model and every authority's marginal mean and difference (see the module docs).
fn linear_effects(
    visits: &Visits,
    strata: &StrataCodes,
    confidence: f64,
) -> Result<Vec<LinearEffect>> {
    let (na, ns) = (visits.authorities.len(), strata.names.len());
    let n = visits.overall.len();
    // Intercept, authorities but the first, strata but the first.
    let p = na + ns - 1;
    let mut x = DMatrix::<f64>::zeros(n, p);
    for i in 0..n {
        x[(i, 0)] = 1.0;
        if visits.authority[i] > 0 {
            x[(i, visits.authority[i])] = 1.0;
        }
        if strata.of_visit[i] > 0 {
            x[(i, na - 1 + strata.of_visit[i])] = 1.0;
        }
    }
    let fit = ols_hc3(&x, &visits.overall)?;
    let column_means: Vec<f64> = (0..p).map(|j| x.column(j).mean()).collect();
    let t = crate::stats::distributions::t_isf((1.0 - confidence) / 2.0, fit.residual_df as f64);
    let interval = |fit: &Ols, c: &[f64]| {
        let (value, se) = (fit.contrast(c), fit.contrast_variance(c).sqrt());
        (value, [value - t * se, value + t * se])
    };
    Ok((0..na)
        .map(|a| {
            // The marginal mean: intercept, this authority, the national stratum shares.
            let mut c = vec![0.0; p];
            c[0] = 1.0;
            if a > 0 {
                c[a] = 1.0;
            }
            c[na..p].copy_from_slice(&column_means[na..p]);
            let (emm, emm_ci) = interval(&fit, &c);
            let d: Vec<f64> = c.iter().zip(&column_means).map(|(c, m)| c - m).collect();
            let (difference, difference_ci) = interval(&fit, &d);
            LinearEffect {
                emm,
                emm_ci,
                difference,
                difference_ci,
            }
        })
        .collect())
}

/// One authority's ordinal-model effect.
#[derive(Debug, Clone, Copy)]
struct OrdinalEffect {
    odds_ratio: f64,
    ci_cluster: [f64; 2],
    ci_model: [f64; 2],
}

/// The proportional-odds model and every authority's odds ratio against the average authority.
fn ordinal_effects(
    filtered: &Filtered,
    visits: &Visits,
    strata: &StrataCodes,
    confidence: f64,
) -> Result<Vec<OrdinalEffect>> {
    let (na, ns) = (visits.authorities.len(), strata.names.len());
    let rows = ordinal_rows(filtered, visits, strata)?;
    let indicators = rows.1;
    let fit = clm_rows(&rows.0, 5, na - 1 + ns - 1 + indicators - 1)?;
    let z = crate::stats::distributions::normal_isf((1.0 - confidence) / 2.0);
    Ok((0..na)
        .map(|a| {
            // δ_a = β_a − mean_b β_b over the authorities (β of the first is 0).
            let mut c = vec![-1.0 / na as f64; na - 1];
            if a > 0 {
                c[a - 1] += 1.0;
            }
            let delta = fit.contrast(&c);
            let ci = |vcov: &DMatrix<f64>| {
                let se = fit.contrast_se(&c, vcov);
                [(delta - z * se).exp(), (delta + z * se).exp()]
            };
            OrdinalEffect {
                odds_ratio: delta.exp(),
                ci_cluster: ci(&fit.vcov_cluster),
                ci_model: ci(&fit.vcov),
            }
        })
        .collect())
}

/// The kept ratings as rows of the ordinal model (authority, stratum and indicator dummies;
/// clustered by visit), and the number of indicators. Indicators are numbered in name order.
fn ordinal_rows(
    filtered: &Filtered,
    visits: &Visits,
    strata: &StrataCodes,
) -> Result<(OrdinalRows, usize)> {
    let (na, ns) = (visits.authorities.len(), strata.names.len());
    let ids = filter::visits::VISIT_ID.of(&filtered.visits)?;
    let ratings = &filtered.ratings;
    // The indicators numbered in the order of their names (`10.a` before `2.a`).
    let mut names: Vec<(String, usize)> = filtered
        .indicators
        .iter()
        .enumerate()
        .map(|(code, i)| (i.id.to_string(), code))
        .collect();
    names.sort_unstable();
    let mut number = vec![0usize; names.len()];
    for (k, &(_, code)) in names.iter().enumerate() {
        number[code] = k;
    }
    let score = &ratings.score;
    let mut rows = OrdinalRows::with_capacity(score.len());
    let mut cells = CellCodes::new(na, ns, names.len());
    // The ratings of a visit come together: its row in the roll-up is looked up once.
    let mut last: Option<(u32, Option<usize>)> = None;
    let indicator = &ratings.indicator;
    for ((&v, &s), &i) in ratings.visit.iter().zip(score).zip(indicator) {
        let row = match last {
            Some((seen, row)) if seen == v => row,
            _ => {
                let row = ids
                    .get(v as usize)
                    .and_then(|id| visits.row_of.get(id))
                    .copied();
                last = Some((v, row));
                row
            }
        };
        let Some(row) = row else {
            continue;
        };
        let k = number.get(usize::from(i)).copied().unwrap_or(0);
        let (a, st) = (visits.authority[row], strata.of_visit[row]);
        let key = cells.key(s, a, st, k);
        if let Some(&cell) = key.and_then(|key| cells.cell.get(key))
            && cell != u32::MAX
            && rows.push_cell(cell, row as u32)
        {
            continue;
        }
        let mut columns = [0u32; 3];
        let mut used = 0;
        for (present, column) in [
            (a > 0, a.wrapping_sub(1)),
            (st > 0, (na - 1 + st).wrapping_sub(1)),
            (k > 0, (na - 1 + ns - 1 + k).wrapping_sub(1)),
        ] {
            if present {
                columns[used] = column as u32;
                used += 1;
            }
        }
        let cell = rows.push(s, &columns[..used], row as u32);
        if let Some(known) = key.and_then(|key| cells.cell.get_mut(key)) {
            *known = cell;
        }
    }
    Ok((rows, names.len()))
}

/// The cell of [`OrdinalRows`] of each (category, authority, stratum, indicator) seen, by a
/// dense key: a rating's cell is then found by its codes, not by hashing its design columns
/// (building the rows at 10 M ratings took about three times as long with the hashing).
struct CellCodes {
    /// The cell of each key, `u32::MAX` before its first rating.
    cell: Vec<u32>,
    /// Authorities, strata and indicators.
    sizes: [usize; 3],
}

impl CellCodes {
    /// Categories 0 … 7 have keys (the model's are 1 … 5); beyond this many keys there are
    /// none, and every rating is looked up by its columns.
    const CATEGORIES: usize = 8;
    const MAX_KEYS: usize = 1 << 22;

    fn new(authorities: usize, strata: usize, indicators: usize) -> Self {
        let keys = [authorities, strata, indicators, Self::CATEGORIES]
            .iter()
            .try_fold(1usize, |n, &k| n.checked_mul(k))
            .filter(|&n| n <= Self::MAX_KEYS)
            .unwrap_or(0);
        Self {
            cell: vec![u32::MAX; keys],
            sizes: [authorities, strata, indicators],
        }
    }

    /// The key of a rating's codes, `None` when they have none.
    fn key(
        &self,
        category: u8,
        authority: usize,
        stratum: usize,
        indicator: usize,
    ) -> Option<usize> {
        let [na, ns, nk] = self.sizes;
        let inside = usize::from(category) < Self::CATEGORIES
            && authority < na
            && stratum < ns
            && indicator < nk
            && !self.cell.is_empty();
        inside.then(|| ((usize::from(category) * na + authority) * ns + stratum) * nk + indicator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_naming_several_types_is_stratified_by_the_first() {
        assert_eq!(first_type("§ 107, § 108"), ("§ 107", true));
        assert_eq!(first_type("§ 107 og § 108"), ("§ 107", true));
        // One § with commas of its own, and two § without a separator between types.
        assert_eq!(
            first_type("§ 66, stk. 1, nr. 5 opholdssted for børn og unge"),
            ("§ 66, stk. 1, nr. 5 opholdssted for børn og unge", false)
        );
        assert_eq!(
            first_type("Botilbudslignende tilbud (§ 85 i ABL § 105)"),
            ("Botilbudslignende tilbud (§ 85 i ABL § 105)", false)
        );
    }

    #[test]
    fn rare_types_are_pooled_and_blank_types_are_unknown() {
        let mut types: Vec<Option<String>> = vec![Some("§ 107".to_string()); MIN_STRATUM_VISITS];
        types.push(Some("§ 109".to_string()));
        types.push(Some("§ 110, § 107".to_string()));
        types.push(None);
        let s = strata_of(&types);
        let pooled: Vec<(&str, usize)> = s
            .summary
            .pooled
            .iter()
            .map(|p| (p.offer_type.as_str(), p.visits))
            .collect();
        assert_eq!(pooled, [("§ 109", 1), ("§ 110", 1)]);
        assert_eq!((s.summary.several_types, s.summary.unknown), (1, 1));
        let names: Vec<&str> = s.names.iter().map(String::as_str).collect();
        assert_eq!(names, [OTHER, UNKNOWN, "§ 107"]);
    }
}
