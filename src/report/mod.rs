//! Stage 6: reports. Every writer turns the [`Analysis`] into bytes, handed file by file to
//! an [`OutputSink`] ([`output`]).
//!
//! Input: an [`Analysis`] and the figures drawn from it. Output: `results.json` ([`json`]),
//! one CSV per table ([`tables`]), the same tables as the sheets of `results.xlsx` ([`xlsx`]),
//! `report.html` ([`html`]), the figures as SVG and PNG under `figures/`, and the terminal
//! summaries ([`terminal`]). The report, the workbook's names and the summaries are in the
//! language of `--lang` ([`locale`]); `results.json` and the CSV tables are not.
//!
//! [`write()`] writes every file into a sink as it is produced: the CSV tables are formatted
//! straight into their files and the workbook is saved straight into its own, so that the
//! writing holds no whole table in memory (at ten million ratings the CSV tables are about
//! 300 MB). [`render`] is the same into memory.
//!
//! Writing is all or nothing ([`OutputDir`]): the files are written into a hidden temporary
//! directory beside `--out`, then renamed into place (on Linux an existing directory is
//! swapped with the new one in one atomic `renameat2(RENAME_EXCHANGE)`), so a failed or
//! killed run leaves the previous outputs or the new ones, never half a set. losstat marks
//! the directories it makes with a `.losstat` file and refuses to replace a directory without
//! that mark (unless it is empty, or `--force` is given), or one that holds an input file.

pub mod casemix;
pub mod html;
pub mod json;
pub mod locale;
pub mod output;
pub mod periods;
pub mod tables;
pub mod terminal;
pub mod xlsx;

use rayon::prelude::*;

pub use output::{
    MARKER, MemoryOutputs, OutputDir, OutputFile, OutputSink, OutputWriter, write_dir, write_file,
    write_file_with,
};

use crate::analysis::Analysis;
use crate::error::Result;
use crate::plot::{self, Figure, Lang};
use crate::profile::VisitProfile;

/// A p-value without a locale: four decimals, scientific notation below 1e-4, `< 1e-300` when
/// it underflowed to 0, `-` when undefined. Neither the report nor the terminal summaries use
/// it any more: they write p-values in `--lang` with [`locale::Numbers::p`] (three decimals,
/// `< 0,001`), the convention of the figures. `results.json` and the CSV tables keep the full
/// precision.
///
/// ```
/// use losstat::report::format_p;
/// assert_eq!(format_p(0.03125), "0.0312");
/// assert_eq!(format_p(2.5e-7), "2.50e-7");
/// assert_eq!(format_p(0.0), "< 1e-300");
/// ```
pub fn format_p(p: f64) -> String {
    if !p.is_finite() {
        "-".to_string()
    } else if p == 0.0 {
        "< 1e-300".to_string()
    } else if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

/// How [`write()`] and [`render`] write the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// Language of `report.html` and of the sheet names and headers of `results.xlsx`.
    pub lang: Lang,
    /// Style of the CSV tables.
    pub csv: tables::CsvFormat,
}

/// Every file `compare --out` writes, in memory (sorted by name): the CSV tables,
/// `results.json`, `results.xlsx`, `report.html`, and each figure as `figures/NAME.svg` and
/// `figures/NAME.png`.
pub fn render(
    analysis: &Analysis,
    figures: &[Figure],
    options: &RenderOptions,
) -> Result<Vec<OutputFile>> {
    let memory = MemoryOutputs::new();
    write(analysis, figures, options, &memory)?;
    Ok(memory.into_files())
}

/// Writes every file `compare --out` writes into `sink` ([`render`] lists them). The
/// workbook (one thread, the longest piece) is written while the rest is formatted.
pub fn write(
    analysis: &Analysis,
    figures: &[Figure],
    options: &RenderOptions,
    sink: &dyn OutputSink,
) -> Result<()> {
    let (workbook, rest) = rayon::join(
        || write_workbook(analysis, options.lang, sink),
        || write_without_workbook(analysis, figures, options, sink),
    );
    rest?;
    workbook
}

/// Writes `results.xlsx` ([`xlsx::save`]) into `sink`, so that a caller can write the
/// workbook while it draws the figures, and the rest with [`write_without_workbook`].
pub fn write_workbook(analysis: &Analysis, lang: Lang, sink: &dyn OutputSink) -> Result<()> {
    let mut file = sink.create(WORKBOOK)?;
    xlsx::save(analysis, lang, &mut file)?;
    sink.finish(file)
}

/// [`write()`] without `results.xlsx` (see [`write_workbook`]): [`write_tables`] beside
/// [`write_report`].
pub fn write_without_workbook(
    analysis: &Analysis,
    figures: &[Figure],
    options: &RenderOptions,
    sink: &dyn OutputSink,
) -> Result<()> {
    let (report, tables) = rayon::join(
        || write_report(analysis, figures, options.lang, sink),
        || write_tables(analysis, options.csv, sink),
    );
    report?;
    tables
}

/// Writes `report.html`, each figure as `figures/NAME.svg` and `figures/NAME.png`, and
/// `results.json` into `sink`.
pub fn write_report(
    analysis: &Analysis,
    figures: &[Figure],
    lang: Lang,
    sink: &dyn OutputSink,
) -> Result<()> {
    let font_css =
        plot::font_face_css(&figures.iter().map(|f| f.svg.as_str()).collect::<Vec<_>>())?;
    let captioned: Vec<(Figure, String)> = figures
        .iter()
        .map(|f| {
            let mut inline = f.clone();
            inline.svg = plot::svg_without_font(&f.svg);
            (inline, html::caption_in(&f.name, analysis, lang))
        })
        .collect();
    sink.put(
        "report.html",
        &html::render(analysis, &captioned, &font_css, lang),
    )?;
    for f in figures {
        sink.put(&format!("figures/{}.svg", f.name), f.svg.as_bytes())?;
        sink.put(&format!("figures/{}.png", f.name), &f.png)?;
    }
    sink.put("results.json", &json::to_bytes(analysis)?)
}

/// The workbook's file name.
const WORKBOOK: &str = "results.xlsx";

/// Writes one CSV file per table into `sink`, side by side, each straight into its file. They
/// need no figure, so a caller can write them while it draws the figures.
pub fn write_tables(
    analysis: &Analysis,
    format: tables::CsvFormat,
    sink: &dyn OutputSink,
) -> Result<()> {
    use tables::{PairLevels, Table};
    let filtered = &analysis.filtered;
    let rollup = &analysis.rollup;
    let mut list = vec![
        (
            "exclusions.csv",
            Table::exclusions(filtered, &analysis.sources),
        ),
        ("filter.csv", Table::filter_counts(filtered)),
        ("authorities.csv", Table::authorities(analysis)),
        ("visits.csv", Table::frame(&rollup.visits)),
        ("themes.csv", Table::level(&rollup.themes, &rollup.visits)),
        (
            "criteria.csv",
            Table::level(&rollup.criteria, &rollup.visits),
        ),
        ("ks.csv", Table::pairs(analysis, PairLevels::All)),
        ("deviation.csv", Table::deviation(analysis)),
        ("kde.csv", Table::kde(analysis)),
        ("histogram.csv", Table::histogram(analysis)),
        ("completeness.csv", Table::completeness(filtered)),
    ];
    if let Some(check) = &analysis.export_check {
        list.push(("export_check.csv", Table::export_check(check, analysis)));
    }
    if let Some(mix) = &analysis.case_mix {
        list.push(("adjusted.csv", Table::adjusted(mix)));
        list.push(("offer_mix.csv", Table::offer_mix(mix)));
    }
    if let Some(periods) = analysis.compared_periods() {
        list.push(("periods.csv", Table::periods(periods)));
    }
    list.into_par_iter().try_for_each(|(name, table)| {
        let mut file = sink.create(name)?;
        table.write_csv(format, &mut |piece| file.put(piece))?;
        sink.finish(file)
    })
}

/// The files `spider --out` writes: the spider chart as SVG and PNG, and `profile.json`.
pub fn visit_files(profile: &VisitProfile, figure: Figure) -> Result<Vec<OutputFile>> {
    Ok(vec![
        OutputFile::new(format!("{}.svg", figure.name), figure.svg.into_bytes()),
        OutputFile::new(format!("{}.png", figure.name), figure.png),
        OutputFile::new("profile.json", json::profile_bytes(profile)?),
    ])
}
