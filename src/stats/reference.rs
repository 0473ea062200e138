//! Test support for stage 4 (statistics): the SciPy reference values written by
//! `tools/reference/kde_rank_reference.py` (committed in `tests/data/reference/`), shared by
//! the statistics modules' unit tests.

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
