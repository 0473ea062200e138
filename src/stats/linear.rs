//! Ordinary least squares with heteroskedasticity-consistent (HC3) standard errors, as R's
//! `lm(y ~ x)` and `sandwich::vcovHC(fit, type = "HC3")`.
//!
//! Input: a design matrix (rows = observations, columns = regressors, an intercept column
//! included by the caller) and the response. Output: an [`Ols`] fit: coefficients, HC3
//! covariance, hat values, residual degrees of freedom.
//!
//! Method. The coefficients solve the normal equations `XᵀX β = Xᵀy` by a Cholesky
//! factorisation (nalgebra). A column that is a linear combination of the columns before it is
//! *aliased*, as R's `lm` reports it (`NA` coefficient): it is dropped, judged by the pivot of
//! an incremental Cholesky of `XᵀX` in column order against R's tolerance 1e-7 (relative to the
//! column's own sum of squares), so the same columns are dropped as R's limited-pivoting QR
//! drops. HC3 (MacKinnon & White 1985, J. Econometrics 29):
//! `V = (XᵀX)⁻¹ Xᵀ diag(eᵢ² / (1 − hᵢᵢ)²) X (XᵀX)⁻¹`, with `hᵢᵢ = xᵢᵀ(XᵀX)⁻¹xᵢ` the hat values. An
//! observation with `hᵢᵢ = 1` (alone in its cell) makes the term 0/0, which R returns as NaN; here
//! it is an error, and callers pool such cells first.
//!
//! Memory: the design is never copied when no column is aliased. `XᵀX` of a dummy coding is
//! counted from the ones of each row (its entries are counts, exact in any order), `Xᵀy` is
//! summed column by column, and the rows are projected for the hat values a block at a time,
//! so at ten million ratings (a 369,000 × 38 design, 112 MB) the fit needs no second
//! n × p matrix. The arithmetic of every value is that of the plain formulas (the same bits;
//! tested).

use std::borrow::Cow;

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

/// R's `lm` tolerance for collinear columns (`lm.fit(tol = 1e-7)`).
pub const ALIAS_TOLERANCE: f64 = 1e-7;

/// A least-squares fit with HC3 covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Ols {
    /// One coefficient per design column; `None` for an aliased column.
    pub coefficients: Vec<Option<f64>>,
    /// HC3 covariance of the estimable coefficients, in column order (aliased columns left out).
    pub vcov: DMatrix<f64>,
    /// The design columns the covariance is over.
    pub estimable: Vec<usize>,
    /// Hat values `hᵢᵢ`.
    pub hat: Vec<f64>,
    /// Fitted values.
    pub fitted: Vec<f64>,
    /// Residual degrees of freedom `n − rank`.
    pub residual_df: usize,
}

impl Ols {
    /// The HC3 variance of the linear combination `cᵀβ` of the coefficients (`c` over all design
    /// columns; entries of aliased columns must be 0).
    pub fn contrast_variance(&self, c: &[f64]) -> f64 {
        let k: DVector<f64> = DVector::from_iterator(
            self.estimable.len(),
            self.estimable
                .iter()
                .map(|&j| c.get(j).copied().unwrap_or(0.0)),
        );
        (k.transpose() * &self.vcov * &k)[(0, 0)]
    }

    /// `cᵀβ` over the estimable coefficients.
    pub fn contrast(&self, c: &[f64]) -> f64 {
        self.coefficients
            .iter()
            .zip(c)
            .filter_map(|(b, w)| b.map(|b| b * w))
            .sum()
    }
}

/// Fits `y ~ X` by least squares with HC3 covariance (see the module docs).
///
/// # Errors
/// [`Error::InvalidParameter`] when `x` and `y` do not match, a value is not finite, no column
/// is estimable, there are no residual degrees of freedom, or an observation has hat value 1.
pub fn ols_hc3(x: &DMatrix<f64>, y: &[f64]) -> Result<Ols> {
    let invalid = |value: String, expected: &'static str| Error::InvalidParameter {
        name: "linear model",
        value,
        expected,
    };
    if x.nrows() != y.len() || y.iter().chain(x.iter()).any(|v| !v.is_finite()) {
        return Err(invalid(
            format!("{} rows, {} responses", x.nrows(), y.len()),
            "a finite design with one row per response",
        ));
    }
    let gram = gram_matrix(x);
    let estimable = independent_columns(&gram);
    let n = x.nrows();
    if estimable.is_empty() || n <= estimable.len() {
        return Err(invalid(
            format!("{n} observations, {} estimable columns", estimable.len()),
            "more observations than estimable columns",
        ));
    }
    // The estimable columns: the design itself when none is aliased (no copy of it), and then
    // XᵀX is the Gram matrix already computed.
    let all = estimable.len() == x.ncols();
    let xe: Cow<'_, DMatrix<f64>> = if all {
        Cow::Borrowed(x)
    } else {
        Cow::Owned(x.select_columns(&estimable))
    };
    let xtx = if all { gram } else { gram_matrix(&xe) };
    let xty = transpose_times(&xe, y);
    let xtx_inverse = xtx
        .cholesky()
        .map(|c| c.inverse())
        .ok_or_else(|| invalid("a singular XᵀX".to_string(), "independent columns"))?;
    let beta = &xtx_inverse * xty;
    let fitted = &*xe * &beta;
    let hat = hat_values(&xe, &xtx_inverse);
    let mut meat = DMatrix::<f64>::zeros(estimable.len(), estimable.len());
    for i in 0..n {
        let e = y[i] - fitted[i];
        let leverage = 1.0 - hat[i];
        if leverage <= 1e-10 {
            return Err(invalid(
                format!("observation {} has hat value {}", i + 1, hat[i]),
                "no observation alone in its cell (pool such cells first)",
            ));
        }
        let w = e * e / (leverage * leverage);
        add_weighted_outer(&mut meat, w, &xe.row(i).transpose());
    }
    let vcov = &xtx_inverse * meat * &xtx_inverse;
    let mut coefficients = vec![None; x.ncols()];
    for (k, &j) in estimable.iter().enumerate() {
        coefficients[j] = Some(beta[k]);
    }
    Ok(Ols {
        coefficients,
        vcov,
        residual_df: n - estimable.len(),
        estimable,
        hat,
        fitted: fitted.iter().copied().collect(),
    })
}

/// `XᵀX`. For a design of zeros and ones (a dummy coding) each entry is a count of rows, exact
/// in any order of addition, so it is counted row by row from the ones of each row, with no
/// transposed copy of the design; any other design is multiplied as `Xᵀ * X` (nalgebra).
fn gram_matrix(x: &DMatrix<f64>) -> DMatrix<f64> {
    if !x.iter().all(|&v| v == 0.0 || v == 1.0) {
        return x.transpose() * x;
    }
    let p = x.ncols();
    let mut gram = DMatrix::<f64>::zeros(p, p);
    let mut ones = Vec::with_capacity(p);
    for i in 0..x.nrows() {
        ones.clear();
        ones.extend((0..p).filter(|&j| x[(i, j)] == 1.0));
        for &a in &ones {
            for &b in &ones {
                gram[(a, b)] += 1.0;
            }
        }
    }
    gram
}

/// `Xᵀy` without a transposed copy of `X`, with the arithmetic of nalgebra's product of the
/// transposed copy and `y` (its matrix-vector path: entry k starts at `x₀ₖ·y₀` and adds
/// `xⱼₖ·yⱼ` row after row), so the same bits.
fn transpose_times(x: &DMatrix<f64>, y: &[f64]) -> DVector<f64> {
    DVector::from_iterator(
        x.ncols(),
        x.column_iter().map(|column| {
            let mut terms = column.iter().zip(y).map(|(a, b)| a * b);
            let first = terms.next().unwrap_or(0.0);
            terms.fold(first, |sum, term| term + sum)
        }),
    )
}

/// Rows of the design projected at a time for the hat values.
const HAT_BLOCK_ROWS: usize = 4096;

/// The hat values `hᵢᵢ = xᵢ (XᵀX)⁻¹ xᵢᵀ`. The rows are projected a block at a time instead of
/// all at once (at ten million ratings the projected design would be another copy of it);
/// every block has [`HAT_BLOCK_ROWS`] rows (the last one overlaps the one before), so each is
/// multiplied as the whole design was, and each value is the same to the bit.
fn hat_values(xe: &DMatrix<f64>, xtx_inverse: &DMatrix<f64>) -> Vec<f64> {
    let n = xe.nrows();
    if n <= HAT_BLOCK_ROWS {
        let projected = xe * xtx_inverse;
        return (0..n).map(|i| projected.row(i).dot(&xe.row(i))).collect();
    }
    let mut hat = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let first = start.min(n - HAT_BLOCK_ROWS);
        let projected = xe.rows(first, HAT_BLOCK_ROWS) * xtx_inverse;
        for (k, h) in hat[first..first + HAT_BLOCK_ROWS].iter_mut().enumerate() {
            *h = projected.row(k).dot(&xe.row(first + k));
        }
        start = first + HAT_BLOCK_ROWS;
    }
    hat
}

/// Adds `w · x xᵀ` to `meat` in place, entry `(j, k)` getting `(w · x_j) · x_k`: the products
/// `meat += w * x * xᵀ` adds, in the same order, without its p × p temporary (one per
/// observation). A finite product with a zero factor is ±0, which changes no sum that starts
/// at +0 (such a sum is never −0), so those entries are skipped (a dummy-coded row has a few
/// ones).
fn add_weighted_outer(meat: &mut DMatrix<f64>, w: f64, x: &DVector<f64>) {
    let weighted = w * x;
    if weighted.iter().any(|v| !v.is_finite()) {
        // ∞ · 0 is NaN: without the skipping, exactly as the temporaries would have it.
        *meat += weighted * x.transpose();
        return;
    }
    for (k, &xk) in x.iter().enumerate() {
        if xk == 0.0 {
            continue;
        }
        for (j, &wj) in weighted.iter().enumerate() {
            if wj != 0.0 {
                meat[(j, k)] += wj * xk;
            }
        }
    }
}

/// The columns of the Gram matrix `g = XᵀX` that are not (within [`ALIAS_TOLERANCE`]) a linear
/// combination of earlier ones: an incremental Cholesky in column order, a column kept when
/// its pivot (the squared norm of its part orthogonal to the kept columns) is above the
/// tolerance relative to its own squared norm.
fn independent_columns(g: &DMatrix<f64>) -> Vec<usize> {
    let p = g.ncols();
    let mut kept: Vec<usize> = Vec::new();
    // Rows of the Cholesky factor L of the kept columns: l[k][m], m ≤ k.
    let mut l: Vec<Vec<f64>> = Vec::new();
    for j in 0..p {
        let mut row = Vec::with_capacity(kept.len() + 1);
        for (k, &c) in kept.iter().enumerate() {
            let dot: f64 = (0..k).map(|m| row[m] * l[k][m]).sum();
            row.push((g[(j, c)] - dot) / l[k][k]);
        }
        let pivot = g[(j, j)] - row.iter().map(|v| v * v).sum::<f64>();
        // R compares column norms (not squared) against tol: the squared ratio against tol².
        if g[(j, j)] > 0.0 && pivot > ALIAS_TOLERANCE * ALIAS_TOLERANCE * g[(j, j)] {
            row.push(pivot.sqrt());
            l.push(row);
            kept.push(j);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_and_cross_products_are_those_of_the_transposed_copy_to_the_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        let bits = |m: &DMatrix<f64>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let (n, p) = (5_000, 12);
        // A dummy coding (intercept, one of four groups, one of eight strata) and a dense
        // design of fractions, with responses whose sums round.
        let dummy: DMatrix<f64> = DMatrix::from_fn(n, p, |i, j| match j {
            0 => 1.0,
            1..=3 => f64::from(u8::from(i % 4 == j)),
            _ => f64::from(u8::from((i * 7 + i / 3) % 8 == j - 4)),
        });
        let dense: DMatrix<f64> = DMatrix::from_fn(n, p, |_, _| rng.random_range(-2.0..2.0));
        let y: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..5.0) / 3.0).collect();
        for x in [&dummy, &dense] {
            assert_eq!(bits(&gram_matrix(x)), bits(&(x.transpose() * x)));
            let product = x.transpose() * DVector::from_column_slice(&y);
            let direct = transpose_times(x, &y);
            let vector_bits = |v: &DVector<f64>| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(vector_bits(&direct), vector_bits(&product));
        }
    }

    #[test]
    fn hat_values_by_blocks_are_those_of_the_whole_design_to_the_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // Dense, non-integer columns (rounding shows in every sum), a row count that leaves a
        // last block of three rows (multiplied on its own, a block that short goes through
        // nalgebra's small-matrix path and gives other bits), and a design of one block.
        for (n, p) in [(3 * HAT_BLOCK_ROWS + 3, 9), (HAT_BLOCK_ROWS - 1, 7)] {
            let x: DMatrix<f64> = DMatrix::from_fn(n, p, |_, j| {
                if j == 0 {
                    1.0
                } else {
                    rng.random_range(-3.0..3.0)
                }
            });
            let inverse = (x.transpose() * &x)
                .cholesky()
                .map(|c| c.inverse())
                .expect("full rank");
            let projected = &x * &inverse;
            let whole: Vec<u64> = (0..n)
                .map(|i| projected.row(i).dot(&x.row(i)).to_bits())
                .collect();
            let blocked: Vec<u64> = hat_values(&x, &inverse)
                .iter()
                .map(|h| h.to_bits())
                .collect();
            let differ = blocked.iter().zip(&whole).filter(|(b, w)| b != w).count();
            assert_eq!(differ, 0, "n = {n}: {differ} hat values differ");
        }
    }

    #[test]
    fn a_line_through_three_points_by_hand() {
        // y = 1 + 2x + e at x = 0, 1, 2 with y = 1, 3.5, 5: β̂ = (7/6, 2), residuals
        // (−1/6, 1/3, −1/6), hat values (5/6, 1/3, 5/6) — all by hand from the normal equations.
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 1.0, 1.0, 1.0, 2.0]);
        let fit = ols_hc3(&x, &[1.0, 3.5, 5.0]).expect("fits");
        let b: Vec<f64> = fit
            .coefficients
            .iter()
            .map(|b| b.expect("estimable"))
            .collect();
        assert!(
            (b[0] - 7.0 / 6.0).abs() < 1e-14 && (b[1] - 2.0).abs() < 1e-14,
            "{b:?}"
        );
        for (h, want) in fit.hat.iter().zip([5.0 / 6.0, 1.0 / 3.0, 5.0 / 6.0]) {
            assert!((h - want).abs() < 1e-14, "{h} vs {want}");
        }
        // HC3 meat: e²/(1−h)² = 1, 1/4, 1 → V = (XᵀX)⁻¹ Xᵀ diag(1, 1/4, 1) X (XᵀX)⁻¹;
        // (XᵀX)⁻¹ = [[5/6, −1/2], [−1/2, 1/2]], XᵀΩX = [[9/4, 9/4], [9/4, 17/4]], so
        // V₂₂ = (−1/2, 1/2) XᵀΩX (−1/2, 1/2)ᵀ = 1/2.
        assert!((fit.vcov[(1, 1)] - 0.5).abs() < 1e-13, "{}", fit.vcov);
        assert_eq!(fit.residual_df, 1);
    }

    #[test]
    fn a_collinear_column_is_aliased_like_r() {
        // The third column is the sum of the first two: R's lm gives it NA.
        let x = DMatrix::from_row_slice(
            4,
            3,
            &[1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1.0, 1.0, 2.0],
        );
        let fit = ols_hc3(&x, &[1.0, 2.0, 1.5, 2.5]).expect("fits");
        assert!(fit.coefficients[2].is_none());
        assert_eq!(fit.estimable, vec![0, 1]);
    }

    #[test]
    fn a_lone_observation_in_its_cell_is_an_error() {
        // The second column singles out row 3: its hat value is 1.
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        assert!(ols_hc3(&x, &[1.0, 2.0, 3.0]).is_err());
    }

    #[test]
    fn the_meat_in_place_is_the_meat_of_the_temporaries() {
        // Rows with zeros, negative zeros, ones and other values, weights with zero, added
        // one after another both ways (a fixed linear congruential sequence).
        let mut lcg = crate::stats::reference::Lcg::new(7);
        let mut next = || lcg.below(7);
        let values = [0.0, -0.0, 1.0, 1.0, -2.5, 0.1, 3.0];
        let (mut dense, mut in_place) = (DMatrix::zeros(5, 5), DMatrix::zeros(5, 5));
        for i in 0..400 {
            let x = DVector::from_fn(5, |_, _| values[next() as usize]);
            let w = if i % 9 == 0 { 0.0 } else { f64::from(i) / 7.0 };
            dense += w * x.clone() * x.transpose();
            add_weighted_outer(&mut in_place, w, &x);
        }
        let bits = |m: &DMatrix<f64>| m.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(&in_place), bits(&dense));
    }
}
