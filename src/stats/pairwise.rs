//! Pairwise comparison of the authorities' score distributions (stage 4, statistics; LOS
//! footnote 10, corrected).
//!
//! Input: one sample per authority (overall scores, or the scores of one theme or
//! criterion), optionally a stratum code per observation (the offer type), and
//! [`PairwiseOptions`]. Output: one [`PairComparison`] per pair of authorities, in name order.
//!
//! Per pair:
//! * the two-sided two-sample Kolmogorov–Smirnov test as LOS ran it (`scipy.stats.ks_2samp`,
//!   [`super::ks`]): `statistic`, `p_value`, `method`; and the exact p given the tie pattern,
//!   `p_value_ties` (R ≥ 4.4 `psmirnov`). Scores that are means of a few integers are heavily
//!   tied, so the SciPy p is conservative;
//! * with `permutations > 0`, a Monte Carlo permutation p (Phipson & Smyth 2010's
//!   (b + 1)/(m + 1)); with strata, labels are permuted only within offer types, so a
//!   difference in what the authorities supervise is not read as a difference in how they
//!   score;
//! * Mann–Whitney and Brunner–Munzel p and Cliff's delta with its CI ([`super::rank`]):
//!   KS has little power against a shift on a 5-point scale, and an effect size says how large
//!   a difference is.
//!
//! Multiple testing: within one family (the 10 pairs of one level and unit), the *primary* p
//! (the stratified or plain permutation p when computed, else the tie-exact p, else SciPy's)
//! is adjusted ([`super::multitest`], Holm by default) into `p_value_adjusted`, and
//! `significant` is `p_value_adjusted ≤ alpha`. SciPy's p is adjusted too
//! (`p_value_scipy_adjusted`), to show what the replication alone would conclude.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::progress::{Progress, Silent};

use super::ks::{self, Alternative, KsMethod};
use super::multitest::{self, Adjustment};
use super::rank;

/// Options for the pairwise comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairwiseOptions {
    /// The KS alternative (two-sided in LOS; the rank tests are always two-sided).
    pub alternative: Alternative,
    /// How SciPy's p is computed.
    pub ks_method: KsMethod,
    /// Adjustment across the pairs of a family.
    pub adjustment: Adjustment,
    /// Significance level.
    pub alpha: f64,
    /// Monte Carlo permutations (0: none).
    pub permutations: u64,
    /// RNG seed for the permutations.
    pub seed: u64,
}

impl Default for PairwiseOptions {
    fn default() -> Self {
        Self {
            alternative: Alternative::TwoSided,
            ks_method: KsMethod::Auto,
            adjustment: Adjustment::Holm,
            alpha: 0.05,
            permutations: 0,
            seed: 2024,
        }
    }
}

/// Which p-value the adjustment and `significant` are based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrimaryP {
    /// Monte Carlo permutation within strata.
    PermutationStratified,
    /// Monte Carlo permutation.
    Permutation,
    /// Exact conditional on the ties.
    TiesExact,
    /// SciPy's (when the tie-exact walk is too large).
    Scipy,
}

/// One authority (with its sample) in a comparison family.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    /// Authority name.
    pub name: &'a str,
    /// The scores.
    pub values: &'a [f64],
    /// Stratum code per score (same length), when stratifying.
    pub strata: Option<&'a [u32]>,
}

/// The comparison of two authorities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairComparison {
    /// First authority.
    pub a: String,
    /// Second authority.
    pub b: String,
    /// Sample size of `a`.
    pub n_a: usize,
    /// Sample size of `b`.
    pub n_b: usize,
    /// KS statistic D.
    pub statistic: f64,
    /// Where D is reached.
    pub statistic_location: f64,
    /// +1 if `a`'s ECDF is above `b`'s there, −1 otherwise.
    pub statistic_sign: i8,
    /// SciPy-compatible p (`scipy.stats.ks_2samp`).
    pub p_value: f64,
    /// The method SciPy would use.
    pub method: KsMethod,
    /// Exact p conditional on the ties (NaN beyond [`ks::MAX_TIE_EXACT_CELLS`] lattice cells).
    pub p_value_ties: f64,
    /// Monte Carlo permutation p, if computed.
    pub p_value_permutation: Option<f64>,
    /// Permutations drawn (0 if none).
    pub permutations: u64,
    /// Whether the permutations were within strata.
    pub stratified: bool,
    /// Which p is the primary one.
    pub primary: PrimaryP,
    /// The primary p, adjusted across the family.
    pub p_value_adjusted: f64,
    /// SciPy's p, adjusted across the family.
    pub p_value_scipy_adjusted: f64,
    /// `p_value_adjusted ≤ alpha`.
    pub significant: bool,
    /// Two-sided Mann–Whitney p (`scipy.stats.mannwhitneyu`).
    pub mann_whitney_p: f64,
    /// Brunner–Munzel p (`scipy.stats.brunnermunzel`), when defined.
    pub brunner_munzel_p: Option<f64>,
    /// Cliff's delta, P(a > b) − P(a < b).
    pub cliffs_delta: f64,
    /// Lower end of its 95 % CI.
    pub cliffs_delta_ci_low: Option<f64>,
    /// Upper end of its 95 % CI.
    pub cliffs_delta_ci_high: Option<f64>,
}

/// Compares every pair of `groups` (groups with no observations are skipped). `stream_base`
/// makes the permutation streams of different families distinct.
///
/// # Errors
/// A non-finite score, or parameters the KS and rank tests refuse (see
/// [`ks_2samp`](ks::ks_2samp), [`ks_permutation`](ks::ks_permutation) and
/// [`compare_ranks`](rank::compare_ranks)).
///
/// # Examples
///
/// ```
/// use losstat::stats::pairwise::{Group, PairwiseOptions, PrimaryP, compare_pairs};
/// # fn main() -> losstat::Result<()> {
/// let groups = [
///     Group { name: "A", values: &[1.01, 2.01], strata: None },
///     Group { name: "B", values: &[1.0, 2.0, 3.0, 4.0], strata: None },
/// ];
/// let pairs = compare_pairs(&groups, &PairwiseOptions::default(), 0)?;
/// let ab = &pairs[0];
/// // KS p = 14/15 (SciPy testTwoVsFour, stats_reference.md §4.1/§4.2). Without ties the
/// // primary (tie-exact) p is 14/15 too, and Holm leaves a family of one pair unchanged.
/// let p = 14.0 / 15.0;
/// assert_eq!((pairs.len(), ab.primary), (1, PrimaryP::TiesExact));
/// assert!((ab.p_value_adjusted - p).abs() <= 1e-12 * p && !ab.significant);
/// // Mann–Whitney by hand: U_a = #(a > b) = 1 + 2 = 3; of the C(6, 2) = 15 orderings, 6
/// // have U ≤ 3, so the exact p is 2·6/15 = 0.8; Cliff's δ = (2·3 − 8)/8.
/// assert!((ab.mann_whitney_p - 0.8).abs() <= 1e-12 * 0.8);
/// assert_eq!(ab.cliffs_delta, -0.25);
/// # Ok(()) }
/// ```
pub fn compare_pairs(
    groups: &[Group<'_>],
    options: &PairwiseOptions,
    stream_base: u64,
) -> Result<Vec<PairComparison>> {
    compare_pairs_with_progress(groups, options, stream_base, &Silent)
}

/// [`compare_pairs`], advancing `progress` by one as each pair is done.
///
/// # Errors
/// As [`compare_pairs`].
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use losstat::progress::{Progress, Step};
/// use losstat::stats::pairwise::{Group, PairwiseOptions, compare_pairs_with_progress};
/// # fn main() -> losstat::Result<()> {
/// struct Count(AtomicU64);
/// impl Progress for Count {
///     fn start(&self, _: Step, _: u64) {}
///     fn advance(&self, units: u64) { self.0.fetch_add(units, Ordering::Relaxed); }
///     fn finish(&self) {}
/// }
/// let group = |name, values| Group { name, values, strata: None };
/// let (a, b, c) = ([1.0, 2.0], [2.0, 3.0], [4.0, 5.0]);
/// let groups = [group("A", &a[..]), group("B", &b), group("C", &c), group("D", &[])];
/// let done = Count(AtomicU64::new(0));
/// let pairs = compare_pairs_with_progress(&groups, &PairwiseOptions::default(), 0, &done)?;
/// // By hand: D is empty and skipped, leaving the C(3, 2) = 3 pairs AB, AC, BC.
/// assert_eq!((pairs.len(), done.0.load(Ordering::Relaxed)), (3, 3));
/// # Ok(()) }
/// ```
pub fn compare_pairs_with_progress(
    groups: &[Group<'_>],
    options: &PairwiseOptions,
    stream_base: u64,
    progress: &dyn Progress,
) -> Result<Vec<PairComparison>> {
    let groups: Vec<&Group<'_>> = groups.iter().filter(|g| !g.values.is_empty()).collect();
    let pairs: Vec<(&Group<'_>, &Group<'_>)> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, a)| groups[i + 1..].iter().map(move |b| (*a, *b)))
        .collect();
    // Pairs are independent and each has its own permutation stream, so computing them in
    // parallel gives the same results in the same order as one after another.
    let mut out = pairs
        .par_iter()
        .enumerate()
        .map(|(k, (a, b))| {
            let pair = compare_one(a, b, options, stream_base + k as u64);
            progress.advance(1);
            pair
        })
        .collect::<Result<Vec<PairComparison>>>()?;
    adjust_pairs(out.iter_mut(), options);
    Ok(out)
}

/// Adjusts the primary and the SciPy p-values of `pairs` as one family
/// (`options.adjustment`), and marks `significant` at `options.alpha` on the adjusted primary
/// p. [`compare_pairs`] does this for its pairs; a caller may do it again over a larger family.
///
/// # Examples
///
/// ```
/// use losstat::stats::pairwise::{Group, PairwiseOptions, adjust_pairs, compare_pairs};
/// # fn main() -> losstat::Result<()> {
/// let groups = [
///     Group { name: "A", values: &[1.01, 2.01], strata: None },
///     Group { name: "B", values: &[1.0, 2.0, 3.0, 4.0], strata: None },
/// ];
/// let options = PairwiseOptions::default();
/// let mut both = compare_pairs(&groups, &options, 0)?;
/// both.extend(compare_pairs(&groups, &options, 1)?);
/// adjust_pairs(both.iter_mut(), &options);
/// // By hand: both primary p are 14/15 (SciPy testTwoVsFour, stats_reference.md §4.1);
/// // Holm over the family of two gives min(1, 2·14/15) = 1 to each.
/// assert!(both.iter().all(|pair| pair.p_value_adjusted == 1.0 && !pair.significant));
/// # Ok(()) }
/// ```
pub fn adjust_pairs<'p>(
    pairs: impl IntoIterator<Item = &'p mut PairComparison>,
    options: &PairwiseOptions,
) {
    let mut pairs: Vec<&mut PairComparison> = pairs.into_iter().collect();
    let primary_p: Vec<f64> = pairs.iter().map(|p| p.primary_p()).collect();
    let scipy_p: Vec<f64> = pairs.iter().map(|p| p.p_value).collect();
    let adjusted = multitest::adjust(&primary_p, options.adjustment);
    let scipy_adjusted = multitest::adjust(&scipy_p, options.adjustment);
    for ((pair, p), q) in pairs.iter_mut().zip(adjusted).zip(scipy_adjusted) {
        pair.p_value_adjusted = p;
        pair.p_value_scipy_adjusted = q;
        pair.significant = p <= options.alpha;
    }
}

/// The tests of one pair; `p_value_adjusted` and `significant` are filled in by the caller.
fn compare_one(
    a: &Group<'_>,
    b: &Group<'_>,
    options: &PairwiseOptions,
    stream: u64,
) -> Result<PairComparison> {
    let test = ks::ks_2samp(a.values, b.values, options.alternative, options.ks_method)?;
    let ranks = rank::compare_ranks(a.values, b.values)?;
    let strata = match (a.strata, b.strata) {
        (Some(sa), Some(sb)) => Some((sa, sb)),
        _ => None,
    };
    let permutation = if options.permutations > 0 {
        Some(ks::ks_permutation(
            a.values,
            b.values,
            strata,
            options.alternative,
            options.permutations,
            options.seed,
            stream,
        )?)
    } else {
        None
    };
    let primary = match (&permutation, strata.is_some()) {
        (Some(_), true) => PrimaryP::PermutationStratified,
        (Some(_), false) => PrimaryP::Permutation,
        (None, _) if test.p_value_ties.is_finite() => PrimaryP::TiesExact,
        (None, _) => PrimaryP::Scipy,
    };
    Ok(PairComparison {
        a: a.name.to_string(),
        b: b.name.to_string(),
        n_a: test.n_a,
        n_b: test.n_b,
        statistic: test.statistic,
        statistic_location: test.statistic_location,
        statistic_sign: test.statistic_sign,
        p_value: test.p_value,
        method: test.method,
        p_value_ties: test.p_value_ties,
        p_value_permutation: permutation.as_ref().map(|p| p.p_value),
        permutations: permutation.as_ref().map_or(0, |p| p.permutations),
        stratified: permutation.is_some() && strata.is_some(),
        primary,
        p_value_adjusted: f64::NAN,
        p_value_scipy_adjusted: f64::NAN,
        significant: false,
        mann_whitney_p: ranks.mann_whitney_p,
        brunner_munzel_p: ranks.brunner_munzel_p,
        cliffs_delta: ranks.cliffs_delta,
        cliffs_delta_ci_low: ranks.cliffs_delta_ci_low,
        cliffs_delta_ci_high: ranks.cliffs_delta_ci_high,
    })
}

impl PairComparison {
    /// The p-value named by [`PairComparison::primary`], before adjustment.
    pub fn primary_p(&self) -> f64 {
        match self.primary {
            PrimaryP::PermutationStratified | PrimaryP::Permutation => {
                self.p_value_permutation.unwrap_or(f64::NAN)
            }
            PrimaryP::TiesExact => self.p_value_ties,
            PrimaryP::Scipy => self.p_value,
        }
    }
}

/// Stratum codes for labels (e.g. offer types): equal labels get equal codes, in sorted
/// label order; a missing label is a stratum of its own.
///
/// # Examples
///
/// ```
/// use losstat::stats::pairwise::stratum_codes;
/// // By hand: the distinct labels in order are None < "a" < "b", coded 0, 1, 2.
/// assert_eq!(stratum_codes([Some("b"), None, Some("a"), Some("b")]), [2, 0, 1, 2]);
/// ```
pub fn stratum_codes<'a>(labels: impl IntoIterator<Item = Option<&'a str>>) -> Vec<u32> {
    let labels: Vec<Option<&str>> = labels.into_iter().collect();
    let distinct: BTreeMap<Option<&str>, u32> = labels
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, l)| (l, i as u32))
        .collect();
    labels
        .iter()
        .map(|l| distinct.get(l).copied().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_pairs_adjusted_by_holm() {
        let samples: Vec<Vec<f64>> = (0..5)
            .map(|k| {
                (0..40)
                    .map(|i| 3.0 + f64::from((i * (k + 1)) % 9) / 4.0)
                    .collect()
            })
            .collect();
        let names = ["A", "B", "C", "D", "E"];
        let groups: Vec<Group<'_>> = names
            .iter()
            .zip(&samples)
            .map(|(name, values)| Group {
                name,
                values,
                strata: None,
            })
            .collect();
        let pairs = compare_pairs(&groups, &PairwiseOptions::default(), 0).expect("pairs");
        assert_eq!(pairs.len(), 10);
        assert_eq!((pairs[0].a.as_str(), pairs[0].b.as_str()), ("A", "B"));
        // Holm by hand: sort the primary (tie-exact) p ascending, multiply the i-th by 10 − i,
        // take the running maximum, cap at 1.
        let mut order: Vec<usize> = (0..10).collect();
        order.sort_by(|&i, &j| pairs[i].p_value_ties.total_cmp(&pairs[j].p_value_ties));
        let mut running: f64 = 0.0;
        for (rank, &i) in order.iter().enumerate() {
            running = running.max((pairs[i].p_value_ties * (10 - rank) as f64).min(1.0));
            assert!((pairs[i].p_value_adjusted - running).abs() < 1e-15);
            assert_eq!(pairs[i].significant, running <= 0.05);
            assert!(pairs[i].p_value_ties <= pairs[i].p_value + 1e-12);
        }
    }

    #[test]
    fn strata_codes_group_equal_labels() {
        let codes = stratum_codes([Some("b"), None, Some("a"), Some("b")]);
        assert_eq!(codes, vec![2, 0, 1, 2]);
    }
}
