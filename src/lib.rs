//! # losstat
//!
//! Compare how the five Danish social supervisory authorities (socialtilsyn) score the
//! services they supervise: the method of the LOS analysis "Fem socialtilsyn medfører
//! forskelligartede kvalitetsvurderinger af sociale tilbud" (2024), replicated exactly, with
//! the statistics that analysis could not do.
//!
//! The pipeline, one module per stage, each depending only on earlier ones:
//!
//! | stage | module | input → output |
//! |---|---|---|
//! | 0 | [`model`] | model CSV → [`model::QualityModel`] (themes, criteria, indicators, universal flags) |
//! | 1 | [`load`] | CSV / Excel exports, long or wide → [`load::Loaded`] (dictionary-coded raw ratings; `to_frame` for a polars table) |
//! | 2 | [`filter`] | raw ratings → [`filter::Filtered`] (the LOS filters; every exclusion listed; kept ratings and visits as polars tables) |
//! | 3 | [`rollup`] | kept ratings → [`rollup::Rollup`] (criterion, theme, overall score per visit) |
//! | 4 | [`stats`] | plain slices → named results (descriptives) |
//! | 5 | [`analysis`] | all of the above → one [`analysis::Analysis`]; writes nothing |
//! | 6 | [`plot`] | `Analysis` → figures (SVG with an embedded font subset, PNG) |
//! | 6 | [`report`] | `Analysis` (+ figures) → `results.json`, CSV tables, `report.html`, terminal summaries |
//!
//! [`simulate`] writes synthetic exports calibrated to the LOS paper.
//!
//! ```
//! # fn main() -> losstat::Result<()> {
//! use losstat::{filter, load, model::QualityModel, rollup};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("scores.csv");
//! # let model = QualityModel::embedded()?;
//! # let sim = losstat::simulate::simulate(&model, &losstat::simulate::SimulationOptions { scale: 0.05, ..Default::default() })?;
//! # std::fs::write(&path, losstat::simulate::to_csv(&sim, Default::default())?).unwrap();
//! let model = QualityModel::embedded()?;
//! let loaded = load::load(&[path], &load::LoadOptions::default())?;
//! let filtered = filter::filter(&loaded, &model)?;
//! let scores = rollup::rollup(&filtered)?;
//! println!("{}", scores.visits.head(Some(3)));
//! assert_eq!(scores.visits.height() as u64, filtered.summary.visits_kept);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod error;
pub mod filter;
pub mod load;
pub mod model;
pub mod plot;
pub mod progress;
pub mod report;
pub mod rollup;
pub mod simulate;
pub mod stats;

pub use error::{Error, Result};
