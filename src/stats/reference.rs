//! Test support for stage 4 (statistics): the SciPy reference values written by
//! `tools/reference/kde_rank_reference.py` (committed in `tests/data/reference/`), shared by
//! the statistics modules' unit tests, and the fixed pseudo-random sequence their made-up
//! samples are drawn from ([`Lcg`]).

use serde_json::Value;

/// The parsed `kde_rank_scipy.json`.
pub(crate) fn kde_rank() -> Value {
    serde_json::from_str(include_str!(
        "../../tests/data/reference/kde_rank_scipy.json"
    ))
    .expect("reference JSON parses")
}

/// A JSON array of numbers as floats.
pub(crate) fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Knuth's MMIX linear congruential sequence (multiplier 6364136223846793005, increment
/// 1442695040888963407), for test samples that are fixed but not regular.
pub(crate) struct Lcg(u64);

impl Lcg {
    /// The sequence started at `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number below `m`: the next state's upper 31 bits, modulo `m`.
    pub(crate) fn below(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % m
    }
}
