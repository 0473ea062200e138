//! Rank-based two-sample comparison: Mann–Whitney U, Brunner–Munzel and Cliff's delta
//! (stage 4, statistics).
//!
//! Role: beside the KS test, a shift test and an ordinal effect size for a pair of authorities'
//! overall scores (or any two samples of scores). Input: two finite samples `a`, `b`.
//! Output: [`RankComparison`].
//!
//! Everything is derived from the *placements* of each observation in the other sample,
//! `P(a_i) = #{b < a_i} + ½·#{b = a_i}` (= pooled midrank minus within-sample midrank), found by
//! sorting and merging: O(n log n) time, ties handled by midranks.
//!
//! * **Mann–Whitney U** (Mann & Whitney 1947), two-sided, as `scipy.stats.mannwhitneyu` with
//!   `use_continuity=True, method='auto'`: `U_a = Σ P(a_i)` (the statistic SciPy reports for its
//!   first sample). SciPy's 'auto' rule, read from its source: **exact** when not both samples
//!   have more than 8 observations (i.e. min(n_a, n_b) ≤ 8) and there are no ties; otherwise the
//!   **normal approximation** `z = (max(U_a, U_b) − n_a n_b/2 − ½)/s`,
//!   `s² = n_a n_b/12·((N + 1) − Σ(t³ − t)/(N(N − 1)))` (tie-corrected), `p = 2·sf(z)` capped at 1.
//!   The exact p is `2·P(U ≤ min(U_a, U_b))` from the null distribution of U, whose frequencies
//!   are the coefficients of the Gaussian binomial `Π_{i=1}^{m} (1 − q^{n+i})/(1 − q^i)`
//!   (m = min size), computed in exact 128-bit integers up to degree min(U_a, U_b); should that
//!   overflow (only for a small sample against one of ~10⁵), the normal approximation is used
//!   and [`MannWhitneyMethod::Asymptotic`] says so. When every observation is tied, s = 0 and
//!   p = 1 (SciPy gives the same through z = −∞).
//! * **Brunner–Munzel** (Brunner & Munzel 2000), as `scipy.stats.brunnermunzel` (two-sided,
//!   t distribution). With `S_a², S_b²` the ddof-1 variances of the placements and
//!   `V = n_a S_a² + n_b S_b²`: `W = (n_a n_b − 2 U_a)/(2√V)` (positive when **b** tends to be
//!   larger — SciPy's sign), `df = V²/((n_a S_a²)²/(n_a − 1) + (n_b S_b²)²/(n_b − 1))`,
//!   `p = 2·P(T_df > |W|)`. It is undefined (all three fields `None`, with
//!   [`BrunnerMunzelStatus`] saying why; SciPy returns NaN) when a sample has one observation,
//!   or when `V = 0`, which happens exactly when all observations are tied or the samples are
//!   completely separated.
//! * **Cliff's delta** (Cliff 1993): `δ = P(A > B) − P(A < B) = 2·P(A > B) + P(A = B) − 1
//!   = (2 U_a − n_a n_b)/(n_a n_b)`, positive when **a** tends to be larger; it is exactly
//!   antisymmetric under swapping the samples. Thresholds often quoted (Romano et al. 2006):
//!   |δ| < 0.147 negligible, < 0.33 small, < 0.474 medium, else large.
//!   Its confidence interval comes from the Brunner–Munzel estimate of the relative effect
//!   `p̂ = U_a/(n_a n_b)` and its variance `V/(n_a n_b)²` (Brunner & Munzel 2000; Neubert & Brunner
//!   2007): `δ ± 2·t_{df, (1+level)/2}·√V/(n_a n_b)`, clipped to [−1, 1], `None` exactly when the
//!   Brunner–Munzel test is undefined.

use serde::Serialize;

use super::distributions::{normal_sf, t_isf, t_two_sided_p};
use crate::error::{Error, Result};

/// Default confidence level of the Cliff's delta interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// How the Mann–Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MannWhitneyMethod {
    /// Exact null distribution of U (no ties, min(n_a, n_b) ≤ 8).
    Exact,
    /// Normal approximation with continuity and tie correction.
    Asymptotic,
}

/// Whether the Brunner–Munzel statistic (and the Cliff's delta interval) could be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrunnerMunzelStatus {
    /// Statistic, df, p-value and the delta interval are present.
    Defined,
    /// A sample has a single observation, so its placement variance is undefined.
    SingleObservation,
    /// The placement variances are both zero: all observations tied, or complete separation.
    ZeroRankVariance,
}

/// Rank-based comparison of two samples `a` and `b`.
#[derive(Debug, Clone, Serialize)]
pub struct RankComparison {
    /// Size of `a`.
    pub n_a: usize,
    /// Size of `b`.
    pub n_b: usize,
    /// Mann–Whitney U of `a`: #(a > b) + ½·#(a = b) over all pairs (SciPy's statistic).
    pub u_statistic: f64,
    /// How `mann_whitney_p` was computed.
    pub mann_whitney_method: MannWhitneyMethod,
    /// Two-sided Mann–Whitney p-value (SciPy `mannwhitneyu`, method 'auto').
    pub mann_whitney_p: f64,
    /// Why the Brunner–Munzel fields may be `None`.
    pub brunner_munzel_status: BrunnerMunzelStatus,
    /// Brunner–Munzel W (SciPy's sign: positive when `b` tends to be larger).
    pub brunner_munzel_statistic: Option<f64>,
    /// Satterthwaite degrees of freedom of W.
    pub brunner_munzel_df: Option<f64>,
    /// Two-sided Brunner–Munzel p-value (t distribution).
    pub brunner_munzel_p: Option<f64>,
    /// Relative effect P(A > B) + ½·P(A = B) = U_a/(n_a n_b).
    pub relative_effect: f64,
    /// Cliff's delta P(A > B) − P(A < B), in [−1, 1].
    pub cliffs_delta: f64,
    /// Lower end of the delta confidence interval.
    pub cliffs_delta_ci_low: Option<f64>,
    /// Upper end of the delta confidence interval.
    pub cliffs_delta_ci_high: Option<f64>,
    /// Confidence level of the interval.
    pub confidence: f64,
}

/// Sorted copy with −0.0 turned into +0.0 (so equal values sort together).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().map(|x| x + 0.0).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Twice the placements of each (sorted) `x` in sorted `other`: 2·#{other < x} + #{other = x}.
fn twice_placements(x: &[f64], other: &[f64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(x.len());
    let mut below = 0usize;
    let mut i = 0;
    while i < x.len() {
        let v = x[i];
        while below < other.len() && other[below] < v {
            below += 1;
        }
        let mut equal_end = below;
        while equal_end < other.len() && other[equal_end] == v {
            equal_end += 1;
        }
        let p = 2 * below as u64 + (equal_end - below) as u64;
        while i < x.len() && x[i] == v {
            out.push(p);
            i += 1;
        }
    }
    out
}

/// Σ(t³ − t) over the tie groups of the pooled sorted samples, and whether any tie exists.
fn tie_term(sa: &[f64], sb: &[f64]) -> (f64, bool) {
    let (mut i, mut j) = (0, 0);
    let mut total: u128 = 0;
    while i < sa.len() || j < sb.len() {
        let v = match (sa.get(i), sb.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        let mut t: u128 = 0;
        while i < sa.len() && sa[i] == v {
            i += 1;
            t += 1;
        }
        while j < sb.len() && sb[j] == v {
            j += 1;
            t += 1;
        }
        total += t * t * t - t;
    }
    (total as f64, total > 0)
}

/// Exact two-sided Mann–Whitney p (no ties): 2·P(U ≤ u_min), or `None` on integer overflow.
fn mwu_exact_p(n_a: usize, n_b: usize, u_min: u64) -> Option<f64> {
    let m = n_a.min(n_b);
    let n = n_a.max(n_b);
    let top = usize::try_from(u_min).ok()?;
    // c[k] = number of orderings with U = k, for k ≤ top.
    let mut c = vec![0i128; top + 1];
    c[0] = 1;
    for i in 1..=m {
        let shift = n + i;
        if shift <= top {
            for k in (shift..=top).rev() {
                c[k] = c[k].checked_sub(c[k - shift])?;
            }
        }
        for k in i..=top {
            c[k] = c[k].checked_add(c[k - i])?;
        }
    }
    let mut below: i128 = 0;
    for v in &c {
        below = below.checked_add(*v)?;
    }
    // C(n + m, m), exactly.
    let mut total: i128 = 1;
    for i in 1..=m {
        total = total.checked_mul(i128::try_from(n + i).ok()?)? / i128::try_from(i).ok()?;
    }
    Some((2.0 * below as f64 / total as f64).min(1.0))
}

fn mwu_asymptotic_p(n_a: usize, n_b: usize, u_a: f64, ties: f64) -> f64 {
    let (n1, n2) = (n_a as f64, n_b as f64);
    let n = n1 + n2;
    let u = u_a.max(n1 * n2 - u_a);
    let mu = n1 * n2 / 2.0;
    let s = (n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    if s.is_nan() || s <= 0.0 {
        // Every observation tied: no evidence of a shift.
        return 1.0;
    }
    let z = (u - mu - 0.5) / s;
    (2.0 * normal_sf(z)).clamp(0.0, 1.0)
}

fn ddof1_variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
}

fn validate(x: &[f64], what: &str) -> Result<()> {
    if x.is_empty() {
        return Err(Error::EmptySample {
            what: what.to_string(),
        });
    }
    if let Some(&value) = x.iter().find(|v| !v.is_finite()) {
        return Err(Error::NonFiniteValue {
            what: what.to_string(),
            value,
        });
    }
    Ok(())
}

/// Mann–Whitney, Brunner–Munzel and Cliff's delta for `a` versus `b`, with a 95 % interval.
///
/// # Errors
/// An empty sample or a non-finite value.
///
/// # Examples
///
/// ```
/// use losstat::stats::rank::{MannWhitneyMethod, compare_ranks};
/// # fn main() -> losstat::Result<()> {
/// // The ordinal samples A1, A2 of stats_reference.md §2.5, as counts of the scores 1..5.
/// let from_counts = |c: [usize; 5]| -> Vec<f64> {
///     (1..=5).zip(c).flat_map(|(s, k)| std::iter::repeat_n(f64::from(s), k)).collect()
/// };
/// let r = compare_ranks(&from_counts([2, 5, 8, 4, 1]), &from_counts([1, 2, 6, 8, 3]))?;
/// // SciPy 1.17.1 = R 4.2.2 (§4.7): U = 129.5, Mann–Whitney p (continuity and tie
/// // correction) = 0.0488471846959108, Cliff's δ = −0.3525.
/// assert_eq!((r.u_statistic, r.mann_whitney_method), (129.5, MannWhitneyMethod::Asymptotic));
/// let p = 0.048_847_184_695_910_8;
/// assert!((r.mann_whitney_p - p).abs() <= 1e-12 * p);
/// assert!((r.cliffs_delta + 0.3525).abs() <= 1e-12 * 0.3525);
/// # Ok(()) }
/// ```
pub fn compare_ranks(a: &[f64], b: &[f64]) -> Result<RankComparison> {
    compare_ranks_at(a, b, DEFAULT_CONFIDENCE)
}

/// As [`compare_ranks`], with the confidence level of the Cliff's delta interval (0 < level < 1).
///
/// # Errors
/// As [`compare_ranks`], and a level outside (0, 1).
///
/// # Examples
///
/// ```
/// use losstat::stats::rank::compare_ranks_at;
/// # fn main() -> losstat::Result<()> {
/// let (a, b) = ([1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0, 5.0]);
/// let r95 = compare_ranks_at(&a, &b, 0.95)?;
/// // tools/reference/kde_rank_reference.py, bm_df_and_delta_ci(a, b) (case "small_ties" of
/// // tests/data/reference/kde_rank_scipy.json): the interval is clipped at −1 below.
/// let high = -0.102_088_053_454_233;
/// assert_eq!(r95.cliffs_delta_ci_low, Some(-1.0));
/// assert!(r95.cliffs_delta_ci_high.is_some_and(|got| (got - high).abs() <= 1e-12 * -high));
/// // By hand, U = 0 + ½ + ½ + 2 = 3 and δ = (2·3 − 20)/20 = −0.7 at any level; a lower
/// // level narrows the interval.
/// let r80 = compare_ranks_at(&a, &b, 0.80)?;
/// assert!((r80.cliffs_delta + 0.7).abs() <= 1e-12 * 0.7);
/// let highs = r80.cliffs_delta_ci_high.zip(r95.cliffs_delta_ci_high);
/// assert!(highs.is_some_and(|(h80, h95)| h80 < h95));
/// # Ok(()) }
/// ```
pub fn compare_ranks_at(a: &[f64], b: &[f64], confidence: f64) -> Result<RankComparison> {
    validate(a, "rank comparison, first sample")?;
    validate(b, "rank comparison, second sample")?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::InvalidParameter {
            name: "confidence",
            value: confidence.to_string(),
            expected: "a level strictly between 0 and 1",
        });
    }
    let (n_a, n_b) = (a.len(), b.len());
    let sa = sorted(a);
    let sb = sorted(b);
    let pa2 = twice_placements(&sa, &sb);
    let pb2 = twice_placements(&sb, &sa);
    let two_u_a: u64 = pa2.iter().sum();
    let nn = n_a as f64 * n_b as f64;
    let u_a = two_u_a as f64 / 2.0;

    // Mann–Whitney.
    let (ties, any_tie) = tie_term(&sa, &sb);
    let exact_allowed = n_a.min(n_b) <= 8 && !any_tie;
    let exact = if exact_allowed {
        let two_nn = 2 * n_a as u64 * n_b as u64;
        let u_min = two_u_a.min(two_nn - two_u_a) / 2;
        mwu_exact_p(n_a, n_b, u_min)
    } else {
        None
    };
    let (mann_whitney_method, mann_whitney_p) = match exact {
        Some(p) => (MannWhitneyMethod::Exact, p),
        None => (
            MannWhitneyMethod::Asymptotic,
            mwu_asymptotic_p(n_a, n_b, u_a, ties),
        ),
    };

    // Cliff's delta: exact numerator, so swapping the samples negates it exactly.
    let cliffs_delta = (2.0 * u_a - nn) / nn;
    let relative_effect = u_a / nn;

    // Brunner–Munzel.
    let mut status = BrunnerMunzelStatus::Defined;
    let (mut stat, mut df, mut p, mut lo, mut hi) = (None, None, None, None, None);
    if n_a < 2 || n_b < 2 {
        status = BrunnerMunzelStatus::SingleObservation;
    } else {
        let pa: Vec<f64> = pa2.iter().map(|v| *v as f64 / 2.0).collect();
        let pb: Vec<f64> = pb2.iter().map(|v| *v as f64 / 2.0).collect();
        let va = n_a as f64 * ddof1_variance(&pa);
        let vb = n_b as f64 * ddof1_variance(&pb);
        let v = va + vb;
        if v > 0.0 {
            let w = (nn - 2.0 * u_a) / (2.0 * v.sqrt());
            let d = v * v / (va * va / (n_a as f64 - 1.0) + vb * vb / (n_b as f64 - 1.0));
            stat = Some(w);
            df = Some(d);
            p = Some(t_two_sided_p(w, d));
            let half_width = 2.0 * t_isf((1.0 - confidence) / 2.0, d) * v.sqrt() / nn;
            lo = Some((cliffs_delta - half_width).max(-1.0));
            hi = Some((cliffs_delta + half_width).min(1.0));
        } else {
            status = BrunnerMunzelStatus::ZeroRankVariance;
        }
    }

    Ok(RankComparison {
        n_a,
        n_b,
        u_statistic: u_a,
        mann_whitney_method,
        mann_whitney_p,
        brunner_munzel_status: status,
        brunner_munzel_statistic: stat,
        brunner_munzel_df: df,
        brunner_munzel_p: p,
        relative_effect,
        cliffs_delta,
        cliffs_delta_ci_low: lo,
        cliffs_delta_ci_high: hi,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::reference::floats;
    use proptest::prelude::*;
    use serde_json::Value;

    fn close(got: f64, want: f64, rtol: f64) -> bool {
        got == want || ((got - want) / want).abs() <= rtol
    }

    fn check_opt(got: Option<f64>, want: &Value, rtol: f64, what: &str) {
        match (got, want.as_f64()) {
            (None, None) => {}
            (Some(g), Some(w)) => assert!(close(g, w, rtol), "{what}: got {g:e}, want {w:e}"),
            (g, _) => panic!("{what}: got {g:?}, want {want}"),
        }
    }

    /// Tolerances: U and δ exact (up to the last bit of δ's float formula, 1e-15); Mann–Whitney p
    /// 1e-13 relative (normal tail ~1e-14, exact counts ~1e-16); Brunner–Munzel statistic 1e-12
    /// (SciPy works from ranks, we from placements), its p 1e-11 (tail p of 4e-46 amplifies the
    /// statistic's rounding by W²); df and the delta interval, which SciPy does not return, are
    /// checked at 1e-12 against the script's re-computation from the published formulas with
    /// SciPy's t.ppf.
    #[test]
    fn matches_scipy() {
        let v = crate::stats::reference::kde_rank();
        for case in v["ranks"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let a = floats(&case["a"]);
            let b = floats(&case["b"]);
            let r = compare_ranks(&a, &b).expect("compare");
            assert_eq!(
                r.u_statistic,
                case["u_statistic"].as_f64().expect("u"),
                "{name}: U"
            );
            let method = match r.mann_whitney_method {
                MannWhitneyMethod::Exact => "exact",
                MannWhitneyMethod::Asymptotic => "asymptotic",
            };
            assert_eq!(
                method,
                case["mann_whitney_method"].as_str().expect("m"),
                "{name}"
            );
            let want_p = case["mann_whitney_p"].as_f64().expect("p");
            assert!(
                close(r.mann_whitney_p, want_p, 1e-13),
                "{name}: MW p {:e} vs {want_p:e}",
                r.mann_whitney_p
            );
            check_opt(
                r.brunner_munzel_statistic,
                &case["brunner_munzel_statistic"],
                1e-12,
                name,
            );
            check_opt(r.brunner_munzel_p, &case["brunner_munzel_p"], 1e-11, name);
            check_opt(
                r.brunner_munzel_df,
                &case["brunner_munzel_df_formula"],
                1e-12,
                name,
            );
            let want_d = case["cliffs_delta"].as_f64().expect("delta");
            // The script forms 2U/(n_a n_b) − 1, which rounds differently: 1e-15 absolute.
            assert!(
                (r.cliffs_delta - want_d).abs() <= 1e-15,
                "{name}: delta {}",
                r.cliffs_delta
            );
            let ci = &case["cliffs_delta_ci95_formula"];
            check_opt(r.cliffs_delta_ci_low, &ci[0], 1e-12, name);
            check_opt(r.cliffs_delta_ci_high, &ci[1], 1e-12, name);
        }
    }

    #[test]
    fn reference_note_values() {
        // stats_reference.md §4.7: A1 = counts (2,5,8,4,1), A2 = (1,2,6,8,3) on scores 1..5:
        // U = 129.5, MW p = 0.0488471846959108 (continuity + ties), Cliff's δ = −0.3525.
        let from_counts = |c: [usize; 5]| -> Vec<f64> {
            (1..=5)
                .flat_map(|s| std::iter::repeat_n(s as f64, c[s - 1]))
                .collect()
        };
        let a1 = from_counts([2, 5, 8, 4, 1]);
        let a2 = from_counts([1, 2, 6, 8, 3]);
        let r = compare_ranks(&a1, &a2).expect("compare");
        assert_eq!(r.u_statistic, 129.5);
        assert!(close(r.mann_whitney_p, 0.048_847_184_695_910_8, 1e-13));
        assert!(close(r.cliffs_delta, -0.3525, 1e-15));
        assert_eq!(r.mann_whitney_method, MannWhitneyMethod::Asymptotic);
    }

    #[test]
    fn degenerate_samples_are_defined() {
        // All tied: MW p = 1 (SciPy too), δ = 0, Brunner–Munzel undefined (SciPy: NaN).
        let r = compare_ranks(&[5.0, 5.0, 5.0], &[5.0, 5.0]).expect("compare");
        assert_eq!(r.mann_whitney_p, 1.0);
        assert_eq!(r.cliffs_delta, 0.0);
        assert_eq!(
            r.brunner_munzel_status,
            BrunnerMunzelStatus::ZeroRankVariance
        );
        assert!(r.brunner_munzel_p.is_none() && r.cliffs_delta_ci_low.is_none());
        // Complete separation.
        let r = compare_ranks(&[1.0, 1.0, 2.0], &[3.0, 4.0, 4.0]).expect("compare");
        assert_eq!(r.cliffs_delta, -1.0);
        assert_eq!(
            r.brunner_munzel_status,
            BrunnerMunzelStatus::ZeroRankVariance
        );
        // One observation.
        let r = compare_ranks(&[3.0], &[1.0, 2.0]).expect("compare");
        assert_eq!(
            r.brunner_munzel_status,
            BrunnerMunzelStatus::SingleObservation
        );
        assert_eq!(r.mann_whitney_method, MannWhitneyMethod::Exact);
        assert_eq!(r.mann_whitney_p, 2.0 / 3.0);
        let r = compare_ranks(&[3.0], &[3.0]).expect("compare");
        assert_eq!(r.mann_whitney_p, 1.0);
        // −0.0 and 0.0 are one value.
        let r = compare_ranks(&[-0.0, 1.0], &[0.0, 2.0]).expect("compare");
        assert_eq!(r.u_statistic, 1.5);
        // Errors.
        assert!(matches!(
            compare_ranks(&[], &[1.0]),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            compare_ranks(&[1.0], &[f64::NAN]),
            Err(Error::NonFiniteValue { .. })
        ));
        assert!(matches!(
            compare_ranks_at(&[1.0], &[2.0], 1.0),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn exact_path_small_against_large() {
        // 3 values against 2000 distinct ones: exact integer counts, no overflow; p equals the
        // closed form for U = 0: 2/C(2003, 3).
        let b: Vec<f64> = (0..2000).map(|i| f64::from(i) + 10.0).collect();
        let r = compare_ranks(&[0.5, 1.5, 2.5], &b).expect("compare");
        assert_eq!(r.mann_whitney_method, MannWhitneyMethod::Exact);
        let c = 2003.0 * 2002.0 * 2001.0 / 6.0;
        assert!(close(r.mann_whitney_p, 2.0 / c, 1e-15));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn delta_bounded_and_antisymmetric(
            a in prop::collection::vec(1u8..=5, 1..40),
            b in prop::collection::vec(1u8..=5, 1..40),
        ) {
            let a: Vec<f64> = a.iter().map(|v| f64::from(*v)).collect();
            let b: Vec<f64> = b.iter().map(|v| f64::from(*v)).collect();
            let ab = compare_ranks(&a, &b).expect("ab");
            let ba = compare_ranks(&b, &a).expect("ba");
            prop_assert!((-1.0..=1.0).contains(&ab.cliffs_delta));
            prop_assert_eq!(ab.cliffs_delta, -ba.cliffs_delta);
            prop_assert_eq!(ab.cliffs_delta_ci_low, ba.cliffs_delta_ci_high.map(|v| -v));
            prop_assert_eq!(ab.cliffs_delta_ci_high, ba.cliffs_delta_ci_low.map(|v| -v));
            prop_assert_eq!(ab.mann_whitney_p, ba.mann_whitney_p);
            prop_assert!((0.0..=1.0).contains(&ab.mann_whitney_p));
            if let (Some(lo), Some(hi)) = (ab.cliffs_delta_ci_low, ab.cliffs_delta_ci_high) {
                prop_assert!(-1.0 <= lo && lo <= ab.cliffs_delta && ab.cliffs_delta <= hi && hi <= 1.0);
            }
            if let Some(p) = ab.brunner_munzel_p {
                prop_assert!((0.0..=1.0).contains(&p));
            }
        }
    }
}
