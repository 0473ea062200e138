//! Pearson's chi-square test of independence for a contingency table, and Cramér's V, as R's
//! `chisq.test(table, correct = FALSE)` (Pearson 1900; Cramér 1946, "Mathematical Methods of
//! Statistics", §21.9).
//!
//! Input: a table of counts (rows × columns; here authority × offer type). Output: a
//! [`ChiSquare`]: the statistic `Σ (O − E)² / E` with `E = row total · column total / n`, the
//! degrees of freedom `(r − 1)(c − 1)` over the rows and columns that have any count, the
//! upper-tail p-value of the chi-square distribution (statrs), and
//! `V = √(χ² / (n · (min(r, c) − 1)))` in [0, 1].

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};

/// The test of independence of a table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChiSquare {
    /// Pearson's statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Cramér's V.
    pub cramers_v: f64,
    /// Observations.
    pub n: u64,
}

/// Tests the independence of rows and columns of `table` (see the module docs). Rows and
/// columns without any count are left out.
///
/// ```
/// use losstat::stats::contingency::chi_square;
/// // Counts [[10, 0], [0, 10]]: E = 5 everywhere, χ² = 4 · 25/5 = 20, V = 1 (by hand).
/// let t = chi_square(&[vec![10, 0], vec![0, 10]]).unwrap();
/// assert_eq!((t.statistic, t.df, t.cramers_v), (20.0, 1, 1.0));
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] when fewer than two rows or columns have counts.
pub fn chi_square(table: &[Vec<u64>]) -> Result<ChiSquare> {
    let width = table.iter().map(Vec::len).max().unwrap_or(0);
    let cell = |r: usize, c: usize| table[r].get(c).copied().unwrap_or(0) as f64;
    let row_totals: Vec<f64> = (0..table.len())
        .map(|r| (0..width).map(|c| cell(r, c)).sum())
        .collect();
    let column_totals: Vec<f64> = (0..width)
        .map(|c| (0..table.len()).map(|r| cell(r, c)).sum())
        .collect();
    let rows: Vec<usize> = (0..table.len()).filter(|&r| row_totals[r] > 0.0).collect();
    let columns: Vec<usize> = (0..width).filter(|&c| column_totals[c] > 0.0).collect();
    if rows.len() < 2 || columns.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "contingency table",
            value: format!(
                "{} rows and {} columns with counts",
                rows.len(),
                columns.len()
            ),
            expected: "at least two of each",
        });
    }
    let n: f64 = row_totals.iter().sum();
    let mut statistic = 0.0;
    for &r in &rows {
        for &c in &columns {
            let expected = row_totals[r] * column_totals[c] / n;
            statistic += (cell(r, c) - expected).powi(2) / expected;
        }
    }
    let df = ((rows.len() - 1) * (columns.len() - 1)) as u64;
    let p_value = ChiSquared::new(df as f64).map_or(f64::NAN, |d| d.sf(statistic));
    let smaller = rows.len().min(columns.len()) as f64 - 1.0;
    Ok(ChiSquare {
        statistic,
        df,
        p_value,
        cramers_v: (statistic / (n * smaller)).sqrt().min(1.0),
        n: n as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_rows_and_columns_are_left_out() {
        // The same table with an empty row and column added: the same test.
        let a = chi_square(&[vec![12, 5], vec![3, 9]]).expect("test");
        let b = chi_square(&[vec![12, 0, 5], vec![0, 0, 0], vec![3, 0, 9]]).expect("test");
        assert_eq!(a, b);
        assert!(chi_square(&[vec![1, 2]]).is_err());
    }
}
