//! # losstat
//!
//! Compare how the five Danish social supervisory authorities (socialtilsyn) score the
//! services they supervise: the method of the LOS analysis "Fem socialtilsyn medfører
//! forskelligartede kvalitetsvurderinger af sociale tilbud" (2024), replicated exactly, with
//! the statistics that analysis could not do.
//!
//! The pipeline, one module per stage, each depending only on earlier ones. Each stage has one
//! entry function (re-exported here) and one output type:
//!
//! | stage | module | entry point | input → output |
//! |---|---|---|---|
//! | 0 | [`model`] | [`QualityModel::embedded`], [`QualityModel::from_path`] | model CSV → [`QualityModel`] (themes, criteria, indicators, universal flags) |
//! | 1 | [`mod@load`] | [`load()`] | CSV / Excel exports, long or wide → [`Loaded`] (dictionary-coded raw ratings) |
//! | 2 | [`mod@filter`] | [`filter()`] | raw ratings → [`Filtered`] (the LOS filters; every exclusion listed; kept ratings as small codes, kept visits as a polars table) |
//! | 2b | [`mod@anonymize`] | [`anonymize()`] | [`Filtered`] → the same with "Socialtilsyn 1–5", and the key |
//! | 3 | [`mod@rollup`] | [`rollup()`] | kept ratings → [`Rollup`] (criterion, theme, overall score per visit) |
//! | 3b | [`export_check`] | [`export_check::check`] | the export's own criterion, theme and overall scores vs the roll-up → [`export_check::ExportCheck`] |
//! | 4 | [`stats`] | [`ks_2samp`], [`ks_p_ties`], [`ks_permutation`], [`gaussian_kde`], [`histogram`], [`deviation_table`], [`adjust`], [`compare_pairs`], [`compare_ranks`], [`summarize`]; [`stats::means::welch`], [`stats::means::mean_interval`]; for the case mix [`stats::standardise::direct_standardisation`], [`stats::linear::ols_hc3`], [`stats::ordinal::clm`], [`stats::contingency::chi_square`] | plain slices → named results |
//! | 5 | [`analysis`] | [`analyze`], [`screen`] | all of the above → one [`Analysis`]; writes nothing |
//! | 5a | [`analysis::casemix`] | [`analysis::casemix::case_mix`] | kept ratings and visits with offer types → [`analysis::casemix::CaseMix`] (effects adjusted for offer type) |
//! | 5b | [`analysis::periods`] | [`analysis::periods::periods`] | kept visits split by year or input file → [`analysis::periods::Periods`] (spread per period, change tests) |
//! | 5 | [`profile`] | [`visit_profile`] | one visit → [`VisitProfile`] (seed 000's single-visit report) |
//! | 6 | [`plot`] | [`plot::compare::compare_figures`], [`plot::compare::visit_spider`] | `Analysis` → figures (SVG with an embedded font subset, PNG) |
//! | 6 | [`report`] | [`report::write`] (into an [`report::OutputDir`] or memory), [`report::render`], [`report::terminal::compare_summary`] | `Analysis` (+ figures) → `results.json`, CSV tables, `report.html`, terminal summaries |
//!
//! The kept ratings are three small numbers each ([`filter::Ratings`]); the other stage
//! tables (polars DataFrames) are read through typed columns declared once ([`frame::Col`];
//! e.g. [`filter::visits::AUTHORITY`], [`rollup::visits::OVERALL`]).
//! [`progress`] lets a caller show how far the long steps are; [`error`] is the one error type.
//! [`simulate`] writes synthetic exports calibrated to the LOS paper.
//!
//! ```
//! # fn main() -> losstat::Result<()> {
//! use losstat::{LoadOptions, QualityModel, filter, load, rollup};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("scores.csv");
//! # let model = QualityModel::embedded()?;
//! # let sim = losstat::simulate::simulate(&model, &losstat::simulate::SimulationOptions { scale: 0.05, ..Default::default() })?;
//! # std::fs::write(&path, losstat::simulate::to_csv(&sim, Default::default())?).unwrap();
//! let model = QualityModel::embedded()?;
//! let loaded = load(&[path], &LoadOptions::default())?;
//! let filtered = filter(&loaded, &model)?;
//! let scores = rollup(&filtered)?;
//! println!("{}", scores.visits.head(Some(3)));
//! assert_eq!(scores.visits.height() as u64, filtered.summary.visits_kept);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod analysis;
pub mod anonymize;
pub mod error;
pub mod export_check;
pub mod filter;
pub mod frame;
pub mod load;
pub mod model;
pub mod plot;
pub mod profile;
pub mod progress;
pub mod report;
pub mod rollup;
pub mod simulate;
pub mod stats;

pub use analysis::{Analysis, AnalysisOptions, Screening, StatsOptions, analyze, screen};
pub use anonymize::{Anonymization, anonymize};
pub use error::{Error, Result};
pub use filter::{Filtered, filter};
pub use load::{LoadOptions, Loaded, load};
pub use model::QualityModel;
pub use profile::{VisitProfile, VisitSelector, visit_profile};
pub use rollup::{Rollup, rollup};
pub use stats::descriptive::{Summary, summarize};
pub use stats::deviation::{DeviationRow, deviation_table};
pub use stats::kde::{Bandwidth, KdeCurve, gaussian_kde, histogram};
pub use stats::ks::{Alternative, KsMethod, KsTest, ks_2samp, ks_p_ties, ks_permutation};
pub use stats::multitest::{Adjustment, adjust};
pub use stats::pairwise::{PairComparison, compare_pairs};
pub use stats::rank::{RankComparison, compare_ranks};
