//! Stage 4: statistics on plain slices.
//!
//! Everything here takes `&[f64]` (or counts) and returns named structs; nothing reads a
//! DataFrame or writes a file. Each module names its method and reference.

pub mod descriptive;
pub mod deviation;
pub mod distributions;
pub mod kde;
pub mod ks;
pub mod multitest;
pub mod pairwise;
pub mod rank;
#[cfg(test)]
mod reference;
