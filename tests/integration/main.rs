//! losstat's integration tests, compiled into one binary (links are expensive on two cores).

// clippy.toml allows these in `#[test]` functions only; the helpers here are test code as well.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly on what it cannot do"
)]

mod common;
mod coverage_support;

mod atomic;
mod casemix;
mod cli_errors;
mod dates_and_labels;
mod export_check;
mod filter_counts;
mod formats;
mod hostile;
mod language;
mod periods;
mod progress;
mod real_exports;
mod report;
mod rollup_by_hand;
mod snapshots;
mod statistics;
mod xlsx_output;
