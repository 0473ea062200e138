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
//! data cost the same as untied data (0.3 M cells, about 0.3 ms on this machine, for
//! 600 × 500, eight columns at a time). No banding is possible with ties: a path may cross the band inside a block
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

/// Columns walked side by side by [`upper_tail`]: the lanes of its skewed wavefront.
const LANES: usize = 8;

/// `P(D ≥ threshold/(n_a·n_b))` given the tie pattern, for sizes `n_a` (steps in i) and
/// `n_b` (steps in j). `threshold = 0` gives 1. A pattern of the wrong length is read as
/// "no block end" beyond its end.
///
/// Each cell is `u[j] ← w_i·u[j] + w_j·u[j−1]` (weights from a table of `1/(i+j)`, no
/// division per cell), or 1 on a block-end antidiagonal beyond the boundary. Within one
/// column the cells form a chain (each needs the one below), so one column at a time is
/// bound by the latency of that chain. [`LANES`] columns are therefore walked together as a
/// skewed wavefront: at step t, column `i₀ + c` computes row `t − c`, every lane's cell lies
/// on the antidiagonal `i₀ + t` (one weight and one block-end test for all lanes), and the
/// lanes are independent chains the compiler keeps in vector registers. Every cell is the
/// same expression on the same operands as one column at a time, so the result is the
/// same to the bit (tested against the column walk below).
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
    let walk = Walk {
        n_b,
        pattern,
        boundary: BoundaryTest {
            step_i: n_b as i64,
            step_j: n_a as i64,
            k,
            alternative,
        },
        inverse: (0..=n_a + n_b)
            .map(|t| if t == 0 { 0.0 } else { 1.0 / t as f64 })
            .collect(),
    };
    let mut u = vec![0.0f64; n_b + 1];
    for j in 1..=n_b {
        u[j] = if walk.absorbs(0, j) { 1.0 } else { u[j - 1] };
    }
    let mut i = 1;
    while i + LANES - 1 <= n_a {
        walk.columns(&mut u, i);
        i += LANES;
    }
    for i in i..=n_a {
        walk.column(&mut u, i);
    }
    u[n_b].clamp(0.0, 1.0)
}

/// The fixed parts of one walk of [`upper_tail`].
struct Walk<'p> {
    n_b: usize,
    pattern: &'p TiePattern,
    boundary: BoundaryTest,
    /// `1/t` for `t = 0..=n_a+n_b` (0 for t = 0).
    inverse: Vec<f64>,
}

impl Walk<'_> {
    /// Whether `(i, j)` ends a tie block beyond the boundary (the walk stops there).
    fn absorbs(&self, i: usize, j: usize) -> bool {
        self.pattern.is_end(i + j) && self.boundary.hits(i, j)
    }

    /// Column `i` alone (the columns left over after the groups of [`LANES`]).
    fn column(&self, u: &mut [f64], i: usize) {
        if self.absorbs(i, 0) {
            u[0] = 1.0;
        }
        let fi = i as f64;
        for j in 1..=self.n_b {
            let inv = self.inverse[i + j];
            let mixed = fi * inv * u[j] + j as f64 * inv * u[j - 1];
            u[j] = if self.absorbs(i, j) { 1.0 } else { mixed };
        }
    }

    /// Columns `i0..i0 + LANES` as a skewed wavefront. Lane `k` walks column
    /// `i0 + LANES − 1 − k`; at step t it computes row `t + 1 − LANES + k`, so the lanes'
    /// cells are the window `u[t + 1 − LANES ..= t]` and share the antidiagonal `i0 + t`.
    /// Lane k reads the cell lane `k + 1` (the column before) wrote one step earlier.
    fn columns(&self, u: &mut [f64], i0: usize) {
        let n_b = self.n_b;
        let column_of = |k: usize| i0 + LANES - 1 - k;
        // Row 0 of each column: 1 from the first absorbing cell on, as in `column`.
        let mut below = [0.0f64; LANES];
        for k in (0..LANES).rev() {
            if self.absorbs(column_of(k), 0) {
                u[0] = 1.0;
            }
            below[k] = u[0];
        }
        let fi: [f64; LANES] = std::array::from_fn(|k| column_of(k) as f64);
        let mut jf: [f64; LANES] = std::array::from_fn(|k| (1 + k) as f64);
        for t in 1..n_b + LANES {
            let diagonal = i0 + t;
            let inv = self.inverse[diagonal];
            let fast = (LANES..=n_b).contains(&t);
            let window = if fast {
                u[t + 1 - LANES..].split_first_chunk_mut::<LANES>()
            } else {
                None
            };
            let Some((window, _)) = window else {
                // The first and last LANES − 1 steps: some lanes are off their column.
                for (k, lane) in below.iter_mut().enumerate() {
                    let Some(j) = (t + 1 + k)
                        .checked_sub(LANES)
                        .filter(|j| (1..=n_b).contains(j))
                    else {
                        continue;
                    };
                    let mixed = fi[k] * inv * u[j] + j as f64 * inv * *lane;
                    u[j] = if self.absorbs(column_of(k), j) {
                        1.0
                    } else {
                        mixed
                    };
                    *lane = u[j];
                }
                continue;
            };
            for k in 0..LANES {
                below[k] = fi[k] * inv * window[k] + jf[k] * inv * below[k];
                window[k] = below[k];
                jf[k] += 1.0;
            }
            if self.pattern.is_end(diagonal) {
                let b = t + 1 - LANES;
                for k in 0..LANES {
                    if self.boundary.hits(column_of(k), b + k) {
                        window[k] = 1.0;
                        below[k] = 1.0;
                    }
                }
            }
        }
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

    /// The walk one column at a time as it was before the wavefront (commit e2840d9), kept
    /// to check that the wavefront gives the same bits.
    fn upper_tail_columnwise(
        n_a: usize,
        n_b: usize,
        pattern: &TiePattern,
        threshold: u64,
        alternative: Alternative,
    ) -> f64 {
        if threshold == 0 {
            return 1.0;
        }
        let k = i64::try_from(threshold).expect("small");
        let boundary = BoundaryTest {
            step_i: n_b as i64,
            step_j: n_a as i64,
            k,
            alternative,
        };
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
        for i in 1..=n_a {
            if pattern.is_end(i) && boundary.hits(i, 0) {
                u[0] = 1.0;
            }
            let fi = i as f64;
            let mut below = u[0];
            for j in 1..=n_b {
                let inv = inverse[i + j];
                below = if pattern.is_end(i + j) && boundary.hits(i, j) {
                    1.0
                } else {
                    fi * inv * u[j] + j as f64 * inv * below
                };
                u[j] = below;
            }
        }
        u[n_b].clamp(0.0, 1.0)
    }

    /// Samples of scores on a coarse grid (heavily tied), sizes and grid from the seed.
    fn tied_sample(seed: u64, n: usize, grid: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                1.0 + ((state >> 33) % grid) as f64 / grid as f64 * 4.0
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        #[test]
        fn wavefront_equals_column_walk_to_the_bit(
            n_a in 1usize..90,
            n_b in 1usize..90,
            grid in 1u64..60,
            shift in 0u64..4,
            seed in 0u64..1_000_000,
            alt in 0u8..3,
        ) {
            let a = tied_sample(seed, n_a, grid);
            let b: Vec<f64> = tied_sample(seed ^ 0x5555, n_b, grid)
                .iter()
                .map(|v| v + shift as f64 / grid as f64)
                .collect();
            let stat = KsStatistic::compute(&a, &b).expect("valid");
            let alternative = [Alternative::TwoSided, Alternative::Less, Alternative::Greater]
                [usize::from(alt)];
            let pattern = TiePattern::from_block_ends(n_a + n_b, &stat.block_ends);
            // The observed threshold and a few others, down to the smallest.
            for threshold in [1, stat.d_plus.units, stat.d_minus.units, (n_a * n_b / 3) as u64] {
                let new = upper_tail(n_a, n_b, &pattern, threshold, alternative);
                let old = upper_tail_columnwise(n_a, n_b, &pattern, threshold, alternative);
                proptest::prop_assert_eq!(new.to_bits(), old.to_bits(), "threshold {}", threshold);
            }
        }
    }

    #[test]
    fn wavefront_equals_column_walk_on_large_tied_samples() {
        // Sizes of the 10x simulation's authorities (a few thousand visits, a few hundred
        // distinct overall scores), where the fast steps carry almost all cells.
        for (seed, n_a, n_b, grid) in [(1, 2540, 3350, 400), (2, 1003, 997, 37), (3, 777, 64, 900)]
        {
            let a = tied_sample(seed, n_a, grid);
            let b = tied_sample(seed + 10, n_b, grid);
            let stat = KsStatistic::compute(&a, &b).expect("valid");
            let pattern = TiePattern::from_block_ends(n_a + n_b, &stat.block_ends);
            for alternative in [
                Alternative::TwoSided,
                Alternative::Less,
                Alternative::Greater,
            ] {
                let threshold = stat.choose(alternative).units.max(1);
                let new = upper_tail(n_a, n_b, &pattern, threshold, alternative);
                let old = upper_tail_columnwise(n_a, n_b, &pattern, threshold, alternative);
                assert_eq!(new.to_bits(), old.to_bits(), "{seed} {alternative:?}");
            }
        }
    }

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
