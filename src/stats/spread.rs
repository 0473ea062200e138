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
//!
//! The bootstrap intervals of these statistics are percentile intervals
//! ([`super::descriptive::percentile_interval`]).
//!
//! Random numbers: ChaCha8 seeded from the caller's seed, one stream per permutation, so the
//! result does not depend on the number of threads.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::means::sample_sd;

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
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// [`SdChange`] of `groups`, each given as its values of the first sample followed by those
/// of the second and the number of the first (both parts non-empty), with `permutations`
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
pub fn sd_change(groups: &[(Vec<f64>, usize)], permutations: u64, seed: u64) -> Option<SdChange> {
    let (sd_from, sd_to) = split_sds(groups)?;
    let difference = sd_to - sd_from;
    let as_large = (0..permutations)
        .into_par_iter()
        .map_init(
            || groups.to_vec(),
            |shuffled, b| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(b);
                for ((x, n), (original, _)) in shuffled.iter_mut().zip(groups) {
                    // The first `n` of a partial Fisher–Yates shuffle of the group's values.
                    x.copy_from_slice(original);
                    for i in 0..*n {
                        let j = rng.random_range(i..x.len());
                        x.swap(i, j);
                    }
                }
                split_sds(shuffled)
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

/// The SDs of the groups' means of their first and of their second part.
fn split_sds(groups: &[(Vec<f64>, usize)]) -> Option<(f64, f64)> {
    let split_means = |(x, n): &(Vec<f64>, usize)| {
        let (f, l) = x.split_at(*n);
        (
            f.iter().sum::<f64>() / f.len() as f64,
            l.iter().sum::<f64>() / l.len() as f64,
        )
    };
    let (from, to): (Vec<f64>, Vec<f64>) = groups.iter().map(split_means).unzip();
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
}
