//! Two-sample Kolmogorov–Smirnov test (stage 4, statistics).
//!
//! Input: two plain slices of finite `f64` (in losstat, the overall scores of two
//! authorities), an [`Alternative`] and a [`KsMethod`].
//! Output: a [`KsTest`] with the statistic, SciPy's p-value and the exact p-value
//! conditional on the tie pattern; [`ks_p_ties`] and [`ks_permutation`] give the tie-aware
//! p-values on their own, [`kstwo_sf`], [`smirnov_sf`] and [`kolmogorov_sf`] the
//! one-sample distributions SciPy's asymptotic p-values use.
//!
//! Method:
//! * The statistic is built from integer counts at the ends of tie blocks of the pooled
//!   sample: `k = max_t (n_b·c_a(t) − n_a·c_b(t))` (or its negative), `D = k/(n_a·n_b)`
//!   ([`KsStatistic`]). Location and sign follow `scipy.stats.ks_2samp` (SciPy ≥ 1.10).
//! * `p_value` reproduces `scipy.stats.ks_2samp` (SciPy 1.17): `Auto` is exact when
//!   `max(n_a, n_b) ≤ 10000`. Exact two-sided uses the reflection series for equal sizes
//!   and the Viehmann (2021) outside-probability recursion otherwise; exact one-sided
//!   uses the same stable recursion with a one-sided boundary (SciPy counts paths with
//!   Hodges' (1958) first-passage method; the values agree to ~1e-11, ours being exact
//!   to ~1e-15), and falls back to the asymptotic p exactly where SciPy's path count
//!   overflows (private module `exact`). The asymptotic two-sided p is
//!   `kstwo.sf(D, round_half_even(en))` ([`kstwo_sf`]; Simard & L'Ecuyer 2011), the
//!   one-sided one is Hodges' (1957/58) eq. 5.3 (private module `asymptotic`).
//! * `p_value_ties` is the exact permutation p-value given the tie pattern, as R ≥ 4.4's
//!   `psmirnov(exact = TRUE, z = ...)` (Schröer & Trenkler 1995, with Viehmann's
//!   recursion) ([`ks_p_ties`]). SciPy's p assumes continuous data and is conservative on
//!   tied scores; losstat reports both.
//! * [`ks_permutation`] gives a seeded, thread-count-independent Monte Carlo permutation p,
//!   optionally permuting only within strata.
//!
//! References: Hodges, J. L. (1958), "The significance probability of the Smirnov
//! two-sample test", Arkiv för Matematik 3; Schröer, G. & Trenkler, D. (1995), "Exact and
//! randomization distributions of Kolmogorov–Smirnov tests two or three samples", CSDA
//! 20; Viehmann, T. (2021), "Numerically more stable computation of the p-values for the
//! two-sample Kolmogorov–Smirnov test", arXiv:2102.08037; Simard, R. & L'Ecuyer, P.
//! (2011), "Computing the two-sided Kolmogorov–Smirnov distribution", J. Stat. Softw. 39.

mod asymptotic;
mod exact;
mod permutation;
mod statistic;
mod ties;

#[cfg(test)]
mod reference_tests;

use serde::Serialize;

use crate::error::{Error, Result};

pub use asymptotic::{kolmogorov_sf, kstwo_sf, smirnov_sf};
pub use permutation::{MAX_PERMUTATIONS, PermutationTest, ks_permutation};
pub use statistic::{KsExtreme, KsStatistic};
pub use ties::ks_p_ties;

/// SciPy's largest sample size for which `method='auto'` computes the exact p-value.
pub const MAX_AUTO_N: usize = 10_000;
/// Largest lattice `n_a·n_b` for which [`ks_2samp`] computes `p_value_ties`: about 0.05 s
/// per pair on one core (the walk runs at ~10⁹ cells/s, eight columns at a time). Ten years of national exports
/// (≈ 5,750 × 4,730 visits) fit; beyond that the walk would grow with the square of the
/// sample and dominate the run, so `p_value_ties` is NaN there and the pairwise stage falls
/// back to SciPy's p (for samples that large the tie correction hardly moves a p-value that
/// is already either tiny or large; `--permutations` gives a tie-aware p at linear cost).
pub const MAX_TIE_EXACT_CELLS: u64 = 50_000_000;

/// The alternative hypothesis, with SciPy's (and R's) meaning.
///
/// `Less`: F_a(t) < F_b(t) for some t (a tends to be larger), statistic
/// `D⁻ = max(F_b − F_a)`. `Greater`: F_a(t) > F_b(t) for some t (a tends to be smaller),
/// statistic `D⁺ = max(F_a − F_b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Alternative {
    /// The two distributions differ (statistic D = max |F_a − F_b|).
    TwoSided,
    /// SciPy's `less`: F_a lies below F_b somewhere (statistic D− = max (F_b − F_a)).
    Less,
    /// SciPy's `greater`: F_a lies above F_b somewhere (statistic D+ = max (F_a − F_b)).
    Greater,
}

/// How SciPy's p-value is computed. `Auto` means exact when `max(n_a, n_b) <= 10000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum KsMethod {
    /// Exact when max(n_a, n_b) ≤ 10000, else asymptotic (SciPy's `auto`).
    Auto,
    /// The exact null distribution for continuous data.
    Exact,
    /// The large-sample approximation.
    #[cfg_attr(feature = "cli", value(alias = "asymp"))]
    Asymptotic,
}

/// Result of [`ks_2samp`].
#[derive(Debug, Clone, Serialize)]
pub struct KsTest {
    /// Size of the first sample.
    pub n_a: usize,
    /// Size of the second sample.
    pub n_b: usize,
    /// D (two-sided), D⁺ (greater) or D⁻ (less), from integer counts.
    pub statistic: f64,
    /// The statistic in lattice units: `statistic = statistic_units / (n_a·n_b)`.
    pub statistic_units: u64,
    /// The data value at which the statistic is attained (SciPy's `statistic_location`).
    pub statistic_location: f64,
    /// +1 if F_a > F_b at the location, −1 otherwise (SciPy's `statistic_sign`).
    pub statistic_sign: i8,
    /// The alternative tested.
    pub alternative: Alternative,
    /// The method actually used for `p_value` (`Exact` or `Asymptotic`).
    pub method: KsMethod,
    /// SciPy `ks_2samp`-compatible p-value (assumes continuous data).
    pub p_value: f64,
    /// Exact p-value conditional on the tie pattern (R ≥ 4.4 `psmirnov(exact = TRUE)`).
    /// NaN when `n_a·n_b > MAX_TIE_EXACT_CELLS` (the O(n_a·n_b) walk would take over a
    /// second); use [`ks_permutation`] there.
    pub p_value_ties: f64,
}

/// Two-sample Kolmogorov–Smirnov test of `a` against `b`, SciPy-compatible, plus the
/// tie-exact p-value.
///
/// # Errors
/// [`Error::EmptySample`] if either sample is empty, [`Error::NonFiniteValue`] for NaN or
/// ±inf, [`Error::InvalidParameter`] if the samples are too large for the integer
/// lattice, [`Error::DegenerateSample`] when SciPy's asymptotic two-sided p-value is
/// undefined (`n_a = n_b = 1` with the asymptotic method: `round(en) = 0`, SciPy gives NaN).
///
/// # Examples
///
/// SciPy's `testTwoVsFour`: the two values of `a` lie just right of 1 and 2.
///
/// ```
/// use losstat::stats::ks::{Alternative, KsMethod, ks_2samp};
/// # fn main() -> losstat::Result<()> {
/// let (a, b) = ([1.01, 2.01], [1.0, 2.0, 3.0, 4.0]);
/// let test = ks_2samp(&a, &b, Alternative::TwoSided, KsMethod::Auto)?;
/// // D = 1/2 by hand: at x = 2.01, F_a = 2/2 and F_b = 2/4 (4 lattice units of 1/(2·4)).
/// assert_eq!((test.statistic, test.statistic_units), (0.5, 4));
/// assert_eq!((test.statistic_location, test.statistic_sign), (2.01, 1));
/// // p = 14/15: stats_reference.md §4.1 (testTwoVsFour) and §4.2 (exact fractions).
/// let expected = 14.0 / 15.0;
/// assert!((test.p_value - expected).abs() <= 1e-12 * expected);
/// assert_eq!(test.method, KsMethod::Exact);
/// // No ties: the tie-exact p is R's 0.93333333333333335 = 14/15 too (§4.4, R 4.2.2).
/// assert!((test.p_value_ties - expected).abs() <= 1e-12 * expected);
/// # Ok(()) }
/// ```
pub fn ks_2samp(
    a: &[f64],
    b: &[f64],
    alternative: Alternative,
    method: KsMethod,
) -> Result<KsTest> {
    let stat = KsStatistic::compute(a, b)?;
    let chosen = stat.choose(alternative);
    let scipy = exact::scipy_p_value(&stat, &chosen, alternative, method)?;
    let p_value_ties = if stat.lattice_size() <= MAX_TIE_EXACT_CELLS {
        ties::p_ties_for_statistic(&stat, alternative)
    } else {
        f64::NAN
    };
    Ok(KsTest {
        n_a: stat.n_a,
        n_b: stat.n_b,
        statistic: stat.to_fraction(chosen.units),
        statistic_units: chosen.units,
        statistic_location: chosen.location,
        statistic_sign: chosen.sign,
        alternative,
        method: scipy.method,
        p_value: scipy.p_value,
        p_value_ties,
    })
}

/// Check that a sample is non-empty and finite; `what` names it in the error.
pub(crate) fn validate_sample(what: &str, x: &[f64]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::EmptySample {
            what: what.to_owned(),
        });
    }
    match x.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(Error::NonFiniteValue {
            what: what.to_owned(),
            value,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Alternative::{Greater, Less, TwoSided};

    #[test]
    fn exact_attempt_that_rounds_above_one_falls_back_as_scipy_does() {
        // tools/reference/ks_fallback_reference.py (SciPy 1.17.1): the reflection series for
        // n = 5, h = 1 is 1.0000000000000002, so `ks_2samp(a, b, method='exact')` warns
        // "Exact calculation unsuccessful. Switching to method=asymp" and returns
        // statistic 0.2, p 1.0, statistic_location 2.6666666666666665. Found by the property
        // test `ties_p_not_above_continuous_p`.
        let a = [1.0, 8.0 / 3.0, 3.0, 4.0, 2.0];
        let b = [1.0, 3.0, 2.0, 8.0 / 3.0, 1.0];
        let res = ks_2samp(&a, &b, TwoSided, KsMethod::Exact).expect("valid");
        assert_eq!(res.method, KsMethod::Asymptotic);
        assert_eq!(res.statistic, 0.2);
        assert_eq!(res.p_value, 1.0);
        assert_eq!(res.statistic_location, 8.0 / 3.0);
    }

    fn rel_err(actual: f64, expected: f64) -> f64 {
        if actual == expected {
            0.0
        } else {
            ((actual - expected) / expected).abs()
        }
    }

    fn check(res: &KsTest, d: f64, p: f64, rtol: f64, what: &str) {
        assert!(
            rel_err(res.statistic, d) <= 1e-15,
            "{what}: D {} vs {d}",
            res.statistic
        );
        let err = rel_err(res.p_value, p);
        assert!(
            err <= rtol,
            "{what}: p {:e} vs {p:e} (rel {err:e})",
            res.p_value
        );
    }

    fn run(a: &[f64], b: &[f64], alt: Alternative, method: KsMethod) -> KsTest {
        ks_2samp(a, b, alt, method).expect("valid samples")
    }

    /// SciPy's part only (skips the O(n_a·n_b) tie-exact walk for the big suite cases).
    fn scipy(a: &[f64], b: &[f64], alt: Alternative, method: KsMethod) -> KsTest {
        let stat = KsStatistic::compute(a, b).expect("valid samples");
        let chosen = stat.choose(alt);
        let p = exact::scipy_p_value(&stat, &chosen, alt, method).expect("p-value");
        KsTest {
            n_a: stat.n_a,
            n_b: stat.n_b,
            statistic: stat.to_fraction(chosen.units),
            statistic_units: chosen.units,
            statistic_location: chosen.location,
            statistic_sign: chosen.sign,
            alternative: alt,
            method: p.method,
            p_value: p.p_value,
            p_value_ties: f64::NAN,
        }
    }

    /// numpy.linspace(start, stop, num).
    fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
        let step = (stop - start) / (num - 1) as f64;
        let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
        if let Some(last) = v.last_mut() {
            *last = stop;
        }
        v
    }

    fn shifted(x: &[f64], by: f64) -> Vec<f64> {
        x.iter().map(|v| v + by).collect()
    }

    /// (a, b, alternative, D, p).
    type SmallCase = (&'static [f64], &'static [f64], Alternative, f64, f64);
    /// (a, b, D, two-sided exact, one-sided exact, SciPy one-sided stored, SciPy two-sided stored).
    type SuiteRow = (Vec<f64>, Vec<f64>, f64, f64, f64, f64, f64);

    #[test]
    fn scipy_small_cases() {
        // scipy test_stats.py TestKSTwoSamples testSmall / testTwoVsThree / testTwoVsFour /
        // testEqualSizes (exact fractions, §4.1/§4.2).
        let cases: [SmallCase; 21] = [
            (&[0.0], &[1.0], TwoSided, 1.0, 1.0),
            (&[0.0], &[1.0], Greater, 1.0, 0.5),
            (&[0.0], &[1.0], Less, 0.0, 1.0),
            (&[1.0], &[0.0], TwoSided, 1.0, 1.0),
            (&[1.0], &[0.0], Greater, 0.0, 1.0),
            (&[1.0], &[0.0], Less, 1.0, 0.5),
            (&[1.01, 2.01], &[1.0, 2.0, 3.0], TwoSided, 1.0 / 3.0, 1.0),
            (&[1.01, 2.01], &[1.0, 2.0, 3.0], Greater, 1.0 / 3.0, 0.7),
            (&[1.01, 2.01], &[1.0, 2.0, 3.0], Less, 1.0 / 3.0, 0.7),
            (&[0.99, 1.99], &[1.0, 2.0, 3.0], TwoSided, 2.0 / 3.0, 0.6),
            (&[0.99, 1.99], &[1.0, 2.0, 3.0], Greater, 2.0 / 3.0, 0.3),
            (&[0.99, 1.99], &[1.0, 2.0, 3.0], Less, 0.0, 1.0),
            (
                &[1.01, 2.01],
                &[1.0, 2.0, 3.0, 4.0],
                TwoSided,
                0.5,
                14.0 / 15.0,
            ),
            (
                &[1.01, 2.01],
                &[1.0, 2.0, 3.0, 4.0],
                Greater,
                0.5,
                8.0 / 15.0,
            ),
            (
                &[1.01, 2.01],
                &[1.0, 2.0, 3.0, 4.0],
                Less,
                0.25,
                12.0 / 15.0,
            ),
            (
                &[0.99, 1.99],
                &[1.0, 2.0, 3.0, 4.0],
                TwoSided,
                0.75,
                6.0 / 15.0,
            ),
            (
                &[0.99, 1.99],
                &[1.0, 2.0, 3.0, 4.0],
                Greater,
                0.75,
                3.0 / 15.0,
            ),
            (&[0.99, 1.99], &[1.0, 2.0, 3.0, 4.0], Less, 0.0, 1.0),
            (&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0], TwoSided, 1.0 / 3.0, 1.0),
            (&[1.0, 2.0, 3.0], &[1.5, 2.5, 3.5], Greater, 1.0 / 3.0, 0.75),
            (&[1.0, 2.0, 3.0], &[0.5, 1.5, 2.5], Less, 1.0 / 3.0, 0.75),
        ];
        for (i, (a, b, alt, d, p)) in cases.into_iter().enumerate() {
            let res = run(a, b, alt, KsMethod::Auto);
            check(&res, d, p, 1e-15, &format!("small case {i} {alt:?}"));
            assert_eq!(res.method, KsMethod::Exact);
        }
    }

    #[test]
    fn scipy_100_100_and_100_110() {
        // test100_100 / test100_110: two-sided against the §4.2 exact rationals (1e-12),
        // one-sided against the §4.2 exact rationals (1e-12) and SciPy's stored
        // path-counted values (1e-11).
        let x100 = linspace(1.0, 100.0, 100);
        let x110 = linspace(1.0, 100.0, 110);
        let rows: [SuiteRow; 4] = [
            // (a, b, D, two-sided exact, one-sided exact, SciPy one-sided stored, SciPy two-sided stored)
            (
                x100.clone(),
                shifted(&x100, 2.1),
                0.03,
                0.999_999_999_996_205_5,
                0.914_329_011_427_699_1,
                0.914_329_011_427_624_8,
                0.999_999_999_996_206,
            ),
            (
                x100.clone(),
                shifted(&x100, 1.9),
                0.02,
                1.0,
                0.960_978_450_786_255_1,
                0.960_978_450_786_184,
                1.0,
            ),
            (
                x100.clone(),
                shifted(&x110, 20.1),
                232.0 / 1100.0,
                0.015_739_183_865_606_157,
                0.007_869_594_319_054_428,
                0.007_869_594_319_053_203,
                0.015_739_183_865_607_353,
            ),
            (
                x100.clone(),
                shifted(&x110, 19.9),
                229.0 / 1100.0,
                0.017_803_803_861_025_605,
                0.008_901_905_958_246_44,
                0.008_901_905_958_245_056,
                0.017_803_803_861_026_313,
            ),
        ];
        for (i, (a, b, d, two, one, one_scipy, two_scipy)) in rows.iter().enumerate() {
            let res = run(a, b, TwoSided, KsMethod::Auto);
            check(
                &res,
                *d,
                *two,
                1e-12,
                &format!("row {i} two-sided vs exact"),
            );
            assert!(
                rel_err(res.p_value, *two_scipy) <= 1e-12,
                "row {i} two-sided vs SciPy stored"
            );
            let res = run(a, b, Greater, KsMethod::Auto);
            check(&res, *d, *one, 1e-12, &format!("row {i} greater vs exact"));
            assert!(
                rel_err(res.p_value, *one_scipy) <= 1e-11,
                "row {i} greater vs SciPy stored"
            );
            let res = run(a, b, Less, KsMethod::Auto);
            check(&res, 0.0, 1.0, 0.0, &format!("row {i} less"));
        }
    }

    #[test]
    fn scipy_repeated_values() {
        // testRepeatedValues (§4.1; exact rationals §4.2; SciPy assumes no ties).
        let rep = |pairs: &[(f64, usize)]| -> Vec<f64> {
            pairs
                .iter()
                .flat_map(|&(v, c)| std::iter::repeat_n(v, c))
                .collect()
        };
        let x2233 = rep(&[(2.0, 3), (3.0, 4), (5.0, 5), (6.0, 4)]);
        let x3344 = shifted(&x2233, 1.0);
        let x2356 = rep(&[(2.0, 3), (3.0, 4), (5.0, 10), (6.0, 4)]);
        let x3467 = rep(&[(3.0, 10), (4.0, 2), (6.0, 10), (7.0, 4)]);
        let cases = [
            (
                &x2233,
                &x3344,
                TwoSided,
                5.0 / 16.0,
                0.426_293_461_345_494_9,
            ),
            (
                &x2233,
                &x3344,
                Greater,
                5.0 / 16.0,
                0.214_654_282_765_737_86,
            ),
            (&x2233, &x3344, Less, 0.0, 1.0),
            (
                &x2356,
                &x3467,
                TwoSided,
                190.0 / 546.0,
                0.091_924_579_016_811_9,
            ),
            (
                &x2356,
                &x3467,
                Greater,
                190.0 / 546.0,
                0.045_963_380_685_854_385,
            ),
            (&x2356, &x3467, Less, 70.0 / 546.0, 0.612_159_313_002_277_3),
        ];
        for (a, b, alt, d, p) in cases {
            check(
                &run(a, b, alt, KsMethod::Auto),
                d,
                p,
                1e-12,
                &format!("repeated {alt:?}"),
            );
        }
    }

    #[test]
    fn scipy_large_and_asymptotic() {
        // testLarge (10000, 110): two-sided = current SciPy 6.263465662260858e-26 (§4.1),
        // greater/less vs the §4.2 exact rationals.
        let delta = 1.0 / (10000.0 * 110.0 * 4.0);
        let a: Vec<f64> = linspace(1.0, 200.0, 10000)
            .iter()
            .map(|v| v - delta)
            .collect();
        let b = linspace(2.0, 100.0, 110);
        check(
            &scipy(&a, &b, TwoSided, KsMethod::Auto),
            55275.0 / 110_000.0,
            6.263_465_662_260_858e-26,
            1e-12,
            "testLarge two",
        );
        check(
            &scipy(&a, &b, Greater, KsMethod::Auto),
            561.0 / 110_000.0,
            0.991_154_545_828_057_2,
            1e-12,
            "testLarge greater",
        );
        check(
            &scipy(&a, &b, Less, KsMethod::Auto),
            55275.0 / 110_000.0,
            3.131_732_831_130_426e-26,
            1e-12,
            "testLarge less",
        );
        // testMiddlingBoth (500, 600): two-sided auto 1.0; one-sided 'exact' falls back to
        // asymp: 0.9697596024683929 / 0.9968735843165021 (SciPy suite, 1e-11).
        let delta = 1.0 / (500.0 * 600.0 * 4.0);
        let a: Vec<f64> = linspace(1.0, 200.0, 500)
            .iter()
            .map(|v| v - delta)
            .collect();
        let b = linspace(2.0, 200.0, 600);
        check(
            &scipy(&a, &b, TwoSided, KsMethod::Auto),
            2000.0 / 300_000.0,
            1.0,
            1e-12,
            "middling two",
        );
        for method in [KsMethod::Exact, KsMethod::Asymptotic] {
            let res = scipy(&a, &b, Greater, method);
            check(
                &res,
                2000.0 / 300_000.0,
                0.969_759_602_468_392_9,
                1e-11,
                "middling greater",
            );
            assert_eq!(res.method, KsMethod::Asymptotic);
            check(
                &scipy(&a, &b, Less, method),
                500.0 / 300_000.0,
                0.996_873_584_316_502_1,
                1e-11,
                "middling less",
            );
        }
    }

    #[test]
    fn scipy_large_both() {
        // testMediumBoth (1000, 1100) and testLargeBoth (10000, 11000) (SciPy suite values,
        // checked at 1e-11).
        let delta = 1.0 / (1000.0 * 1100.0 * 4.0);
        let a: Vec<f64> = linspace(1.0, 200.0, 1000)
            .iter()
            .map(|v| v - delta)
            .collect();
        let b = linspace(2.0, 200.0, 1100);
        check(
            &scipy(&a, &b, Greater, KsMethod::Asymptotic),
            6600.0 / 1.1e6,
            0.957_318_580_809_262_2,
            1e-11,
            "medium greater",
        );
        check(
            &scipy(&a, &b, Less, KsMethod::Asymptotic),
            1000.0 / 1.1e6,
            0.998_241_086_943_398_4,
            1e-11,
            "medium less",
        );
        let delta = 1.0 / (10000.0 * 11000.0 * 4.0);
        let a: Vec<f64> = linspace(1.0, 200.0, 10000)
            .iter()
            .map(|v| v - delta)
            .collect();
        let b = linspace(2.0, 200.0, 11000);
        let auto = scipy(&a, &b, TwoSided, KsMethod::Auto);
        assert_eq!(auto.method, KsMethod::Asymptotic);
        check(
            &auto,
            563.0 / 110_000.0,
            0.999_066_010_896_657_6,
            1e-11,
            "large two auto",
        );
        let exact = scipy(&a, &b, TwoSided, KsMethod::Exact);
        assert_eq!(exact.method, KsMethod::Exact);
        check(
            &exact,
            563.0 / 110_000.0,
            0.999_045_649_148_862_8,
            1e-11,
            "large two exact",
        );
        check(
            &scipy(&a, &b, Greater, KsMethod::Asymptotic),
            563.0 / 110_000.0,
            0.756_185_187_742_067_3,
            1e-11,
            "large greater",
        );
        check(
            &scipy(&a, &b, Less, KsMethod::Asymptotic),
            10.0 / 110_000.0,
            0.999_823_969_319_172_4,
            1e-11,
            "large less",
        );
    }

    #[test]
    fn section_2_5_scipy_columns() {
        // §2.5 SciPy exact (auto) and asymp columns for the ST example (12 decimals).
        let x = [1.0, 2.0, 2.0, 3.0, 3.0];
        let y = [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0];
        let cases = [
            (TwoSided, KsMethod::Auto, 0.545_454_545_455),
            (TwoSided, KsMethod::Asymptotic, 0.516_034_985_423),
            (Greater, KsMethod::Auto, 0.276_515_151_515),
            (Greater, KsMethod::Asymptotic, 0.228_506_533_470),
        ];
        for (alt, method, p) in cases {
            let res = run(&x, &y, alt, method);
            assert!(
                (res.p_value - p).abs() <= 6e-13,
                "ST {alt:?} {method:?}: {}",
                res.p_value
            );
        }
    }

    #[test]
    fn identical_samples_are_immediate() {
        let x: Vec<f64> = (0..5000).map(|i| f64::from(i % 17) / 6.0).collect();
        let res = run(&x, &x, TwoSided, KsMethod::Auto);
        assert_eq!(
            (res.statistic, res.p_value, res.p_value_ties),
            (0.0, 1.0, 1.0)
        );
    }

    #[test]
    fn errors_are_reported() {
        assert!(matches!(
            ks_2samp(&[], &[1.0], TwoSided, KsMethod::Auto),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            ks_2samp(&[1.0, f64::NAN], &[1.0], TwoSided, KsMethod::Auto),
            Err(Error::NonFiniteValue { .. })
        ));
        // SciPy: ks_2samp([0],[1],method='asymp') → p = nan.
        assert!(matches!(
            ks_2samp(&[0.0], &[1.0], TwoSided, KsMethod::Asymptotic),
            Err(Error::DegenerateSample { .. })
        ));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Heavily tied scores: means of `k` integer scores 1..=5 (as losstat's overall scores).
    fn tied_sample(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
        (3u32..=8).prop_flat_map(move |k| {
            prop::collection::vec(k..=5 * k, 1..max_len).prop_map(move |sums| {
                sums.into_iter()
                    .map(|s| f64::from(s) / f64::from(k))
                    .collect()
            })
        })
    }

    fn alternative() -> impl Strategy<Value = Alternative> {
        prop_oneof![
            Just(Alternative::TwoSided),
            Just(Alternative::Less),
            Just(Alternative::Greater)
        ]
    }

    proptest! {
        #[test]
        fn statistic_in_unit_interval(a in tied_sample(60), b in tied_sample(60), alt in alternative()) {
            let res = ks_2samp(&a, &b, alt, KsMethod::Auto).expect("valid");
            prop_assert!((0.0..=1.0).contains(&res.statistic));
            prop_assert!((0.0..=1.0).contains(&res.p_value));
            prop_assert!((0.0..=1.0).contains(&res.p_value_ties));
        }

        #[test]
        fn two_sided_is_symmetric(a in tied_sample(60), b in tied_sample(60)) {
            let ab = ks_2samp(&a, &b, Alternative::TwoSided, KsMethod::Auto).expect("valid");
            let ba = ks_2samp(&b, &a, Alternative::TwoSided, KsMethod::Auto).expect("valid");
            prop_assert_eq!(ab.statistic, ba.statistic);
            prop_assert_eq!(ab.p_value, ba.p_value);
            prop_assert!((ab.p_value_ties - ba.p_value_ties).abs() <= 1e-12 * ab.p_value_ties);
        }

        #[test]
        fn ties_p_not_above_continuous_p(a in tied_sample(60), b in tied_sample(60)) {
            let res = ks_2samp(&a, &b, Alternative::TwoSided, KsMethod::Exact).expect("valid");
            // SciPy gives up on the exact p when the series rounds above 1, and so does
            // losstat (`exact_attempt_that_rounds_above_one_falls_back_as_scipy_does`); there
            // is then no exact continuous p to compare with.
            if res.method == KsMethod::Exact {
                prop_assert!(res.p_value_ties <= res.p_value * (1.0 + 1e-12),
                    "ties {} > scipy {}", res.p_value_ties, res.p_value);
            }
        }

        #[test]
        fn identical_samples_give_one(a in tied_sample(200), alt in alternative()) {
            let res = ks_2samp(&a, &a, alt, KsMethod::Auto).expect("valid");
            prop_assert_eq!(res.statistic, 0.0);
            prop_assert_eq!(res.p_value, 1.0);
            prop_assert_eq!(res.p_value_ties, 1.0);
        }

        #[test]
        fn empty_sample_is_an_error(a in tied_sample(20), alt in alternative()) {
            let empty_first = matches!(ks_2samp(&[], &a, alt, KsMethod::Auto), Err(Error::EmptySample { .. }));
            let empty_second = matches!(ks_2samp(&a, &[], alt, KsMethod::Auto), Err(Error::EmptySample { .. }));
            let empty_ties = matches!(ks_p_ties(&[], &a, alt), Err(Error::EmptySample { .. }));
            prop_assert!(empty_first && empty_second && empty_ties);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn monte_carlo_approaches_tie_exact(
            a in tied_sample(40), b in tied_sample(40), alt in alternative(), seed in any::<u64>()
        ) {
            let exact = ks_p_ties(&a, &b, alt).expect("valid");
            let m = 20_000u64;
            let mc = ks_permutation(&a, &b, None, alt, m, seed, 0).expect("valid");
            let se = (exact * (1.0 - exact) / m as f64).sqrt();
            prop_assert!((mc.p_value - exact).abs() <= 4.0 * se + 2.0 / m as f64,
                "MC {} vs exact {} (se {se})", mc.p_value, exact);
        }
    }
}
