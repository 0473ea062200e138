//! Gaussian kernel density estimate and histogram of overall scores (stage 4, statistics;
//! LOS figure 2).
//!
//! Role: the smooth and the binned view of each authority's overall-score distribution.
//! Input: the overall scores (plain `f64` slice), optional weights, a bandwidth rule and the
//! evaluation grid (default: 512 evenly spaced points on [1, 5], built like `numpy.linspace`).
//! Output: [`KdeCurve`] (bandwidth factor, kernel standard deviation, effective sample size,
//! density on the grid) and [`Histogram`] (edges, counts, density).
//!
//! Method, identical to `scipy.stats.gaussian_kde` in one dimension (checked to 1e-12 relative):
//! * weights are normalised, `w_i ← w_i / Σw` (unweighted: `w_i = 1/n`), and the effective sample
//!   size is `neff = 1 / Σ w_i²`;
//! * the data variance is the weighted, bias-corrected `σ² = Σ w_i (x_i − μ)² / (1 − Σ w_i²)` with
//!   `μ = Σ w_i x_i` (NumPy's `cov(…, aweights=w)`; unweighted it is the ddof = 1 variance);
//! * the bandwidth **factor** multiplies σ: Scott (1992) `neff^(−1/5)`, Silverman (1986)
//!   `(3·neff/4)^(−1/5)`, or a fixed factor. The kernel standard deviation is `h = factor·σ`.
//!   (SciPy's "Silverman" is not R's `bw.nrd0` rule of thumb `0.9·min(σ, IQR/1.34)·n^(−1/5)`.)
//! * `f(x) = Σ_i w_i · exp(−½((x_i − x)/h)²) / (h·√(2π))`, with data and points divided by `h`
//!   first as SciPy does.
//!
//! Evaluation is the exact kernel sum (no binning or FFT, unlike R's `density()`), in
//! O(n log n + u·g) for `u` distinct data values and `g` grid points: tied values (overall scores
//! are means of a few integers and heavily tied) are merged with their summed weights, and kernel
//! terms with `((x_i − x)/h)² > 1500` are skipped because `exp(−750)` is exactly 0.0 in `f64`.
//!
//! Degenerate input is an error, as in SciPy: fewer than two points or zero variance
//! ([`Error::DegenerateSample`]; SciPy raises `ValueError` / `LinAlgError`), an empty sample
//! ([`Error::EmptySample`]) or a non-finite value ([`Error::NonFiniteValue`]).
//!
//! Histogram: `numpy.histogram` semantics with explicit edges — bin `i` is `[e_i, e_{i+1})`, the
//! last bin is closed `[e_{k−1}, e_k]`, values outside `[e_0, e_k]` are not counted, and
//! `density = count / width / (number counted)`. [`score_histogram_edges`] gives the fixed
//! default edges for overall scores: width 0.25 on [1, 5] (16 bins). 0.25 is chosen because the
//! edges k/4 are exact binary fractions, so a score such as 4.25 or 4.5 (common means of two or
//! four integer scores) falls deterministically into the bin that starts at it, whereas edges
//! such as 4.3 from a 0.1 grid are not representable and put some exact means on the wrong side.

use serde::Serialize;

use crate::error::{Error, Result};

/// Default grid: lower end.
pub const DEFAULT_GRID_LO: f64 = 1.0;
/// Default grid: upper end.
pub const DEFAULT_GRID_HI: f64 = 5.0;
/// Default grid: number of points.
pub const DEFAULT_GRID_POINTS: usize = 512;
/// Width of the default overall-score histogram bins.
pub const SCORE_BIN_WIDTH: f64 = 0.25;

/// Squared scaled distance beyond which a Gaussian kernel term is exactly 0.0 in `f64`
/// (`exp(−750)` underflows; the smallest subnormal is about `exp(−744.4)`).
const CUTOFF_SQ: f64 = 1500.0;

/// How the kernel bandwidth is chosen; a factor on the data standard deviation, as in SciPy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Bandwidth {
    /// Scott's rule: factor `neff^(−1/5)` (SciPy's default).
    #[default]
    Scott,
    /// Silverman's rule as in SciPy: factor `(3·neff/4)^(−1/5)`.
    Silverman,
    /// A fixed factor (SciPy's scalar `bw_method`); must be finite and positive.
    Factor(f64),
}

impl std::str::FromStr for Bandwidth {
    type Err = String;

    /// `scott`, `silverman` (any case), or a positive factor such as `0.3`.
    ///
    /// ```
    /// use losstat::stats::kde::Bandwidth;
    /// assert_eq!("Silverman".parse(), Ok(Bandwidth::Silverman));
    /// assert_eq!("0.3".parse(), Ok(Bandwidth::Factor(0.3)));
    /// assert!("-1".parse::<Bandwidth>().is_err());
    /// ```
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_lowercase().as_str() {
            "scott" => Ok(Bandwidth::Scott),
            "silverman" => Ok(Bandwidth::Silverman),
            other => match other.parse::<f64>() {
                Ok(f) if f.is_finite() && f > 0.0 => Ok(Bandwidth::Factor(f)),
                _ => Err(format!(
                    "`{raw}` is not scott, silverman or a positive number"
                )),
            },
        }
    }
}

/// A kernel density estimate evaluated on a grid.
#[derive(Debug, Clone, Serialize)]
pub struct KdeCurve {
    /// The bandwidth factor, as SciPy's `kde.factor` (a multiple of the data standard deviation).
    pub bandwidth: f64,
    /// The kernel standard deviation `h = factor·σ` (SciPy's `sqrt(kde.covariance)`, R's `bw`).
    pub kernel_sd: f64,
    /// Effective sample size `1/Σw²` of the normalised weights (n when unweighted).
    pub neff: f64,
    /// Density at each grid point, in grid order.
    pub density: Vec<f64>,
}

/// Counts and density of a histogram with fixed edges.
#[derive(Debug, Clone, Serialize)]
pub struct Histogram {
    /// Bin edges, strictly increasing, one more than the bins.
    pub edges: Vec<f64>,
    /// Number of values in each bin.
    pub counts: Vec<u64>,
    /// `count / width / total counted`, integrating to 1 (all 0.0 when nothing was counted,
    /// where NumPy would give NaN).
    pub density: Vec<f64>,
}

/// `n` evenly spaced points from `lo` to `hi` inclusive, bit-for-bit as `numpy.linspace`
/// (`lo + i·step`, with the last point set to `hi`; one point gives `[lo]`, zero gives `[]`).
///
/// # Examples
///
/// ```
/// use losstat::stats::kde::linspace;
/// // By hand: step (1 − 0)/4 = 0.25 and every i·0.25 is exact in binary, so the points are
/// // exact (numpy.linspace(0, 1, 5) prints the same).
/// assert_eq!(linspace(0.0, 1.0, 5), [0.0, 0.25, 0.5, 0.75, 1.0]);
/// assert_eq!(linspace(2.0, 3.0, 1), [2.0]);
/// assert!(linspace(2.0, 3.0, 0).is_empty());
/// ```
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![lo],
        _ => {
            let div = (n - 1) as f64;
            let delta = hi - lo;
            let step = delta / div;
            let mut out: Vec<f64> = if step == 0.0 {
                (0..n).map(|i| (i as f64 / div) * delta + lo).collect()
            } else {
                (0..n).map(|i| i as f64 * step + lo).collect()
            };
            if let Some(last) = out.last_mut() {
                *last = hi;
            }
            out
        }
    }
}

/// The default KDE grid: 512 evenly spaced points on [1, 5].
///
/// # Examples
///
/// ```
/// use losstat::stats::kde::default_grid;
/// let grid = default_grid();
/// // By hand: 512 points from 1 to 5 are 511 steps of 4/511.
/// assert_eq!((grid.len(), grid[0], grid[511]), (512, 1.0, 5.0));
/// let step = 4.0 / 511.0;
/// assert!((grid[1] - grid[0] - step).abs() <= 1e-12 * step);
/// ```
pub fn default_grid() -> Vec<f64> {
    linspace(DEFAULT_GRID_LO, DEFAULT_GRID_HI, DEFAULT_GRID_POINTS)
}

/// Histogram edges for overall scores: 1, 1.25, …, 5 (16 bins of width [`SCORE_BIN_WIDTH`]).
///
/// # Examples
///
/// ```
/// use losstat::stats::kde::score_histogram_edges;
/// let edges = score_histogram_edges();
/// // By hand: edge k is 1 + k/4, an exact binary fraction.
/// assert_eq!(edges.len(), 17);
/// assert!(edges.iter().enumerate().all(|(k, &e)| e == 1.0 + k as f64 / 4.0));
/// ```
pub fn score_histogram_edges() -> Vec<f64> {
    linspace(DEFAULT_GRID_LO, DEFAULT_GRID_HI, 17)
}

/// Neumaier-compensated sum (error of a few ulp regardless of length).
fn accurate_sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    sum + comp
}

fn check_finite(values: &[f64], what: &str) -> Result<()> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(Error::NonFiniteValue {
            what: what.to_string(),
            value,
        }),
        None => Ok(()),
    }
}

/// Gaussian KDE of `data` (optionally weighted) on `grid`, equal to `scipy.stats.gaussian_kde`.
///
/// Errors: empty data, fewer than two points, zero variance (or all weight on one point),
/// non-finite data or grid values, weights that are not one finite non-negative number per data
/// point with a positive sum, and a non-positive or non-finite [`Bandwidth::Factor`].
///
/// # Examples
///
/// ```
/// use losstat::stats::kde::{Bandwidth, gaussian_kde, linspace};
/// # fn main() -> losstat::Result<()> {
/// // SciPy 1.17.1 gaussian_kde([-7, -5, 1, 4, 5]) at linspace(-10, 10, 5), Scott's rule
/// // (stats_reference.md §4.6; SciPy's test_gaussian_kde_covariance_caching, §4.5).
/// let data = [-7.0, -5.0, 1.0, 4.0, 5.0];
/// let curve = gaussian_kde(&data, None, Bandwidth::Scott, &linspace(-10.0, 10.0, 5))?;
/// let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want;
/// assert!(close(curve.bandwidth, 0.724_779_663_677_695_5));
/// assert!(close(curve.kernel_sd, 3.889_575_832_062_629_7));
/// assert!(close(curve.density[0], 0.024_633_857_550_968_42));
/// assert!(close(curve.density[2], 0.053_954_438_692_189_17));
/// // Unweighted, the effective sample size is n (by definition, 1/Σ(1/n)²).
/// assert!(close(curve.neff, 5.0));
/// # Ok(()) }
/// ```
pub fn gaussian_kde(
    data: &[f64],
    weights: Option<&[f64]>,
    bandwidth: Bandwidth,
    grid: &[f64],
) -> Result<KdeCurve> {
    check_kde_input(data, bandwidth, grid)?;
    let w = normalised_weights(data.len(), weights)?;
    let spread = weighted_spread(data, &w)?;
    let factor = match bandwidth {
        Bandwidth::Scott => spread.neff.powf(-1.0 / 5.0),
        Bandwidth::Silverman => (spread.neff * 3.0 / 4.0).powf(-1.0 / 5.0),
        Bandwidth::Factor(f) => f,
    };
    let h = kernel_sd(spread.variance, factor, data, grid)?;
    let (z, zw) = merged_scaled_points(data, &w, h);
    let density = kernel_sums(&z, &zw, grid, h);
    Ok(KdeCurve {
        bandwidth: factor,
        kernel_sd: h,
        neff: spread.neff,
        density,
    })
}

/// What a KDE error is about.
const KDE: &str = "kernel density estimate";

/// The checks that need no arithmetic: data present, finite, at least two points; a finite
/// grid; a finite, positive fixed factor.
fn check_kde_input(data: &[f64], bandwidth: Bandwidth, grid: &[f64]) -> Result<()> {
    if data.is_empty() {
        return Err(Error::EmptySample {
            what: KDE.to_string(),
        });
    }
    check_finite(data, KDE)?;
    check_finite(grid, "kernel density grid")?;
    if data.len() < 2 {
        return Err(Error::DegenerateSample {
            what: KDE.to_string(),
            reason: "needs at least two data points".to_string(),
        });
    }
    if let Bandwidth::Factor(f) = bandwidth
        && !(f.is_finite() && f > 0.0)
    {
        return Err(Error::InvalidParameter {
            name: "bandwidth factor",
            value: f.to_string(),
            expected: "a finite number > 0",
        });
    }
    Ok(())
}

/// The weights divided by their sum (`1/n` each when unweighted), after checking that there
/// is one finite, non-negative weight per data point with a positive, finite sum.
fn normalised_weights(n: usize, weights: Option<&[f64]>) -> Result<Vec<f64>> {
    let Some(raw) = weights else {
        return Ok(vec![1.0 / n as f64; n]);
    };
    if raw.len() != n {
        return Err(Error::InvalidParameter {
            name: "weights",
            value: format!("{} weights for {} data points", raw.len(), n),
            expected: "one weight per data point",
        });
    }
    if let Some(&bad) = raw.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::InvalidParameter {
            name: "weights",
            value: bad.to_string(),
            expected: "finite, non-negative weights",
        });
    }
    let total = accurate_sum(raw.iter().copied());
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "weights",
            value: total.to_string(),
            expected: "weights with a positive, finite sum",
        });
    }
    Ok(raw.iter().map(|v| v / total).collect())
}

/// Effective sample size and weighted, bias-corrected variance of the data.
struct Spread {
    /// `1/Σw²`.
    neff: f64,
    /// `Σ w_i (x_i − μ)² / (1 − Σ w_i²)` (NumPy's `cov(…, aweights=w)`).
    variance: f64,
}

/// [`Spread`] of `data` under the normalised weights `w`; a zero or non-finite variance is
/// an error (SciPy: `LinAlgError`).
fn weighted_spread(data: &[f64], w: &[f64]) -> Result<Spread> {
    // Compensated sums: NumPy sums pairwise, so both sides are accurate to a few ulp and the
    // far tails of the density (which amplify an error in h by r²) still agree to 1e-12.
    let v1 = accurate_sum(w.iter().copied());
    let v2 = accurate_sum(w.iter().map(|v| v * v));
    let neff = 1.0 / v2;
    let mean = accurate_sum(data.iter().zip(w).map(|(x, wi)| x * wi)) / v1;
    let ss = accurate_sum(data.iter().zip(w).map(|(x, wi)| {
        let d = x - mean;
        d * (d * wi)
    }));
    let fact = v1 - v2 / v1;
    let variance = ss * (1.0 / fact);
    if !(variance.is_finite() && variance > 0.0) {
        let positive = w.iter().filter(|v| **v > 0.0).count();
        let reason = if positive < 2 {
            "only one data point has positive weight".to_string()
        } else if !variance.is_finite() {
            "the values are too large in magnitude for their variance to be computed".to_string()
        } else {
            "all data points are equal (zero variance), so no bandwidth can be derived".to_string()
        };
        return Err(Error::DegenerateSample {
            what: KDE.to_string(),
            reason,
        });
    }
    Ok(Spread { neff, variance })
}

/// The kernel standard deviation `h = √variance·factor`, provided it can divide every data
/// and grid value in floating point.
fn kernel_sd(variance: f64, factor: f64, data: &[f64], grid: &[f64]) -> Result<f64> {
    let h = variance.sqrt() * factor;
    // A subnormal or huge h passes `h > 0` but overflows x / h (fuzz regression
    // kde-subnormal-bandwidth-factor-nan): every scaled point must stay finite too.
    let scalable =
        (1.0 / h).is_finite() && data.iter().chain(grid.iter()).all(|x| (x / h).is_finite());
    if !(h.is_finite() && h > 0.0 && scalable) {
        return Err(Error::DegenerateSample {
            what: KDE.to_string(),
            reason: format!(
                "the kernel standard deviation {h} cannot scale the data in floating point"
            ),
        });
    }
    Ok(h)
}

/// The data divided by `h`, sorted, with equal values merged (their weights summed): the
/// distinct scaled points and their weights.
fn merged_scaled_points(data: &[f64], w: &[f64], h: f64) -> (Vec<f64>, Vec<f64>) {
    let mut pts: Vec<(f64, f64)> = data.iter().zip(w).map(|(x, wi)| (x / h, *wi)).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut z: Vec<f64> = Vec::with_capacity(pts.len());
    let mut zw: Vec<f64> = Vec::with_capacity(pts.len());
    for (zi, wi) in pts {
        match z.last() {
            Some(&last) if last == zi => {
                if let Some(acc) = zw.last_mut() {
                    *acc += wi;
                }
            }
            _ => {
                z.push(zi);
                zw.push(wi);
            }
        }
    }
    (z, zw)
}

/// The density at each grid point: the kernel sum over the sorted scaled points `z` with
/// weights `zw`, skipping the terms beyond the cutoff (exactly 0.0 in `f64`).
fn kernel_sums(z: &[f64], zw: &[f64], grid: &[f64], h: f64) -> Vec<f64> {
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt() / h;
    let reach = CUTOFF_SQ.sqrt();
    grid.iter()
        .map(|&x| {
            let g = x / h;
            let start = z.partition_point(|&zi| zi < g - reach);
            let mut sum = 0.0;
            for (zi, wi) in z[start..].iter().zip(&zw[start..]) {
                let r = zi - g;
                if r > reach {
                    break;
                }
                sum += wi * (-0.5 * (r * r)).exp();
            }
            sum * norm
        })
        .collect()
}

/// Histogram of `data` with the given strictly increasing `edges` (`numpy.histogram` semantics:
/// half-open bins, the last one closed, values outside the edges ignored).
///
/// # Errors
/// An empty or non-finite sample, non-finite edges, or fewer than two strictly increasing
/// edges.
///
/// # Examples
///
/// ```
/// use losstat::stats::kde::histogram;
/// # fn main() -> losstat::Result<()> {
/// let h = histogram(&[1.0, 1.5, 2.0, 3.0, 3.5], &[1.0, 2.0, 3.0])?;
/// // By hand: [1, 2) holds 1.0 and 1.5; the last bin [2, 3] is closed and holds 2.0 and
/// // 3.0; 3.5 lies outside. Density = 2 / width 1 / 4 counted = 0.5 in each bin.
/// assert_eq!(h.counts, [2, 2]);
/// assert_eq!(h.density, [0.5, 0.5]);
/// # Ok(()) }
/// ```
pub fn histogram(data: &[f64], edges: &[f64]) -> Result<Histogram> {
    const WHAT: &str = "histogram";
    if data.is_empty() {
        return Err(Error::EmptySample {
            what: WHAT.to_string(),
        });
    }
    check_finite(data, WHAT)?;
    check_finite(edges, "histogram edges")?;
    if edges.len() < 2 || edges.windows(2).any(|e| e[0] >= e[1]) {
        return Err(Error::InvalidParameter {
            name: "edges",
            value: format!("{edges:?}"),
            expected: "at least two strictly increasing bin edges",
        });
    }
    let bins = edges.len() - 1;
    let (lo, hi) = (edges[0], edges[bins]);
    let mut counts = vec![0u64; bins];
    for &x in data {
        if x < lo || x > hi {
            continue;
        }
        // Number of edges ≤ x, minus one, is the bin; x == hi goes to the last bin.
        let idx = edges
            .partition_point(|&e| e <= x)
            .saturating_sub(1)
            .min(bins - 1);
        counts[idx] += 1;
    }
    let total: u64 = counts.iter().sum();
    let density = counts
        .iter()
        .zip(edges.windows(2))
        .map(|(&c, e)| {
            if total == 0 {
                0.0
            } else {
                c as f64 / (e[1] - e[0]) / total as f64
            }
        })
        .collect();
    Ok(Histogram {
        edges: edges.to_vec(),
        counts,
        density,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::reference::floats;
    use proptest::prelude::*;
    use serde_json::Value;

    fn reference() -> Value {
        crate::stats::reference::kde_rank()
    }

    fn assert_rel(got: &[f64], want: &[f64], tol: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let err = if *w == 0.0 {
                g.abs()
            } else {
                ((g - w) / w).abs()
            };
            assert!(
                err <= tol,
                "{what}[{i}]: got {g:e}, want {w:e} (rel {err:e})"
            );
        }
    }

    #[test]
    fn fuzz_input_kde_subnormal_bandwidth_factor_nan() {
        // fuzz/regressions/stats/kde-subnormal-bandwidth-factor-nan, decoded.
        let grid = default_grid();
        let result = gaussian_kde(
            &[1.9375, 3.3125, 4.6667],
            Some(&[5e-324, 0.99999, 4.375]),
            Bandwidth::Factor(5e-324),
            &grid,
        );
        assert!(
            matches!(result, Err(Error::DegenerateSample { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn subnormal_factor_is_an_error_not_nan() {
        // Fuzz regression kde-subnormal-bandwidth-factor-nan: a factor of 1e-310 gives a
        // positive but subnormal kernel sd; 1/h overflows.
        let grid = linspace(0.0, 3.0, 5);
        let result = gaussian_kde(&[1.0, 2.0], None, Bandwidth::Factor(1e-310), &grid);
        assert!(
            matches!(result, Err(Error::DegenerateSample { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn linspace_is_bitwise_numpy() {
        // numpy.linspace values from the reference file; compared exactly.
        for case in reference()["linspace"].as_array().expect("cases") {
            let lo = case["lo"].as_f64().expect("lo");
            let hi = case["hi"].as_f64().expect("hi");
            let n = case["n"].as_u64().expect("n") as usize;
            let want = floats(&case["values"]);
            assert_eq!(linspace(lo, hi, n), want, "linspace({lo}, {hi}, {n})");
        }
        assert_eq!(default_grid().len(), 512);
        assert_eq!(default_grid()[511], 5.0);
    }

    #[test]
    fn kde_matches_scipy_on_tied_scores() {
        // scipy.stats.gaussian_kde (SciPy 1.17.1) on overall-score-like tied data, Scott,
        // Silverman, factor 0.3, with and without weights, 512-point grid on [1, 5] and a wide
        // grid. Tolerance 1e-12 relative on every density value, factor and kernel sd.
        for case in reference()["kde"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let data = floats(&case["data"]);
            let weights = if case["weights"].is_null() {
                None
            } else {
                Some(floats(&case["weights"]))
            };
            let bw = match &case["bandwidth"] {
                Value::String(s) if s == "scott" => Bandwidth::Scott,
                Value::String(s) if s == "silverman" => Bandwidth::Silverman,
                v => Bandwidth::Factor(v.as_f64().expect("factor")),
            };
            let g = &case["grid"];
            let grid = linspace(
                g["lo"].as_f64().expect("lo"),
                g["hi"].as_f64().expect("hi"),
                g["n"].as_u64().expect("n") as usize,
            );
            let curve = gaussian_kde(&data, weights.as_deref(), bw, &grid).expect("kde");
            assert_rel(
                &[curve.bandwidth],
                &[case["factor"].as_f64().expect("f")],
                1e-13,
                name,
            );
            assert_rel(
                &[curve.kernel_sd],
                &[case["kernel_sd"].as_f64().expect("h")],
                1e-13,
                name,
            );
            assert_rel(
                &[curve.neff],
                &[case["neff"].as_f64().expect("neff")],
                1e-14,
                name,
            );
            assert_rel(&curve.density, &floats(&case["density"]), 1e-12, name);
        }
    }

    #[test]
    fn kde_matches_scipy_test_suite_and_reference_note() {
        // stats_reference.md §4.5/§4.6 (SciPy 1.17.1, test_kdeoth.py), full-precision values;
        // the weighted cases are in the next test.
        let d = [-7.0, -5.0, 1.0, 4.0, 5.0];
        let c = gaussian_kde(&d, None, Bandwidth::Scott, &linspace(-10.0, 10.0, 5)).expect("kde");
        assert_rel(
            &[c.bandwidth],
            &[0.724_779_663_677_695_5],
            1e-14,
            "scott factor",
        );
        assert_rel(
            &[c.kernel_sd * c.kernel_sd],
            &[15.128_800_153_365_697],
            1e-13,
            "kernel var",
        );
        assert_rel(&[c.kernel_sd], &[3.889_575_832_062_629_7], 1e-13, "h");
        assert_rel(
            &c.density,
            &[
                0.024_633_857_550_968_42,
                0.046_892_081_617_807_02,
                0.053_954_438_692_189_17,
                0.053_377_539_065_572_7,
                0.016_644_752_728_437_01,
            ],
            1e-12,
            "covariance_caching",
        );
        // Silverman factor and pdf at the data (§4.6).
        let s = gaussian_kde(&d, None, Bandwidth::Silverman, &d).expect("kde");
        assert_rel(
            &[s.bandwidth],
            &[0.767_703_899_274_755],
            1e-14,
            "silverman factor",
        );
        assert_rel(
            &[s.kernel_sd * s.kernel_sd],
            &[16.973_835_176_495_9],
            1e-13,
            "kernel var",
        );
        assert_rel(
            &s.density,
            &[
                0.040_346_844_040_707_6,
                0.046_086_459_952_822_54,
                0.055_957_208_960_888_31,
                0.055_357_110_481_789_49,
                0.051_555_440_061_903_48,
            ],
            1e-12,
            "silverman",
        );
        // test_gaussian_kde_subclassing kde4: 0.5 × Silverman factor (6 decimals in SciPy).
        let half = gaussian_kde(&d, None, Bandwidth::Factor(0.5 * s.bandwidth), &d).expect("kde");
        let want = [0.06292987, 0.06346938, 0.05860291, 0.08657652, 0.07904017];
        for (g, w) in half.density.iter().zip(want) {
            assert!((g - w).abs() < 5e-9, "kde4: {g} vs {w}");
        }
        // test_kde_integer_input: arange(5), Scott, at the data.
        let a = [0.0, 1.0, 2.0, 3.0, 4.0];
        let k = gaussian_kde(&a, None, Bandwidth::Scott, &a).expect("kde");
        assert_rel(
            &[k.kernel_sd * k.kernel_sd],
            &[1.313_263_902_201_883_5],
            1e-13,
            "var",
        );
        assert_rel(
            &k.density,
            &[
                0.134_807_212_398_516_26,
                0.182_228_692_169_826_62,
                0.195_149_352_437_649_2,
                0.182_228_692_169_826_57,
                0.134_807_212_398_516_23,
            ],
            1e-12,
            "integer input",
        );
    }

    #[test]
    fn weighted_and_two_point_kde_match_scipy() {
        // test_weights_integer / §4.6 weighted: neff 31²/341, Scott and Silverman.
        let x = [0.2, 13.5, 21.0, 75.0, 99.0];
        let w = [1.0, 2.0, 4.0, 8.0, 16.0];
        let pts = [0.3, 11.0, 88.0];
        let ws = gaussian_kde(&x, Some(&w), Bandwidth::Scott, &pts).expect("kde");
        assert_rel(&[ws.neff], &[2.818_181_818_181_818_3], 1e-15, "neff");
        assert_rel(
            &[ws.bandwidth],
            &[0.812_842_116_990_108_6],
            1e-14,
            "w scott",
        );
        assert_rel(
            &[ws.kernel_sd * ws.kernel_sd / (ws.bandwidth * ws.bandwidth)],
            &[1_700.544_677_419_354_7],
            1e-13,
            "weighted var",
        );
        assert_rel(
            &ws.density,
            &[
                0.002_700_449_906_496_04,
                0.003_291_126_595_297_92,
                0.008_955_405_393_405_65,
            ],
            1e-12,
            "weighted scott",
        );
        let wv = gaussian_kde(&x, Some(&w), Bandwidth::Silverman, &pts).expect("kde");
        assert_rel(
            &[wv.bandwidth],
            &[0.860_981_749_324_510_8],
            1e-14,
            "w silverman",
        );
        assert_rel(
            &wv.density,
            &[
                0.002_700_966_356_469_82,
                0.003_302_645_845_155_03,
                0.008_580_908_428_453_77,
            ],
            1e-12,
            "weighted silverman",
        );
        // Integer and float weights agree (test_weights_integer, atol 1e-14): trivially the same
        // f64 here; scaling all weights changes nothing.
        let w10: Vec<f64> = w.iter().map(|v| v * 10.0).collect();
        let ws10 = gaussian_kde(&x, Some(&w10), Bandwidth::Scott, &pts).expect("kde");
        assert_rel(&ws10.density, &ws.density, 1e-14, "scaled weights");
        // [1, 2], Scott: factor 0.8705505632961241, kernel var 0.37892914, pdf(1.5) = 0.46598004.
        let two = gaussian_kde(&[1.0, 2.0], None, Bandwidth::Scott, &[1.5]).expect("kde");
        assert_rel(&[two.bandwidth], &[0.870_550_563_296_124_1], 1e-14, "two");
        assert!((two.kernel_sd * two.kernel_sd - 0.378_929_14).abs() < 1e-8);
        assert!((two.density[0] - 0.465_980_04).abs() < 1e-8);
    }

    #[test]
    fn kde_errors() {
        let grid = default_grid();
        // §4.6: [3,3,3] → LinAlgError in SciPy; [3] → ValueError.
        assert!(matches!(
            gaussian_kde(&[3.0, 3.0, 3.0], None, Bandwidth::Scott, &grid),
            Err(Error::DegenerateSample { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[3.0], None, Bandwidth::Scott, &grid),
            Err(Error::DegenerateSample { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[], None, Bandwidth::Scott, &grid),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, f64::NAN], None, Bandwidth::Scott, &grid),
            Err(Error::NonFiniteValue { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, 2.0], None, Bandwidth::Scott, &[f64::INFINITY]),
            Err(Error::NonFiniteValue { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, 2.0], None, Bandwidth::Factor(0.0), &grid),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, 2.0], Some(&[1.0]), Bandwidth::Scott, &grid),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, 2.0], Some(&[1.0, -1.0]), Bandwidth::Scott, &grid),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            gaussian_kde(&[1.0, 2.0], Some(&[0.0, 0.0]), Bandwidth::Scott, &grid),
            Err(Error::InvalidParameter { .. })
        ));
        // All weight on one point: zero variance.
        assert!(matches!(
            gaussian_kde(
                &[1.0, 2.0, 3.0],
                Some(&[0.0, 1.0, 0.0]),
                Bandwidth::Scott,
                &grid
            ),
            Err(Error::DegenerateSample { .. })
        ));
        // Far from all data the density is exactly 0, not NaN.
        let far = gaussian_kde(&[1.0, 2.0], None, Bandwidth::Scott, &[1e6]).expect("kde");
        assert_eq!(far.density, vec![0.0]);
        assert!(
            gaussian_kde(&[1.0, 2.0], None, Bandwidth::Scott, &[])
                .expect("kde")
                .density
                .is_empty()
        );
    }

    #[test]
    fn histogram_matches_numpy() {
        // numpy.histogram(data, bins=edges) and density=True; counts exact, density 1e-14.
        for case in reference()["histogram"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let h = histogram(&floats(&case["data"]), &floats(&case["edges"])).expect("hist");
            let want: Vec<u64> = case["counts"]
                .as_array()
                .expect("counts")
                .iter()
                .map(|v| v.as_u64().expect("count"))
                .collect();
            assert_eq!(h.counts, want, "{name}");
            assert_rel(&h.density, &floats(&case["density"]), 1e-14, name);
        }
        assert_eq!(
            score_histogram_edges(),
            floats(&reference()["linspace"][3]["values"])
        );
    }

    #[test]
    fn histogram_edges_and_errors() {
        let h = histogram(&[1.0, 1.25, 4.999, 5.0, 5.5, 0.5], &score_histogram_edges()).expect("h");
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[1], 1);
        assert_eq!(h.counts[15], 2);
        assert_eq!(h.counts.iter().sum::<u64>(), 4);
        let none = histogram(&[9.0], &[0.0, 1.0]).expect("h");
        assert_eq!(none.density, vec![0.0]);
        assert!(matches!(
            histogram(&[], &[0.0, 1.0]),
            Err(Error::EmptySample { .. })
        ));
        assert!(matches!(
            histogram(&[1.0], &[1.0]),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            histogram(&[1.0], &[1.0, 1.0]),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            histogram(&[f64::NAN], &[0.0, 1.0]),
            Err(Error::NonFiniteValue { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn kde_integrates_to_one(
            data in prop::collection::vec(1u8..=20, 2..60),
            weights in prop::collection::vec(0.1f64..10.0, 60),
            factor in 0.1f64..2.0,
            weighted in any::<bool>(),
        ) {
            // Overall-score-like data (multiples of 0.2 on [1, 5]) with at least two values.
            let mut data: Vec<f64> = data.iter().map(|v| 1.0 + f64::from(*v) * 0.2).collect();
            if data.iter().all(|v| *v == data[0]) {
                data[0] += 0.2;
            }
            let w = &weights[..data.len()];
            let w = if weighted { Some(w) } else { None };
            for bw in [Bandwidth::Scott, Bandwidth::Silverman, Bandwidth::Factor(factor)] {
                let c0 = gaussian_kde(&data, w, bw, &[0.0]).expect("kde");
                let h = c0.kernel_sd;
                // Trapezoid on a wide, fine grid: ±12 kernel sds beyond the data.
                let (lo, hi) = (1.0 - 12.0 * h, 5.0 + 12.0 * h);
                let n = 20_001;
                let grid = linspace(lo, hi, n);
                let c = gaussian_kde(&data, w, bw, &grid).expect("kde");
                let dx = (hi - lo) / (n - 1) as f64;
                let total: f64 = c.density.iter().sum::<f64>() * dx
                    - 0.5 * dx * (c.density[0] + c.density[n - 1]);
                prop_assert!((total - 1.0).abs() < 1e-6, "integral {total}");
            }
        }
    }
}
