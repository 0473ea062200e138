//! The coverage study of the case-mix analysis's intervals (issue 14, item 4), shared by the
//! integration test (few replicates) and `benches/casemix_coverage.rs` (the full run).
//!
//! Each replicate simulates an export with a known truth (`simulate::Truth`: authority
//! shifts on the latent logit scale, offer types that score differently and are mixed
//! differently by authority), runs it through load → filter → roll-up → case mix, and checks
//! for every authority whether the 95 % interval of its odds ratio against the average
//! authority covers the true one, `exp(s_a − mean(s))`.

use losstat::analysis::casemix::{CaseMixOptions, case_mix};
use losstat::simulate::{self, SimulationOptions, Truth};
use losstat::{LoadOptions, QualityModel, filter, load, rollup};

/// The truth of the study: shifts of the five authorities, offer-type spread, mix.
pub const TRUTH: Truth = Truth {
    severity: [0.0, 0.2, 0.4, 0.6, -0.3],
    type_effect: 1.0,
    case_mix: 1.0,
};

/// How many intervals covered the truth, of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Intervals from the visit-clustered covariance that cover.
    pub cluster: u64,
    /// Intervals from the model-based covariance that cover.
    pub model: u64,
    /// Intervals of each kind.
    pub of: u64,
}

/// Runs `replicates` replicates at `scale` (1 = national size), seeds `seed`, `seed + 1`, ….
pub fn coverage(replicates: u64, scale: f64, seed: u64) -> Coverage {
    let model = QualityModel::embedded().expect("model");
    let dir = tempfile::tempdir().expect("tempdir");
    let mean = TRUTH.severity.iter().sum::<f64>() / 5.0;
    let mut total = Coverage::default();
    for r in 0..replicates {
        let options = SimulationOptions {
            scale,
            seed: seed + r,
            truth: Some(TRUTH),
            ..SimulationOptions::default()
        };
        let simulation = simulate::simulate(&model, &options).expect("simulates");
        let path = dir.path().join(format!("replicate-{r}.csv"));
        let csv = simulate::to_csv(&simulation, simulate::CsvStyle::Canonical).expect("csv");
        std::fs::write(&path, csv).expect("written");
        let loaded = load(&[path], &LoadOptions::default()).expect("loads");
        let filtered = filter(&loaded, &model).expect("filters");
        let scores = rollup(&filtered).expect("rolls up");
        let options = CaseMixOptions {
            bootstrap: 0,
            confidence: 0.95,
            alpha: 0.05,
            seed: 1,
        };
        let mix = case_mix(&filtered, &scores, options)
            .expect("case mix")
            .expect("offer types");
        for (a, effect) in mix.authorities.iter().enumerate() {
            let truth = (TRUTH.severity[a] - mean).exp();
            let covers =
                |ci: Option<[f64; 2]>| ci.is_some_and(|[lo, hi]| lo <= truth && truth <= hi);
            total.cluster += u64::from(covers(effect.odds_ratio_ci));
            total.model += u64::from(covers(effect.odds_ratio_ci_model));
            total.of += 1;
        }
    }
    total
}
