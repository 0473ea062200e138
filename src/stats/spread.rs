//! How far apart groups' means are, and whether that distance changed: the spread statistics
//! of the period comparison ([`crate::analysis::periods`], DESIGN §2.3).
//!
//! - [`range`]: the smallest and the largest of the means.
//! - [`mean_absolute_deviation`]: over a groups × items table of sums and counts (authorities
//!   × indicators), the mean of `|mean_{g,i} − pooled_i|` over the cells with values, where
//!   `pooled_i` is the mean of all of item i's values (the national mean of
//!   [`super::deviation`]).
//! - [`sd_change`]: the change of the sample standard deviation (n − 1) of the group means
//!   between two samples, tested by permutation: each group's values are re-split between the
//!   two samples at random (each sample keeping its size per group), the SDs recomputed, and
//!   `p = (1 + #{|Δ*| ≥ |Δ|}) / (1 + B)` (Phipson & Smyth 2010, "Permutation p-values should
//!   never be zero", SAGMB 9), `|Δ*| ≥ |Δ|` allowing [`TIE_TOLERANCE`] for rounding.
//! - [`standardised_sd_change`]: the same for means standardised to fixed strata weights
//!   (direct standardisation, as [`super::standardise`]); the re-splits are made within each
//!   group × stratum cell, so each sample keeps its mix of strata (a test conditional on the
//!   mixes; Good 2005, "Permutation, Parametric and Bootstrap Tests of Hypotheses", §3.5 on
//!   permuting within strata).
//!
//! The bootstrap intervals of these statistics are percentile intervals
//! ([`super::descriptive::percentile_interval`]).
//!
//! Random numbers: ChaCha8 seeded from the caller's seed, one stream per permutation, so the
//! result does not depend on the number of threads.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::means::sample_sd;
use super::standardise::weighted;

/// Rounding allowance when a permuted change is compared with the observed one.
pub const TIE_TOLERANCE: f64 = 1e-12;

/// Smallest and largest of `values` (`(∞, −∞)` when there are none).
///
/// # Examples
///
/// ```
/// assert_eq!(losstat::stats::spread::range(&[4.2, 3.9, 4.6]), (3.9, 4.6));
/// ```
pub fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &m| {
            (l.min(m), h.max(m))
        })
}

/// The mean absolute deviation of the cell means from their item's pooled mean, and the
/// number of cells it is over (`NaN` and 0 when no cell has values). `sums` and `counts` are
/// a groups × `items` table, row-major: group g's item i at `g · items + i`. An item's
/// pooled mean is the sum of its cells' sums, in group order, over the sum of their counts.
///
/// # Examples
///
/// ```
/// use losstat::stats::spread::mean_absolute_deviation;
/// // Two groups, one item: means 4 (sum 8 of 2) and 5 (5 of 1), pooled 13/3; by hand
/// // |4 − 13/3| = 1/3 and |5 − 13/3| = 2/3, mean 1/2.
/// let (mad, cells) = mean_absolute_deviation(&[8.0, 5.0], &[2, 1], 1);
/// assert!((mad - 0.5).abs() < 1e-15);
/// assert_eq!(cells, 2);
/// ```
pub fn mean_absolute_deviation(sums: &[f64], counts: &[u32], items: usize) -> (f64, usize) {
    let groups = sums.len().checked_div(items).unwrap_or(0);
    let (mut total, mut cells) = (0.0, 0usize);
    for item in 0..items {
        let column = (0..groups).map(|g| g * items + item);
        let n: u64 = column.clone().map(|c| u64::from(counts[c])).sum();
        if n == 0 {
            continue;
        }
        let pooled = column.clone().map(|c| sums[c]).sum::<f64>() / n as f64;
        for c in column.filter(|&c| counts[c] > 0) {
            total += (sums[c] / f64::from(counts[c]) - pooled).abs();
            cells += 1;
        }
    }
    let mean = if cells > 0 {
        total / cells as f64
    } else {
        f64::NAN
    };
    (mean, cells)
}

/// The change of the SD of the group means between two samples, and its permutation test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SdChange {
    /// SD of the group means in the first sample.
    pub sd_from: f64,
    /// SD of the group means in the second sample.
    pub sd_to: f64,
    /// `sd_to − sd_from`.
    pub difference: f64,
    /// Permutation p (`None` without permutations).
    pub p_value: Option<f64>,
}

/// A group's values in one sample pair: its values of the first sample followed by those of
/// the second, and the number of the first.
pub type Split = (Vec<f64>, usize);

/// [`SdChange`] of `groups`, each a [`Split`] with both parts non-empty, with `permutations`
/// permutations from `seed` (see the module docs); `None` with fewer than two groups.
///
/// # Examples
///
/// ```
/// use losstat::stats::spread::sd_change;
/// // Means 1 and 3 (SD √2) become 2 and 2 (SD 0).
/// let groups = [(vec![1.0, 2.0], 1), (vec![3.0, 2.0], 1)];
/// let change = sd_change(&groups, 0, 7).expect("two groups");
/// assert!((change.sd_from - 2f64.sqrt()).abs() < 1e-15);
/// assert_eq!((change.sd_to, change.p_value), (0.0, None));
/// ```
pub fn sd_change(groups: &[Split], permutations: u64, seed: u64) -> Option<SdChange> {
    permutation_test(groups, permutations, seed, split_sds, resplit)
}

/// [`SdChange`] of the groups' means standardised to `weights`: each group is one [`Split`]
/// per stratum (in the order of `weights`; a stratum may have no values, or values in one
/// sample only), and a group's mean in a sample is `Σ_s w_s m_s / Σ_s w_s` over the strata
/// with values in that sample (as [`super::standardise`] re-weights). Each permutation
/// re-splits every group × stratum cell on its own, so each sample keeps its mix of strata
/// per group: the test asks whether the standardised spread changed, given the mixes.
/// With one stratum it is [`sd_change`], to the bit. `None` with fewer than two groups.
///
/// # Examples
///
/// ```
/// use losstat::stats::spread::standardised_sd_change;
/// // Two strata weighted ½ and ½. Group 1 scores 2 in stratum 0 and 4 in stratum 1 in both
/// // samples, but has three times as many visits of stratum 0 in the first: its plain means
/// // are 2.5 and 3, its standardised ones 3 and 3. Group 2 scores 3 everywhere.
/// let groups = [
///     vec![(vec![2.0, 2.0, 2.0, 2.0], 3), (vec![4.0, 4.0], 1)],
///     vec![(vec![3.0, 3.0], 1), (vec![3.0, 3.0], 1)],
/// ];
/// let change = standardised_sd_change(&groups, &[0.5, 0.5], 0, 7).expect("two groups");
/// assert_eq!((change.sd_from, change.sd_to, change.difference), (0.0, 0.0, 0.0));
/// ```
pub fn standardised_sd_change(
    groups: &[Vec<Split>],
    weights: &[f64],
    permutations: u64,
    seed: u64,
) -> Option<SdChange> {
    let sds = |groups: &[Vec<Split>]| standardised_sds(groups, weights);
    let resplit_cells = |cells: &mut Vec<Split>, original: &Vec<Split>, rng: &mut ChaCha8Rng| {
        for (cell, original) in cells.iter_mut().zip(original) {
            resplit(cell, original, rng);
        }
    };
    permutation_test(groups, permutations, seed, sds, resplit_cells)
}

/// The observed change of `sds(groups)` and its permutation p: permutation `b` draws from
/// stream `b` of ChaCha8 seeded with `seed`, re-splits each group in order (`resplit`, from
/// the group's original values) and recomputes the SDs.
fn permutation_test<G: Clone + Send + Sync>(
    groups: &[G],
    permutations: u64,
    seed: u64,
    sds: impl Fn(&[G]) -> Option<(f64, f64)> + Sync,
    resplit: impl Fn(&mut G, &G, &mut ChaCha8Rng) + Sync,
) -> Option<SdChange> {
    let (sd_from, sd_to) = sds(groups)?;
    let difference = sd_to - sd_from;
    let as_large = (0..permutations)
        .into_par_iter()
        .map_init(
            || groups.to_vec(),
            |shuffled, b| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(b);
                for (group, original) in shuffled.iter_mut().zip(groups) {
                    resplit(group, original, &mut rng);
                }
                sds(shuffled)
                    .is_some_and(|(f, t)| (t - f).abs() >= difference.abs() - TIE_TOLERANCE)
            },
        )
        .filter(|&hit| hit)
        .count() as f64;
    Some(SdChange {
        sd_from,
        sd_to,
        difference,
        p_value: (permutations > 0).then(|| (1.0 + as_large) / (1.0 + permutations as f64)),
    })
}

/// Re-splits one [`Split`] at random: its values restored from `original`, then the first
/// `n` of a partial Fisher–Yates shuffle are the first sample.
fn resplit((x, n): &mut Split, original: &Split, rng: &mut ChaCha8Rng) {
    x.copy_from_slice(&original.0);
    for i in 0..*n {
        let j = rng.random_range(i..x.len());
        x.swap(i, j);
    }
}

/// The means of a split's first and second part (`None` for an empty part).
fn split_means((x, n): &Split) -> (Option<f64>, Option<f64>) {
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let (first, second) = x.split_at(*n);
    (mean(first), mean(second))
}

/// The SDs of the groups' means of their first and of their second part.
fn split_sds(groups: &[Split]) -> Option<(f64, f64)> {
    let (from, to): (Vec<f64>, Vec<f64>) = groups
        .iter()
        .map(|g| {
            let (f, t) = split_means(g);
            (f.unwrap_or(f64::NAN), t.unwrap_or(f64::NAN))
        })
        .unzip();
    Some((sample_sd(&from)?, sample_sd(&to)?))
}

/// The SDs of the groups' standardised means (see [`standardised_sd_change`]) in the first
/// and in the second sample.
fn standardised_sds(groups: &[Vec<Split>], weights: &[f64]) -> Option<(f64, f64)> {
    let (from, to): (Vec<f64>, Vec<f64>) = groups
        .iter()
        .map(|cells| {
            let (first, second): (Vec<Option<f64>>, Vec<Option<f64>>) =
                cells.iter().map(split_means).unzip();
            (weighted(&first, weights), weighted(&second, weights))
        })
        .unzip();
    Some((sample_sd(&from)?, sample_sd(&to)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_without_values_are_left_out_of_the_mean_absolute_deviation() {
        // Three groups, two items; item 1 has no values at all, group 2 none of item 0.
        // Item 0: sums 9 (of 2) and 8 (of 2), pooled 17/4; by hand |4.5 − 4.25| = 0.25 and
        // |4 − 4.25| = 0.25, mean 0.25 over 2 cells.
        let sums = [9.0, 0.0, 8.0, 0.0, 0.0, 0.0];
        let counts = [2, 0, 2, 0, 0, 0];
        assert_eq!(mean_absolute_deviation(&sums, &counts, 2), (0.25, 2));
        let (none, cells) = mean_absolute_deviation(&[0.0; 4], &[0; 4], 2);
        assert!(none.is_nan() && cells == 0);
    }

    #[test]
    fn a_change_few_re_splits_reach_has_a_small_p() {
        // Two groups of 3, 3 and then 1, 1 (group 1) or 5, 5 (group 2): means 3, 3 become 1, 5
        // (SD 0 → √8). By hand, of the 6 × 6 equally likely re-splits of the two groups only
        // 2 change the SD as much (both groups split into equal halves the same way round),
        // so p is about 1/18 ≈ 0.056; with 199 permutations (1 + hits)/200 lies in
        // [0.005, 0.12] but for a chance of about 1e-4.
        let groups = [(vec![3.0, 3.0, 1.0, 1.0], 2), (vec![3.0, 3.0, 5.0, 5.0], 2)];
        let change = sd_change(&groups, 199, 11).expect("two groups");
        assert_eq!(change.sd_from, 0.0);
        assert!((change.sd_to - 8f64.sqrt()).abs() < 1e-15);
        let p = change.p_value.expect("permutations");
        assert!((0.005..=0.12).contains(&p), "{p}");
        assert!(
            sd_change(&groups[..1], 10, 11).is_none(),
            "one group has no SD"
        );
    }

    #[test]
    fn with_one_stratum_the_standardised_test_is_the_plain_one() {
        let groups = [
            (vec![3.0, 3.0, 1.0, 1.0], 2),
            (vec![3.0, 3.5, 5.0, 4.0, 5.0], 2),
        ];
        let one_stratum: Vec<Vec<Split>> = groups.iter().map(|g| vec![g.clone()]).collect();
        let plain = sd_change(&groups, 99, 5);
        assert!(plain.is_some());
        assert_eq!(standardised_sd_change(&one_stratum, &[1.0], 99, 5), plain);
    }

    #[test]
    fn each_stratum_is_re_split_on_its_own() {
        // Strata weighted ½ and ½. Group 1 scores 2 and 4 (standardised mean 3) in both
        // samples; group 2 has 2 then 4 in stratum 0 and 4 then 6 in stratum 1 (3, then 5).
        // SD 0 → √2. By hand: each of group 2's cells re-splits two ways, equally likely;
        // (2, 4) first gives 3 → 5 and (4, 6) first 5 → 3, both |Δ| = √2; the two mixed ways
        // give 4 → 4, Δ = 0. So half the permutations reach |Δ|: with 399 of them,
        // (1 + hits)/400 lies in [0.4, 0.6] but for a chance of about 1e-4. Re-splitting
        // group 2's four values together, strata ignored, would reach |Δ| in 4 of its 6 ways
        // (p near 2/3).
        let groups = [
            vec![(vec![2.0, 2.0], 1), (vec![4.0, 4.0], 1)],
            vec![(vec![2.0, 4.0], 1), (vec![4.0, 6.0], 1)],
        ];
        let change = standardised_sd_change(&groups, &[0.5, 0.5], 399, 3).expect("two groups");
        assert_eq!(change.sd_from, 0.0);
        assert!((change.sd_to - 2f64.sqrt()).abs() < 1e-15);
        let p = change.p_value.expect("permutations");
        assert!((0.4..=0.6).contains(&p), "{p}");
    }

    #[test]
    fn a_change_of_mix_alone_is_no_change_of_the_standardised_spread() {
        // Group 1 scores 2 in stratum 0 and 4 in stratum 1 in both samples, with three
        // stratum-0 visits in the first and one in the second: plain means 2.5 → 3, so the
        // plain SD against group 2 (3 throughout) changes from √2/4 to 0; the standardised
        // means are 3 and 3, no change, and every permutation is as large (p = 1).
        let groups = [
            vec![(vec![2.0, 2.0, 2.0, 2.0], 3), (vec![4.0, 4.0], 1)],
            vec![(vec![3.0, 3.0], 1), (vec![3.0, 3.0], 1)],
        ];
        let plain: Vec<Split> = groups
            .iter()
            .map(|cells| {
                let (first, second): (Vec<f64>, Vec<f64>) = cells
                    .iter()
                    .map(|(x, n)| (x[..*n].to_vec(), x[*n..].to_vec()))
                    .fold((vec![], vec![]), |(mut f, mut s), (a, b)| {
                        f.extend(a);
                        s.extend(b);
                        (f, s)
                    });
                let n = first.len();
                ([first, second].concat(), n)
            })
            .collect();
        let raw = sd_change(&plain, 0, 1).expect("two groups");
        assert!((raw.sd_from - 2f64.sqrt() / 4.0).abs() < 1e-15, "{raw:?}");
        assert_eq!(raw.sd_to, 0.0);
        let change = standardised_sd_change(&groups, &[0.5, 0.5], 50, 1).expect("two groups");
        assert_eq!((change.sd_from, change.sd_to), (0.0, 0.0));
        assert_eq!(change.p_value, Some(1.0));
    }
}
