//! Asymptotic KS p-values as SciPy computes them, and the finite-n Kolmogorov
//! distribution `kstwo` that SciPy's two-sided "asymptotic" p-value actually uses
//! (stage 4, part of [`super`]; the distributions are re-exported there).
//!
//! Input: a statistic `D` (a fraction) and the sample sizes. Output: a p-value.
//!
//! Method (SciPy 1.17 `ks_2samp(method='asymp')`):
//! * two-sided: `kstwo.sf(D, round_half_even(en))` with `en = m·n/(m+n)` — the *exact*
//!   one-sample Kolmogorov distribution at an effective size, not the Kolmogorov limit
//!   (which differs by ~1 % at n ≈ 5000). `kstwo.sf` follows the dispatch of Simard &
//!   L'Ecuyer (2011) as SciPy implements it: Ruben–Gambino closed forms near the ends of
//!   the support, the Durbin matrix in the Marsaglia–Tsang–Wang (2003) form with
//!   power-of-two rescaling, Pomeranz's (1974) recursion, the Birnbaum–Tingey (1951)
//!   one-sided sum `2·smirnov(n, x)` in the upper tail, and the Pelz–Good (1976)
//!   expansion for large n.
//! * one-sided: Hodges (1958) eq. 5.3 with `m = max(n_a, n_b)`, `z = D·√en`:
//!   `p = exp(−2z² − 2z(m + 2n)/(3√(m·n·(m+n))))`.
//!
//! `n = 0` (SciPy's `round(0.5) = 0` for `n_a = n_b = 1`) gives NaN in `kstwo_sf`, as in
//! SciPy; [`scipy_asymptotic_p`] turns that into an error.

use crate::error::{Error, Result};

use super::Alternative;

/// `2^128` and `2^-128`, SciPy's rescaling constants for the Durbin and Pomeranz methods.
const EP128: f64 = 3.402_823_669_209_385e38;
const EM128: f64 = 2.938_735_877_055_719e-39;
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
const LN_2PI: f64 = 1.837_877_066_409_345_5;
const PI_SQUARED: f64 = std::f64::consts::PI * std::f64::consts::PI;

/// SciPy's asymptotic p-value for the chosen alternative (before the final clip).
///
/// # Errors
/// [`Error::DegenerateSample`] for the two-sided case when `round_half_even(en) = 0`
/// (only `n_a = n_b = 1`), where SciPy returns NaN.
pub(crate) fn scipy_asymptotic_p(
    d: f64,
    n_a: usize,
    n_b: usize,
    alternative: Alternative,
) -> Result<f64> {
    let m = n_a.max(n_b) as f64;
    let n = n_a.min(n_b) as f64;
    let en = m * n / (m + n);
    match alternative {
        Alternative::TwoSided => {
            let effective = en.round_ties_even();
            if effective < 1.0 {
                return Err(Error::DegenerateSample {
                    what: "asymptotic two-sided KS p-value".to_owned(),
                    reason: format!(
                        "effective size round(n_a*n_b/(n_a+n_b)) = 0 for sizes {n_a} and {n_b}; \
                         use the exact method"
                    ),
                });
            }
            Ok(kstwo_sf(d, effective as u64))
        }
        Alternative::Less | Alternative::Greater => Ok(hodges_one_sided(d, m, n, en)),
    }
}

/// Hodges (1958) eq. 5.3, in SciPy's operation order (`m ≥ n`).
fn hodges_one_sided(d: f64, m: f64, n: f64, en: f64) -> f64 {
    let z = en.sqrt() * d;
    let expt = -2.0 * (z * z) - 2.0 * z * (m + 2.0 * n) / (m * n * (m + n)).sqrt() / 3.0;
    expt.exp()
}

fn clip_prob(p: f64) -> f64 {
    // NaN propagates, as numpy's clip.
    p.clamp(0.0, 1.0)
}

/// Survival function of the finite-n two-sided one-sample Kolmogorov statistic
/// `P(D_n ≥ d)` — `scipy.stats.kstwo.sf(d, n)`. `n = 0` or NaN `d` gives NaN.
///
/// # Examples
///
/// ```
/// use losstat::stats::ks::kstwo_sf;
/// // SciPy 1.17.1 kstwo.sf(3/7, 3) (stats_reference.md §4.3, "computed here").
/// let expected = 0.516_034_985_422_740_6;
/// assert!((kstwo_sf(3.0 / 7.0, 3) - expected).abs() <= 1e-12 * expected);
/// // Closed form sf(1 − 1/n) = 2/nⁿ (SciPy TestKSTwo, §4.3): n = 5 gives 2/3125.
/// let expected = 2.0 / 3125.0;
/// assert!((kstwo_sf(1.0 - 1.0 / 5.0, 5) - expected).abs() <= 1e-12 * expected);
/// assert!(kstwo_sf(0.5, 0).is_nan());
/// ```
pub fn kstwo_sf(d: f64, n: u64) -> f64 {
    if n == 0 || d.is_nan() {
        return f64::NAN;
    }
    if d >= 1.0 {
        return 0.0;
    }
    if d <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * d;
    if t <= 1.0 {
        return ruben_gambino_low(n, t);
    }
    if t >= nf - 1.0 {
        return clip_prob(2.0 * (1.0 - d).powf(nf));
    }
    if d >= 0.5 {
        return clip_prob(2.0 * smirnov_sf(n, d));
    }
    let nx_squared = t * d;
    if n <= 140 {
        if nx_squared <= 0.754_693 {
            return clip_prob(1.0 - durbin_cdf(n, d));
        }
        if nx_squared <= 4.0 {
            return clip_prob(1.0 - pomeranz_cdf(n, d));
        }
        return clip_prob(2.0 * smirnov_sf(n, d));
    }
    if nx_squared >= 370.0 {
        return 0.0;
    }
    if nx_squared >= 2.2 {
        return clip_prob(2.0 * smirnov_sf(n, d));
    }
    let cdf = if n <= 100_000 && nf * d.powf(1.5) <= 1.4 {
        durbin_cdf(n, d)
    } else {
        pelz_good_cdf(n, d)
    };
    clip_prob(1.0 - cdf)
}

/// `1/(2n) < d ≤ 1/n`: `cdf = n!/nⁿ·(2t − 1)ⁿ` (Ruben & Gambino 1982); returns the sf.
fn ruben_gambino_low(n: u64, t: f64) -> f64 {
    if t <= 0.5 {
        return 1.0;
    }
    let nf = n as f64;
    let base = 2.0 * t - 1.0;
    let cdf = if n <= 140 {
        let inv_n = 1.0 / nf;
        (1..=n).fold(1.0, |acc, i| acc * (i as f64 * inv_n * base))
    } else {
        (log_nfactorial_div_n_pow_n(nf) + nf * base.ln()).exp()
    };
    clip_prob(1.0 - cdf)
}

/// `ln(n!/nⁿ)` by Stirling's series (SciPy's coefficients, Horner in `1/n²`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const COEFFS: [f64; 8] = [
        -2.955_065_359_477_124e-2,
        6.410_256_410_256_41e-3,
        -1.917_526_917_526_917_6e-3,
        8.417_508_417_508_417e-4,
        -5.952_380_952_380_952e-4,
        7.936_507_936_507_937e-4,
        -2.777_777_777_777_778e-3,
        8.333_333_333_333_333e-2,
    ];
    let rn = 1.0 / n;
    let y = rn / n;
    let poly = COEFFS.iter().fold(0.0, |acc, &c| acc * y + c);
    n.ln() / 2.0 - n + LN_2PI / 2.0 + rn * poly
}

/// Multiply by `2^exponent` without intermediate overflow or underflow.
fn ldexp(mut x: f64, mut exponent: i64) -> f64 {
    const STEP: i64 = 1000;
    while exponent > STEP {
        x *= 2f64.powi(STEP as i32);
        exponent -= STEP;
    }
    while exponent < -STEP {
        x *= 2f64.powi(-STEP as i32);
        exponent += STEP;
    }
    x * 2f64.powi(exponent as i32)
}

// ------------------------------------------------------------------------------------
// Durbin matrix (Marsaglia, Tsang & Wang 2003)
// ------------------------------------------------------------------------------------

/// A dense square matrix, row-major.
#[derive(Clone)]
struct Square {
    size: usize,
    cells: Vec<f64>,
}

impl Square {
    fn zeros(size: usize) -> Self {
        Self {
            size,
            cells: vec![0.0; size * size],
        }
    }

    fn identity(size: usize) -> Self {
        let mut m = Self::zeros(size);
        for i in 0..size {
            m.set(i, i, 1.0);
        }
        m
    }

    fn get(&self, row: usize, col: usize) -> f64 {
        self.cells[row * self.size + col]
    }

    fn set(&mut self, row: usize, col: usize, value: f64) {
        self.cells[row * self.size + col] = value;
    }

    fn mul(&self, other: &Self) -> Self {
        let s = self.size;
        let mut out = Self::zeros(s);
        for i in 0..s {
            for k in 0..s {
                let aik = self.cells[i * s + k];
                if aik == 0.0 {
                    continue;
                }
                let row = &other.cells[k * s..(k + 1) * s];
                for (o, &b) in out.cells[i * s..(i + 1) * s].iter_mut().zip(row) {
                    *o += aik * b;
                }
            }
        }
        out
    }

    fn scale(&mut self, factor: f64) {
        self.cells.iter_mut().for_each(|c| *c *= factor);
    }
}

/// `P(D_n ≤ d)` by the Durbin matrix `H^n` (Marsaglia, Tsang & Wang 2003), with SciPy's
/// power-of-two rescaling so that large n neither overflows nor underflows.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let mut matrix = durbin_matrix(k, h);
    let mut power = Square::identity(matrix.size);
    let (mut exponent, mut matrix_exponent) = (0i64, 0i64);
    let mut remaining = n;
    while remaining > 0 {
        if remaining % 2 == 1 {
            power = power.mul(&matrix);
            exponent += matrix_exponent;
        }
        matrix = matrix.mul(&matrix);
        matrix_exponent *= 2;
        if matrix.get(k - 1, k - 1).abs() > EP128 {
            matrix.scale(1.0 / EP128);
            matrix_exponent += 128;
        }
        remaining /= 2;
    }
    let mut p = power.get(k - 1, k - 1);
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            exponent -= 128;
        }
    }
    clip_prob(ldexp(p, exponent))
}

/// The `(2k−1)×(2k−1)` Durbin matrix for `h = k − n·d`.
fn durbin_matrix(k: usize, h: f64) -> Square {
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    let mut matrix = Square::zeros(m);
    for col in 1..m {
        for row in (col - 1)..m {
            matrix.set(row, col, w[row + 1 - col]);
        }
    }
    for (row, &value) in v.iter().enumerate() {
        matrix.set(row, 0, value);
    }
    for (col, &value) in v.iter().rev().enumerate() {
        matrix.set(m - 1, col, value);
    }
    matrix
}

// ------------------------------------------------------------------------------------
// Pomeranz (1974) recursion
// ------------------------------------------------------------------------------------

/// Fractional-part bookkeeping of `t = n·d` shared by every row of the recursion.
struct PomeranzGrid {
    n: i64,
    ll: i64,
    ceil_f: i64,
    round_f: i64,
}

impl PomeranzGrid {
    /// The valid column range `[j1, j2]` of row `i` (Simard & L'Ecuyer 2011, §2.2).
    fn row_range(&self, i: i64) -> (i64, i64) {
        let Self {
            n,
            ll,
            ceil_f,
            round_f,
        } = *self;
        let (j1, j2) = if i == 0 {
            (-ll - ceil_f - 1, ll + ceil_f - 1)
        } else {
            let half = (i + 1) / 2;
            if (i + 1) % 2 == 0 {
                if half == n + 1 {
                    (n - ll - ceil_f - 1, n + ll + ceil_f - 1)
                } else {
                    (half - 1 - ll - round_f - 1, half + ll - 1 + ceil_f - 1)
                }
            } else {
                (half - 1 - ll - 1, half + ll + round_f - 1)
            }
        };
        ((j1 + 2).max(0), j2.min(n))
    }
}

/// `(c/n)^m/m!` for `m = 0..len`.
fn scaled_powers(c_over_n: f64, len: usize) -> Vec<f64> {
    let mut out = vec![1.0; len];
    for m in 1..len {
        out[m] = out[m - 1] * c_over_n / m as f64;
    }
    out
}

/// `P(D_n ≤ d)` by Pomeranz's recursion over the `2n+2` breakpoints, with
/// power-of-two rescaling.
fn pomeranz_cdf(n: u64, d: f64) -> f64 {
    let nf = n as f64;
    let t = nf * d;
    let ll_f = t.floor();
    let f = t - ll_f;
    let g = f.min(1.0 - f);
    let grid = PomeranzGrid {
        n: n as i64,
        ll: ll_f as i64,
        ceil_f: i64::from(f > 0.0),
        round_f: i64::from(f > 0.5),
    };
    let len = 2 * (grid.ll as usize + 1);
    let g_pow = scaled_powers(g / nf, len);
    let two_g_pow = scaled_powers(2.0 * g / nf, len);
    let one_minus_two_g_pow = scaled_powers((1.0 - 2.0 * g) / nf, len);

    let mut previous = vec![0.0; len];
    let mut current = vec![0.0; len];
    current[0] = 1.0;
    let (mut prev_start, mut cur_start) = (0i64, 0i64);
    let mut exponent = 0i64;
    let (mut j1, _) = grid.row_range(0);
    let last_row = 2 * grid.n + 1;
    for i in 1..=last_row {
        let k1 = j1;
        std::mem::swap(&mut previous, &mut current);
        std::mem::swap(&mut prev_start, &mut cur_start);
        current.fill(0.0);
        let (new_j1, j2) = grid.row_range(i);
        j1 = new_j1;
        let powers = if i == 1 || i == last_row {
            &g_pow
        } else if i % 2 == 1 {
            &two_g_pow
        } else {
            &one_minus_two_g_pow
        };
        let width = j2 - k1 + 1;
        if width <= 0 {
            continue;
        }
        let Some(window) = slice_window(&previous, k1 - prev_start, width) else {
            return f64::NAN;
        };
        let kernel = &powers[..(width as usize).min(powers.len())];
        let out_len = (j2 - j1 + 1).max(0) as usize;
        let first = (j1 - k1).max(0) as usize;
        for (slot, idx) in current.iter_mut().take(out_len).zip(first..) {
            *slot = convolution_at(window, kernel, idx);
        }
        let max = current.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max > 0.0 && max < EM128 {
            for v in &mut current {
                *v *= EP128;
            }
            exponent -= 128;
        }
        cur_start = prev_start + j1 - k1;
    }
    let Some(&start_value) = usize::try_from(grid.n - cur_start)
        .ok()
        .and_then(|i| current.get(i))
    else {
        return f64::NAN;
    };
    let mut ans = start_value;
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            exponent += 128;
        }
        ans *= m as f64;
    }
    clip_prob(ldexp(ans, exponent))
}

/// `v[start .. start+len]`, clipped at the end like a numpy slice; `None` if `start < 0`.
fn slice_window(v: &[f64], start: i64, len: i64) -> Option<&[f64]> {
    let start = usize::try_from(start).ok()?;
    let end = start
        .saturating_add(usize::try_from(len).ok()?)
        .min(v.len());
    v.get(start.min(end)..end)
}

/// Entry `idx` of the full discrete convolution of `a` and `b`.
fn convolution_at(a: &[f64], b: &[f64], idx: usize) -> f64 {
    let lo = idx.saturating_sub(b.len().saturating_sub(1));
    let hi = idx.min(a.len().saturating_sub(1));
    (lo..=hi)
        .filter(|&i| i < a.len())
        .map(|i| a[i] * b[idx - i])
        .sum()
}

// ------------------------------------------------------------------------------------
// Pelz & Good (1976)
// ------------------------------------------------------------------------------------

/// `P(D_n ≤ d)` by the Pelz–Good expansion `K0 + K1/√n + K2/n + K3/n^1.5` in the
/// small-`z` (Jacobi theta) form, with SciPy's truncation `k ≤ ⌈16z/π⌉`.
fn pelz_good_cdf(n: u64, d: f64) -> f64 {
    use std::f64::consts::PI;
    if d <= 0.0 {
        return 0.0;
    }
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * d;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let q_log = -PI_SQUARED / 8.0 / z2;
    if q_log < -708.0 {
        return 0.0;
    }
    let q = q_log.exp();
    let pi4 = PI_SQUARED * PI_SQUARED;
    let pi6 = pi4 * PI_SQUARED;
    let k1 = [-z2, PI_SQUARED / 4.0];
    let k2 = [
        6.0 * z6 + 2.0 * z4,
        (2.0 * z4 - 5.0 * z2) * PI_SQUARED / 4.0,
        pi4 * (1.0 - 2.0 * z2) / 16.0,
    ];
    let k3 = [
        -30.0 * z6 - 90.0 * z.powi(8),
        PI_SQUARED * (135.0 * z4 - 96.0 * z6) / 4.0,
        pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0,
        pi6 * (5.0 - 30.0 * z2) / 64.0,
    ];
    let max_k = (16.0 * z / PI).ceil() as i64;
    let mut terms = [0.0f64; 4];
    for k in (1..=max_k).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let q_power = q.powf(8.0 * k as f64);
        let coeffs = [
            1.0,
            k1[0] + k1[1] * m2,
            k2[0] + k2[1] * m2 + k2[2] * m4,
            k3[0] + k3[1] * m2 + k3[2] * m4 + k3[3] * m6,
        ];
        for (t, c) in terms.iter_mut().zip(coeffs) {
            *t = *t * q_power + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (t, div) in terms.iter_mut().zip(divisors) {
        *t = *t * q * SQRT_2PI / div;
    }
    let q2 = (-PI_SQUARED / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let mut k2_extra = 0.0;
    let mut k3_extra = 0.0;
    for k in (1..=max_k).rev() {
        let kf = k as f64;
        let k_squared = kf * kf;
        let q_power = q2.powf(k_squared);
        let kpi = PI * kf;
        k2_extra += k_squared * q_power;
        k3_extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k_squared * q_power;
    }
    terms[2] += k2_extra * (PI_SQUARED * SQRT_2PI / (-36.0 * z3));
    terms[3] += k3_extra * (PI_SQUARED * SQRT_2PI / (216.0 * z6));
    let sum: f64 = terms
        .iter()
        .enumerate()
        .map(|(i, &t)| t / nf.powf(i as f64 / 2.0))
        .sum();
    sum
}

// ------------------------------------------------------------------------------------
// One-sided Smirnov and the Kolmogorov limit
// ------------------------------------------------------------------------------------

/// A number as an unevaluated sum `hi + lo` (double-double), for the bases of the
/// Birnbaum–Tingey powers.
#[derive(Clone, Copy)]
struct DoubleDouble {
    hi: f64,
    lo: f64,
}

impl DoubleDouble {
    fn two_sum(a: f64, b: f64) -> Self {
        let hi = a + b;
        let bb = hi - a;
        let lo = (a - (hi - bb)) + (b - bb);
        Self { hi, lo }
    }

    /// `j/n` with the rounding remainder.
    fn ratio(j: f64, n: f64) -> Self {
        let hi = j / n;
        let lo = (-hi).mul_add(n, j) / n;
        Self { hi, lo }
    }

    /// The exact product `a·b` (fused multiply-add for the rounding error).
    fn product(a: f64, b: f64) -> Self {
        let hi = a * b;
        let lo = a.mul_add(b, -hi);
        Self { hi, lo }
    }

    fn add(self, other: Self) -> Self {
        let s = Self::two_sum(self.hi, other.hi);
        let lo = s.lo + self.lo + other.lo;
        Self::two_sum(s.hi, lo)
    }

    fn neg(self) -> Self {
        Self {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    /// `ln(hi + lo)` to first order in `lo/hi`.
    fn ln(self) -> f64 {
        self.hi.ln() + self.lo / self.hi
    }
}

/// One-sided one-sample Kolmogorov–Smirnov survival function `P(D⁺_n ≥ x)`
/// (`scipy.special.smirnov`), by the Birnbaum–Tingey (1951) sum
/// `x·Σ_{j=0}^{⌊n(1−x)⌋} C(n,j)(1−x−j/n)^{n−j}(x+j/n)^{j−1}` evaluated term by term in
/// logarithms with double-double bases; for `n > 10⁶` the asymptotic
/// `exp(−(6nx+1)²/(18n))`, as SciPy.
///
/// # Examples
///
/// ```
/// use losstat::stats::ks::smirnov_sf;
/// // scipy.special.smirnov(4, 0.5) = 0.09375 (SciPy test_kolmogorov.py, stats_reference.md
/// // §4.3). By hand, only j = 0, 1 of the sum are non-zero: 0.5·(0.5⁴/0.5 + 4·0.25³) = 3/32.
/// let expected = 3.0 / 32.0;
/// assert!((smirnov_sf(4, 0.5) - expected).abs() <= 1e-12 * expected);
/// ```
pub fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    if n > 1_000_000 {
        let a = 6.0 * nf * x + 1.0;
        return (-(a * a) / (18.0 * nf)).exp();
    }
    let one_minus_x = DoubleDouble::two_sum(1.0, -x);
    let x_dd = DoubleDouble { hi: x, lo: 0.0 };
    let last = (nf * (1.0 - x)).floor().min(nf) as u64;
    // ln C(n, j), accumulated in double-double: the running sum reaches n·ln 2, and
    // plain accumulation would lose ~1e-11 relative at n = 5000.
    let mut log_binomial = DoubleDouble { hi: 0.0, lo: 0.0 };
    let mut sum = 0.0f64;
    for j in 0..=last {
        let jf = j as f64;
        if j > 0 {
            let step = ((nf - jf + 1.0) / jf).ln();
            log_binomial = log_binomial.add(DoubleDouble { hi: step, lo: 0.0 });
        }
        let frac = DoubleDouble::ratio(jf, nf);
        let base_low = one_minus_x.add(frac.neg());
        if base_low.hi <= 0.0 {
            break;
        }
        let base_high = x_dd.add(frac);
        let log_term = log_binomial
            .add(DoubleDouble::product(nf - jf, base_low.ln()))
            .add(DoubleDouble::product(jf - 1.0, base_high.ln()));
        sum += log_term.hi.exp() * (1.0 + log_term.lo);
    }
    clip_prob(x * sum)
}

/// Survival function of the Kolmogorov limit distribution, `P(K > x)`
/// (`scipy.special.kolmogorov`, `kstwobign.sf`): `2Σ(−1)^{k−1}e^{−2k²x²}` for `x > 0.82`,
/// `1 − √(2π)/x·Σ_{k odd} e^{−k²π²/(8x²)}` below.
///
/// # Examples
///
/// ```
/// use losstat::stats::ks::kolmogorov_sf;
/// // scipy.special.kolmogorov(1) and kolmogorov(0.5), SciPy test_kolmogorov.py (stats_reference.md
/// // §4.3); relative 1e-10 as in that test (both branches of the series).
/// let expected = 0.269_999_671_677_354_56;
/// assert!((kolmogorov_sf(1.0) - expected).abs() <= 1e-10 * expected);
/// let expected = 0.963_945_243_664_875_1;
/// assert!((kolmogorov_sf(0.5) - expected).abs() <= 1e-10 * expected);
/// ```
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x > 0.82 {
        let mut sum = 0.0;
        let mut sign = 1.0;
        for k in 1..=100u32 {
            let kf = f64::from(k);
            let term = (-2.0 * kf * kf * x * x).exp();
            sum += sign * term;
            sign = -sign;
            if term < 1e-18 {
                break;
            }
        }
        return clip_prob(2.0 * sum);
    }
    let w = PI_SQUARED / (8.0 * x * x);
    let mut sum = 0.0;
    for k in (1..=41u32).step_by(2) {
        let kf = f64::from(k);
        let term = (-kf * kf * w).exp();
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
    }
    clip_prob(1.0 - SQRT_2PI / x * sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_rel(actual: f64, expected: f64, rtol: f64, what: &str) {
        let err = ((actual - expected) / expected).abs();
        assert!(
            err <= rtol,
            "{what}: got {actual:e}, expected {expected:e}, rel err {err:e}"
        );
    }

    fn factorial_over_power(n: u64) -> f64 {
        (1..=n).fold(1.0, |acc, i| acc * i as f64 / n as f64)
    }

    #[test]
    fn kstwo_values_computed_with_scipy() {
        // stats_reference.md §4.3, "computed here (SciPy 1.17.1)": kstwo.sf(x, n).
        let cases = [
            (3.0 / 7.0, 3, 0.516_034_985_422_740_6),
            (0.3, 10, 0.270_535_574_799_999_46),
            (0.1, 100, 0.252_692_757_006_387_4),
            (0.05, 1000, 0.013_012_074_781_090_332),
            (0.02, 5238, 0.029_873_436_813_412_48),
        ];
        for (x, n, expected) in cases {
            assert_rel(
                kstwo_sf(x, n),
                expected,
                1e-12,
                &format!("kstwo.sf({x}, {n})"),
            );
        }
    }

    #[test]
    fn kstwo_closed_forms() {
        // SciPy TestKSTwo: cdf(1/n) = n!/nⁿ, sf(1 − 1/n) = 2/nⁿ.
        // (n ≤ 141 so that 2/nⁿ stays a normal double.)
        for n in [2u64, 5, 10, 50, 100, 139, 140, 141] {
            let nf = n as f64;
            let expected_cdf = factorial_over_power(n);
            let cdf = 1.0 - kstwo_sf(1.0 / nf, n);
            assert!(
                (cdf - expected_cdf).abs() <= 1e-14,
                "cdf(1/n) n={n}: {cdf} vs {expected_cdf}"
            );
            let expected_sf = 2.0 / nf.powf(nf);
            assert_rel(kstwo_sf(1.0 - 1.0 / nf, n), expected_sf, 1e-12, "sf(1-1/n)");
        }
    }

    #[test]
    fn kstwo_simard_lecuyer_table() {
        // SciPy TestKSTwo (Simard & L'Ecuyer table): n = 100, x = r·ln2·√(π/(2n)); rtol 1e-5.
        let n = 100u64;
        let base = std::f64::consts::LN_2 * (std::f64::consts::PI / (2.0 * n as f64)).sqrt();
        let table = [
            (0.25, 1.002_018_86e-9),
            (1.0 / 3.0, 1.326_730_79e-5),
            (0.5, 1.246_085_94e-2),
            (1.0, 5.861_632_20e-1),
            (2.0, 9.958_668_77e-1),
            (3.0, 9.999_982_40e-1),
        ];
        for (r, cdf) in table {
            let got = 1.0 - kstwo_sf(r * base, n);
            assert_rel(got, cdf, 1e-5, &format!("kstwo.cdf r={r}"));
        }
    }

    #[test]
    fn kstwo_zero_n_is_nan() {
        // ks_2samp([0],[1],method='asymp') → round(0.5) = 0 → NaN in SciPy.
        assert!(kstwo_sf(0.5, 0).is_nan());
        assert!(matches!(
            scipy_asymptotic_p(1.0, 1, 1, Alternative::TwoSided),
            Err(Error::DegenerateSample { .. })
        ));
    }

    #[test]
    fn smirnov_at_one_half() {
        // scipy/special/tests/test_kolmogorov.py: smirnov(n, 0.5), n = 1..10 (12 digits).
        let expected = [
            0.5,
            0.25,
            0.166_666_666_667,
            0.093_75,
            0.056,
            0.032_793_209_876_5,
            0.019_195_870_768_1,
            0.011_295_318_603_5,
            0.006_619_332_573_55,
            0.003_888_705,
        ];
        for (n, e) in (1u64..).zip(expected) {
            assert_rel(smirnov_sf(n, 0.5), e, 5e-11, &format!("smirnov({n}, 0.5)"));
        }
    }

    #[test]
    fn kolmogorov_limit_values() {
        // scipy/special/tests/test_kolmogorov.py: kolmogorov(x), rtol 1e-10.
        let cases = [
            (0.5, 0.963_945_243_664_875_1),
            (0.827_573_555_189_907_7, 0.5),
            (1.0, 0.269_999_671_677_354_56),
            (2.0, 0.000_670_925_255_779_695_3),
        ];
        for (x, e) in cases {
            assert_rel(kolmogorov_sf(x), e, 1e-10, &format!("kolmogorov({x})"));
        }
        let grid = [
            1.0,
            1.0,
            0.999_999_999_999_495,
            0.999_990_694_198_665_5,
            0.997_192_326_777_298_3,
            0.963_945_243_664_875_1,
            0.864_282_779_050_604_2,
            0.711_235_195_029_689,
            0.544_142_411_574_198_1,
            0.392_730_707_940_654_3,
            0.269_999_671_677_354_6,
        ];
        for (i, e) in grid.iter().enumerate() {
            let x = 2.0 * i as f64 / 20.0;
            assert_rel(kolmogorov_sf(x), *e, 1e-10, &format!("kolmogorov({x})"));
        }
    }

    #[test]
    fn limit_differs_from_kstwo() {
        // §1.4: kstwo.sf(0.02, 5238) = 0.0298734 but kstwobign.sf(√5238·0.02) = 0.0302804.
        assert_rel(
            kolmogorov_sf(5238f64.sqrt() * 0.02),
            0.030_280_4,
            2e-6,
            "kstwobign",
        );
    }
}
