//! Multiple-testing adjustment of p-values, as R's `p.adjust` (stage 4, statistics).
//!
//! Role: adjust the 10 pairwise KS p-values (Holm by default) and the per-indicator deviation
//! p-values (Benjamini–Hochberg q-values). Input: p-values, NaN for "no test". Output: adjusted
//! p-values in the input order.
//!
//! Method (R `p.adjust`; NaN entries are passed through unchanged and do not count, so
//! `m` = number of non-NaN p, as R's `n = length(p)` after removing `NA`; with m ≤ 1 nothing
//! changes). With `p_(1) ≤ … ≤ p_(m)` sorted ascending:
//! * Holm (1979), step-down FWER: `adj_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j))`;
//! * Benjamini & Hochberg (1995), step-up FDR: `adj_(i) = min_{j ≥ i} min(1, (m/j)·p_(j))`;
//! * None: unchanged.
//!
//! The arithmetic is R's ((m − j + 1)·p and (m/j)·p), so results equal R bit for bit; statsmodels
//! `multipletests` divides p by j/m instead and can differ in the last bit.

use serde::Serialize;

/// The adjustment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Adjustment {
    /// Holm's step-down family-wise error control.
    #[default]
    Holm,
    /// Benjamini–Hochberg false-discovery-rate q-values.
    #[cfg_attr(
        feature = "cli",
        value(name = "bh", alias = "benjamini-hochberg", alias = "fdr")
    )]
    BenjaminiHochberg,
    /// No adjustment.
    None,
}

/// Adjusted p-values in input order (R `p.adjust`); NaN in, NaN out.
///
/// # Examples
///
/// ```
/// use losstat::stats::multitest::{Adjustment, adjust};
/// let p = [0.01, 0.04, 0.03, 0.005, 0.20];
/// // R 4.2.2 p.adjust(p, "holm") (stats_reference.md §4.7).
/// let expected = [0.04, 0.09, 0.09, 0.025, 0.2];
/// let holm = adjust(&p, Adjustment::Holm);
/// assert_eq!(holm.len(), 5);
/// assert!(holm.iter().zip(expected).all(|(got, want)| (got - want).abs() <= 1e-12 * want));
/// // A NaN ("no test") stays NaN and does not count: one p-value is left unchanged.
/// let one = adjust(&[0.03, f64::NAN], Adjustment::Holm);
/// assert!(one[0] == 0.03 && one[1].is_nan());
/// ```
pub fn adjust(p: &[f64], method: Adjustment) -> Vec<f64> {
    let mut out = p.to_vec();
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len();
    if m <= 1 || method == Adjustment::None {
        return out;
    }
    // Stable ascending order, as R's order().
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mf = m as f64;
    match method {
        Adjustment::Holm => {
            let mut running = f64::NEG_INFINITY;
            for (j, &i) in idx.iter().enumerate() {
                let v = (mf - j as f64) * p[i];
                running = running.max(v);
                out[i] = running.min(1.0);
            }
        }
        Adjustment::BenjaminiHochberg => {
            let mut running = f64::INFINITY;
            for (j, &i) in idx.iter().enumerate().rev() {
                let v = mf / (j as f64 + 1.0) * p[i];
                running = running.min(v);
                out[i] = running.min(1.0);
            }
        }
        Adjustment::None => {}
    }
    out
}

/// [`adjust`] for optional p-values (`None` = no test, passed through).
///
/// # Examples
///
/// ```
/// use losstat::stats::multitest::{Adjustment, adjust_optional};
/// let p = [Some(0.01), None, Some(0.04), Some(0.03), Some(0.005), Some(0.20)];
/// // R p.adjust(p, "BH"), which drops the NA (stats_reference.md §4.7).
/// let expected = [0.025, 0.05, 0.05, 0.025, 0.2];
/// let q = adjust_optional(&p, Adjustment::BenjaminiHochberg);
/// assert_eq!((q.len(), q[1], q.iter().flatten().count()), (6, None, 5));
/// let close = |(got, want): (&f64, f64)| (got - want).abs() <= 1e-12 * want;
/// assert!(q.iter().flatten().zip(expected).all(close));
/// ```
pub fn adjust_optional(p: &[Option<f64>], method: Adjustment) -> Vec<Option<f64>> {
    let raw: Vec<f64> = p.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    adjust(&raw, method)
        .into_iter()
        .zip(p)
        .map(|(a, orig)| orig.map(|_| a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn opt_floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect()
    }

    fn assert_close(got: &[f64], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g.is_nan() && w.is_nan()) || g == w || ((g - w) / w).abs() <= 1e-15,
                "{what}: got {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn reference_note_vector() {
        // stats_reference.md §4.7 (R 4.2.2 = SciPy/statsmodels).
        let p = [0.01, 0.04, 0.03, 0.005, 0.20];
        assert_close(
            &adjust(&p, Adjustment::Holm),
            &[0.04, 0.09, 0.09, 0.025, 0.2],
            "holm",
        );
        assert_close(
            &adjust(&p, Adjustment::BenjaminiHochberg),
            &[0.025, 0.05, 0.05, 0.025, 0.2],
            "bh",
        );
        assert_eq!(adjust(&p, Adjustment::None), p.to_vec());
    }

    #[test]
    fn matches_statsmodels() {
        // statsmodels multipletests('holm' / 'fdr_bh') on the non-NaN entries (R's NA rule),
        // 1e-15 relative (statsmodels' BH divides by j/m where R multiplies by m/j).
        let v = crate::stats::reference::kde_rank();
        for case in v["p_adjust"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let p = opt_floats(&case["p"]);
            assert_close(
                &adjust(&p, Adjustment::Holm),
                &opt_floats(&case["holm"]),
                name,
            );
            assert_close(
                &adjust(&p, Adjustment::BenjaminiHochberg),
                &opt_floats(&case["bh"]),
                name,
            );
        }
    }

    #[test]
    fn optional_and_empty() {
        assert!(adjust(&[], Adjustment::Holm).is_empty());
        let got = adjust_optional(&[Some(0.01), None, Some(0.04)], Adjustment::Holm);
        assert_eq!(got, vec![Some(0.02), None, Some(0.04)]);
    }

    proptest! {
        #[test]
        fn adjusted_bounds(p in prop::collection::vec(0.0f64..=1.0, 0..30)) {
            let holm = adjust(&p, Adjustment::Holm);
            let bh = adjust(&p, Adjustment::BenjaminiHochberg);
            for i in 0..p.len() {
                prop_assert!(holm[i] >= p[i] && holm[i] <= 1.0);
                prop_assert!(bh[i] >= p[i] && bh[i] <= 1.0);
                prop_assert!(holm[i] >= bh[i]);
            }
        }
    }
}
