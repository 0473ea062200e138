//! Exact KS p-value conditional on the tie pattern (R ≥ 4.4 `psmirnov(exact = TRUE,
//! z = ...)`; stage 4, part of [`super`]; the entry point is re-exported there).
//!
//! Input: two samples (or sizes, a tie pattern and a threshold) and the alternative.
//! Output: `P(D ≥ d_obs)` under the permutation null: all `C(n_a+n_b, n_a)` assignments of
//! the labels to the sorted pooled values are equally likely, and D is evaluated only
//! where a tie block ends (inside a block the ECDFs are never observed).
//!
//! Method: Schröer & Trenkler (1995) in Viehmann's (2021) upper-tail form, as R's C
//! `psmirnov_exact`. Walk the lattice (i = values of a, j = values of b consumed) with one
//! column vector `u`, where `u(i,j)` is the probability that a uniformly random path into
//! (i,j) has already reached the boundary at a block end:
//! `u(i,j) = 1` if `i+j` ends a block and `(i,j)` is on or beyond the boundary, else
//! `(i·u(i−1,j) + j·u(i,j−1))/(i+j)`. The boundary is tested in integers
//! (`n_b·i − n_a·j ≥ k`, its mirror, or both), which is what R's `q' = (0.5 +
//! ⌊q·mn − 1e-7⌋)/mn` guard emulates in floats. R swaps the sizes for `less`; testing
//! `n_a·j − n_b·i ≥ k` directly is the same thing (and is the PR#18582 fix in R 4.4).
//!
//! Cost: `O(n_a·n_b)` multiply-adds and `O(n_b)` memory, with no overflow anywhere;
//! the boundary is only tested on the antidiagonals that end a tie block, so heavily tied
//! data cost the same as untied data (0.3 M cells, about 1 ms on this machine, for
//! 600 × 500). No banding is possible with ties: a path may cross the band inside a block
//! and come back unobserved.

use crate::error::Result;

use super::Alternative;
use super::statistic::KsStatistic;

/// Exact p-value of the two-sample KS test conditional on the tie pattern of the pooled
/// sample, for the observed statistic of `alternative`. Identical or all-equal samples
/// (D = 0) give 1 at once.
///
/// # Errors
/// As [`ks_2samp`](super::ks_2samp): empty samples or non-finite values.
///
/// # Examples
///
/// The Schröer–Trenkler example, heavily tied (`ks.test(c(1,2,2,3,3), c(1,2,3,3,4,5,6))`).
///
/// ```
/// use losstat::stats::ks::{Alternative, ks_p_ties};
/// # fn main() -> losstat::Result<()> {
/// let (x, y) = ([1.0, 2.0, 2.0, 3.0, 3.0], [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0]);
/// // R psmirnov(z = c(x, y), sizes = c(5, 7), q = 3/7, lower.tail = FALSE) = 8/33, and
/// // 47/264 with alternative = "greater" (stats_reference.md §4.3 and §2.5).
/// let two_sided = ks_p_ties(&x, &y, Alternative::TwoSided)?;
/// assert!((two_sided - 8.0 / 33.0).abs() <= 1e-12 * (8.0 / 33.0));
/// let greater = ks_p_ties(&x, &y, Alternative::Greater)?;
/// assert!((greater - 47.0 / 264.0).abs() <= 1e-12 * (47.0 / 264.0));
/// # Ok(()) }
/// ```
pub fn ks_p_ties(a: &[f64], b: &[f64], alternative: Alternative) -> Result<f64> {
    let stat = KsStatistic::compute(a, b)?;
    Ok(p_ties_for_statistic(&stat, alternative))
}

/// [`ks_p_ties`] for an already computed statistic.
pub(crate) fn p_ties_for_statistic(stat: &KsStatistic, alternative: Alternative) -> f64 {
    let threshold = match alternative {
        Alternative::Greater => stat.d_plus.units,
        Alternative::Less => stat.d_minus.units,
        Alternative::TwoSided => stat.d_plus.units.max(stat.d_minus.units),
    };
    let pattern = TiePattern::from_block_ends(stat.n_a + stat.n_b, &stat.block_ends);
    upper_tail(stat.n_a, stat.n_b, &pattern, threshold, alternative)
}

/// Which pooled positions `0..=N` end a tie block (position k = k values consumed).
#[derive(Debug, Clone)]
pub(crate) struct TiePattern {
    ends: Vec<bool>,
}

impl TiePattern {
    /// From the ascending list of block-end positions (the last being `total`).
    pub(crate) fn from_block_ends(total: usize, block_ends: &[usize]) -> Self {
        let mut ends = vec![false; total + 1];
        for &k in block_ends {
            if let Some(slot) = ends.get_mut(k) {
                *slot = true;
            }
        }
        Self { ends }
    }

    /// From pooled values in any order (R's `z` argument of `psmirnov`).
    #[cfg(test)]
    pub(crate) fn from_values(values: &[f64]) -> Self {
        let sorted = super::statistic::sorted(values);
        let total = sorted.len();
        let mut ends = vec![false; total + 1];
        for k in 1..=total {
            ends[k] = k == total || sorted[k - 1] != sorted[k];
        }
        Self { ends }
    }

    /// No ties: every position ends a block.
    #[cfg(test)]
    pub(crate) fn untied(total: usize) -> Self {
        let mut ends = vec![true; total + 1];
        ends[0] = false;
        Self { ends }
    }

    fn is_end(&self, k: usize) -> bool {
        self.ends.get(k).copied().unwrap_or(false)
    }
}

/// `P(D ≥ threshold/(n_a·n_b))` given the tie pattern, for sizes `n_a` (steps in i) and
/// `n_b` (steps in j). `threshold = 0` gives 1. A pattern of the wrong length is read as
/// "no block end" beyond its end.
///
/// Only cells on a block-end antidiagonal can absorb, and there is one such cell per
/// block end in each column, so each column is a run of plain mixing steps
/// `u[j] ← w_i·u[j] + w_j·u[j−1]` (weights from a table of `1/(i+j)`, no division or
/// branch per cell) broken only at those few candidate cells.
pub(crate) fn upper_tail(
    n_a: usize,
    n_b: usize,
    pattern: &TiePattern,
    threshold: u64,
    alternative: Alternative,
) -> f64 {
    if threshold == 0 {
        return 1.0;
    }
    let Ok(k) = i64::try_from(threshold) else {
        return 0.0;
    };
    let boundary = BoundaryTest {
        step_i: n_b as i64,
        step_j: n_a as i64,
        k,
        alternative,
    };
    let ends: Vec<usize> = (1..=n_a + n_b).filter(|&pos| pattern.is_end(pos)).collect();
    let inverse: Vec<f64> = (0..=n_a + n_b)
        .map(|t| if t == 0 { 0.0 } else { 1.0 / t as f64 })
        .collect();
    let mut u = vec![0.0f64; n_b + 1];
    for j in 1..=n_b {
        u[j] = if pattern.is_end(j) && boundary.hits(0, j) {
            1.0
        } else {
            u[j - 1]
        };
    }
    let mut first_end = 0usize;
    for i in 1..=n_a {
        if pattern.is_end(i) && boundary.hits(i, 0) {
            u[0] = 1.0;
        }
        // Block ends k with 1 ≤ k − i ≤ n_b, i.e. candidate cells (i, k − i).
        while first_end < ends.len() && ends[first_end] <= i {
            first_end += 1;
        }
        let mut j = 1;
        for &end in ends[first_end..].iter().take_while(|&&end| end <= i + n_b) {
            let candidate = end - i;
            mix_run(&mut u, i, j, candidate, &inverse);
            if boundary.hits(i, candidate) {
                u[candidate] = 1.0;
            } else {
                mix_run(&mut u, i, candidate, candidate + 1, &inverse);
            }
            j = candidate + 1;
        }
        mix_run(&mut u, i, j, n_b + 1, &inverse);
    }
    u[n_b].clamp(0.0, 1.0)
}

/// Plain mixing steps `u[j] = (i·u[j] + j·u[j−1])/(i+j)` for `j` in `from..to` (column i),
/// carrying `u[j−1]` in a register (the loop is latency-bound on that dependency).
fn mix_run(u: &mut [f64], i: usize, from: usize, to: usize, inverse: &[f64]) {
    if from >= to {
        return;
    }
    let fi = i as f64;
    let mut below = u[from - 1];
    let cells = u[from..to].iter_mut().zip(&inverse[i + from..i + to]);
    for (j, (cell, &inv)) in (from..).zip(cells) {
        below = fi * inv * *cell + j as f64 * inv * below;
        *cell = below;
    }
}

/// The integer boundary test at lattice point (i, j).
#[derive(Debug, Clone, Copy)]
struct BoundaryTest {
    step_i: i64,
    step_j: i64,
    k: i64,
    alternative: Alternative,
}

impl BoundaryTest {
    fn hits(&self, i: usize, j: usize) -> bool {
        let diff = self.step_i * i as i64 - self.step_j * j as i64;
        match self.alternative {
            Alternative::Greater => diff >= self.k,
            Alternative::Less => -diff >= self.k,
            Alternative::TwoSided => diff.abs() >= self.k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_abs(actual: f64, expected: f64, atol: f64, what: &str) {
        assert!(
            (actual - expected).abs() <= atol,
            "{what}: got {actual:e}, expected {expected:e}"
        );
    }

    fn assert_rel(actual: f64, expected: f64, rtol: f64, what: &str) {
        let err = ((actual - expected) / expected).abs();
        assert!(
            err <= rtol,
            "{what}: got {actual:e}, expected {expected:e}, rel err {err:e}"
        );
    }

    fn from_counts(counts: [usize; 5]) -> Vec<f64> {
        (1..=5)
            .zip(counts)
            .flat_map(|(s, c)| std::iter::repeat_n(f64::from(s), c))
            .collect()
    }

    fn repeated(pairs: &[(f64, usize)]) -> Vec<f64> {
        pairs
            .iter()
            .flat_map(|&(v, c)| std::iter::repeat_n(v, c))
            .collect()
    }

    const ST_Z: [f64; 12] = [1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0];

    #[test]
    fn r_psmirnov_suite() {
        // psmirnov(q=1/6, sizes=c(3,4), z=1:7, lower.tail=FALSE, alternative="greater") = 0.8
        // (q·m·n = 2 units).
        let untied = TiePattern::untied(7);
        assert_rel(
            upper_tail(3, 4, &untied, 2, Alternative::Greater),
            0.8,
            1e-14,
            "q=1/6",
        );
        // psmirnov(q=1/2, sizes=c(4,3), z=1:7, ..., "greater") = 0.3428571 = 12/35.
        assert_rel(
            upper_tail(4, 3, &untied, 6, Alternative::Greater),
            12.0 / 35.0,
            1e-14,
            "q=1/2",
        );
        // psmirnov(z=c(1,2,2,3,3,1,2,3,3,4,5,6), sizes=c(5,7), q=3/7, lower.tail=FALSE)
        // = 8/33 (two-sided); alternative="greater" 47/264; greater lower tail 0.8219697.
        let st = TiePattern::from_values(&ST_Z);
        assert_rel(
            upper_tail(5, 7, &st, 15, Alternative::TwoSided),
            8.0 / 33.0,
            1e-14,
            "ST two",
        );
        let greater = upper_tail(5, 7, &st, 15, Alternative::Greater);
        assert_rel(greater, 47.0 / 264.0, 1e-14, "ST greater");
        assert_abs(1.0 - greater, 0.821_969_7, 5e-8, "ST greater lower tail");
    }

    #[test]
    fn r_ks_test_examples() {
        // stats-Ex: ks.test(c(1,2,2,3,3), c(1,2,3,3,4,5,6)): "Exact", D = 0.42857, p = 8/33.
        let x = [1.0, 2.0, 2.0, 3.0, 3.0];
        let y = [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0];
        let p = ks_p_ties(&x, &y, Alternative::TwoSided).expect("valid");
        assert_rel(p, 8.0 / 33.0, 1e-14, "ST ks.test");
        // PR#18582: ks.test(x, y, "less")$p == ks.test(y, x, "greater")$p = 1/99.
        let x = [4.7, 5.5, 6.7, 7.1];
        let y = [2.3, 3.4, 4.0, 4.3, 4.3, 4.3, 4.5, 5.0];
        let less = ks_p_ties(&x, &y, Alternative::Less).expect("valid");
        let greater = ks_p_ties(&y, &x, Alternative::Greater).expect("valid");
        assert_rel(less, 1.0 / 99.0, 1e-14, "PR#18582 less");
        assert_rel(greater, 1.0 / 99.0, 1e-14, "PR#18582 greater");
        // R 4.2.2: ks.test(c(1.01,2.01), c(1,2,3,4))$p = 0.93333333333333335 (= 14/15).
        let p = ks_p_ties(&[1.01, 2.01], &[1.0, 2.0, 3.0, 4.0], Alternative::TwoSided);
        assert_rel(p.expect("valid"), 14.0 / 15.0, 1e-15, "R 2 vs 4");
    }

    #[test]
    fn identity_with_untied_code() {
        // R psmirnov.R identity checks: the ties code with z = 1:N equals the no-ties code,
        // here the SciPy-style exact recursion, for (10,20) over many q, (7,5) q=3/7, (3,4) q=1/2.
        for units in 1..=200u64 {
            let pattern = TiePattern::untied(30);
            let ties = upper_tail(10, 20, &pattern, units, Alternative::TwoSided);
            // Only lattice values h·g are attainable; exact_p floors units/g like q' does.
            let g = 10;
            let rounded = units.div_ceil(g) * g;
            let exact = super::super::exact::exact_p(10, 20, rounded, Alternative::TwoSided);
            let exact = exact.expect("exact");
            assert!(
                (ties - exact).abs() <= 1e-14 * exact.max(1e-300) + 1e-300,
                "units {units}"
            );
        }
        let p = upper_tail(7, 5, &TiePattern::untied(12), 15, Alternative::TwoSided);
        let e = super::super::exact::exact_p(7, 5, 15, Alternative::TwoSided).expect("exact");
        assert_rel(p, e, 1e-14, "(7,5) q=3/7");
        let p = upper_tail(3, 4, &TiePattern::untied(7), 6, Alternative::TwoSided);
        let e = super::super::exact::exact_p(3, 4, 6, Alternative::TwoSided).expect("exact");
        assert_rel(p, e, 1e-14, "(3,4) q=1/2");
    }

    #[test]
    fn section_2_5_tied_examples() {
        // stats_reference.md §2.5, column "R ≥4.4 exact (ties)" (re-implementation, 12
        // decimals printed → absolute tolerance 6e-13).
        let a1 = from_counts([2, 5, 8, 4, 1]);
        let a2 = from_counts([1, 2, 6, 8, 3]);
        let b1 = from_counts([3, 6, 9, 7, 5]);
        let b2 = from_counts([8, 9, 5, 2, 1]);
        let x2233 = repeated(&[(2.0, 3), (3.0, 4), (5.0, 5), (6.0, 4)]);
        let x3344: Vec<f64> = x2233.iter().map(|v| v + 1.0).collect();
        let x2356 = repeated(&[(2.0, 3), (3.0, 4), (5.0, 10), (6.0, 4)]);
        let x3467 = repeated(&[(3.0, 10), (4.0, 2), (6.0, 10), (7.0, 4)]);
        let st_x = &ST_Z[..5];
        let st_y = &ST_Z[5..];
        let cases: [(&[f64], &[f64], Alternative, f64); 10] = [
            (st_x, st_y, Alternative::TwoSided, 0.242_424_242_424),
            (st_x, st_y, Alternative::Greater, 0.178_030_303_030),
            (&a1, &a2, Alternative::TwoSided, 0.152_631_007_949),
            (&a1, &a2, Alternative::Greater, 0.076_336_378_058),
            (&b1, &b2, Alternative::TwoSided, 0.009_021_876_153),
            (&b1, &b2, Alternative::Less, 0.005_502_944_362),
            (&x2233, &x3344, Alternative::TwoSided, 0.198_209_883_374),
            (&x2356, &x3467, Alternative::TwoSided, 0.035_217_727_117),
            (&x2356, &x3467, Alternative::Greater, 0.023_493_029_706),
            (&x2356, &x3467, Alternative::Less, 0.381_407_540_842),
        ];
        for (i, (x, y, alt, expected)) in cases.into_iter().enumerate() {
            let p = ks_p_ties(x, y, alt).expect("valid");
            assert_abs(p, expected, 6e-13, &format!("§2.5 case {i} {alt:?}"));
        }
    }

    #[test]
    fn zero_statistic_is_one() {
        let x = [1.0, 2.0, 2.0];
        assert_eq!(
            ks_p_ties(&x, &x, Alternative::TwoSided).expect("valid"),
            1.0
        );
        assert_eq!(
            ks_p_ties(&[3.0; 4], &[3.0; 9], Alternative::Less).expect("valid"),
            1.0
        );
    }
}
