//! Parity of the case-mix models with R on the stored data set `tests/data/reference/casemix/`:
//! [`super::linear::ols_hc3`] against `lm` + `sandwich::vcovHC(type = "HC3")` to 1e-9 relative,
//! and [`super::ordinal::clm`] against `ordinal::clm(gradTol = 1e-10)` to 1e-6 relative
//! (coefficients and model-based standard errors). The R values were made by
//! `tools/reference/casemix_reference.R` (R 4.2.2, ordinal 2022.11.16, sandwich 3.0.2).

use std::collections::BTreeMap;

use nalgebra::DMatrix;
use serde_json::Value;

use super::contingency::chi_square;
use super::linear::ols_hc3;
use super::ordinal::{OrdinalRow, clm};
use super::reference::floats;

const VISITS: &str = include_str!("../../tests/data/reference/casemix/visits.csv");
const RATINGS: &str = include_str!("../../tests/data/reference/casemix/ratings.csv");
const R_VALUES: &str = include_str!("../../tests/data/reference/casemix/r_values.json");

/// The records of a stored CSV, header skipped.
fn records(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// Sorted distinct values (byte order, as R's `sort(method = "radix")`), and each value's
/// position among them.
fn levels(values: impl Iterator<Item = String>) -> BTreeMap<String, usize> {
    let mut sorted: Vec<String> = values.collect();
    sorted.sort();
    sorted.dedup();
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, i))
        .collect()
}

fn relative(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        ((actual - expected) / expected).abs()
    }
}

fn r_values() -> Value {
    serde_json::from_str(R_VALUES).expect("r_values.json parses")
}

#[test]
fn linear_model_and_hc3_equal_r() {
    let visits = records(VISITS);
    let authority = levels(visits.iter().map(|v| v[1].clone()));
    let offer_type = levels(visits.iter().map(|v| v[2].clone()));
    // Treatment coding: intercept, authorities but the first, offer types but the first.
    let p = 1 + (authority.len() - 1) + (offer_type.len() - 1);
    let mut x = DMatrix::<f64>::zeros(visits.len(), p);
    let mut y = Vec::new();
    for (i, v) in visits.iter().enumerate() {
        x[(i, 0)] = 1.0;
        let a = authority[&v[1]];
        if a > 0 {
            x[(i, a)] = 1.0;
        }
        let o = offer_type[&v[2]];
        if o > 0 {
            x[(i, authority.len() - 1 + o)] = 1.0;
        }
        y.push(v[3].parse::<f64>().expect("overall score"));
    }
    let fit = ols_hc3(&x, &y).expect("fits");
    let r = &r_values()["lm"];
    let want = floats(&r["coefficients"]);
    assert_eq!(want.len(), p);
    let mut worst: f64 = 0.0;
    for (k, (got, want)) in fit.coefficients.iter().zip(&want).enumerate() {
        let got = got.expect("estimable");
        worst = worst.max(relative(got, *want));
        assert!(
            relative(got, *want) < 1e-9,
            "coefficient {k}: {got} vs R {want}"
        );
    }
    for (i, row) in r["vcov_hc3"].as_array().expect("rows").iter().enumerate() {
        for (j, want) in floats(row).iter().enumerate() {
            let got = fit.vcov[(i, j)];
            worst = worst.max(relative(got, *want));
            assert!(
                relative(got, *want) < 1e-9,
                "HC3[{i},{j}]: {got} vs R {want}"
            );
        }
    }
    eprintln!("lm + HC3: largest relative difference from R {worst:e}");
}

#[test]
fn ordinal_model_equals_r_clm() {
    let visits = records(VISITS);
    let ratings = records(RATINGS);
    let authority = levels(visits.iter().map(|v| v[1].clone()));
    let offer_type = levels(visits.iter().map(|v| v[2].clone()));
    let indicator = levels(ratings.iter().map(|r| r[1].clone()));
    let of_visit: BTreeMap<&str, (usize, usize, u32)> = visits
        .iter()
        .enumerate()
        .map(|(k, v)| {
            (
                v[0].as_str(),
                (authority[&v[1]], offer_type[&v[2]], k as u32),
            )
        })
        .collect();
    // Columns: authorities but the first, offer types but the first, indicators but the first.
    let (na, no) = (authority.len() - 1, offer_type.len() - 1);
    let columns = na + no + indicator.len() - 1;
    let rows: Vec<OrdinalRow> = ratings
        .iter()
        .map(|r| {
            let (a, o, cluster) = of_visit[r[0].as_str()];
            let k = indicator[&r[1]];
            let mut active = Vec::new();
            if a > 0 {
                active.push((a - 1) as u32);
            }
            if o > 0 {
                active.push((na + o - 1) as u32);
            }
            if k > 0 {
                active.push((na + no + k - 1) as u32);
            }
            OrdinalRow {
                category: r[2].parse().expect("score"),
                columns: active,
                cluster,
            }
        })
        .collect();
    let fit = clm(&rows, 5, columns).expect("fits");
    let r = &r_values()["clm"];
    let want = floats(&r["coefficients"]);
    let got: Vec<f64> = fit
        .thresholds
        .iter()
        .chain(&fit.coefficients)
        .copied()
        .collect();
    assert_eq!(got.len(), want.len());
    let mut worst: f64 = 0.0;
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        worst = worst.max(relative(*g, *w));
        assert!(relative(*g, *w) < 1e-6, "parameter {k}: {g} vs R {w}");
    }
    for (k, row) in r["vcov"].as_array().expect("rows").iter().enumerate() {
        let want_se = floats(row)[k].sqrt();
        worst = worst.max(relative(fit.se(k), want_se));
        assert!(
            relative(fit.se(k), want_se) < 1e-6,
            "se {k}: {} vs R {want_se}",
            fit.se(k)
        );
    }
    eprintln!("clm: largest relative difference from R {worst:e}");
    let want_ll = r["log_likelihood"].as_f64().expect("logLik");
    assert!(relative(fit.log_likelihood, want_ll) < 1e-9);
    // The clustered errors exist and are not the model-based ones (ratings of a visit
    // correlate in the simulation).
    assert_eq!(fit.clusters, visits.len());
    assert!(fit.se_cluster(4) > 0.0 && fit.se_cluster(4) != fit.se(4));
}

#[test]
fn chi_square_of_the_case_mix_equals_r() {
    let visits = records(VISITS);
    let authority = levels(visits.iter().map(|v| v[1].clone()));
    let offer_type = levels(visits.iter().map(|v| v[2].clone()));
    let mut table = vec![vec![0u64; offer_type.len()]; authority.len()];
    for v in &visits {
        table[authority[&v[1]]][offer_type[&v[2]]] += 1;
    }
    let test = chi_square(&table).expect("test");
    let r = &r_values()["chisq"];
    assert_eq!(test.df as f64, r["df"].as_f64().expect("df"));
    let statistic = r["statistic"].as_f64().expect("statistic");
    assert!(
        relative(test.statistic, statistic) < 1e-12,
        "{} vs R {statistic}",
        test.statistic
    );
    let p = r["p_value"].as_f64().expect("p");
    assert!(
        relative(test.p_value, p) < 1e-9,
        "{} vs R {p}",
        test.p_value
    );
}
