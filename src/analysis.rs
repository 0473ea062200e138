//! Stage 5: run the pipeline and hold everything it computed in one [`Analysis`].
//!
//! Input: the input paths, the [`QualityModel`] and [`AnalysisOptions`]. Output: an
//! [`Analysis`]: what was read, the filter's tables and counts, the roll-up, and the
//! per-authority descriptives (share of each score 1–5, LOS figure 1; summary of the overall
//! scores, LOS figure 2). It writes nothing: `report` (and later `plot`) only read it, and never
//! recompute a statistic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::filter::{self, Filtered};
use crate::load::{self, LoadOptions, Source};
use crate::model::QualityModel;
use crate::rollup::{self, Rollup};
use crate::stats::descriptive::{self, Summary};

/// Options for a run.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// How to read the inputs.
    pub load: LoadOptions,
}

/// Descriptives for one authority.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthoritySummary {
    /// Canonical authority name.
    pub name: String,
    /// Visits kept.
    pub visits: u64,
    /// Ratings kept.
    pub ratings: u64,
    /// Number of ratings with score 1, 2, 3, 4, 5.
    pub score_counts: [u64; 5],
    /// Share of ratings with score 1 … 5 (LOS figure 1).
    pub score_share: [f64; 5],
    /// Summary of the visits' overall scores (LOS figure 2).
    pub overall: Summary,
}

/// Everything one run computed.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The input files and what was detected in each.
    pub sources: Vec<Source>,
    /// The quality model used.
    pub model: QualityModel,
    /// Kept ratings, exclusions and counts.
    pub filtered: Filtered,
    /// Per-visit criterion, theme and overall scores.
    pub rollup: Rollup,
    /// Per-authority descriptives, sorted by name.
    pub authorities: Vec<AuthoritySummary>,
}

/// Load and filter only: what `losstat check` reports.
#[derive(Debug, Clone)]
pub struct Screening {
    /// The input files and what was detected in each.
    pub sources: Vec<Source>,
    /// Kept ratings, exclusions and counts.
    pub filtered: Filtered,
}

/// Loads the inputs and applies the filters.
pub fn screen(
    paths: &[PathBuf],
    model: &QualityModel,
    options: &AnalysisOptions,
) -> Result<Screening> {
    let loaded = load::load(paths, &options.load)?;
    let filtered = filter::filter(&loaded, model)?;
    Ok(Screening {
        sources: loaded.sources,
        filtered,
    })
}

/// Runs load → filter → roll-up → descriptives.
pub fn analyze(
    paths: &[PathBuf],
    model: QualityModel,
    options: &AnalysisOptions,
) -> Result<Analysis> {
    let Screening { sources, filtered } = screen(paths, &model, options)?;
    if filtered.summary.visits_kept == 0 {
        return Err(Error::NothingLeft {
            summary: filtered.summary.one_line(),
        });
    }
    let rollup = rollup::rollup(&filtered)?;
    let authorities = describe(&filtered, &rollup)?;
    Ok(Analysis {
        sources,
        model,
        filtered,
        rollup,
        authorities,
    })
}

fn describe(filtered: &Filtered, rollup: &Rollup) -> Result<Vec<AuthoritySummary>> {
    let authority = filtered.ratings.column("authority")?.str()?;
    let score = filtered.ratings.column("score")?.f64()?;
    let mut counts: BTreeMap<&str, [u64; 5]> = BTreeMap::new();
    for (a, s) in authority.iter().zip(score.iter()) {
        if let (Some(a), Some(s)) = (a, s) {
            let slot = (s as usize).clamp(1, 5) - 1;
            counts.entry(a).or_insert([0; 5])[slot] += 1;
        }
    }
    rollup
        .overall_by_authority()?
        .into_iter()
        .map(|(name, overall)| {
            let score_counts = counts.get(name.as_str()).copied().unwrap_or([0; 5]);
            Ok(AuthoritySummary {
                visits: overall.len() as u64,
                ratings: score_counts.iter().sum(),
                score_share: descriptive::shares(&score_counts),
                score_counts,
                overall: descriptive::summarize(&overall, &format!("overall scores of {name}"))?,
                name,
            })
        })
        .collect()
}
