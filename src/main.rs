//! The `losstat` command line: parses arguments, calls the library, prints, exits.
//!
//! Exit codes: 0 success; 1 error (bad input file, unwritable output …); 2 usage error;
//! 3 `--strict` was given and rows were excluded.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use losstat::analysis::{
    self, AdjustScope, AnalysisOptions, Levels, StatsOptions, Stratify, VisitSelector,
};
use losstat::filter::{Filtered, Rule, Scope};
use losstat::load::{ColumnMapping, EncodingChoice, LoadOptions, Source};
use losstat::model::QualityModel;
use losstat::plot::{self, Lang, PlotOptions};
use losstat::progress::{self, Progress, Step};
use losstat::report::{self, terminal};
use losstat::simulate::{self, CsvStyle, SimulationOptions};
use losstat::stats::kde::Bandwidth;
use losstat::stats::ks::{Alternative, KsMethod};
use losstat::stats::multitest::Adjustment;
use losstat::stats::pairwise::PairwiseOptions;

/// mimalloc instead of the system allocator: the pipeline makes and frees millions of small
/// buffers, and glibc's consolidation of freed chunks showed up as pauses of 0.1 s and more
/// at 10 million ratings (benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 error (unreadable input, missing columns, \
unwritable output); 2 usage error; 3 --strict was given and rows were excluded.";

/// Compare how the five Danish socialtilsyn score the services they supervise.
#[derive(Parser)]
#[command(name = "losstat", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Quality model CSV (indicator, criterion, theme, universal) replacing the embedded one.
    #[arg(long, global = true, value_name = "FILE")]
    model: Option<PathBuf>,
    /// No progress bars and no "wrote …" notes on standard error (warnings and errors still
    /// show). Progress bars are drawn only when standard error is a terminal.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Print how long each step took, on standard error (for benchmarking).
    #[arg(long, global = true)]
    timings: bool,
}

/// Progress bars on standard error for the long steps ([`losstat::progress`]).
/// With `timings`, each step's wall time is printed when it finishes.
struct Bars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    visible: bool,
    timings: Option<std::sync::Mutex<Option<(Step, std::time::Instant)>>>,
}

impl Bars {
    fn new(cli: &Cli) -> Self {
        use std::io::IsTerminal;
        Self {
            current: std::sync::Mutex::new(None),
            visible: !cli.quiet && std::io::stderr().is_terminal(),
            timings: cli.timings.then(|| std::sync::Mutex::new(None)),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&mut Option<indicatif::ProgressBar>)) {
        if let Ok(mut bar) = self.current.lock() {
            f(&mut bar);
        }
    }
}

impl Progress for Bars {
    fn start(&self, step: Step, total: u64) {
        if let Some(Ok(mut started)) = self.timings.as_ref().map(|t| t.lock()) {
            *started = Some((step, std::time::Instant::now()));
        }
        if !self.visible {
            return;
        }
        let template = match (step, total) {
            (_, 0) => "{spinner} {msg} {elapsed}",
            (Step::Load, _) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
            _ => "{msg} [{bar:30}] {pos}/{len} ({eta})",
        };
        let bar = indicatif::ProgressBar::with_draw_target(
            (total > 0).then_some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("losstat: {}", step.label()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.with_bar(|slot| *slot = Some(bar));
    }

    fn advance(&self, units: u64) {
        self.with_bar(|slot| {
            if let Some(bar) = slot {
                bar.inc(units);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|slot| {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        });
        if let Some(Ok(mut started)) = self.timings.as_ref().map(|t| t.lock())
            && let Some((step, at)) = started.take()
        {
            eprintln!(
                "losstat: timing: {:<16} {:>8.3} s",
                step.label(),
                at.elapsed().as_secs_f64()
            );
        }
    }
}

/// A note on standard error unless `--quiet`.
fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("losstat: {text}");
    }
}

#[derive(Subcommand)]
enum Command {
    /// Load, filter, roll up and compare the authorities.
    Compare(CompareArgs),
    /// Load and filter only: report what would be excluded, why, and where.
    Check(CheckArgs),
    /// Write a synthetic export calibrated to the LOS paper.
    Simulate(SimulateArgs),
    /// One visit (or an offer's latest visit) at a glance: scores, theme scores, spider chart,
    /// missing universal indicators, against the authority's and the national means.
    Spider(SpiderArgs),
    /// Print the quality model in use.
    Model(ModelArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["visit", "offer"])))]
struct SpiderArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The visit id.
    #[arg(long)]
    visit: Option<String>,
    /// The offer id (its most recent visit is shown).
    #[arg(long)]
    offer: Option<String>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the spider chart (SVG, PNG) and profile.json into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace --out even if losstat did not create it.
    #[arg(long)]
    force: bool,
    /// Language of the figure.
    #[arg(long, value_enum, default_value_t = LangArg::Da)]
    lang: LangArg,
    /// Resolution of the PNG figure.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(48..=1200))]
    dpi: u32,
}

#[derive(Args)]
struct InputArgs {
    /// Input files (CSV/TSV or Excel; long or wide layout); `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Sheet to read from Excel workbooks (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Text encoding of CSV inputs.
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
    /// Field separator of CSV inputs (default: sniffed from `,` `;` tab `|`).
    #[arg(long, value_parser = parse_separator)]
    separator: Option<u8>,
    /// Map a field to a column, e.g. `--column score=Vurdering`; repeatable. Fields:
    /// authority, visit_id, indicator, score, offer_id, offer_type, visit_date.
    #[arg(long = "column", value_name = "FIELD=NAME")]
    columns: Vec<String>,
    /// Exit with code 3 if any rating was excluded.
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct CompareArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Write results.json and the CSV tables into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace --out even if losstat did not create it.
    #[arg(long)]
    force: bool,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    stats: StatsArgs,
    /// Replace authority names by "Socialtilsyn 1" … "Socialtilsyn 5" in every output (the
    /// order is drawn from --seed).
    #[arg(long)]
    anonymize: bool,
    /// Language of figures and report.html.
    #[arg(long, value_enum, default_value_t = LangArg::Da)]
    lang: LangArg,
    /// Resolution of the PNG figures (300 for print).
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(48..=1200))]
    dpi: u32,
    /// With --anonymize: write which name became which label to this CSV file (keep it apart
    /// from the outputs you share).
    #[arg(long, value_name = "FILE", requires = "anonymize")]
    anonymize_key: Option<PathBuf>,
}

#[derive(Args)]
struct StatsArgs {
    /// Significance level for the pairwise tests and the deviation FDR.
    #[arg(long, default_value_t = 0.05, value_parser = parse_unit_interval)]
    alpha: f64,
    /// Adjustment of the pairwise p-values across the 10 pairs.
    #[arg(long, value_enum, default_value_t = AdjustArg::Holm)]
    adjust: AdjustArg,
    /// What one adjustment spans: the 10 pairs of each family (one level and unit), or all
    /// pairs of a level together (e.g. 70 theme × pair tests with --level theme).
    #[arg(long, value_enum, default_value_t = AdjustScopeArg::Family)]
    adjust_scope: AdjustScopeArg,
    /// KS alternative: two-sided (LOS), less or greater (SciPy's meaning, for the first-named authority).
    #[arg(long, value_enum, default_value_t = AlternativeArg::TwoSided)]
    alternative: AlternativeArg,
    /// How SciPy's KS p is computed (auto: exact when both samples have at most 10000 values).
    #[arg(long, value_enum, default_value_t = KsMethodArg::Auto)]
    ks_method: KsMethodArg,
    /// KDE bandwidth: scott, silverman, or a factor (a multiple of the data's sd).
    #[arg(long, default_value = "scott", value_parser = parse_bandwidth)]
    bandwidth: Bandwidth,
    /// Monte Carlo permutations per pair (0: none); the permutation p then drives the adjustment.
    #[arg(long, default_value_t = 0)]
    permutations: u64,
    /// Permute authority labels only within offer types (needs --permutations).
    #[arg(long, value_enum, default_value_t = StratifyArg::None)]
    stratify: StratifyArg,
    /// RNG seed for the permutations.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Levels of the pairwise comparisons besides the overall score.
    #[arg(long, value_enum, default_value_t = LevelArg::Overall)]
    level: LevelArg,
    /// Confidence level of the deviation and effect-size intervals.
    #[arg(long, default_value_t = 0.95, value_parser = parse_unit_interval)]
    confidence: f64,
}

#[derive(Clone, Copy, ValueEnum)]
enum AdjustArg {
    Holm,
    #[value(alias = "benjamini-hochberg", alias = "fdr")]
    Bh,
    None,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Da,
    En,
}

impl LangArg {
    fn plot_options(self, dpi: u32) -> PlotOptions {
        PlotOptions {
            lang: match self {
                LangArg::Da => Lang::Da,
                LangArg::En => Lang::En,
            },
            dpi,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum AlternativeArg {
    TwoSided,
    Less,
    Greater,
}

#[derive(Clone, Copy, ValueEnum)]
enum KsMethodArg {
    Auto,
    Exact,
    #[value(alias = "asymp")]
    Asymptotic,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AdjustScopeArg {
    Family,
    Level,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StratifyArg {
    None,
    OfferType,
}

#[derive(Clone, Copy, ValueEnum)]
enum LevelArg {
    Overall,
    Theme,
    Criterion,
    All,
}

fn parse_unit_interval(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!("`{raw}` is not a number strictly between 0 and 1")),
    }
}

fn parse_bandwidth(raw: &str) -> Result<Bandwidth, String> {
    match raw.to_lowercase().as_str() {
        "scott" => Ok(Bandwidth::Scott),
        "silverman" => Ok(Bandwidth::Silverman),
        other => match other.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Bandwidth::Factor(f)),
            _ => Err(format!(
                "`{raw}` is not scott, silverman or a positive number"
            )),
        },
    }
}

impl StatsArgs {
    fn options(&self) -> Result<StatsOptions> {
        if self.stratify == StratifyArg::OfferType && self.permutations == 0 {
            anyhow::bail!("--stratify offer-type needs --permutations N (e.g. 10000)");
        }
        Ok(StatsOptions {
            pairwise: PairwiseOptions {
                alternative: match self.alternative {
                    AlternativeArg::TwoSided => Alternative::TwoSided,
                    AlternativeArg::Less => Alternative::Less,
                    AlternativeArg::Greater => Alternative::Greater,
                },
                ks_method: match self.ks_method {
                    KsMethodArg::Auto => KsMethod::Auto,
                    KsMethodArg::Exact => KsMethod::Exact,
                    KsMethodArg::Asymptotic => KsMethod::Asymptotic,
                },
                adjustment: match self.adjust {
                    AdjustArg::Holm => Adjustment::Holm,
                    AdjustArg::Bh => Adjustment::BenjaminiHochberg,
                    AdjustArg::None => Adjustment::None,
                },
                alpha: self.alpha,
                permutations: self.permutations,
                seed: self.seed,
            },
            bandwidth: self.bandwidth,
            confidence: self.confidence,
            levels: match self.level {
                LevelArg::Overall => Levels::Overall,
                LevelArg::Theme => Levels::Theme,
                LevelArg::Criterion => Levels::Criterion,
                LevelArg::All => Levels::All,
            },
            stratify: match self.stratify {
                StratifyArg::None => Stratify::None,
                StratifyArg::OfferType => Stratify::OfferType,
            },
            adjust_scope: match self.adjust_scope {
                AdjustScopeArg::Family => AdjustScope::Family,
                AdjustScopeArg::Level => AdjustScope::Level,
            },
        })
    }
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// `table`: summary and the first exclusions; `csv`: every exclusion as CSV.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    format: CheckFormat,
}

#[derive(Args)]
struct SimulateArgs {
    /// The CSV file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Multiply the LOS visit counts (575/473/254/335/344) by this.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// RNG seed.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Inject every kind of bad row the filters exist for.
    #[arg(long)]
    dirty: bool,
    /// `canonical`: UTF-8, `,`, English headers; `danish`: Windows-1252, `;`, Danish headers, decimal comma.
    #[arg(long, value_enum, default_value_t = StyleArg::Canonical)]
    style: StyleArg,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ModelArgs {
    /// `table` for reading, `csv` for a model file to edit and pass back with --model.
    #[arg(long, value_enum, default_value_t = ModelFormat::Table)]
    format: ModelFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Table,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelFormat {
    Table,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum StyleArg {
    Canonical,
    Danish,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    Auto,
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "windows-1252", alias = "cp1252", alias = "latin1")]
    Windows1252,
    #[value(name = "utf-16le")]
    Utf16Le,
    #[value(name = "utf-16be")]
    Utf16Be,
}

fn parse_separator(raw: &str) -> Result<u8, String> {
    match raw {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\\t" | "\t" | "tab" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        other => Err(format!("`{other}` is not one of , ; tab |")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
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
    let bars = Bars::new(&cli);
    match cli.command {
        Command::Compare(args) => compare(args, model, &bars, cli.quiet),
        Command::Check(args) => check(args, &model, &bars),
        Command::Simulate(args) => simulate_export(&args, &model, cli.quiet),
        Command::Spider(args) => spider(&args, &model, cli.quiet),
        Command::Model(args) => {
            let text = match args.format {
                ModelFormat::Table => terminal::model_listing(&model),
                ModelFormat::Csv => model.to_csv(),
            };
            print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn options(input: &InputArgs) -> Result<AnalysisOptions> {
    let columns = input
        .columns
        .iter()
        .map(|spec| ColumnMapping::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AnalysisOptions {
        load: LoadOptions {
            encoding: match input.encoding {
                EncodingArg::Auto => EncodingChoice::Auto,
                EncodingArg::Utf8 => EncodingChoice::Utf8,
                EncodingArg::Windows1252 => EncodingChoice::Windows1252,
                EncodingArg::Utf16Le => EncodingChoice::Utf16Le,
                EncodingArg::Utf16Be => EncodingChoice::Utf16Be,
            },
            separator: input.separator,
            sheet: input.sheet.clone(),
            columns,
        },
        stats: StatsOptions::default(),
        anonymize: None,
    })
}

/// How many exclusions `--strict` lists on standard error.
const STRICT_LISTED: usize = 20;

/// Exit code 3 under `--strict` when ratings were excluded, listing the first exclusions as
/// `FILE:LINE: rule: detail` on standard error.
fn strict_code(strict: bool, filtered: &Filtered, sources: &[Source]) -> ExitCode {
    let excluded = filtered.summary.ratings_excluded();
    if !strict || excluded == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("losstat: --strict: {excluded} ratings were excluded:");
    // One line per rating-level exclusion; one per visit for visit-level rules.
    let mut lines: Vec<(String, u64)> = Vec::new();
    let mut last_visit: Option<(Rule, &str)> = None;
    for e in filtered
        .exclusions
        .iter()
        .filter(|e| e.rule.scope() != Scope::Flag)
    {
        let key = (e.rule, e.visit_id.as_str());
        if e.rule.scope() == Scope::Visit && last_visit == Some(key) {
            if let Some(line) = lines.last_mut() {
                line.1 += 1;
            }
            continue;
        }
        last_visit = (e.rule.scope() == Scope::Visit).then_some(key);
        let file = sources
            .get(e.file as usize)
            .map_or_else(String::new, |s| s.path.display().to_string());
        let detail: String = e
            .detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        lines.push((format!("{file}:{}: {}: {detail}", e.line, e.rule), 1));
    }
    for (text, ratings) in lines.iter().take(STRICT_LISTED) {
        if *ratings > 1 {
            eprintln!("{text} ({ratings} ratings)");
        } else {
            eprintln!("{text}");
        }
    }
    let more = lines.len().saturating_sub(STRICT_LISTED);
    if more > 0 {
        eprintln!("… and {more} more (losstat check --format csv lists them all)");
    }
    ExitCode::from(3)
}

fn compare(args: CompareArgs, model: QualityModel, bars: &Bars, quiet: bool) -> Result<ExitCode> {
    let mut options = options(&args.input)?;
    options.stats = args.stats.options()?;
    options.anonymize = args.anonymize.then_some(args.stats.seed);
    let analysis = analysis::analyze_with_progress(&args.input.inputs, model, &options, bars)?;
    if let (Some(path), Some(key)) = (&args.anonymize_key, &analysis.anonymization) {
        let mut text = String::from("label,authority\n");
        for (name, label) in &key.pairs {
            text.push_str(&format!("{label},{name}\n"));
        }
        write_file(path, text.as_bytes(), args.force)?;
        note(
            quiet,
            &format!("wrote the anonymisation key to {}", path.display()),
        );
    }
    if let Some(dir) = &args.out {
        let plot_options = args.lang.plot_options(args.dpi);
        let figures = progress::run(bars, Step::Figures, || {
            plot::compare::compare_figures(&analysis, &plot_options)
        })?;
        let files = progress::run(bars, Step::Write, || -> Result<_> {
            let files = report::render(&analysis, &figures, plot_options.lang)?;
            report::write_dir(dir, &files, &args.input.inputs, args.force)
                .with_context(|| format!("writing the outputs to {}", dir.display()))?;
            Ok(files)
        })?;
        note(
            quiet,
            &format!("wrote {} files to {}", files.len(), dir.display()),
        );
    }
    match args.format {
        Format::Table => print(&terminal::compare_summary(&analysis))?,
        Format::Json => {
            let bytes = report::json::to_bytes(&analysis)?;
            print(&String::from_utf8_lossy(&bytes))?;
        }
    }
    Ok(strict_code(
        args.input.strict,
        &analysis.filtered,
        &analysis.sources,
    ))
}

fn check(args: CheckArgs, model: &QualityModel, bars: &Bars) -> Result<ExitCode> {
    let options = options(&args.input)?;
    let screening = analysis::screen_with_progress(&args.input.inputs, model, &options, bars)?;
    match args.format {
        CheckFormat::Table => print(&terminal::check_report(&screening))?,
        CheckFormat::Csv => {
            let bytes = report::tables::exclusions(&screening.filtered, &screening.sources)?;
            print(&String::from_utf8_lossy(&bytes))?;
        }
    }
    Ok(strict_code(
        args.input.strict,
        &screening.filtered,
        &screening.sources,
    ))
}

fn spider(args: &SpiderArgs, model: &QualityModel, quiet: bool) -> Result<ExitCode> {
    let options = options(&args.input)?;
    let selector = match (&args.visit, &args.offer) {
        (Some(visit), _) => VisitSelector::Visit(visit.clone()),
        (None, Some(offer)) => VisitSelector::Offer(offer.clone()),
        (None, None) => anyhow::bail!("give --visit ID or --offer ID"),
    };
    let profile = analysis::visit_profile(&args.input.inputs, model, &options, &selector)?;
    if let Some(dir) = &args.out {
        let figure =
            plot::compare::visit_spider(&profile, model, &args.lang.plot_options(args.dpi))?;
        let mut json = serde_json::to_vec_pretty(&profile)?;
        json.push(b'\n');
        let files = [
            report::OutputFile::new(format!("{}.svg", figure.name), figure.svg.into_bytes()),
            report::OutputFile::new(format!("{}.png", figure.name), figure.png),
            report::OutputFile::new("profile.json", json),
        ];
        report::write_dir(dir, &files, &args.input.inputs, args.force)
            .with_context(|| format!("writing the outputs to {}", dir.display()))?;
        note(
            quiet,
            &format!("wrote {} files to {}", files.len(), dir.display()),
        );
    }
    match args.format {
        Format::Table => print(&terminal::visit_profile(&profile, model))?,
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(&profile)?;
            bytes.push(b'\n');
            print(&String::from_utf8_lossy(&bytes))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate_export(args: &SimulateArgs, model: &QualityModel, quiet: bool) -> Result<ExitCode> {
    let simulation = simulate::simulate(
        model,
        &SimulationOptions {
            scale: args.scale,
            seed: args.seed,
            dirty: args.dirty,
        },
    )?;
    let style = match args.style {
        StyleArg::Canonical => CsvStyle::Canonical,
        StyleArg::Danish => CsvStyle::Danish,
    };
    let bytes = simulate::to_csv(&simulation, style)?;
    write_file(&args.out, &bytes, args.force)?;
    note(
        quiet,
        &format!(
            "wrote {} ratings to {}",
            simulation.records.len(),
            args.out.display()
        ),
    );
    for (rule, n) in &simulation.injected {
        note(quiet, &format!("  injected {n} x {rule}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a file whole: into a temporary sibling, then renamed over the target.
fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    if path.exists() && !force {
        anyhow::bail!("{} exists; give --force to overwrite it", path.display());
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let staging = path.with_file_name(format!(
        ".{}.losstat-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&staging, bytes)
        .with_context(|| format!("cannot write {}", staging.display()))?;
    std::fs::rename(&staging, path).with_context(|| {
        let _ = std::fs::remove_file(&staging);
        format!("cannot write {}", path.display())
    })?;
    Ok(())
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
