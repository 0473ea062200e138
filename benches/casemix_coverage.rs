//! The coverage study of the case-mix analysis (issue 14, item 4): 400 replicates at national
//! size of an export with a known truth (`tests/integration/coverage_support.rs`), and how
//! often the 95 % intervals of the authorities' adjusted odds ratios cover the true ones, from
//! the visit-clustered and from the model-based covariance. Run by hand:
//!
//!     cargo bench --bench casemix_coverage [-- REPLICATES]
//!
//! With 400 replicates of 5 authorities (2,000 intervals) the count is Binomial(2000, 0.95)
//! if the intervals are right: 93.9–96.0 % in 95 % of studies.

#![allow(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a study run by hand prints its result and fails loudly"
)]

#[path = "../tests/integration/coverage_support.rs"]
mod coverage_support;

fn main() {
    let replicates: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(400);
    let started = std::time::Instant::now();
    let c = coverage_support::coverage(replicates, 1.0, 20_000);
    let share = |n: u64| 100.0 * n as f64 / c.of as f64;
    println!(
        "{replicates} replicates, {} intervals: clustered {:.1} % cover, model-based {:.1} % ({:.0} s)",
        c.of,
        share(c.cluster),
        share(c.model),
        started.elapsed().as_secs_f64()
    );
}
