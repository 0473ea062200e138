//! Benchmarks of the KS kernels on losstat-like data: overall scores are means of a few
//! integer scores 1..5, so the pooled samples are heavily tied.
//!
//! * exact SciPy-compatible p and tie-exact p at 600 × 500;
//! * 10 000 Monte Carlo permutations at national size (575 vs 473 visits).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use losstat::stats::ks::{Alternative, KsMethod, ks_2samp, ks_p_ties, ks_permutation};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` overall scores, each the mean of `k` integer scores drawn with weights `weights`.
fn tied_scores(n: usize, k: u32, weights: [f64; 5], seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total: f64 = weights.iter().sum();
    let draw = |rng: &mut ChaCha8Rng| {
        let mut u = rng.random::<f64>() * total;
        for (score, w) in (1u32..).zip(weights) {
            if u < w {
                return score;
            }
            u -= w;
        }
        5
    };
    (0..n)
        .map(|_| f64::from((0..k).map(|_| draw(&mut rng)).sum::<u32>()) / f64::from(k))
        .collect()
}

fn benches(c: &mut Criterion) {
    let lenient = [0.02, 0.05, 0.13, 0.25, 0.55];
    let strict = [0.04, 0.08, 0.18, 0.30, 0.40];
    let a = tied_scores(600, 6, lenient, 1);
    let b = tied_scores(500, 6, strict, 2);
    c.bench_function("ks_2samp exact + tie-exact, 600x500 tied", |bench| {
        bench.iter(|| {
            ks_2samp(
                black_box(&a),
                black_box(&b),
                Alternative::TwoSided,
                KsMethod::Exact,
            )
        });
    });
    c.bench_function("ks_p_ties two-sided, 600x500 tied", |bench| {
        bench.iter(|| ks_p_ties(black_box(&a), black_box(&b), Alternative::TwoSided));
    });
    let national_a = tied_scores(575, 6, lenient, 3);
    let national_b = tied_scores(473, 6, strict, 4);
    let mut group = c.benchmark_group("permutation");
    group.sample_size(10);
    group.bench_function("ks_permutation 10k, 575x473 tied", |bench| {
        bench.iter(|| {
            ks_permutation(
                black_box(&national_a),
                black_box(&national_b),
                None,
                Alternative::TwoSided,
                10_000,
                7,
                0,
            )
        });
    });
    group.finish();
}

criterion_group!(ks_benches, benches);
criterion_main!(ks_benches);
