//! SciPy-compatible p-value of the two-sample KS test: method choice, exact lattice
//! probabilities without ties, and the fall-back to the asymptotic formulas (stage 4, part
//! of [`super`]; private).
//!
//! Input: the integer statistic ([`KsStatistic`], [`KsExtreme`]), the alternative and the
//! requested [`KsMethod`]. Output: [`ScipyPValue`], the p-value and the method used.
//!
//! Method (SciPy 1.17 `ks_2samp` / `_attempt_exact_2kssamp`). With `g = gcd(n_a, n_b)`,
//! `L = n_a·n_b/g` and `h = D·L` (an integer: the statistic's lattice numerator divided
//! by g), every ordering of the pooled sample is a monotone lattice path from (0,0) to
//! (m,n) with `m ≥ n`; at (i,j) the ECDF difference is `(i·n/g − j·m/g)/L`.
//! * two-sided, `m = n`: the reflection series `2Σ(−1)^{k+1}C(2n, n−kh)/C(2n, n)` in
//!   nested Horner form (Hodges 1958);
//! * two-sided, `m ≠ n`: Viehmann's (2021) recursion for the probability of having
//!   already *left* the band `|i·n/g − j·m/g| < h`,
//!   `Q(i,j) = (i·Q(i−1,j) + j·Q(i,j−1))/(i+j)`, `Q = 1` outside, one banded column at a
//!   time in SciPy's operation order;
//! * one-sided, `m = n`: `C(2n, n−h)/C(2n, n)` as a product;
//! * one-sided, `m ≠ n`: the same recursion with the one-sided boundary
//!   `i·n/g − j·m/g ≥ h` (R's upper-tail recursion). SciPy counts first-passage paths
//!   with float binomials instead (accurate to ~1e-11 relative); this is exact to ~1e-15.
//!
//! Fall-backs mirrored from SciPy: `Exact` with `n_a/g ≥ (2³¹−1)/(n_b/g)` goes straight to
//! the asymptotic p; a one-sided exact attempt with `m ≠ n` fails, and SciPy then uses the
//! asymptotic p, when `C(m+n, n)` overflows a double (about `m + n > 1030` for balanced
//! sizes, e.g. 575 vs 473). Not mirrored: SciPy's path count can, in rare cases, also
//! fail through cancellation (count > `C(m+n,n)`); we return the exact value there.

use crate::error::Result;

use super::asymptotic::scipy_asymptotic_p;
use super::statistic::{KsExtreme, KsStatistic};
use super::{Alternative, KsMethod, MAX_AUTO_N};

/// SciPy's p-value and the method that produced it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScipyPValue {
    /// The p-value `scipy.stats.ks_2samp` reports.
    pub(crate) p_value: f64,
    /// The method SciPy actually used (after any fallback).
    pub(crate) method: KsMethod,
}

/// Which side(s) of the diagonal band end a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// `|i·ng − j·mg| ≥ h`.
    TwoSided,
    /// `i·ng − j·mg ≥ h`.
    OneSided,
}

/// The lattice of the larger sample (`m` steps in i) against the smaller (`n` in j).
#[derive(Debug, Clone, Copy)]
struct Lattice {
    m: i64,
    n: i64,
    mg: i64,
    ng: i64,
}

impl Lattice {
    fn new(n_a: usize, n_b: usize) -> Self {
        let (m, n) = (n_a.max(n_b) as i64, n_a.min(n_b) as i64);
        let g = gcd(m, n);
        Self {
            m,
            n,
            mg: m / g,
            ng: n / g,
        }
    }

    /// Inside cells `j` of column `i`: `[lo, hi]`, possibly empty (`lo > hi`).
    fn band(&self, i: i64, h: i64, boundary: Boundary) -> (i64, i64) {
        let lo = ((i * self.ng - h).div_euclid(self.mg) + 1).max(0);
        let hi = match boundary {
            Boundary::TwoSided => ceil_div(i * self.ng + h, self.mg) - 1,
            Boundary::OneSided => self.n,
        };
        (lo, hi.min(self.n))
    }
}

/// SciPy's `ks_2samp` p-value for the chosen statistic.
///
/// # Errors
/// Propagates [`scipy_asymptotic_p`]'s error for `n_a = n_b = 1` with the asymptotic method.
pub(crate) fn scipy_p_value(
    stat: &KsStatistic,
    chosen: &KsExtreme,
    alternative: Alternative,
    method: KsMethod,
) -> Result<ScipyPValue> {
    let (n_a, n_b) = (stat.n_a, stat.n_b);
    let attempt_exact = match method {
        KsMethod::Auto => n_a.max(n_b) <= MAX_AUTO_N,
        KsMethod::Exact => !lcm_exceeds_int32(n_a, n_b),
        KsMethod::Asymptotic => false,
    };
    if attempt_exact && let Some(p) = exact_p(n_a, n_b, chosen.units, alternative) {
        return Ok(ScipyPValue {
            p_value: clip(p),
            method: KsMethod::Exact,
        });
    }
    let d = stat.to_fraction(chosen.units);
    let p = scipy_asymptotic_p(d, n_a, n_b, alternative)?;
    Ok(ScipyPValue {
        p_value: clip(p),
        method: KsMethod::Asymptotic,
    })
}

/// SciPy's guard `n_a/g >= INT32_MAX / (n_b/g)` (float division), for explicit `Exact`.
fn lcm_exceeds_int32(n_a: usize, n_b: usize) -> bool {
    let g = gcd(n_a as i64, n_b as i64);
    let (ag, bg) = ((n_a as i64 / g) as f64, (n_b as i64 / g) as f64);
    ag >= f64::from(i32::MAX) / bg
}

/// The exact p-value without ties for a statistic of `units/(n_a·n_b)`, or `None` where
/// SciPy's exact attempt fails (it then falls back to the asymptotic p).
pub(crate) fn exact_p(n_a: usize, n_b: usize, units: u64, alternative: Alternative) -> Option<f64> {
    let lattice = Lattice::new(n_a, n_b);
    let g = gcd(n_a as i64, n_b as i64);
    let h = i64::try_from(units).ok()? / g;
    if h == 0 {
        return Some(1.0);
    }
    let equal = lattice.m == lattice.n;
    let p = match alternative {
        Alternative::TwoSided if equal => two_sided_square(lattice.n, h),
        Alternative::TwoSided => outside_probability(&lattice, h, Boundary::TwoSided),
        Alternative::Less | Alternative::Greater if equal => one_sided_square(lattice.n, h),
        Alternative::Less | Alternative::Greater => {
            if binomial_overflows(lattice.m, lattice.n) {
                return None;
            }
            outside_probability(&lattice, h, Boundary::OneSided)
        }
    };
    (0.0..=1.0).contains(&p).then_some(p)
}

/// `P(D ≥ h/n)` for two samples of size n: `2·Σ_{k≥1}(−1)^{k+1}C(2n, n−kh)/C(2n, n)` as
/// nested products `P ← A_k·(1 − P)`, `A_k = C(2n, n−(k+1)h)/C(2n, n−kh)`, from the
/// smallest term up (no cancellation).
fn two_sided_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    for k in (0..=n / h).rev() {
        let mut ratio = 1.0;
        for j in 0..h {
            ratio = (n - k * h - j) as f64 * ratio / (n + k * h + j + 1) as f64;
        }
        p = ratio * (1.0 - p);
    }
    2.0 * p
}

/// `P(D⁺ ≥ h/n) = C(2n, n−h)/C(2n, n) = Π_{j<h}(n−j)/(n+j+1)`.
fn one_sided_square(n: i64, h: i64) -> f64 {
    (0..h)
        .map(|j| (n - j) as f64 / (n + j + 1) as f64)
        .product()
}

/// Columns walked side by side by [`outside_probability`]: the lanes of its wavefront.
const LANES: usize = 8;

/// Viehmann's recursion: probability that a uniformly random path from (0,0) to (m,n)
/// leaves the band, propagated directly (no `1 − x`), one banded column at a time in
/// SciPy's operation order.
///
/// Each cell divides, and within a column each cell needs the one below, so one column at a
/// time waits on a chain of divisions. [`LANES`] columns are walked together as a skewed
/// wavefront instead: lane k walks column `i0 + LANES − 1 − k` and at step s computes row
/// `s + k`, so all lanes divide by the same `i + j` and read the cell the lane of the
/// column before wrote one step earlier. Every cell is the same expression on the same
/// operands as column by column, so the result is the same to the bit (tested against the
/// column walk below).
fn outside_probability(lattice: &Lattice, h: i64, boundary: Boundary) -> f64 {
    let n = lattice.n;
    let bands: Vec<(i64, i64)> = (0..=lattice.m)
        .map(|i| lattice.band(i, h, boundary))
        .collect();
    // An empty band anywhere: every path leaves it.
    if bands.iter().any(|&(lo, hi)| lo > hi) {
        return 1.0;
    }
    // Column 0 inside the band: Q(0, j) = Q(0, 0) = 0, already zero.
    let mut q = vec![0.0f64; n as usize + 1];
    let mut i = 1;
    while i + LANES as i64 - 1 <= lattice.m {
        band_columns(&mut q, &bands, i);
        i += LANES as i64;
    }
    for i in i..=lattice.m {
        band_column(&mut q, &bands, i);
    }
    q[n as usize]
}

/// One cell of the recursion: `left` is Q(i−1, j), `below` Q(i, j−1).
fn cell(left: f64, below: f64, i: i64, j: i64) -> f64 {
    (left * i as f64 + below * j as f64) / (i + j) as f64
}

/// Column `i` alone (the columns left over after the groups of [`LANES`]).
fn band_column(q: &mut [f64], bands: &[(i64, i64)], i: i64) {
    let (lo, hi) = bands[i as usize];
    let previous = bands[i as usize - 1];
    for j in lo..=hi {
        let ju = j as usize;
        let left = if (previous.0..=previous.1).contains(&j) {
            q[ju]
        } else {
            1.0
        };
        let below = if j > lo { q[ju - 1] } else { 1.0 };
        q[ju] = cell(left, below, i, j);
    }
}

/// Columns `i0..i0 + LANES` as a skewed wavefront (see [`outside_probability`]). A step
/// where every lane's row lies strictly above its column's lower end and within the band
/// of the column before is a fast step: the lanes read a window of `q` and their own last
/// cell, with no bounds to test.
fn band_columns(q: &mut [f64], bands: &[(i64, i64)], i0: i64) {
    let lanes = LANES as i64;
    let column_of = |k: usize| i0 + lanes - 1 - k as i64;
    let band = |k: usize| bands[column_of(k) as usize];
    let before = |k: usize| bands[column_of(k) as usize - 1];
    let first = (0..LANES).map(|k| band(k).0 - k as i64).min().unwrap_or(0);
    let last = (0..LANES).map(|k| band(k).1 - k as i64).max().unwrap_or(-1);
    let fast_from = (0..LANES)
        .map(|k| (band(k).0 + 1).max(before(k).0) - k as i64)
        .max()
        .unwrap_or(i64::MAX);
    let fast_to = (0..LANES)
        .map(|k| band(k).1.min(before(k).1) - k as i64)
        .min()
        .unwrap_or(i64::MIN);
    let fi: [f64; LANES] = std::array::from_fn(|k| column_of(k) as f64);
    let mut jf = [0.0f64; LANES];
    let mut below = [1.0f64; LANES];
    for s in first..=last {
        let window = if s >= fast_from && s <= fast_to {
            q[s as usize..].split_first_chunk_mut::<LANES>()
        } else {
            None
        };
        let Some((window, _)) = window else {
            for (k, lane) in below.iter_mut().enumerate() {
                let (j, (lo, hi), (plo, phi)) = (s + k as i64, band(k), before(k));
                if j < lo || j > hi {
                    continue;
                }
                let left = if (plo..=phi).contains(&j) {
                    q[j as usize]
                } else {
                    1.0
                };
                let down = if j > lo { *lane } else { 1.0 };
                *lane = cell(left, down, column_of(k), j);
                q[j as usize] = *lane;
            }
            continue;
        };
        if s == fast_from {
            jf = std::array::from_fn(|k| (s + k as i64) as f64);
        }
        let divisor = (i0 + lanes - 1 + s) as f64;
        for k in 0..LANES {
            below[k] = (window[k] * fi[k] + below[k] * jf[k]) / divisor;
            window[k] = below[k];
            jf[k] += 1.0;
        }
    }
}

/// Whether `C(m+n, n)` exceeds the largest double (SciPy's `special.binom` → inf).
fn binomial_overflows(m: i64, n: i64) -> bool {
    let small = m.min(n);
    let large = m.max(n);
    let mut c = 1.0f64;
    for i in 1..=small {
        c *= (large + i) as f64 / i as f64;
        if !c.is_finite() {
            return true;
        }
    }
    false
}

fn clip(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

pub(crate) fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_rel(actual: f64, expected: f64, rtol: f64, what: &str) {
        let err = if expected == 0.0 {
            actual.abs()
        } else {
            ((actual - expected) / expected).abs()
        };
        assert!(
            err <= rtol,
            "{what}: got {actual:e}, expected {expected:e}, rel err {err:e}"
        );
    }

    /// Units of `1/(n_a·n_b)` for a statistic given as `h/L`.
    fn units(n_a: usize, n_b: usize, h_over_l: (u64, u64)) -> u64 {
        let product = (n_a * n_b) as u64;
        assert_eq!(product % h_over_l.1, 0);
        h_over_l.0 * (product / h_over_l.1)
    }

    /// (m, n, h/L as (h, L), alternative, exact p).
    type ExactCase = (usize, usize, (u64, u64), Alternative, f64);

    /// The column walk as it was before the wavefront (commit e2840d9), kept to check that
    /// the wavefront gives the same bits.
    fn outside_probability_columnwise(lattice: &Lattice, h: i64, boundary: Boundary) -> f64 {
        let n = lattice.n;
        let mut q = vec![0.0f64; n as usize + 1];
        let (lo0, hi0) = lattice.band(0, h, boundary);
        if lo0 > hi0 {
            return 1.0;
        }
        let mut previous = (lo0, hi0);
        for i in 1..=lattice.m {
            let (lo, hi) = lattice.band(i, h, boundary);
            if lo > hi {
                return 1.0;
            }
            let fi = i as f64;
            for j in lo..=hi {
                let ju = j as usize;
                let left = if (previous.0..=previous.1).contains(&j) {
                    q[ju]
                } else {
                    1.0
                };
                let below = if j > lo { q[ju - 1] } else { 1.0 };
                q[ju] = (left * fi + below * j as f64) / (i + j) as f64;
            }
            previous = (lo, hi);
        }
        q[n as usize]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(600))]
        #[test]
        fn wavefront_equals_column_walk_to_the_bit(
            n_a in 1usize..120,
            n_b in 1usize..120,
            fraction in 0.0f64..1.0,
            two_sided in proptest::bool::ANY,
        ) {
            let lattice = Lattice::new(n_a, n_b);
            let boundary = if two_sided { Boundary::TwoSided } else { Boundary::OneSided };
            let g = gcd(n_a as i64, n_b as i64);
            let h = ((fraction * (n_a * n_b) as f64) as i64 / g).max(1);
            let new = outside_probability(&lattice, h, boundary);
            let old = outside_probability_columnwise(&lattice, h, boundary);
            proptest::prop_assert_eq!(new.to_bits(), old.to_bits());
        }
    }

    #[test]
    fn wavefront_equals_column_walk_at_10x_sizes() {
        // The 10x simulation's pairs: a few thousand per sample, D from 0.01 to 0.3.
        for (m, n) in [(5750, 4730), (3440, 2540), (3350, 3349), (4000, 17)] {
            let lattice = Lattice::new(m, n);
            let g = gcd(m as i64, n as i64);
            for d in [0.004, 0.03, 0.1, 0.3] {
                let h = ((d * (m * n) as f64) as i64 / g).max(1);
                for boundary in [Boundary::TwoSided, Boundary::OneSided] {
                    let new = outside_probability(&lattice, h, boundary);
                    let old = outside_probability_columnwise(&lattice, h, boundary);
                    assert_eq!(new.to_bits(), old.to_bits(), "({m},{n}) {d} {boundary:?}");
                }
            }
        }
    }

    #[test]
    fn exact_rationals_from_section_4_2() {
        use Alternative::{Greater, TwoSided};
        // (m, n, h/L, alternative, exact rational p) — stats_reference.md §4.2
        // ("computed here, big-integer path counting").
        let cases: [ExactCase; 14] = [
            (100, 100, (3, 100), TwoSided, 0.999_999_999_996_205_5),
            (100, 100, (3, 100), Greater, 0.914_329_011_427_699_1),
            (100, 100, (2, 100), Greater, 0.960_978_450_786_255_1),
            (100, 110, (232, 1100), TwoSided, 0.015_739_183_865_606_157),
            (100, 110, (232, 1100), Greater, 0.007_869_594_319_054_428),
            (100, 110, (229, 1100), TwoSided, 0.017_803_803_861_025_605),
            (100, 110, (229, 1100), Greater, 0.008_901_905_958_246_44),
            (16, 16, (5, 16), TwoSided, 0.426_293_461_345_494_9),
            (16, 16, (5, 16), Greater, 0.214_654_282_765_737_86),
            (21, 26, (190, 546), TwoSided, 0.091_924_579_016_811_9),
            (21, 26, (190, 546), Greater, 0.045_963_380_685_854_385),
            (21, 26, (70, 546), Greater, 0.612_159_313_002_277_3),
            (10000, 110, (561, 110_000), Greater, 0.991_154_545_828_057_2),
            (
                10000,
                110,
                (55275, 110_000),
                Greater,
                3.131_732_831_130_426e-26,
            ),
        ];
        for (m, n, hl, alt, expected) in cases {
            let p = exact_p(m, n, units(m, n, hl), alt).expect("exact succeeds");
            assert_rel(p, expected, 1e-12, &format!("({m},{n}) {hl:?} {alt:?}"));
        }
    }

    #[test]
    fn small_exact_fractions() {
        use Alternative::{Greater, TwoSided};
        // §4.2 "Small cases are exact fractions": (2,3): 1, 0.7, 0.6, 0.3;
        // (2,4): 14/15, 8/15, 4/5, 2/5, 1/5; (3,3) one-sided h=1: 3/4.
        let cases = [
            (2, 3, 2, TwoSided, 1.0),         // D = 1/3
            (2, 3, 2, Greater, 0.7),          // D = 1/3
            (2, 3, 4, TwoSided, 0.6),         // D = 2/3
            (2, 3, 4, Greater, 0.3),          // D = 2/3
            (2, 4, 4, TwoSided, 14.0 / 15.0), // D = 1/2
            (2, 4, 4, Greater, 8.0 / 15.0),
            (2, 4, 2, Greater, 12.0 / 15.0), // D = 1/4
            (2, 4, 6, TwoSided, 6.0 / 15.0), // D = 3/4
            (2, 4, 6, Greater, 3.0 / 15.0),
            (3, 3, 3, Greater, 0.75), // D = 1/3, h = 1
        ];
        for (m, n, u, alt, expected) in cases {
            let p = exact_p(m, n, u, alt).expect("exact succeeds");
            assert_rel(p, expected, 1e-15, &format!("({m},{n}) units {u} {alt:?}"));
        }
    }

    #[test]
    fn large_two_sided_matches_current_scipy() {
        // §4.1 testLarge: two-sided D = 55275/110000 for (10000, 110); current SciPy and the
        // exact recursion give 6.263465662260858e-26 (the stored 4.2e-15 is stale).
        let p = exact_p(
            10000,
            110,
            units(10000, 110, (55275, 110_000)),
            Alternative::TwoSided,
        );
        assert_rel(
            p.expect("exact"),
            6.263_465_662_260_858e-26,
            1e-12,
            "testLarge two-sided",
        );
    }

    #[test]
    fn one_sided_overflow_falls_back() {
        // §1.3(d): (500, 600) one-sided exact fails in SciPy (C(1100, 500) = inf).
        assert!(binomial_overflows(600, 500));
        assert!(binomial_overflows(575, 473));
        assert!(!binomial_overflows(110, 100));
        assert_eq!(exact_p(500, 600, 2100, Alternative::Greater), None);
        // Two-sided never overflows.
        assert!(exact_p(500, 600, 2100, Alternative::TwoSided).is_some());
    }

    #[test]
    fn lcm_guard() {
        assert!(lcm_exceeds_int32(100_003, 100_019));
        assert!(!lcm_exceeds_int32(10_000, 11_000));
    }
}
