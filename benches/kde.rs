//! Benchmarks: Gaussian KDE of 5,000 points on the default 512-point grid (continuous data, the
//! worst case, and tied overall-score-like data), and `compare_ranks` at 600 × 500.
use criterion::{Criterion, criterion_group, criterion_main};
use losstat::stats::kde::{Bandwidth, default_grid, gaussian_kde};
use losstat::stats::rank::compare_ranks;
use std::hint::black_box;

/// Deterministic uniform numbers in [0, 1) (64-bit LCG, top 53 bits).
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// Continuous scores on [1, 5].
fn continuous(seed: u64, n: usize) -> Vec<f64> {
    uniforms(seed, n).iter().map(|u| 1.0 + 4.0 * u).collect()
}

/// Overall-score-like tied data: means of 6 integer scores skewed towards 5.
fn tied(seed: u64, n: usize) -> Vec<f64> {
    let u = uniforms(seed, 6 * n);
    u.chunks(6)
        .map(|c| {
            c.iter()
                .map(|v| (5.0 - (v * v * 5.0).floor()).max(1.0))
                .sum::<f64>()
                / 6.0
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let grid = default_grid();
    let cont = continuous(1, 5000);
    let tied5k = tied(2, 5000);
    c.bench_function("kde 5k continuous x 512 grid", |b| {
        b.iter(|| gaussian_kde(black_box(&cont), None, Bandwidth::Scott, black_box(&grid)));
    });
    c.bench_function("kde 5k tied x 512 grid", |b| {
        b.iter(|| gaussian_kde(black_box(&tied5k), None, Bandwidth::Scott, black_box(&grid)));
    });
    let a = tied(3, 600);
    let bb = tied(4, 500);
    c.bench_function("compare_ranks 600 x 500 tied", |b| {
        b.iter(|| compare_ranks(black_box(&a), black_box(&bb)));
    });
    let ca = continuous(5, 600);
    let cb = continuous(6, 500);
    c.bench_function("compare_ranks 600 x 500 continuous", |b| {
        b.iter(|| compare_ranks(black_box(&ca), black_box(&cb)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
