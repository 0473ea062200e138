//! Descriptive statistics of a sample: n, mean, sd, quartiles (stage 4, statistics).
//!
//! Input: a slice of finite values. Output: [`Summary`].
//!
//! Method: mean; sample standard deviation with n − 1 in the denominator (`numpy.std(x,
//! ddof=1)`, R `sd`); quantiles by linear interpolation between order statistics
//! (Hyndman & Fan 1996 type 7, the default of `numpy.quantile` and R `quantile`):
//! for probability p, h = (n − 1)·p and Q(p) = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).

use serde::Serialize;

use crate::error::{Error, Result};

/// Summary of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Sample size.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (type 7).
    pub median: f64,
    /// Standard deviation (n − 1); `None` when n < 2.
    pub sd: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// First quartile (type 7).
    pub q1: f64,
    /// Third quartile (type 7).
    pub q3: f64,
    /// Largest value.
    pub max: f64,
}

/// Summarises `values`; `what` names the sample in errors.
///
/// # Errors
/// An empty sample or a non-finite value.
///
/// # Examples
///
/// ```
/// use losstat::stats::descriptive::summarize;
/// # fn main() -> losstat::Result<()> {
/// let s = summarize(&[4.5, 3.0, 5.0, 4.25, 3.5], "scores")?;
/// // By hand: mean 20.25/5 = 4.05; deviations 0.45, −1.05, 0.95, 0.2, −0.55 give SS = 2.55
/// // and variance 2.55/4 = 0.6375; sorted [3, 3.5, 4.25, 4.5, 5], type 7 puts Q1, median
/// // and Q3 on the 2nd, 3rd and 4th order statistics.
/// assert_eq!((s.n, s.min, s.q1, s.median, s.q3, s.max), (5, 3.0, 3.5, 4.25, 4.5, 5.0));
/// assert!((s.mean - 4.05).abs() <= 1e-12 * 4.05);
/// assert!(s.sd.is_some_and(|sd| (sd * sd - 0.6375).abs() <= 1e-12 * 0.6375));
/// # Ok(()) }
/// ```
pub fn summarize(values: &[f64], what: &str) -> Result<Summary> {
    if values.is_empty() {
        return Err(Error::EmptySample {
            what: what.to_string(),
        });
    }
    if let Some(&bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(Error::NonFiniteValue {
            what: what.to_string(),
            value: bad,
        });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = (n > 1).then(|| {
        let ss: f64 = sorted.iter().map(|x| (x - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    Ok(Summary {
        n,
        mean,
        median: quantile_sorted(&sorted, 0.5),
        sd,
        min: sorted[0],
        q1: quantile_sorted(&sorted, 0.25),
        q3: quantile_sorted(&sorted, 0.75),
        max: sorted[n - 1],
    })
}

/// Type-7 quantile of an ascending, non-empty slice; `p` in [0, 1].
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The percentile interval of bootstrap replicates (Efron & Tibshirani 1993, §13.3): their
/// type-7 quantiles at `(1 − confidence)/2` and `(1 + confidence)/2`, after sorting them
/// (`f64::total_cmp`); `None` without replicates.
///
/// # Examples
///
/// ```
/// use losstat::stats::descriptive::percentile_interval;
/// // numpy.quantile([1, 2, 3, 4], [0.025, 0.975]) = [1.075, 3.925].
/// let [low, high] = percentile_interval(&mut [4.0, 1.0, 3.0, 2.0], 0.95).expect("replicates");
/// assert!((low - 1.075).abs() < 1e-12 && (high - 3.925).abs() < 1e-12);
/// ```
pub fn percentile_interval(replicates: &mut [f64], confidence: f64) -> Option<[f64; 2]> {
    if replicates.is_empty() {
        return None;
    }
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some([
        quantile_sorted(replicates, tail),
        quantile_sorted(replicates, 1.0 - tail),
    ])
}

/// Share of each score 1–5 among `counts[0..5]` (counts of 1s … 5s); zeros when empty.
///
/// # Examples
///
/// ```
/// use losstat::stats::descriptive::shares;
/// // By hand: 1, 1 and 2 of 4 ratings.
/// assert_eq!(shares(&[1, 1, 2, 0, 0]), [0.25, 0.25, 0.5, 0.0, 0.0]);
/// assert_eq!(shares(&[0; 5]), [0.0; 5]);
/// ```
pub fn shares(counts: &[u64; 5]) -> [f64; 5] {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return [0.0; 5];
    }
    counts.map(|c| c as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy() {
        // Exact rationals for x = [4.5, 3.0, 5.0, 4.25, 3.5]: mean = 20.25 / 5 = 4.05;
        // sorted [3, 3.5, 4.25, 4.5, 5], type 7 puts Q1, Q2, Q3 on order statistics 2, 3, 4.
        let s = summarize(&[4.5, 3.0, 5.0, 4.25, 3.5], "x").expect("summary");
        assert_eq!(s.n, 5);
        assert!((s.mean - 4.05).abs() < 1e-15);
        // Deviations 0.45, -1.05, 0.95, 0.2, -0.55: SS = 2.55, variance = 2.55 / 4 = 0.6375.
        let sd = s.sd.expect("n > 1");
        assert!((sd * sd - 0.6375).abs() < 1e-14, "{sd}");
        assert_eq!((s.q1, s.median, s.q3), (3.5, 4.25, 4.5));
        assert_eq!((s.min, s.max), (3.0, 5.0));
    }

    #[test]
    fn interpolates_between_order_statistics() {
        // Type 7 on [1, 2, 3, 4]: Q(0.25) = 1 + 0.75·1 = 1.75, Q(0.5) = 2.5, Q(0.75) = 3.25.
        let s = summarize(&[4.0, 1.0, 3.0, 2.0], "x").expect("summary");
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
    }

    #[test]
    fn refuses_empty_and_non_finite() {
        assert!(summarize(&[], "x").is_err());
        assert!(summarize(&[1.0, f64::NAN], "x").is_err());
        assert_eq!(summarize(&[3.0], "x").expect("one value").sd, None);
    }
}
