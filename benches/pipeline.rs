//! Benchmarks of the pipeline stages on seeded synthetic exports (issue 6, item 1; the KS and
//! KDE kernels are in `benches/ks.rs` and `benches/kde.rs`).
//!
//! Data: [`losstat::simulate`] with seed 2024 (as `losstat simulate` and `benches/compare_peer.sh`),
//! clean (no injected bad rows), written once per scale as a canonical CSV (UTF-8, `,`) to a
//! temporary directory. Scale 1 is national size (1,981 visits, ~54k ratings); scale 10 is
//! ten times that, for load, filter and roll-up only, so their per-rating throughput can be
//! compared across sizes.
//!
//! What is measured (each iteration includes dropping its result):
//!
//! * `load/csv/scale N`: [`losstat::load::load`] of the CSV (file in the page cache; includes
//!   reading, sniffing, decoding, parsing and the SHA-256); `load/csv-danish/scale 1`: the
//!   same export as Danish Excel saves it (Windows-1252, `;`, decimal comma, Danish headers).
//!   Throughput: ratings in the file.
//! * `filter/scale N`: [`losstat::filter::filter`] of the loaded ratings with the embedded
//!   quality model. Throughput: ratings loaded.
//! * `rollup/scale N`: [`losstat::rollup::rollup`] of the filtered ratings. Throughput:
//!   ratings kept.
//! * `deviation_table/scale 1`: [`losstat::stats::deviation::deviation_table`] (Welch CI and
//!   p per indicator × authority, BH q) on the kept ratings grouped by indicator and
//!   authority ([`losstat::analysis::indicator_groups`], once, outside the timing).
//! * `analyze/scale 1`: the whole [`losstat::analysis::analyze`] (load → filter → roll-up →
//!   descriptives, pairwise comparisons at the overall level, KDE, deviation) with default
//!   options, from the CSV.
//! * `figures/scale 1`: [`losstat::plot::compare::compare_figures`] (every `compare` figure, SVG and
//!   PNG at the default 150 dpi) from a precomputed analysis.
//! * `report/scale 1`: [`losstat::report::render`] (tables, `results.json`, `results.xlsx`,
//!   `report.html` with the figures inlined) in memory, without writing.

#![allow(
    clippy::expect_used,
    reason = "a benchmark's setup fails loudly on what it cannot do"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use losstat::analysis::{self, AnalysisOptions};
use losstat::filter::{self, Filtered};
use losstat::load::{self, LoadOptions, Loaded};
use losstat::model::QualityModel;
use losstat::plot::{self, PlotOptions};
use losstat::report;
use losstat::rollup;
use losstat::simulate::{self, CsvStyle, SimulationOptions};
use losstat::stats::deviation;
use tempfile::TempDir;

/// The simulation seed (as `losstat simulate` and `benches/compare_peer.sh`).
const SEED: u64 = 2024;

/// One simulated export on disk, loaded and filtered once for the later stages' inputs.
struct Fixture {
    /// Keeps the directory alive.
    _dir: TempDir,
    /// The canonical CSV.
    path: PathBuf,
    /// The Danish-style CSV of the same export.
    danish: PathBuf,
    /// Ratings in the file.
    ratings: u64,
    loaded: Loaded,
    filtered: Filtered,
}

impl Fixture {
    fn new(model: &QualityModel, scale: f64) -> Self {
        let sim = simulate::simulate(
            model,
            &SimulationOptions {
                scale,
                seed: SEED,
                ..SimulationOptions::default()
            },
        )
        .expect("simulate");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("scores.csv");
        let danish = dir.path().join("scores_da.csv");
        std::fs::write(
            &path,
            simulate::to_csv(&sim, CsvStyle::Canonical).expect("csv"),
        )
        .expect("write csv");
        std::fs::write(
            &danish,
            simulate::to_csv(&sim, CsvStyle::Danish).expect("csv"),
        )
        .expect("write csv");
        let ratings = sim.rows as u64;
        let loaded =
            load::load(std::slice::from_ref(&path), &LoadOptions::default()).expect("load");
        let filtered = filter::filter(&loaded, model).expect("filter");
        Self {
            _dir: dir,
            path,
            danish,
            ratings,
            loaded,
            filtered,
        }
    }

    fn kept(&self) -> u64 {
        self.filtered.ratings.len() as u64
    }
}

/// A group of slow benchmarks: 10 samples, a short warm-up.
fn slow_group<'a>(
    c: &'a mut Criterion,
    name: &str,
    measurement: Duration,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measurement);
    group
}

fn stages(c: &mut Criterion) {
    let model = QualityModel::embedded().expect("embedded model");
    let national = Fixture::new(&model, 1.0);
    let large = Fixture::new(&model, 10.0);
    let sizes = [("scale 1", &national), ("scale 10", &large)];
    let options = LoadOptions::default();

    let mut group = slow_group(c, "load", Duration::from_secs(5));
    for (label, f) in sizes {
        group.throughput(Throughput::Elements(f.ratings));
        group.bench_function(format!("csv/{label}"), |b| {
            b.iter(|| load::load(std::slice::from_ref(black_box(&f.path)), &options));
        });
    }
    group.throughput(Throughput::Elements(national.ratings));
    group.bench_function("csv-danish/scale 1", |b| {
        b.iter(|| load::load(std::slice::from_ref(black_box(&national.danish)), &options));
    });
    group.finish();

    let mut group = slow_group(c, "filter", Duration::from_secs(5));
    for (label, f) in sizes {
        group.throughput(Throughput::Elements(f.ratings));
        group.bench_function(label, |b| {
            b.iter(|| filter::filter(black_box(&f.loaded), &model));
        });
    }
    group.finish();

    let mut group = slow_group(c, "rollup", Duration::from_secs(5));
    for (label, f) in sizes {
        group.throughput(Throughput::Elements(f.kept()));
        group.bench_function(label, |b| b.iter(|| rollup::rollup(black_box(&f.filtered))));
    }
    group.finish();
    drop(large);

    let groups = analysis::indicator_groups(&national.filtered, &model).expect("groups");
    let mut group = slow_group(c, "deviation_table", Duration::from_secs(3));
    group.throughput(Throughput::Elements(national.kept()));
    group.bench_function("scale 1", |b| {
        b.iter(|| {
            deviation::deviation_table(black_box(&groups), deviation::DEFAULT_CONFIDENCE, 0.05)
        });
    });
    group.finish();

    let analysis_options = AnalysisOptions::default();
    let paths = vec![national.path.clone()];
    let mut group = slow_group(c, "analyze", Duration::from_secs(5));
    group.throughput(Throughput::Elements(national.ratings));
    group.bench_function("scale 1", |b| {
        b.iter(|| analysis::analyze(black_box(&paths), model.clone(), &analysis_options));
    });
    group.finish();

    let analysis = analysis::analyze(&paths, model.clone(), &analysis_options).expect("analyze");
    let plot_options = PlotOptions::default();
    let mut group = slow_group(c, "figures", Duration::from_secs(8));
    group.bench_function("scale 1", |b| {
        b.iter(|| plot::compare::compare_figures(black_box(&analysis), &plot_options));
    });
    group.finish();

    let figures = plot::compare::compare_figures(&analysis, &plot_options).expect("figures");
    let mut group = slow_group(c, "report", Duration::from_secs(3));
    group.bench_function("scale 1", |b| {
        b.iter(|| {
            report::render(
                black_box(&analysis),
                &figures,
                &report::RenderOptions::default(),
            )
        });
    });
    group.finish();
}

criterion_group!(pipeline, stages);
criterion_main!(pipeline);
