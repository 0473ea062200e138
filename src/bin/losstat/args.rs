//! The command line's arguments (clap derive) and their translation into the library's
//! options. The option enums (`--adjust`, `--lang`, `--encoding` …) are the library's own
//! types, which derive clap's `ValueEnum` under the `cli` feature; only the choices that
//! exist for the command line alone (what to print) are declared here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use losstat::analysis::periods::{self, PeriodBy, PeriodOptions};
use losstat::analysis::{AdjustScope, AnalysisOptions, Levels, StatsOptions, Stratify};
use losstat::load::{ColumnMapping, EncodingChoice, LoadOptions};
use losstat::plot::{Lang, PlotOptions};
use losstat::report::tables::CsvFormat;
use losstat::simulate::{CsvStyle, DateStyle, SimulationOptions, Truth, Years};
use losstat::stats::kde::Bandwidth;
use losstat::stats::ks::{Alternative, KsMethod};
use losstat::stats::multitest::Adjustment;
use losstat::stats::pairwise::PairwiseOptions;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 error (unreadable input, missing columns, \
unwritable output); 2 usage error; 3 --strict was given and rows were excluded.";

/// Compare how the five Danish socialtilsyn score the services they supervise.
#[derive(Parser)]
#[command(name = "losstat", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Quality model CSV (indicator, criterion, theme, universal) replacing the embedded one.
    #[arg(long, global = true, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// No progress bars and no "wrote …" notes on standard error (warnings and errors still
    /// show). Progress bars are drawn only when standard error is a terminal.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print how long each step took, on standard error (for benchmarking); on Linux also the
    /// resident memory when it ended and the peak so far.
    #[arg(long, global = true)]
    pub timings: bool,
}

#[derive(Subcommand)]
pub enum Command {
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
pub struct SpiderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The visit id.
    #[arg(long)]
    pub visit: Option<String>,
    /// The offer id (its most recent visit is shown).
    #[arg(long)]
    pub offer: Option<String>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the spider chart (SVG, PNG) and profile.json into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace --out even if losstat did not create it.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub figures: FigureArgs,
}

#[derive(Args)]
pub struct InputArgs {
    /// Input files (CSV/TSV or Excel; long or wide layout); `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Sheet to read from Excel workbooks (default: the first with a header naming the
    /// required columns).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Line (CSV) or Excel row of the header, counting from 1; everything above it is skipped
    /// (default: the first of the first 20 non-blank rows that names the required columns).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_row: Option<u64>,
    /// Text encoding of CSV inputs.
    #[arg(long, value_enum, default_value_t = EncodingChoice::Auto)]
    pub encoding: EncodingChoice,
    /// Field separator of CSV inputs (default: sniffed from `,` `;` tab `|`).
    #[arg(long, value_parser = parse_separator)]
    pub separator: Option<u8>,
    /// Map a field to a column, e.g. `--column score=Vurdering`; repeatable. Fields:
    /// authority, visit_id, indicator, score, offer_id, offer_type, visit_date.
    #[arg(long = "column", value_name = "FIELD=NAME")]
    pub columns: Vec<String>,
    /// Exit with code 3 if any rating was excluded.
    #[arg(long)]
    pub strict: bool,
    /// Stop after loading when the authority column holds more distinct authorities than
    /// this (a sign that another column was read as the authority).
    #[arg(long, value_name = "N", default_value_t = losstat::analysis::guard::MAX_AUTHORITIES)]
    pub max_authorities: usize,
}

/// Language and resolution of the figures.
#[derive(Args)]
pub struct FigureArgs {
    /// Language of the figures, report.html and the summary on standard output (results.json
    /// and the CSV tables are always English, with a decimal point).
    #[arg(long, value_enum, default_value_t = Lang::Da)]
    pub lang: Lang,
    /// Resolution of the PNG figures (300 for print).
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(48..=1200))]
    pub dpi: u32,
}

impl FigureArgs {
    pub fn options(&self) -> PlotOptions {
        PlotOptions {
            lang: self.lang,
            dpi: self.dpi,
        }
    }
}

#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write results.json, results.xlsx, the CSV tables, the figures and report.html into this
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Style of the CSV files written (--out, --anonymize-key): `standard` (`,`, decimal
    /// point) or `danish` (`;`, decimal comma, UTF-8 with BOM, CRLF: opens in Danish Excel).
    #[arg(long, value_enum, default_value_t = CsvFormat::Standard)]
    pub csv_style: CsvFormat,
    /// Replace --out even if losstat did not create it.
    #[arg(long)]
    pub force: bool,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub stats: StatsArgs,
    /// Replace authority names by "Socialtilsyn 1" … "Socialtilsyn 5" in every output (the
    /// order is drawn from --seed).
    #[arg(long)]
    pub anonymize: bool,
    #[command(flatten)]
    pub figures: FigureArgs,
    /// With --anonymize: write which name became which label to this CSV file (keep it apart
    /// from the outputs you share).
    #[arg(long, value_name = "FILE", requires = "anonymize")]
    pub anonymize_key: Option<PathBuf>,
    #[command(flatten)]
    pub periods: PeriodArgs,
}

/// The comparison across periods (issue 15).
#[derive(Args)]
pub struct PeriodArgs {
    /// Also compare periods: `year` (of the visit date; visits without a date are left out and
    /// listed) or `file` (one period per input file, e.g. one export per year). The pooled
    /// analysis is unchanged.
    #[arg(long, value_enum, value_name = "BY")]
    period: Option<PeriodBy>,
    /// With --period file: the period's name for each input file, once per file in input order
    /// (default: the file names without extension).
    #[arg(long = "label", value_name = "NAME", requires = "period")]
    labels: Vec<String>,
    /// Permutations of the test of change in spread between the authorities, first period
    /// against last (0: no test).
    #[arg(long, value_name = "N", default_value_t = periods::DEFAULT_PERMUTATIONS)]
    period_permutations: u64,
}

impl PeriodArgs {
    pub fn options(&self) -> anyhow::Result<PeriodOptions> {
        if !self.labels.is_empty() && self.period != Some(PeriodBy::File) {
            anyhow::bail!("--label names the input files of --period file");
        }
        Ok(PeriodOptions {
            by: self.period,
            labels: self.labels.clone(),
            permutations: self.period_permutations,
        })
    }
}

#[derive(Args)]
pub struct StatsArgs {
    /// Significance level for the pairwise tests and the deviation FDR.
    #[arg(long, default_value_t = 0.05, value_parser = parse_unit_interval)]
    alpha: f64,
    /// Adjustment of the pairwise p-values across the 10 pairs.
    #[arg(long, value_enum, default_value_t = Adjustment::Holm)]
    adjust: Adjustment,
    /// What one adjustment spans: the 10 pairs of each family (one level and unit), or all
    /// pairs of a level together (e.g. 70 theme × pair tests with --level theme).
    #[arg(long, value_enum, default_value_t = AdjustScope::Family)]
    adjust_scope: AdjustScope,
    /// KS alternative: two-sided (LOS), less or greater (SciPy's meaning, for the first-named authority).
    #[arg(long, value_enum, default_value_t = Alternative::TwoSided)]
    alternative: Alternative,
    /// How SciPy's KS p is computed (auto: exact when both samples have at most 10000 values).
    #[arg(long, value_enum, default_value_t = KsMethod::Auto)]
    ks_method: KsMethod,
    /// KDE bandwidth: scott, silverman, or a factor (a multiple of the data's sd).
    #[arg(long, default_value = "scott")]
    bandwidth: Bandwidth,
    /// Monte Carlo permutations per pair (0: none); the permutation p then drives the adjustment.
    #[arg(long, default_value_t = 0)]
    permutations: u64,
    /// Permute authority labels only within offer types (needs --permutations).
    #[arg(long, value_enum, default_value_t = Stratify::None)]
    stratify: Stratify,
    /// RNG seed for the permutations.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Levels of the pairwise comparisons besides the overall score.
    #[arg(long, value_enum, default_value_t = Levels::Overall)]
    level: Levels,
    /// Confidence level of the deviation and effect-size intervals.
    #[arg(long, default_value_t = 0.95, value_parser = parse_unit_interval)]
    confidence: f64,
    /// Bootstrap replicates of the case-mix standardised means and of the spread between
    /// authorities per period (0: no intervals).
    #[arg(long, value_name = "B", default_value_t = losstat::analysis::DEFAULT_BOOTSTRAP)]
    bootstrap: u64,
}

impl StatsArgs {
    pub fn options(&self) -> anyhow::Result<StatsOptions> {
        if self.stratify == Stratify::OfferType && self.permutations == 0 {
            anyhow::bail!("--stratify offer-type needs --permutations N (e.g. 10000)");
        }
        Ok(StatsOptions {
            pairwise: PairwiseOptions {
                alternative: self.alternative,
                ks_method: self.ks_method,
                adjustment: self.adjust,
                alpha: self.alpha,
                permutations: self.permutations,
                seed: self.seed,
            },
            bandwidth: self.bandwidth,
            confidence: self.confidence,
            levels: self.level,
            stratify: self.stratify,
            adjust_scope: self.adjust_scope,
            bootstrap: self.bootstrap,
        })
    }
}

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// `table`: summary and the first exclusions; `csv`: every exclusion as CSV.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Language of the table (the CSV is always English).
    #[arg(long, value_enum, default_value_t = Lang::Da)]
    pub lang: Lang,
}

#[derive(Args)]
pub struct SimulateArgs {
    /// The CSV file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Multiply the LOS visit counts (575/473/254/335/344) by this.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// RNG seed.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Inject every kind of bad row the filters exist for.
    #[arg(long)]
    dirty: bool,
    /// Also write the export's own criterion, theme and overall scores per visit, as rows
    /// (`Kriterium 3`, `Tema 4`, `Samlet`) after its ratings, rounded to two decimals.
    #[arg(long)]
    levels: bool,
    /// Known truth (case mix): each authority's latent shift on the logit scale, five numbers
    /// in the order Hovedstaden, Midt, Nord, Syd, Øst (e.g. `0,0.2,0.4,0.6,-0.3`). With this,
    /// `--type-effect` or `--case-mix`, ratings follow a proportional-odds model with these
    /// shifts instead of the LOS calibration.
    #[arg(long, value_name = "S1,S2,S3,S4,S5", value_parser = parse_severity)]
    severity: Option<[f64; 5]>,
    /// Known truth: how far apart the offer types score (latent scale; 1 spreads them about ±1).
    #[arg(long, value_name = "X")]
    type_effect: Option<f64>,
    /// Known truth: how differently the authorities' offers are mixed (0: the national mix
    /// everywhere; 1: each authority's two own offer types nine times as likely).
    #[arg(long, value_name = "X")]
    case_mix: Option<f64>,
    /// Several years, e.g. `2021..2024` (both included): each year gets the full number of
    /// visits per authority, dated within the year.
    #[arg(long, value_name = "FIRST..LAST", value_parser = parse_years)]
    years: Option<(i32, i32)>,
    /// With --years: a known convergence. Each authority's latent shift (--severity, or
    /// -0.5,0,0.25,0.95,-0.5) is multiplied by X every year, so the authorities' differences
    /// shrink by X a year (1: no change); ratings follow the known-truth model.
    #[arg(long, value_name = "X", requires = "years")]
    convergence: Option<f64>,
    /// How visit dates are written: `iso` (2023-05-12) or `danish` (12-05-2023).
    #[arg(long, value_enum, default_value_t = DateStyle::Iso)]
    dates: DateStyle,
    /// `canonical`: UTF-8, `,`, English headers; `danish`: Windows-1252, `;`, Danish headers, decimal comma.
    #[arg(long, value_enum, default_value_t = CsvStyle::Canonical)]
    pub style: CsvStyle,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

impl SimulateArgs {
    pub fn options(&self) -> SimulationOptions {
        SimulationOptions {
            scale: self.scale,
            seed: self.seed,
            dirty: self.dirty,
            levels: self.levels,
            dates: self.dates,
            truth: (self.severity.is_some()
                || self.type_effect.is_some()
                || self.case_mix.is_some())
            .then(|| Truth {
                severity: self.severity.unwrap_or_default(),
                type_effect: self.type_effect.unwrap_or(0.0),
                case_mix: self.case_mix.unwrap_or(0.0),
            }),
            years: self.years.map(|(first, last)| Years {
                first,
                last,
                convergence: self.convergence,
            }),
        }
    }
}

#[derive(Args)]
pub struct ModelArgs {
    /// `table` for reading, `csv` for a model file to edit and pass back with --model.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Language of the table's headings (the CSV is always English).
    #[arg(long, value_enum, default_value_t = Lang::Da)]
    pub lang: Lang,
}

/// What `compare` and `spider` print on standard output.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// What `check` and `model` print on standard output.
#[derive(Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Table,
    Csv,
}

fn parse_unit_interval(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!("`{raw}` is not a number strictly between 0 and 1")),
    }
}

fn parse_severity(raw: &str) -> Result<[f64; 5], String> {
    let values: Vec<f64> = raw
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("`{raw}`: {e}"))?;
    values
        .try_into()
        .ok()
        .filter(|v: &[f64; 5]| v.iter().all(|x| x.is_finite()))
        .ok_or_else(|| format!("`{raw}` is not five finite numbers separated by commas"))
}

fn parse_years(raw: &str) -> Result<(i32, i32), String> {
    let bad = || format!("`{raw}` is not FIRST..LAST, e.g. 2021..2024");
    let (first, last) = raw.split_once("..").ok_or_else(bad)?;
    let year = |s: &str| s.trim().parse::<i32>().map_err(|_| bad());
    let (first, last) = (year(first)?, year(last.trim_start_matches('='))?);
    if first > last {
        return Err(format!("`{raw}`: the first year comes after the last"));
    }
    Ok((first, last))
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

impl InputArgs {
    /// The run's options with default statistics.
    pub fn options(&self) -> anyhow::Result<AnalysisOptions> {
        let columns = self
            .columns
            .iter()
            .map(|spec| ColumnMapping::parse(spec))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AnalysisOptions {
            load: LoadOptions {
                encoding: self.encoding,
                separator: self.separator,
                sheet: self.sheet.clone(),
                columns,
                header_row: self.header_row,
            },
            stats: StatsOptions::default(),
            anonymize: None,
            max_authorities: self.max_authorities,
            periods: PeriodOptions::default(),
        })
    }
}
