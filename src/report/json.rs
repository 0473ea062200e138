//! `results.json`: the machine-readable results, a public interface.
//!
//! The key names follow DESIGN §4 and are stable: later versions add keys, never rename
//! them. Scores 1–5 are keyed `"1"` … `"5"`. The `input` block describes the first (usually
//! only) input file at its top level and every file under `input.files`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::{Analysis, AuthoritySummary};
use crate::error::Result;
use crate::filter::FilterSummary;
use crate::load::{Layout, Source};
use crate::stats::descriptive::Summary;

/// The top-level object of `results.json`.
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    /// The losstat version that wrote the file.
    pub losstat_version: &'static str,
    /// What was read.
    pub input: Input<'a>,
    /// Which quality model was used.
    pub model: ModelInfo<'a>,
    /// The filter's counts.
    pub filter: &'a FilterSummary,
    /// Per-authority descriptives.
    pub authorities: Vec<AuthorityJson<'a>>,
}

/// The `input` block.
#[derive(Debug, Serialize)]
pub struct Input<'a> {
    /// Path of the first input.
    pub path: String,
    /// SHA-256 of the first input.
    pub sha256: &'a str,
    /// Layout of the first input.
    pub layout: Layout,
    /// Encoding of the first input (delimited text).
    pub encoding: Option<&'a str>,
    /// Separator of the first input (delimited text).
    pub separator: Option<&'a str>,
    /// Sheet of the first input (workbooks).
    pub sheet: Option<&'a str>,
    /// Every input file.
    pub files: &'a [Source],
}

/// The `model` block.
#[derive(Debug, Serialize)]
pub struct ModelInfo<'a> {
    /// `embedded` or the model file's path.
    pub origin: &'a str,
    /// Number of indicators.
    pub indicators: usize,
    /// Number of universal indicators.
    pub universal: usize,
}

/// One entry of `authorities`.
#[derive(Debug, Serialize)]
pub struct AuthorityJson<'a> {
    /// Canonical name.
    pub name: &'a str,
    /// Visits kept.
    pub visits: u64,
    /// Ratings kept.
    pub ratings: u64,
    /// Count of each score, keyed "1" … "5".
    pub score_counts: BTreeMap<String, u64>,
    /// Share of each score, keyed "1" … "5".
    pub score_share: BTreeMap<String, f64>,
    /// Summary of the overall scores.
    pub overall: &'a Summary,
}

impl<'a> AuthorityJson<'a> {
    fn new(a: &'a AuthoritySummary) -> Self {
        let keyed = |i: usize| (i + 1).to_string();
        Self {
            name: &a.name,
            visits: a.visits,
            ratings: a.ratings,
            score_counts: (0..5).map(|i| (keyed(i), a.score_counts[i])).collect(),
            score_share: (0..5).map(|i| (keyed(i), a.score_share[i])).collect(),
            overall: &a.overall,
        }
    }
}

/// The results of `analysis` as the `results.json` object.
pub fn results(analysis: &Analysis) -> Results<'_> {
    let first = analysis.sources.first();
    Results {
        losstat_version: env!("CARGO_PKG_VERSION"),
        input: Input {
            path: first
                .map(|s| s.path.display().to_string())
                .unwrap_or_default(),
            sha256: first.map_or("", |s| s.sha256.as_str()),
            layout: first.map_or(Layout::Long, |s| s.layout),
            encoding: first.and_then(|s| s.encoding.as_deref()),
            separator: first.and_then(|s| s.separator.as_deref()),
            sheet: first.and_then(|s| s.sheet.as_deref()),
            files: &analysis.sources,
        },
        model: ModelInfo {
            origin: &analysis.model.origin,
            indicators: analysis.model.indicators.len(),
            universal: analysis.model.universal().count(),
        },
        filter: &analysis.filtered.summary,
        authorities: analysis
            .authorities
            .iter()
            .map(AuthorityJson::new)
            .collect(),
    }
}

/// `results.json` as pretty-printed bytes, ending in a newline.
pub fn to_bytes(analysis: &Analysis) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&results(analysis))?;
    bytes.push(b'\n');
    Ok(bytes)
}
