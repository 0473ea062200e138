//! The `losstat` command line: parses arguments ([`args`]), calls the library, prints what
//! the library rendered, exits. Everything that computes, renders or writes files is in the
//! library (`losstat::analysis`, `losstat::report`, `losstat::plot`).
//!
//! Exit codes: 0 success; 1 error (bad input file, unwritable output …); 2 usage error;
//! 3 `--strict` was given and rows were excluded.

#![allow(
    clippy::print_stderr,
    reason = "the command line's notes, warnings and errors go to standard error"
)]

mod args;
mod bars;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use args::{CheckArgs, CheckFormat, Cli, Command, CompareArgs, Format, SimulateArgs, SpiderArgs};
use bars::Bars;
use losstat::filter::Filtered;
use losstat::load::Source;
use losstat::model::QualityModel;
use losstat::profile::VisitSelector;
use losstat::progress::{self, Step};
use losstat::report::{self, terminal};
use losstat::{analysis, plot, profile, simulate};

/// mimalloc instead of the system allocator: the pipeline makes and frees millions of small
/// buffers, and glibc's consolidation of freed chunks showed up as pauses of 0.1 s and more
/// at 10 million ratings (benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long mimalloc keeps freed memory before it returns it to the system, unless
/// `MIMALLOC_PURGE_DELAY` says otherwise: 10 ms, mimalloc 2's default, instead of mimalloc 3's
/// full second. Each stage frees its inputs before the next allocates buffers of other sizes,
/// and kept for a second those freed pages added 90–150 MB to the peak at 10 million ratings
/// (about 450 MB at 10 ms, 530–610 MB at 1 s; no measurable change in time, benches/README.md).
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay`, the option's number in mimalloc 3's `mi_option_t` (`mimalloc.h`;
/// the Rust bindings leave this one out).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
// The option after it is in the bindings: if mimalloc renumbers, this stops the build.
const _: () = assert!(MI_OPTION_PURGE_DELAY + 1 == libmimalloc_sys::mi_option_use_numa_nodes);

/// Sets [`PURGE_DELAY_MS`] unless the environment sets the delay.
#[allow(
    unsafe_code,
    reason = "mimalloc's options have only a C interface; this is the crate's one unsafe call"
)]
fn set_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` takes an option number and a value, dereferences no pointer
        // and may be called at any time; the option is one mimalloc defines.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

fn main() -> ExitCode {
    set_purge_delay();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            let broken_pipe = err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe);
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("losstat: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let model = match &cli.model {
        Some(path) => QualityModel::from_path(path)?,
        None => QualityModel::embedded()?,
    };
    if model.universal().next().is_none() {
        eprintln!(
            "losstat: warning: the model {} has no universal indicator, so the LOS rule missing_universal removes nothing",
            model.origin
        );
    }
    let note = |text: String| {
        if !cli.quiet {
            eprintln!("losstat: {text}");
        }
    };
    let bars = Bars::new(cli.quiet, cli.timings);
    match cli.command {
        Command::Compare(args) => compare(&args, model, &bars, note),
        Command::Check(args) => check(&args, &model, &bars),
        Command::Simulate(args) => simulate(&args, &model, note),
        Command::Spider(args) => spider(&args, &model, note),
        Command::Model(args) => {
            print(match args.format {
                CheckFormat::Table => terminal::model_listing(&model, args.lang),
                CheckFormat::Csv => model.to_csv(),
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn compare(
    args: &CompareArgs,
    model: QualityModel,
    bars: &Bars,
    note: impl Fn(String),
) -> Result<ExitCode> {
    let mut options = args.input.options()?;
    options.stats = args.stats.options()?;
    options.anonymize = args.anonymize.then_some(args.stats.seed);
    options.periods = args.periods.options()?;
    let analysis = analysis::analyze_with_progress(&args.input.inputs, model, &options, bars)?;
    if let Some(why) = report::periods::not_compared(&analysis) {
        eprintln!("losstat: warning: {why}");
    }
    if let (Some(path), Some(key)) = (&args.anonymize_key, &analysis.anonymization) {
        let csv = report::tables::Table::anonymization_key(key).to_csv(args.csv_style)?;
        report::write_file(path, &csv, args.force)?;
        note(format!("wrote the anonymisation key to {}", path.display()));
    }
    if let Some(dir) = &args.out {
        let files = write_outputs(&analysis, args, dir, bars)?;
        note(format!("wrote {files} files to {}", dir.display()));
    }
    match args.format {
        Format::Table => print(terminal::compare_summary(&analysis, args.figures.lang))?,
        Format::Json => print(&report::json::to_bytes(&analysis)?)?,
    }
    Ok(strict_code(
        args.input.strict,
        &analysis.filtered,
        &analysis.sources,
    ))
}

/// Writes every output of `compare --out` into `dir` and returns how many files it wrote.
/// The files go straight into a staging directory (swapped in at the end), so that no output
/// is ever whole in memory; dropped on an error, it is removed.
fn write_outputs(
    analysis: &analysis::Analysis,
    args: &CompareArgs,
    dir: &std::path::Path,
    bars: &Bars,
) -> Result<usize> {
    let context = || format!("writing the outputs to {}", dir.display());
    let out =
        report::OutputDir::create(dir, &args.input.inputs, args.force).with_context(context)?;
    let plot_options = args.figures.options();
    let lang = plot_options.lang;
    // The workbook (one thread, the longest piece) is written while the figures are drawn
    // and the CSV tables written (in parallel); the "drawing figures" step times all three.
    let (figures, workbook) = progress::run(bars, Step::Figures, || {
        rayon::join(
            || -> Result<_> {
                let (figures, tables) = rayon::join(
                    || plot::compare::compare_figures(analysis, &plot_options),
                    || report::write_tables(analysis, args.csv_style, &out),
                );
                tables.with_context(context)?;
                Ok(figures?)
            },
            || report::write_workbook(analysis, lang, &out),
        )
    });
    let figures = figures?;
    workbook.with_context(context)?;
    if let Some(why) = plot::compare::figures_skipped(analysis) {
        eprintln!("losstat: warning: {why}");
    }
    progress::run(bars, Step::Write, || -> Result<_> {
        report::write_report(analysis, &figures, lang, &out).with_context(context)?;
        let files = out.file_count();
        out.commit().with_context(context)?;
        Ok(files)
    })
}

fn check(args: &CheckArgs, model: &QualityModel, bars: &Bars) -> Result<ExitCode> {
    let options = args.input.options()?;
    let screening = analysis::screen_with_progress(&args.input.inputs, model, &options, bars)?;
    match args.format {
        CheckFormat::Table => print(terminal::check_report(&screening, args.lang))?,
        CheckFormat::Csv => print(&report::tables::exclusions(
            &screening.filtered,
            &screening.sources,
        )?)?,
    }
    Ok(strict_code(
        args.input.strict,
        &screening.filtered,
        &screening.sources,
    ))
}

fn spider(args: &SpiderArgs, model: &QualityModel, note: impl Fn(String)) -> Result<ExitCode> {
    let options = args.input.options()?;
    let selector = match (&args.visit, &args.offer) {
        (Some(visit), _) => VisitSelector::Visit(visit.clone()),
        (None, Some(offer)) => VisitSelector::Offer(offer.clone()),
        (None, None) => anyhow::bail!("give --visit ID or --offer ID"),
    };
    let profile = profile::visit_profile(&args.input.inputs, model, &options, &selector)?;
    if let Some(dir) = &args.out {
        let figure = plot::compare::visit_spider(&profile, model, &args.figures.options())?;
        let files = report::visit_files(&profile, figure)?;
        report::write_dir(dir, &files, &args.input.inputs, args.force)
            .with_context(|| format!("writing the outputs to {}", dir.display()))?;
        note(format!("wrote {} files to {}", files.len(), dir.display()));
    }
    match args.format {
        Format::Table => print(terminal::visit_profile(&profile, model, args.figures.lang))?,
        Format::Json => print(&report::json::profile_bytes(&profile)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate(args: &SimulateArgs, model: &QualityModel, note: impl Fn(String)) -> Result<ExitCode> {
    let options = args.options();
    let simulation = simulate::simulate(model, &options)?;
    report::write_file_with(&args.out, args.force, |file| {
        simulate::write_csv(&simulation, args.style, file)
    })?;
    terminal::simulated(&simulation, &args.out)
        .into_iter()
        .for_each(&note);
    if let Some(line) = report::periods::simulated_years(&options) {
        note(line);
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code 3 under `--strict` when ratings were excluded, after listing the first
/// exclusions on standard error.
fn strict_code(strict: bool, filtered: &Filtered, sources: &[Source]) -> ExitCode {
    let listing = terminal::strict_listing(filtered, sources);
    if !strict || listing.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprint!("{listing}");
    ExitCode::from(3)
}

fn print(bytes: impl AsRef<[u8]>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes.as_ref())?;
    out.flush()?;
    Ok(())
}
