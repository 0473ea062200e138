//! losstat's integration tests, compiled into one binary (links are expensive on two cores).

mod common;

mod atomic;
mod cli_errors;
mod filter_counts;
mod formats;
mod hostile;
mod progress;
mod report;
mod rollup_by_hand;
mod statistics;
