//! Stage 4: statistics on plain slices.
//!
//! Input: `&[f64]` samples (or counts, or p-values); output: named result structs. Nothing
//! here reads a DataFrame or writes a file. Each module names its method and reference.
//!
//! | module | entry points | result |
//! |---|---|---|
//! | [`descriptive`] | [`summarize`], [`shares`] | [`Summary`] |
//! | [`ks`] | [`ks_2samp`], [`ks_p_ties`], [`ks_permutation`] | [`KsTest`], [`PermutationTest`] |
//! | [`rank`] | [`compare_ranks`], [`compare_ranks_at`] | [`RankComparison`] |
//! | [`pairwise`] | [`compare_pairs`], [`adjust_pairs`] | [`PairComparison`] |
//! | [`multitest`] | [`adjust`], [`adjust_optional`] | adjusted p-values |
//! | [`deviation`] | [`deviation_cells`], [`deviation_table`] | [`DeviationCell`], [`DeviationRow`] |
//! | [`kde`] | [`gaussian_kde`], [`histogram`] | [`KdeCurve`], [`Histogram`] |
//! | [`spread`] | [`range`], [`mean_absolute_deviation`], [`sd_change`], [`standardised_sd_change`] | [`SdChange`] |
//!
//! The normal and Student t tails behind the rank and deviation tests, and the parts of the
//! KS test (statistic, exact and asymptotic p, tie-exact walk, permutations), are private
//! modules; the KS distributions SciPy's p-values use are public in [`ks`].
//!
//! [`summarize`]: descriptive::summarize
//! [`shares`]: descriptive::shares
//! [`Summary`]: descriptive::Summary
//! [`ks_2samp`]: ks::ks_2samp
//! [`ks_p_ties`]: ks::ks_p_ties
//! [`ks_permutation`]: ks::ks_permutation
//! [`KsTest`]: ks::KsTest
//! [`PermutationTest`]: ks::PermutationTest
//! [`compare_ranks`]: rank::compare_ranks
//! [`compare_ranks_at`]: rank::compare_ranks_at
//! [`RankComparison`]: rank::RankComparison
//! [`compare_pairs`]: pairwise::compare_pairs
//! [`adjust_pairs`]: pairwise::adjust_pairs
//! [`PairComparison`]: pairwise::PairComparison
//! [`adjust`]: multitest::adjust
//! [`adjust_optional`]: multitest::adjust_optional
//! [`deviation_cells`]: deviation::deviation_cells
//! [`deviation_table`]: deviation::deviation_table
//! [`DeviationCell`]: deviation::DeviationCell
//! [`DeviationRow`]: deviation::DeviationRow
//! [`gaussian_kde`]: kde::gaussian_kde
//! [`histogram`]: kde::histogram
//! [`KdeCurve`]: kde::KdeCurve
//! [`Histogram`]: kde::Histogram
//! [`range`]: spread::range
//! [`mean_absolute_deviation`]: spread::mean_absolute_deviation
//! [`sd_change`]: spread::sd_change
//! [`standardised_sd_change`]: spread::standardised_sd_change
//! [`SdChange`]: spread::SdChange

pub mod contingency;
pub mod descriptive;
pub mod deviation;
pub(crate) mod distributions;
pub mod kde;
pub mod ks;
pub mod linear;
pub mod means;
#[cfg(test)]
mod model_reference_tests;
pub mod multitest;
pub mod ordinal;
pub mod pairwise;
pub mod rank;
#[cfg(test)]
pub(crate) mod reference;
pub mod spread;
pub mod standardise;
