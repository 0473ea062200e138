//! The two-sample KS statistic from integer counts at the ends of tie blocks (stage 4,
//! part of [`super`]; the type is re-exported there).
//!
//! Input: two samples (validated here: non-empty, finite).
//! Output: [`KsStatistic`]: `D⁺` and `D⁻` in lattice units of `1/(n_a·n_b)`, where SciPy
//! locates them, and the positions in the sorted pooled sample where tie blocks end.
//!
//! Method: walk both sorted samples together one tie block at a time. After a block
//! with value `t`, `c_a`, `c_b` count the values `≤ t`, and the ECDF difference is
//! `F_a(t) − F_b(t) = (n_b·c_a − n_a·c_b)/(n_a·n_b)`, an exact integer numerator. SciPy
//! and R compute the same quantity in floating point and can be one ulp off (R's `D⁺`
//! can even be −3.5e-17), so the integers are the reference here.
//!
//! Location and sign (SciPy 1.17 `ks_2samp`): SciPy evaluates the float difference
//! `c_a/n_a − c_b/n_b` at every value of `concat(sort(a), sort(b))` and takes numpy's
//! first arg-max/arg-min there. Equal fractions can differ by an ulp in that float form
//! (`8/20 − 5/20 ≠ 5/20 − 2/20`), so the location is chosen on the same float values:
//! the value of a attaining the float extreme first if a has one, else the first such
//! value of b. Two-sided picks `D⁻` only if its float is strictly larger. The float
//! extreme always lies in a block of integer-maximal difference (distinct fractions
//! differ by at least `1/(n_a·n_b)`), so the reported statistic is unaffected.

use crate::error::{Error, Result};

use super::{Alternative, validate_sample};

/// Largest `n_a·n_b` accepted: lattice numerators stay exact in `f64` and `i64`.
const MAX_LATTICE: u64 = 1 << 53;

/// One extreme of the ECDF difference: its size in lattice units, where it is attained
/// and its sign (+1 for `F_a > F_b`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsExtreme {
    /// The extreme ECDF difference times n_a·n_b (an exact integer).
    pub units: u64,
    /// The value at which the extreme is reached.
    pub location: f64,
    /// +1 when F_a − F_b is positive there, −1 otherwise (as SciPy).
    pub sign: i8,
    /// SciPy's float value of this extreme (used only to mirror its two-sided choice).
    pub scipy_float: f64,
}

/// Both one-sided statistics of two samples, with the tie structure of the pooled sample.
///
/// The ECDF difference is evaluated only at the ends of tie blocks of the pooled sample,
/// as the exact integer `n_b·c_a − n_a·c_b` over `n_a·n_b`, so equal fractions are equal
/// (SciPy and R compute it in floats and can be an ulp off). Location and sign follow
/// SciPy 1.17 `ks_2samp`.
///
/// # Examples
///
/// ```
/// use losstat::stats::ks::{Alternative, KsStatistic};
/// # fn main() -> losstat::Result<()> {
/// let s = KsStatistic::compute(&[1.01, 2.01], &[1.0, 2.0, 3.0, 4.0])?;
/// // By hand, in units of 1/(2·4): D⁺ = F_a − F_b = 1 − 2/4 at 2.01 (4 units), and
/// // D⁻ = F_b − F_a = 1/4 − 0 at 1 (2 units); SciPy testTwoVsFour (stats_reference.md
/// // §4.1) has D = 2/4, 2/4, 1/4 for two-sided, greater, less.
/// assert_eq!((s.d_plus.units, s.d_minus.units), (4, 2));
/// assert_eq!(s.choose(Alternative::TwoSided), s.d_plus);
/// assert_eq!((s.to_fraction(s.d_minus.units), s.lattice_size()), (0.25, 8));
/// assert!(!s.has_ties());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct KsStatistic {
    /// Size of the first sample.
    pub n_a: usize,
    /// Size of the second sample.
    pub n_b: usize,
    /// `D⁺ = max(F_a − F_b)`, in units of `1/(n_a·n_b)`.
    pub d_plus: KsExtreme,
    /// `D⁻ = max(F_b − F_a)`, in units of `1/(n_a·n_b)`.
    pub d_minus: KsExtreme,
    /// Numbers of pooled observations consumed at the end of each tie block, ascending;
    /// the last one is `n_a + n_b`.
    pub block_ends: Vec<usize>,
}

/// Running extreme of SciPy's float difference: its value, the integer difference where
/// it was first reached, and the first value of each sample attaining it.
struct Tracker {
    best_float: f64,
    best: i64,
    first_in_a: Option<f64>,
    first_in_b: Option<f64>,
}

impl Tracker {
    fn new() -> Self {
        Self {
            best_float: f64::NEG_INFINITY,
            best: 0,
            first_in_a: None,
            first_in_b: None,
        }
    }

    fn update(&mut self, key: f64, value: i64, at: f64, membership: BlockMembership) {
        if key > self.best_float {
            self.best_float = key;
            self.best = value;
            self.first_in_a = None;
            self.first_in_b = None;
        }
        if key == self.best_float {
            if membership.in_a && self.first_in_a.is_none() {
                self.first_in_a = Some(at);
            }
            if membership.in_b && self.first_in_b.is_none() {
                self.first_in_b = Some(at);
            }
        }
    }

    fn extreme(&self, sign: i8) -> KsExtreme {
        let units = u64::try_from(self.best.max(0)).unwrap_or(0);
        let location = self.first_in_a.or(self.first_in_b).unwrap_or(f64::NAN);
        KsExtreme {
            units,
            location,
            sign,
            scipy_float: self.best_float.clamp(0.0, 1.0),
        }
    }
}

/// Which samples contribute to a tie block.
#[derive(Debug, Clone, Copy)]
struct BlockMembership {
    in_a: bool,
    in_b: bool,
}

impl KsStatistic {
    /// Validate and compute. Errors on empty or non-finite input and on samples too large
    /// for exact lattice arithmetic (`n_a·n_b ≥ 2^53`).
    pub fn compute(a: &[f64], b: &[f64]) -> Result<Self> {
        validate_sample("sample a", a)?;
        validate_sample("sample b", b)?;
        check_lattice_size(a.len(), b.len())?;
        let sorted_a = sorted(a);
        let sorted_b = sorted(b);
        Ok(Self::from_sorted(&sorted_a, &sorted_b))
    }

    fn from_sorted(a: &[f64], b: &[f64]) -> Self {
        let (n_a, n_b) = (a.len(), b.len());
        let (wa, wb) = (n_b as i64, n_a as i64);
        let mut max = Tracker::new();
        let mut min = Tracker::new();
        let mut block_ends = Vec::new();
        let (mut i, mut j) = (0usize, 0usize);
        loop {
            let value = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => x.min(y),
                (Some(&x), None) => x,
                (None, Some(&y)) => y,
                (None, None) => break,
            };
            let start = (i, j);
            while a.get(i).is_some_and(|&x| x == value) {
                i += 1;
            }
            while b.get(j).is_some_and(|&y| y == value) {
                j += 1;
            }
            let membership = BlockMembership {
                in_a: i > start.0,
                in_b: j > start.1,
            };
            let diff = wa * i as i64 - wb * j as i64;
            let float_diff = i as f64 / n_a as f64 - j as f64 / n_b as f64;
            max.update(float_diff, diff, value, membership);
            min.update(-float_diff, -diff, value, membership);
            block_ends.push(i + j);
        }
        Self {
            n_a,
            n_b,
            d_plus: max.extreme(1),
            d_minus: min.extreme(-1),
            block_ends,
        }
    }

    /// The statistic SciPy reports for `alternative` (two-sided: `D⁻` only if strictly
    /// larger than `D⁺`).
    pub fn choose(&self, alternative: Alternative) -> KsExtreme {
        match alternative {
            Alternative::Greater => self.d_plus,
            Alternative::Less => self.d_minus,
            Alternative::TwoSided if self.d_minus.scipy_float > self.d_plus.scipy_float => {
                self.d_minus
            }
            Alternative::TwoSided => self.d_plus,
        }
    }

    /// `units / (n_a·n_b)` as the nearest `f64`.
    pub fn to_fraction(&self, units: u64) -> f64 {
        units as f64 / self.lattice_size() as f64
    }

    /// `n_a·n_b` (checked at construction to be below 2^53).
    pub fn lattice_size(&self) -> u64 {
        self.n_a as u64 * self.n_b as u64
    }

    /// Whether the pooled sample has any tied values.
    pub fn has_ties(&self) -> bool {
        self.block_ends.len() < self.n_a + self.n_b
    }
}

/// Reject sizes whose lattice `n_a·n_b` does not fit exact integer arithmetic.
pub(crate) fn check_lattice_size(n_a: usize, n_b: usize) -> Result<()> {
    let product = (n_a as u128) * (n_b as u128);
    if product >= u128::from(MAX_LATTICE) {
        return Err(Error::InvalidParameter {
            name: "sample sizes",
            value: format!("{n_a} x {n_b}"),
            expected: "n_a * n_b < 2^53",
        });
    }
    Ok(())
}

/// A sorted copy (the values are finite, so `total_cmp` is the numeric order, with
/// −0 before +0; both compare equal when tie blocks are formed).
pub(crate) fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(a: &[f64], b: &[f64]) -> KsStatistic {
        KsStatistic::compute(a, b).expect("valid samples")
    }

    #[test]
    fn integer_statistic_avoids_float_noise() {
        // §1.1: x = 1..5, y = 3.5, 4.5, ...: SciPy's float D is 0.6000000000000001.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [3.5, 4.5, 5.5, 6.5, 7.5];
        let s = stat(&x, &y);
        assert_eq!(s.d_plus.units, 15);
        assert_eq!(s.to_fraction(s.d_plus.units), 0.6);
    }

    #[test]
    fn location_sign_from_scipy_suite() {
        // SciPy test_location_sign: x = arange(10) with x[6] = 5.9 vs arange(10).
        let y: Vec<f64> = (0..10).map(f64::from).collect();
        let mut x = y.clone();
        x[6] = 5.9;
        let s = stat(&x, &y);
        let g = s.choose(Alternative::Greater);
        assert_eq!((g.units, g.location, g.sign), (10, 5.9, 1));
        assert_eq!(s.choose(Alternative::TwoSided), g);
        // x[6] = 6.1: less and two-sided give D = 0.1 at 6.0 with sign −1.
        x[6] = 6.1;
        let s = stat(&x, &y);
        let l = s.choose(Alternative::Less);
        assert_eq!((l.units, l.location, l.sign), (10, 6.0, -1));
        assert_eq!(s.choose(Alternative::TwoSided), l);
    }

    /// Ordinal sample given as counts of the scores 1..5.
    fn from_counts(counts: [usize; 5]) -> Vec<f64> {
        (1..=5)
            .zip(counts)
            .flat_map(|(s, c)| std::iter::repeat_n(f64::from(s), c))
            .collect()
    }

    #[test]
    fn r_float_pitfall_is_exact_zero() {
        // §2.1/§2.5 example B (B1 = counts (3,6,9,7,5), B2 = (8,9,5,2,1)): R's float
        // cumsum gives D⁺ = −3.5e-17; in integers it is exactly 0, D⁻ = 0.38.
        let s = stat(&from_counts([3, 6, 9, 7, 5]), &from_counts([8, 9, 5, 2, 1]));
        assert_eq!(s.d_plus.units, 0);
        assert_eq!(s.to_fraction(s.d_minus.units), 0.38);
    }

    #[test]
    fn schroer_trenkler_blocks() {
        // ST example x = (1,2,2,3,3), y = (1,2,3,3,4,5,6): D⁺ = 3/7 = 15/35.
        let s = stat(
            &[1.0, 2.0, 2.0, 3.0, 3.0],
            &[1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0],
        );
        assert_eq!((s.d_plus.units, s.d_minus.units), (15, 0));
        assert!(s.has_ties());
        assert_eq!(s.block_ends, vec![2, 5, 9, 10, 11, 12]);
    }

    #[test]
    fn rejects_empty_and_non_finite() {
        assert!(matches!(
            KsStatistic::compute(&[], &[1.0]),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            KsStatistic::compute(&[1.0], &[f64::NAN]),
            Err(Error::NonFiniteValue { .. })
        ));
        assert!(matches!(
            KsStatistic::compute(&[f64::INFINITY], &[1.0]),
            Err(Error::NonFiniteValue { .. })
        ));
    }
}
