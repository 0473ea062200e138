//! Means of samples: one mean with its Student t interval, and Welch's (1947)
//! unequal-variance comparison of two means (`scipy.stats.ttest_ind(x, y, equal_var=False)`),
//! with the exact permutation p of two constant groups that [`super::deviation`] also uses.
//!
//! Input: plain slices of finite values. Output: [`MeanInterval`], [`Welch`].
//!
//! - One mean: `mean ± t_{n−1, 1−α/2} · s/√n`, `s` the sample SD (n − 1); no SD or interval
//!   with one value.
//! - Two means: `d = mean(x) − mean(y)`, `se = √(s²ₓ/nₓ + s²ᵧ/nᵧ)`, Welch–Satterthwaite degrees
//!   of freedom written with the variance shares (so that neither very large nor very small
//!   values overflow a square), `t = d/se`, the interval `d ± t_{df, 1−α/2} · se` and the
//!   two-sided p. When neither sample varies, the interval is the point and p the exact
//!   permutation p of two constant groups: 1 if they are equal, else `k / C(N, nₓ)`, k = 2 for
//!   equal sizes (only the split that puts every x-value in x, and for equal sizes its mirror,
//!   gives as large a difference).

use super::distributions::{ln_gamma, t_isf, t_two_sided_p};

/// A sample's mean, its SD and the t interval of the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanInterval {
    /// Values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample SD (n − 1); `None` with one value.
    pub sd: Option<f64>,
    /// Student t interval of `mean`; `None` with one value.
    pub ci: Option<[f64; 2]>,
}

/// The mean of `values` with its `confidence` t interval; `None` when `values` is empty.
///
/// ```
/// use losstat::stats::means::mean_interval;
/// // [1, 3]: mean 2, s = √2, half-width t₁(0.975) · √2/√2 = 12.706… (by hand: t₁ is Cauchy).
/// let m = mean_interval(&[1.0, 3.0], 0.95).unwrap();
/// let t1 = (std::f64::consts::PI * 0.475).tan();
/// assert!((m.ci.unwrap()[1] - (2.0 + t1)).abs() < 1e-9);
/// assert!(mean_interval(&[4.0], 0.95).unwrap().ci.is_none());
/// ```
pub fn mean_interval(values: &[f64], confidence: f64) -> Option<MeanInterval> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = sample_sd(values);
    let ci = sd.map(|sd| {
        let half = t_isf((1.0 - confidence) / 2.0, n - 1.0) * sd / n.sqrt();
        [mean - half, mean + half]
    });
    Some(MeanInterval {
        n: values.len(),
        mean,
        sd,
        ci,
    })
}

/// Sample SD (n − 1) of `values` (`numpy.std(ddof=1)`); `None` with fewer than two.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Welch's comparison of two means (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// `mean(x) − mean(y)`.
    pub difference: f64,
    /// Its interval (the point when neither sample varies).
    pub ci: [f64; 2],
    /// Welch's t; `None` when neither sample varies.
    pub t: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom; `None` when neither sample varies.
    pub df: Option<f64>,
    /// Two-sided p (the exact permutation p when neither sample varies).
    pub p: f64,
}

/// Welch's t for `mean(x) − mean(y)` and its `confidence` interval; `None` with fewer than two
/// values in a sample.
///
/// ```
/// use losstat::stats::means::welch;
/// // [1, 3] against [3, 5]: t = −√2 on 2 degrees of freedom, p = 1 − √2/2 (by hand, with the
/// // t₂ cdf ½ + t/(2√(t² + 2))).
/// let w = welch(&[1.0, 3.0], &[3.0, 5.0], 0.95).unwrap();
/// assert!((w.t.unwrap() + 2f64.sqrt()).abs() < 1e-12);
/// assert!((w.p - (1.0 - 2f64.sqrt() / 2.0)).abs() < 1e-12);
/// ```
pub fn welch(x: &[f64], y: &[f64], confidence: f64) -> Option<Welch> {
    let moments = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var / n)
    };
    if x.len() < 2 || y.len() < 2 {
        return None;
    }
    let ((n1, m1, vn1), (n2, m2, vn2)) = (moments(x), moments(y));
    let difference = m1 - m2;
    if vn1 + vn2 == 0.0 {
        return Some(Welch {
            difference,
            ci: [difference, difference],
            t: None,
            df: None,
            p: constant_groups_p(difference, n1, n2),
        });
    }
    let se = (vn1 + vn2).sqrt();
    let (share1, share2) = (vn1 / (vn1 + vn2), vn2 / (vn1 + vn2));
    let df = 1.0 / (share1 * share1 / (n1 - 1.0) + share2 * share2 / (n2 - 1.0));
    let t = difference / se;
    let half = t_isf((1.0 - confidence) / 2.0, df) * se;
    Some(Welch {
        difference,
        ci: [difference - half, difference + half],
        t: Some(t),
        df: Some(df),
        p: t_two_sided_p(t, df),
    })
}

/// The exact permutation p of two constant groups of sizes `n1` and `n2` whose values differ
/// by `difference` (see the module docs).
pub(crate) fn constant_groups_p(difference: f64, n1: f64, n2: f64) -> f64 {
    if difference == 0.0 {
        return 1.0;
    }
    let splits = if n1 == n2 { 2.0 } else { 1.0 };
    let ln_choose = ln_gamma(n1 + n2 + 1.0) - ln_gamma(n1 + 1.0) - ln_gamma(n2 + 1.0);
    (splits * (-ln_choose).exp()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_agrees_with_the_deviation_cells_and_by_hand() {
        // deviation_cells's doctest: A = [1, 3] against the rest [3, 5]: t = −√2, df = 2,
        // p = 1 − √2/2 (by hand, with the t₂ cdf ½ + t/(2√(t² + 2))).
        let w = welch(&[1.0, 3.0], &[3.0, 5.0], 0.95).expect("two values a side");
        assert_eq!(w.difference, -2.0);
        let t = w.t.expect("t");
        assert!((t + 2f64.sqrt()).abs() < 1e-12, "{t}");
        assert!((w.df.expect("df") - 2.0).abs() < 1e-12);
        let p = 1.0 - 2f64.sqrt() / 2.0;
        assert!((w.p - p).abs() < 1e-12 * p, "{}", w.p);
        // Interval: −2 ± t₂(0.975)·√2, with t₂(q) = (2q − 1)/√(2q(1 − q)).
        let half = (0.95 / (2.0 * 0.975 * 0.025f64).sqrt()) * 2f64.sqrt();
        assert!((w.ci[1] - (half - 2.0)).abs() < 1e-9, "{:?}", w.ci);
        // The same t, df and p as the SciPy-checked deviation cell of A against B.
        let a = [4.0, 4.5, 5.0, 3.75, 4.25];
        let b = [4.5, 5.0, 5.0, 4.75, 4.0, 4.8];
        let cells =
            super::super::deviation::deviation_cells(&[("a", &a), ("b", &b)], 0.95).expect("cells");
        let w = welch(&a, &b, 0.95).expect("welch");
        let close = |x: f64, y: Option<f64>| y.is_some_and(|y| (x - y).abs() < 1e-12 * y.abs());
        assert!(close(w.t.expect("t"), cells[0].welch_t));
        assert!(close(w.df.expect("df"), cells[0].welch_df));
        assert!(close(w.p, cells[0].p_value));
        // Too few values, and two constant sides (exact p = 1/C(5, 2), by hand).
        assert!(welch(&[4.0], &[3.0, 5.0], 0.95).is_none());
        let constant = welch(&[5.0, 5.0], &[4.0, 4.0, 4.0], 0.95).expect("constant");
        assert_eq!((constant.ci, constant.t), ([1.0, 1.0], None));
        assert!((constant.p - 0.1).abs() < 1e-12, "{}", constant.p);
    }

    #[test]
    fn sample_sd_is_numpy_ddof_1() {
        // numpy.std([4.3, 4.5, 4.7], ddof=1) = 0.2 (deviations ±0.2 and 0: √(0.08/2)).
        let sd = sample_sd(&[4.3, 4.5, 4.7]).expect("three values");
        assert!((sd - 0.2).abs() < 1e-12, "{sd}");
        assert!(sample_sd(&[4.3]).is_none());
    }
}
