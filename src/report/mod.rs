//! Stage 6: reports. Every writer turns the [`Analysis`] into bytes; one function puts the
//! files on disk.
//!
//! Input: an [`Analysis`] and the figures drawn from it. Output: `results.json` ([`json`]),
//! one CSV per table ([`tables`]), the same tables as the sheets of `results.xlsx` ([`xlsx`]),
//! `report.html` ([`html`]), the figures as SVG and PNG under `figures/`, and the terminal
//! summaries ([`terminal`]). The report, the workbook's names and the summaries are in the
//! language of `--lang` ([`locale`]); `results.json` and the CSV tables are not.
//!
//! Writing is all or nothing: the files are written into a hidden temporary directory
//! beside `--out`, then renamed into place (on Linux an existing directory is swapped with
//! the new one in one atomic `renameat2(RENAME_EXCHANGE)`), so a failed or killed run leaves
//! the previous outputs or the new ones, never half a set. losstat marks the directories it makes with a `.losstat`
//! file and refuses to replace a directory without that mark (unless it is empty, or
//! `--force` is given), or one that holds an input file.

pub mod casemix;
pub mod html;
pub mod json;
pub mod locale;
pub mod periods;
pub mod tables;
pub mod terminal;
pub mod xlsx;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analysis::Analysis;
use crate::error::{Error, Result};
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

/// Name of the file that marks a directory as losstat's output.
pub const MARKER: &str = ".losstat";

/// One output file: its name inside the output directory and its bytes.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// File name, e.g. `results.json`.
    pub name: String,
    /// Contents, as pieces written one after another: a large table comes as the blocks it
    /// was formatted in (in parallel), which are not copied into one buffer.
    pub parts: Vec<Vec<u8>>,
}

impl OutputFile {
    /// A file of one piece.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            parts: vec![bytes],
        }
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How [`render`] writes the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// Language of `report.html` and of the sheet names and headers of `results.xlsx`.
    pub lang: Lang,
    /// Style of the CSV tables.
    pub csv: tables::CsvFormat,
}

/// Every file `compare --out` writes, rendered in memory: the CSV tables, `results.json`,
/// `results.xlsx`, `report.html`, and each figure as `figures/NAME.svg` and
/// `figures/NAME.png`.
pub fn render(
    analysis: &Analysis,
    figures: &[Figure],
    options: &RenderOptions,
) -> Result<Vec<OutputFile>> {
    // The workbook (one thread, the longest piece) is written while the rest is formatted.
    let (workbook, files) = rayon::join(
        || xlsx::workbook(analysis, options.lang),
        || render_with_workbook(analysis, figures, Vec::new(), options),
    );
    let mut files = files?;
    if let Some(file) = files.iter_mut().find(|f| f.name == WORKBOOK) {
        file.parts = vec![workbook?];
    }
    Ok(files)
}

/// [`render`] with `results.xlsx` already made ([`xlsx::workbook`]), so that a caller can
/// build the workbook while it draws the figures.
pub fn render_with_workbook(
    analysis: &Analysis,
    figures: &[Figure],
    workbook: Vec<u8>,
    options: &RenderOptions,
) -> Result<Vec<OutputFile>> {
    let lang = options.lang;
    let ((html, json), csv) = rayon::join(
        || {
            let html =
                plot::font_face_css(&figures.iter().map(|f| f.svg.as_str()).collect::<Vec<_>>())
                    .map(|font_css| {
                        let captioned: Vec<(Figure, String)> = figures
                            .iter()
                            .map(|f| {
                                let mut inline = f.clone();
                                inline.svg = plot::svg_without_font(&f.svg);
                                (inline, html::caption_in(&f.name, analysis, lang))
                            })
                            .collect();
                        html::render(analysis, &captioned, &font_css, lang)
                    });
            (html, json::to_bytes(analysis))
        },
        || csv_files(analysis, options.csv),
    );
    let mut files = vec![OutputFile::new("report.html", html?)];
    for f in figures {
        files.push(OutputFile::new(
            format!("figures/{}.svg", f.name),
            f.svg.clone().into_bytes(),
        ));
        files.push(OutputFile::new(
            format!("figures/{}.png", f.name),
            f.png.clone(),
        ));
    }
    files.push(OutputFile::new("results.json", json?));
    files.push(OutputFile::new(WORKBOOK, workbook));
    files.extend(csv?);
    Ok(files)
}

/// The workbook's file name.
const WORKBOOK: &str = "results.xlsx";

/// One CSV file per table.
fn csv_files(analysis: &Analysis, format: tables::CsvFormat) -> Result<Vec<OutputFile>> {
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
        list.push((
            "export_check.csv",
            Table::export_check(check, &analysis.sources),
        ));
    }
    if let Some(mix) = &analysis.case_mix {
        list.push(("adjusted.csv", Table::adjusted(mix)));
        list.push(("offer_mix.csv", Table::offer_mix(mix)));
    }
    if let Some(periods) = analysis.compared_periods() {
        list.push(("periods.csv", Table::periods(periods)));
    }
    list.into_iter()
        .map(|(name, table)| {
            Ok(OutputFile {
                name: name.to_string(),
                parts: table.csv_parts(format)?,
            })
        })
        .collect()
}

/// The files `spider --out` writes: the spider chart as SVG and PNG, and `profile.json`.
pub fn visit_files(profile: &VisitProfile, figure: Figure) -> Result<Vec<OutputFile>> {
    Ok(vec![
        OutputFile::new(format!("{}.svg", figure.name), figure.svg.into_bytes()),
        OutputFile::new(format!("{}.png", figure.name), figure.png),
        OutputFile::new("profile.json", json::profile_bytes(profile)?),
    ])
}

/// Writes one file whole (`simulate --out`, `--anonymize-key`): into a temporary sibling,
/// then renamed over `path`, so a failed run leaves the old file or the new one. An existing
/// file is replaced only with `force`.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let refuse = |reason: &str| Error::OutputRefused {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if path.exists() && !force {
        return Err(refuse("exists; give --force to overwrite it"));
    }
    let name = path
        .file_name()
        .ok_or_else(|| refuse("is not a file name"))?;
    let staging = path.with_file_name(format!(
        ".{}.losstat-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&staging, bytes).map_err(|source| Error::Write {
        path: staging.clone(),
        source,
    })?;
    std::fs::rename(&staging, path).map_err(|source| {
        let _ = std::fs::remove_file(&staging);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Writes `files` into `dir` as a whole (see the module docs). `inputs` are never touched:
/// a `dir` that holds one is refused.
pub fn write_dir(dir: &Path, files: &[OutputFile], inputs: &[PathBuf], force: bool) -> Result<()> {
    let refuse = |reason: String| Error::OutputRefused {
        path: dir.to_path_buf(),
        reason,
    };
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(refuse(
                "exists and is not a directory; --out needs a directory name".to_string(),
            ));
        }
        let canonical_dir = dir.canonicalize().map_err(write_error(dir))?;
        if let Some(input) = inputs.iter().find(|p| {
            p.canonicalize()
                .is_ok_and(|p| p.starts_with(&canonical_dir))
        }) {
            return Err(refuse(format!(
                "holds the input {}; choose another --out directory",
                input.display()
            )));
        }
        let owned = dir.join(MARKER).is_file();
        let empty = std::fs::read_dir(dir)
            .map_err(write_error(dir))?
            .next()
            .is_none();
        if !owned && !empty && !force {
            return Err(refuse(
                "exists and was not made by losstat; choose a new directory or give --force to replace it"
                    .to_string(),
            ));
        }
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| refuse("is not a directory name".to_string()))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        std::fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    }
    remove_stale_staging(&parent, &name);
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.losstat-new-{pid}"));
    let retired = parent.join(format!(".{name}.losstat-old-{pid}"));
    let result = (|| {
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(write_error(&staging))?;
        }
        std::fs::create_dir(&staging).map_err(write_error(&staging))?;
        std::fs::write(
            staging.join(MARKER),
            b"This directory was written by losstat.\n",
        )
        .map_err(write_error(&staging.join(MARKER)))?;
        for f in files {
            let path = staging.join(&f.name);
            if let Some(parent) = path.parent().filter(|p| !p.exists()) {
                std::fs::create_dir_all(parent).map_err(write_error(parent))?;
            }
        }
        // The files are written side by side (the large tables take the most time).
        files.par_iter().try_for_each(|f| {
            use std::io::Write as _;
            let path = staging.join(&f.name);
            let mut out = std::fs::File::create(&path).map_err(write_error(&path))?;
            for part in &f.parts {
                out.write_all(part).map_err(write_error(&path))?;
            }
            Ok::<(), Error>(())
        })?;
        if dir.exists() {
            if swap(&staging, dir).is_ok() {
                // One atomic step: `dir` now holds the new outputs, `staging` the old ones.
                return std::fs::remove_dir_all(&staging).map_err(write_error(&staging));
            }
            std::fs::rename(dir, &retired).map_err(write_error(dir))?;
        }
        std::fs::rename(&staging, dir).map_err(write_error(dir))?;
        if retired.exists() {
            std::fs::remove_dir_all(&retired).map_err(write_error(&retired))?;
        }
        Ok(())
    })();
    if result.is_err() {
        // Best effort: take the staging copy away and put the old outputs back.
        let _ = std::fs::remove_dir_all(&staging);
        if retired.exists() && !dir.exists() {
            let _ = std::fs::rename(&retired, dir);
        }
    }
    result
}

/// Atomically exchanges two directories (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// No atomic exchange here: the caller falls back to two renames.
#[cfg(not(target_os = "linux"))]
fn swap(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Removes the staging folders (`.NAME.losstat-new-PID`, `.NAME.losstat-old-PID`) that a
/// killed run left beside `NAME`, when that process no longer exists.
fn remove_stale_staging(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|f| f.strip_prefix(&format!(".{name}.losstat-")))
        else {
            continue;
        };
        let pid = rest
            .strip_prefix("new-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if pid.is_some() && !alive && cfg!(target_os = "linux") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
