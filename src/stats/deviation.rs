//! Per-indicator deviation of each authority from the national mean, with uncertainty
//! (stage 4, statistics; LOS figure 3; DESIGN §2.2).
//!
//! Role: for one indicator, how far each authority's mean score lies from the national mean,
//! with a confidence interval and a p-value for "this authority vs the rest" (LOS computed no
//! uncertainty, their footnote 11). Input: the indicator's scores grouped by authority,
//! `&[(&str, &[f64])]`. Output: one [`DeviationCell`] per authority with at least one rating
//! (an authority with no ratings of the indicator gets no row), in input order.
//!
//! Definitions (N = all ratings of the indicator, `n_a` the authority's, `n_r = N − n_a` the
//! rest's): `national_mean` = pooled mean of all N ratings (so the rows do not sum to zero;
//! their n-weighted sum does), `deviation = mean_a − national_mean`.
//!
//! Method: since `national_mean = (n_a·mean_a + n_r·mean_r)/N`,
//! `deviation = (1 − n_a/N)·(mean_a − mean_r) = c·d` with `c = n_r/N`. The authority and the rest
//! are independent samples, so inference on `d` is Welch's (1947) unequal-variance t test:
//! `se² = s_a²/n_a + s_r²/n_r` (ddof-1 variances), `df = se⁴/((s_a²/n_a)²/(n_a−1) + (s_r²/n_r)²/(n_r−1))`,
//! `t = d/se`, `p = 2·P(T_df > |t|)` (= `scipy.stats.ttest_ind(a, rest, equal_var=False)`), and the
//! `level` CI of the deviation is `deviation ± c·t_{df,(1+level)/2}·se` (SciPy's
//! `confidence_interval` of d, scaled by c). The rest's mean and variance are pooled exactly from
//! per-authority sums (Chan et al.'s parallel formula), so one pass over the data serves every row.
//!
//! Edge cases, flagged by [`DeviationInference`] (no NaN is ever returned):
//! * the rest is empty (one authority rated the indicator): `deviation = 0`, CI and p `None`
//!   ([`DeviationInference::NoRest`]);
//! * `n_a = 1` or `n_r = 1`: a variance cannot be estimated; CI and p `None`
//!   ([`DeviationInference::TooFewRatings`]);
//! * both sides without variation (e.g. all 5s): Welch's t is 0/0 or ±∞. The CI is the point
//!   `[deviation, deviation]` (no sampling variation was observed) and p is the exact
//!   permutation p-value of the two constant groups: 1 when they are equal, otherwise
//!   `k/C(N, n_a)` with k = 2 if `n_a = n_r` else 1 — the probability that a random split of the
//!   N ratings separates them this completely ([`DeviationInference::NoVariation`]).
//! * one side without variation and the other with: ordinary Welch (df = n_other − 1).

use serde::Serialize;

use super::distributions::{t_isf, t_two_sided_p};
use super::means::constant_groups_p;
use crate::error::{Error, Result};

/// Default confidence level of the deviation interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// How a cell's interval and p-value were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationInference {
    /// Welch's t for the authority against the rest.
    Welch,
    /// Both sides constant: point interval and exact permutation p (see the module docs).
    NoVariation,
    /// The authority or the rest has a single rating: no interval, no p.
    TooFewRatings,
    /// No other authority rated the indicator: deviation 0, no interval, no p.
    NoRest,
}

/// One authority's deviation from the national mean on one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct DeviationCell {
    /// Authority name.
    pub authority: String,
    /// Number of the authority's ratings.
    pub n: usize,
    /// The authority's mean score.
    pub mean: f64,
    /// Pooled mean of all ratings of the indicator.
    pub national_mean: f64,
    /// `mean − national_mean`.
    pub deviation: f64,
    /// Lower end of the confidence interval of the deviation.
    pub ci_low: Option<f64>,
    /// Upper end of the confidence interval of the deviation.
    pub ci_high: Option<f64>,
    /// Two-sided p-value, authority vs the rest.
    pub p_value: Option<f64>,
    /// Welch's t of `mean − mean_rest` (when [`DeviationInference::Welch`]).
    pub welch_t: Option<f64>,
    /// Welch's degrees of freedom (when [`DeviationInference::Welch`]).
    pub welch_df: Option<f64>,
    /// How the interval and p were obtained.
    pub inference: DeviationInference,
    /// Confidence level of the interval.
    pub confidence: f64,
}

/// Count, sum, mean and centred sum of squares of one group.
#[derive(Clone, Copy)]
struct Moments {
    n: usize,
    sum: f64,
    mean: f64,
    m2: f64,
}

fn moments(x: &[f64]) -> Moments {
    let n = x.len();
    if n == 0 {
        return Moments {
            n,
            sum: 0.0,
            mean: 0.0,
            m2: 0.0,
        };
    }
    let sum: f64 = x.iter().sum();
    let mean = sum / n as f64;
    let m2 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    Moments { n, sum, mean, m2 }
}

/// Deviation cells for one indicator at `confidence` (0 < level < 1; [`DEFAULT_CONFIDENCE`]).
///
/// Errors: no ratings at all ([`Error::EmptySample`]), a non-finite score, or an invalid level.
///
/// # Examples
///
/// ```
/// use losstat::stats::deviation::{DeviationInference, deviation_cells};
/// # fn main() -> losstat::Result<()> {
/// let (a, b) = ([1.0, 3.0], [3.0, 5.0]);
/// let cells = deviation_cells(&[("A", &a[..]), ("B", &b[..])], 0.95)?;
/// // By hand: national mean 12/4 = 3, A's mean 2, deviation −1. Welch for A against the
/// // rest [3, 5]: se² = 2/2 + 2/2, t = (2 − 4)/√2 = −√2, df = 2²/(1 + 1) = 2; the t₂ cdf is
/// // ½ + t/(2√(t² + 2)), so p = 2·P(T₂ > √2) = 1 − √2/2.
/// let cell = &cells[0];
/// assert_eq!((cell.national_mean, cell.deviation), (3.0, -1.0));
/// assert_eq!(cell.inference, DeviationInference::Welch);
/// let p = 1.0 - 2f64.sqrt() / 2.0;
/// assert!(cell.p_value.is_some_and(|got| (got - p).abs() <= 1e-12 * p));
/// // CI: −1 ± (n_rest/N)·t₂(0.975)·se, with the t₂ quantile t₂(q) = (2q − 1)/√(2q(1 − q)).
/// let half = 0.5 * (0.95 / (2.0 * 0.975 * 0.025f64).sqrt()) * 2f64.sqrt();
/// assert!(cell.ci_high.is_some_and(|got| (got - (half - 1.0)).abs() <= 1e-12 * half));
/// # Ok(()) }
/// ```
pub fn deviation_cells(groups: &[(&str, &[f64])], confidence: f64) -> Result<Vec<DeviationCell>> {
    check_input(groups, confidence)?;
    let stats: Vec<Moments> = groups.iter().map(|(_, s)| moments(s)).collect();
    let total_n: usize = stats.iter().map(|m| m.n).sum();
    if total_n == 0 {
        return Err(Error::EmptySample {
            what: "deviation: no ratings of the indicator".to_string(),
        });
    }
    let big_n = total_n as f64;
    let national_mean = stats.iter().map(|m| m.sum).sum::<f64>() / big_n;
    let q = (1.0 - confidence) / 2.0;

    let mut cells = Vec::with_capacity(groups.len());
    for (k, ((name, _), a)) in groups.iter().zip(&stats).enumerate() {
        if a.n == 0 {
            continue;
        }
        let mut cell = DeviationCell {
            authority: (*name).to_string(),
            n: a.n,
            mean: a.mean,
            national_mean,
            deviation: a.mean - national_mean,
            ci_low: None,
            ci_high: None,
            p_value: None,
            welch_t: None,
            welch_df: None,
            inference: DeviationInference::Welch,
            confidence,
        };
        // The rest, pooled from the other groups.
        let n_r: usize = total_n - a.n;
        if n_r == 0 {
            cell.deviation = 0.0;
            cell.inference = DeviationInference::NoRest;
        } else {
            let rest = pooled_rest(&stats, k, n_r);
            infer(&mut cell, a, &rest, big_n, q)?;
        }
        cells.push(cell);
    }
    Ok(cells)
}

/// A confidence level strictly between 0 and 1, and finite scores.
fn check_input(groups: &[(&str, &[f64])], confidence: f64) -> Result<()> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::InvalidParameter {
            name: "confidence",
            value: confidence.to_string(),
            expected: "a level strictly between 0 and 1",
        });
    }
    for (name, scores) in groups {
        if let Some(&value) = scores.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFiniteValue {
                what: format!("deviation, authority {name}"),
                value,
            });
        }
    }
    Ok(())
}

/// The moments of every group but `k` pooled (`n_r` scores): the sum and mean, and the sum of
/// squared deviations from the pooled mean (each group's own plus its mean's shift).
fn pooled_rest(stats: &[Moments], k: usize, n_r: usize) -> Moments {
    let others = stats
        .iter()
        .enumerate()
        .filter(|(j, m)| *j != k && m.n > 0)
        .map(|(_, m)| m);
    let sum: f64 = others.clone().map(|m| m.sum).sum();
    let mean = sum / n_r as f64;
    let m2: f64 = others
        .map(|m| m.m2 + m.n as f64 * (m.mean - mean) * (m.mean - mean))
        .sum();
    Moments {
        n: n_r,
        sum,
        mean,
        m2,
    }
}

/// The inference of `cell` (group `a` against the `rest`, `big_n` scores in all, `q` the
/// tail of the interval): Welch's test and interval, or why there is none.
fn infer(cell: &mut DeviationCell, a: &Moments, rest: &Moments, big_n: f64, q: f64) -> Result<()> {
    if a.n < 2 || rest.n < 2 {
        cell.inference = DeviationInference::TooFewRatings;
        return Ok(());
    }
    let (na, nr, mean_r) = (a.n as f64, rest.n as f64, rest.mean);
    let scale = nr / big_n;
    let vn_a = a.m2 / (na - 1.0) / na;
    let vn_r = rest.m2 / (nr - 1.0) / nr;
    let d = a.mean - mean_r;
    if vn_a + vn_r == 0.0 {
        cell.inference = DeviationInference::NoVariation;
        cell.ci_low = Some(cell.deviation);
        cell.ci_high = Some(cell.deviation);
        cell.p_value = Some(constant_groups_p(d, na, nr));
        return Ok(());
    }
    let se = (vn_a + vn_r).sqrt();
    // Welch–Satterthwaite, written with the variance shares so that neither very large
    // nor very small scores overflow or underflow a square.
    let (share_a, share_r) = (vn_a / (vn_a + vn_r), vn_r / (vn_a + vn_r));
    let df = 1.0 / (share_a * share_a / (na - 1.0) + share_r * share_r / (nr - 1.0));
    let t = d / se;
    let half = scale * t_isf(q, df) * se;
    // Finite scores of extreme magnitude overflow the sums of squares (fuzz regression
    // deviation-overflow-nan-ci); say so rather than return NaN.
    if ![a.mean, mean_r, se, df, t, half]
        .iter()
        .all(|v| v.is_finite())
    {
        return Err(Error::DegenerateSample {
            what: format!("deviation, authority {}", cell.authority),
            reason: "the scores are too large in magnitude for their variance to be computed"
                .to_string(),
        });
    }
    cell.welch_t = Some(t);
    cell.welch_df = Some(df);
    cell.p_value = Some(t_two_sided_p(t, df));
    cell.ci_low = Some(cell.deviation - half);
    cell.ci_high = Some(cell.deviation + half);
    Ok(())
}

/// One row of the deviation table: a cell with its indicator, BH q-value and verdict.
#[derive(Debug, Clone, Serialize)]
pub struct DeviationRow {
    /// Indicator id (`8.c`) or, at other levels, the unit's label.
    pub indicator: String,
    /// The cell.
    #[serde(flatten)]
    pub cell: DeviationCell,
    /// Benjamini–Hochberg q-value across every cell of the table (`None` where p is).
    pub q_value: Option<f64>,
    /// `q_value ≤ alpha`.
    pub significant: bool,
}

/// The ratings of one indicator, grouped by authority.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorScores {
    /// Indicator id (or unit label).
    pub indicator: String,
    /// (authority, scores) in authority order.
    pub by_authority: Vec<(String, Vec<f64>)>,
}

/// The deviation table: [`deviation_cells`] for every indicator, then Benjamini–Hochberg
/// (1995) q-values across all cells with a p-value, and `significant` at `alpha` (FDR
/// control across the whole figure, not per indicator). Indicators with no ratings are skipped.
///
/// # Errors
/// As [`deviation_cells`], for any indicator.
///
/// # Examples
///
/// ```
/// use losstat::stats::deviation::{DEFAULT_CONFIDENCE, IndicatorScores, deviation_table};
/// # fn main() -> losstat::Result<()> {
/// let scores = |indicator: &str, a: &[f64], b: &[f64]| IndicatorScores {
///     indicator: indicator.to_string(),
///     by_authority: vec![("A".to_string(), a.to_vec()), ("B".to_string(), b.to_vec())],
/// };
/// let table = [scores("1.a", &[1.0, 3.0], &[3.0, 5.0]), scores("1.b", &[4.0; 2], &[4.0; 2])];
/// let rows = deviation_table(&table, DEFAULT_CONFIDENCE, 0.05)?;
/// // By hand: on 1.a, A and B each have Welch p = 1 − √2/2 (see `deviation_cells`); 1.b is
/// // constant and equal everywhere, p = 1. Benjamini–Hochberg over the four p-values gives
/// // the two smallest min(4/2·p, 4/3·1, 4/4·1) = 2 − √2 and the other two 1.
/// let q = 2.0 - 2f64.sqrt();
/// assert_eq!(rows.len(), 4);
/// assert!(rows[..2].iter().all(|r| r.q_value.is_some_and(|got| (got - q).abs() <= 1e-12 * q)));
/// assert!(rows[2..].iter().all(|r| r.q_value == Some(1.0) && !r.significant));
/// # Ok(()) }
/// ```
pub fn deviation_table(
    indicators: &[IndicatorScores],
    confidence: f64,
    alpha: f64,
) -> Result<Vec<DeviationRow>> {
    let mut rows = Vec::new();
    for IndicatorScores {
        indicator,
        by_authority,
    } in indicators
    {
        let groups: Vec<(&str, &[f64])> = by_authority
            .iter()
            .map(|(name, scores)| (name.as_str(), scores.as_slice()))
            .collect();
        if groups.iter().all(|(_, scores)| scores.is_empty()) {
            continue;
        }
        for cell in deviation_cells(&groups, confidence)? {
            rows.push(DeviationRow {
                indicator: indicator.clone(),
                cell,
                q_value: None,
                significant: false,
            });
        }
    }
    let p: Vec<Option<f64>> = rows.iter().map(|r| r.cell.p_value).collect();
    let q = super::multitest::adjust_optional(&p, super::multitest::Adjustment::BenjaminiHochberg);
    for (row, q) in rows.iter_mut().zip(q) {
        row.q_value = q;
        row.significant = q.is_some_and(|q| q <= alpha);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::reference::floats;
    use proptest::prelude::*;

    fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
        (got - want).abs() <= atol + rtol * want.abs()
    }

    /// scipy.stats.ttest_ind(a, rest, equal_var=False) and its confidence_interval(0.95 / 0.90),
    /// scaled by 1 − n_a/N. Tolerances: means exact to 1e-15; t, df 1e-12 relative; p 1e-12
    /// relative; CI ends 1e-12 relative + 1e-14 absolute (the interval is centred on the
    /// directly computed deviation, SciPy's on c·d; they differ by rounding only).
    #[test]
    fn fuzz_inputs_give_finite_cells_or_an_error() {
        // fuzz/regressions/stats/deviation-{overflow-nan-ci,welch-df-overflow-nan,
        // welch-df-underflow-nan}, decoded (groups A, B, C, D).
        let cases: [[&[f64]; 4]; 3] = [
            [&[4.375], &[4.625], &[1e300], &[4.375, 4.625]],
            [&[1e90], &[2.0], &[3.0], &[4.0, 5.0]],
            [&[1e-160], &[2e-160], &[3e-160], &[4e-160, 6e-160]],
        ];
        for (k, [a, b, c, d]) in cases.iter().enumerate() {
            let groups = [("A", *a), ("B", *b), ("C", *c), ("D", *d)];
            match deviation_cells(&groups, 0.95) {
                Err(Error::DegenerateSample { .. }) => {}
                Err(other) => panic!("case {k}: {other}"),
                Ok(cells) => {
                    for cell in cells {
                        let values = [cell.ci_low, cell.ci_high, cell.p_value, cell.welch_df];
                        assert!(
                            values.iter().flatten().all(|v| v.is_finite()),
                            "case {k}: {cell:?}"
                        );
                        assert!(cell.p_value.is_none_or(|p| (0.0..=1.0).contains(&p)));
                    }
                }
            }
        }
        // The small-scale case is ordinary data in small units: it gets a real answer.
        let small = [
            ("A", &[1e-160][..]),
            ("B", &[2e-160, 3e-160]),
            ("D", &[4e-160, 6e-160]),
        ];
        let cells = deviation_cells(&small, 0.95).expect("small values are fine");
        assert!(cells.iter().any(|c| c.welch_df.is_some_and(f64::is_finite)));
    }

    #[test]
    fn overflowing_variance_is_an_error_not_nan() {
        // Fuzz regression deviation-overflow-nan-ci: finite scores near f64::MAX overflow
        // the sums of squares.
        let a = [1e300, -1e300, 1e300];
        let b = [0.0, 1.0, 2.0];
        let result = deviation_cells(&[("A", &a), ("B", &b)], 0.95);
        assert!(
            matches!(result, Err(Error::DegenerateSample { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn matches_scipy_welch() {
        let v = crate::stats::reference::kde_rank();
        for ind in v["deviation"].as_array().expect("indicators") {
            let owned: Vec<(String, Vec<f64>)> = ind["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .map(|g| {
                    (
                        g["authority"].as_str().expect("a").to_string(),
                        floats(&g["scores"]),
                    )
                })
                .collect();
            let groups: Vec<(&str, &[f64])> = owned
                .iter()
                .map(|(a, s)| (a.as_str(), s.as_slice()))
                .collect();
            for (level, key) in [(0.95, "ci95"), (0.90, "ci90")] {
                let cells = deviation_cells(&groups, level).expect("cells");
                for (cell, want) in cells.iter().zip(ind["cells"].as_array().expect("cells")) {
                    let what = format!("{} {}", ind["indicator"], cell.authority);
                    assert_eq!(cell.inference, DeviationInference::Welch, "{what}");
                    assert_eq!(cell.n as u64, want["n"].as_u64().expect("n"));
                    let f = |k: &str| want[k].as_f64().expect("number");
                    assert!(close(cell.mean, f("mean"), 1e-15, 0.0), "{what} mean");
                    assert!(
                        close(cell.national_mean, f("national_mean"), 1e-15, 0.0),
                        "{what}"
                    );
                    assert!(
                        close(cell.deviation, f("deviation"), 1e-13, 1e-15),
                        "{what} dev"
                    );
                    let t = cell.welch_t.expect("t");
                    assert!(
                        close(t, f("welch_t"), 1e-12, 0.0),
                        "{what} t {t} vs {}",
                        f("welch_t")
                    );
                    let df = cell.welch_df.expect("df");
                    assert!(close(df, f("welch_df"), 1e-12, 0.0), "{what} df");
                    let p = cell.p_value.expect("p");
                    assert!(
                        close(p, f("p_value"), 1e-12, 0.0),
                        "{what} p {p:e} vs {:e}",
                        f("p_value")
                    );
                    let ci = floats(&want[key]);
                    let (lo, hi) = (cell.ci_low.expect("lo"), cell.ci_high.expect("hi"));
                    assert!(
                        close(lo, ci[0], 1e-12, 1e-14),
                        "{what} {key} lo {lo} vs {}",
                        ci[0]
                    );
                    assert!(
                        close(hi, ci[1], 1e-12, 1e-14),
                        "{what} {key} hi {hi} vs {}",
                        ci[1]
                    );
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        let fives = [5.0; 10];
        let fours = [4.0; 5];
        // All 5s everywhere: deviation 0, point CI, p = 1.
        let c = deviation_cells(&[("A", &fives), ("B", &fives)], DEFAULT_CONFIDENCE).expect("c");
        assert_eq!(c[0].inference, DeviationInference::NoVariation);
        assert_eq!(
            (c[0].deviation, c[0].ci_low, c[0].p_value),
            (0.0, Some(0.0), Some(1.0))
        );
        // Constant but different: exact permutation p = 1/C(15, 10) = 1/3003.
        let c = deviation_cells(&[("A", &fives), ("B", &fours)], DEFAULT_CONFIDENCE).expect("c");
        let p = c[0].p_value.expect("p");
        assert!(close(p, 1.0 / 3003.0, 1e-12, 0.0), "{p}");
        assert!(close(c[0].deviation, 5.0 - 70.0 / 15.0, 1e-14, 0.0));
        // Equal sizes: both directions of the split count.
        let c = deviation_cells(&[("A", &[5.0, 5.0]), ("B", &[4.0, 4.0])], 0.95).expect("c");
        assert!(close(c[0].p_value.expect("p"), 2.0 / 6.0, 1e-12, 0.0));
        // One rating.
        let c = deviation_cells(&[("A", &[3.0]), ("B", &[4.0, 5.0, 2.0])], 0.95).expect("c");
        assert_eq!(c[0].inference, DeviationInference::TooFewRatings);
        assert_eq!(c[1].inference, DeviationInference::TooFewRatings);
        assert!(c[0].ci_low.is_none() && c[0].p_value.is_none());
        // No rest; an empty authority gets no row.
        let c = deviation_cells(&[("A", &[3.0, 4.0]), ("B", &[])], 0.95).expect("c");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].inference, DeviationInference::NoRest);
        assert_eq!(c[0].deviation, 0.0);
        // One side constant: ordinary Welch with df = n_rest − 1.
        let c = deviation_cells(&[("A", &fives), ("B", &[4.0, 5.0, 3.0])], 0.95).expect("c");
        assert_eq!(c[0].inference, DeviationInference::Welch);
        assert!(close(c[0].welch_df.expect("df"), 2.0, 1e-12, 0.0));
        // Errors.
        assert!(matches!(
            deviation_cells(&[("A", &[])], 0.95),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            deviation_cells(&[("A", &[f64::NAN])], 0.95),
            Err(Error::NonFiniteValue { .. })
        ));
        assert!(matches!(
            deviation_cells(&[("A", &[1.0])], 0.0),
            Err(Error::InvalidParameter { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn weighted_rows_sum_to_zero(
            groups in prop::collection::vec(prop::collection::vec(1u8..=5, 0..30), 1..6),
        ) {
            let owned: Vec<Vec<f64>> =
                groups.iter().map(|g| g.iter().map(|v| f64::from(*v)).collect()).collect();
            let names = ["Nord", "Midt", "Syd", "Oest", "Hovedstaden", "X"];
            let input: Vec<(&str, &[f64])> =
                owned.iter().zip(names).map(|(g, n)| (n, g.as_slice())).collect();
            let total: usize = owned.iter().map(Vec::len).sum();
            match deviation_cells(&input, DEFAULT_CONFIDENCE) {
                Err(_) => prop_assert_eq!(total, 0),
                Ok(cells) => {
                    let s: f64 = cells.iter().map(|c| c.n as f64 * c.deviation).sum();
                    prop_assert!(s.abs() < 1e-10 * total as f64, "sum {}", s);
                    for c in &cells {
                        if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
                            prop_assert!(lo <= c.deviation && c.deviation <= hi);
                        }
                        if let Some(p) = c.p_value {
                            prop_assert!((0.0..=1.0).contains(&p));
                        }
                    }
                }
            }
        }
    }
}
