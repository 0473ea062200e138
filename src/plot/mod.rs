//! Stage 6: figures. Input: the `Analysis` of a `compare` run, or the `VisitProfile` of
//! one visit for `spider`; output: [`Figure`] values holding an SVG string and a PNG byte
//! vector. Nothing is written to disk here, and no statistic is computed: [`compare`]
//! copies the numbers the analysis holds into one plain input struct per figure, and
//! each figure module draws its struct.
//!
//! Every figure is drawn once, on plotters' `SVGBackend` at the logical size (pixels at
//! 96 dpi). The PNG is that SVG rasterised by resvg at `dpi / 96` times the size
//! (anti-aliased shapes, shaped and kerned text in the embedded font; module `raster`), and
//! encoded in memory (`png` crate) with its resolution in the `pHYs` chunk: the two files
//! are the same picture.
//!
//! Figures (LOS = the LOS analysis, seed 003; seed 000 = the audit's minimum content), by
//! file stem:
//!
//! | figure | what it shows |
//! |---|---|
//! | `fig1_score_shares` | LOS figure 1: share of each score 1–5 per authority, grouped bars |
//! | `fig2_overall_distribution` | LOS figure 2: histogram + KDE of the overall score, one panel per authority |
//! | `fig2_overall_distribution_overlay` | LOS figure 2: the KDE curves in one panel, means marked |
//! | `fig3_deviation_heatmap` | LOS figure 3: indicator × authority deviation from the national mean |
//! | `fig4_ks_matrix` | authority × authority pairwise KS tests |
//! | `fig5_spider_N`, `spider_<visit>` | seed 000 spider chart, one axis per theme on a fixed 1–5 scale |
//! | `fig6_completeness` | seed 000: share of visits with every universal indicator scored |
//!
//! Determinism: elements are drawn in input order from plain vectors (never plotters'
//! `Histogram`, which iterates a `HashMap`), so the same input gives byte-identical SVG
//! and PNG. Text is set in the embedded DejaVu Sans; the SVG carries a subset of it as a
//! base64 `@font-face`, so it renders the same without installed fonts (an HTML page
//! that shows several figures shares one font: [`svg_without_font`], [`font_face_css`]).

mod canvas;
pub mod compare;
mod completeness;
mod distribution;
mod font;
mod forest;
mod heatmap;
mod ks_matrix;
mod radar;
mod raster;
mod score_shares;
mod style;
mod table;
mod trend;

pub use font::{font_face_css, svg_without_font};

use std::fmt::Display;

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::{DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::error::{Error, Result};
use style::Style;

/// One rendered figure: the same drawing as SVG (logical size, 96 dpi) and PNG (the SVG
/// rasterised at [`PlotOptions::dpi`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// File stem, e.g. `"fig1_score_shares"`; the caller adds `.svg` / `.png`.
    pub name: String,
    /// Self-contained SVG document (font subset embedded; see [`svg_without_font`]).
    pub svg: String,
    /// PNG file bytes (8-bit RGB, no alpha channel; `pHYs` holds the dpi).
    pub png: Vec<u8>,
    /// PNG width in pixels.
    pub png_width: u32,
    /// PNG height in pixels.
    pub png_height: u32,
}

/// Language of all text in a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Lang {
    /// Danish (decimal comma, "62,7 %").
    #[default]
    Da,
    /// English (decimal point, "62.7%").
    En,
}

/// How figures are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlotOptions {
    /// Language of titles, labels, legends and number formats.
    pub lang: Lang,
    /// PNG resolution in dots per inch (the SVG is always at the 96 dpi logical size).
    /// 150 for screen, 300 for print; accepted range [`MIN_DPI`]..=[`MAX_DPI`].
    pub dpi: u32,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            lang: Lang::Da,
            dpi: 150,
        }
    }
}

/// Lowest accepted [`PlotOptions::dpi`].
pub const MIN_DPI: u32 = 48;
/// Highest accepted [`PlotOptions::dpi`].
pub const MAX_DPI: u32 = 1200;

/// Error raised inside a drawing function; carries plotters' message. Converted to
/// [`Error::Plot`] with the figure name by [`render`].
#[derive(Debug)]
pub(crate) struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(e.to_string())
    }
}

/// Result of a drawing function.
pub(crate) type DrawResult = std::result::Result<(), DrawError>;

/// A figure ready to be drawn: validated input plus precomputed logical layout.
pub(crate) trait Drawing {
    /// File stem of the figure.
    fn name(&self) -> &str;
    /// Logical size (pixels at 96 dpi).
    fn size(&self) -> (u32, u32);
    /// Draws the figure on `root` (already filled with the background).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, style: Style) -> DrawResult;
}

/// Builds the [`Error::InvalidParameter`] for input that does not fit a figure.
pub(crate) fn invalid(name: &'static str, value: &impl Display, expected: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        expected,
    }
}

/// Renders `drawing`: draws it once on plotters' SVG backend, then rasterises that SVG
/// for the PNG ([`raster`]).
pub(crate) fn render<D: Drawing>(drawing: &D, options: PlotOptions) -> Result<Figure> {
    if !(MIN_DPI..=MAX_DPI).contains(&options.dpi) {
        return Err(invalid("dpi", &options.dpi, "an integer in 48..=1200"));
    }
    style::ensure_fonts()?;
    let name = drawing.name().to_owned();
    let plot_err = |message: String| Error::Plot {
        figure: name.clone(),
        message,
    };
    let size = drawing.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_on(drawing, &root).map_err(|e| plot_err(e.0))?;
    }
    let png = raster::png(&svg, size, options.dpi).map_err(plot_err)?;
    let svg = font::embed_font(&svg).map_err(plot_err)?;
    Ok(Figure {
        name,
        svg,
        png: png.bytes,
        png_width: png.width,
        png_height: png.height,
    })
}

fn draw_on<D: Drawing, DB: DrawingBackend>(
    drawing: &D,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    root.fill(&style::BACKGROUND)?;
    drawing.draw(root, Style::new())?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::completeness::{CompletenessInput, completeness};
    use super::distribution::{Layout, overall_distribution};
    use super::heatmap::deviation_heatmap;
    use super::ks_matrix::ks_matrix;
    use super::radar::radar;
    use super::score_shares::score_shares;
    use super::test_support::*;
    use super::*;

    fn contains_all(texts: &[String], wanted: &[&str], figure: &str) {
        for w in wanted {
            assert!(
                texts.iter().any(|t| t.contains(w)),
                "{figure}: no text contains {w:?}; texts: {texts:?}"
            );
        }
    }

    /// Title and axis labels of each figure, in order of `all_figures`.
    fn expected_labels(lang: Lang) -> Vec<Vec<&'static str>> {
        use style::Label::*;
        let l = |x: style::Label| x.text(lang);
        vec![
            vec![l(ScoreSharesTitle), l(ShareOfRatings), l(ScoreAxis)],
            vec![l(DistributionTitle), l(OverallScore), l(Density)],
            vec![l(DistributionTitle), l(OverallScore), l(Density)],
            vec![l(DeviationTitle), l(Indicator), l(Authority), "14.c"],
            vec![l(KsTitle), l(Authority)],
            vec!["Tilsynsbesøg 1234 – Bostedet Ærø", "Selvstændighed og"],
            vec![l(CompletenessTitle), l(Theme), l(Authority)],
        ]
    }

    #[test]
    fn svgs_parse_and_carry_titles_labels_and_names_in_both_languages() {
        for lang in [Lang::Da, Lang::En] {
            let figures = all_figures(&names(), lang, 96);
            for (fig, labels) in figures.iter().zip(expected_labels(lang)) {
                let texts = svg_texts(&fig.svg);
                contains_all(&texts, &labels, &fig.name);
                assert!(
                    fig.svg.contains("@font-face"),
                    "{}: no embedded font",
                    fig.name
                );
                if fig.name != "fig5_radar" {
                    // column labels may be wrapped, so look for the distinctive part
                    contains_all(
                        &texts,
                        &["Nord", "Midt", "Syd", "Øst", "Hovedstaden"],
                        &fig.name,
                    );
                }
            }
        }
    }

    #[test]
    fn danish_text_and_numbers_render_with_aeoeaa_and_decimal_comma() {
        let fig =
            deviation_heatmap(&sample_heatmap(names()), PlotOptions::default()).expect("fig3");
        let texts = svg_texts(&fig.svg);
        assert!(
            texts
                .iter()
                .any(|t| t.contains("Afvigelse fra landsgennemsnit"))
        );
        assert!(
            texts.iter().any(|t| t.starts_with('+') && t.contains(',')),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.starts_with('\u{2212}')), "{texts:?}");
        let fig = completeness(&completeness_input(), PlotOptions::default()).expect("fig6");
        let texts = svg_texts(&fig.svg);
        assert!(texts.iter().any(|t| t.contains("Målgruppe")));
        assert!(texts.iter().any(|t| t.ends_with(" %")));
    }

    fn completeness_input() -> CompletenessInput {
        sample_completeness(names())
    }

    /// The SVG's `width` and `height` attributes (its logical size).
    fn svg_size(svg: &str) -> (u32, u32) {
        let doc = roxmltree::Document::parse(svg).expect("svg");
        let attr = |name| {
            doc.root_element()
                .attribute(name)
                .and_then(|v| v.parse().ok())
                .expect("size attribute")
        };
        (attr("width"), attr("height"))
    }

    #[test]
    fn pngs_have_the_svg_size_times_dpi_over_96_and_record_the_dpi() {
        for dpi in [96, 150, 300] {
            for fig in all_figures(&names(), Lang::Da, dpi) {
                let png = decode_png(&fig.png);
                assert_eq!((png.width, png.height), (fig.png_width, fig.png_height));
                let (w, h) = svg_size(&fig.svg);
                let expect = |v: u32| (f64::from(v) * f64::from(dpi) / 96.0).round() as u32;
                assert_eq!(
                    (png.width, png.height),
                    (expect(w), expect(h)),
                    "{}",
                    fig.name
                );
                // pHYs: dots per metre, e.g. 150 dpi = 5906 (150 / 0.0254 = 5905.5)
                let dims = png.pixel_dims.expect("pHYs chunk");
                let per_metre = (f64::from(dpi) / 0.0254).round() as u32;
                assert_eq!(
                    (dims.xppu, dims.yppu),
                    (per_metre, per_metre),
                    "{}",
                    fig.name
                );
                assert_eq!(dims.unit, png::Unit::Meter);
                let (_, _, colours) = png_info(&fig.png);
                assert!(colours >= 8, "{}: only {colours} colours", fig.name);
            }
        }
        let at150 = decode_png(&all_figures(&names(), Lang::Da, 150)[0].png);
        assert_eq!(at150.pixel_dims.map(|d| d.xppu), Some(5906));
    }

    #[test]
    fn same_input_gives_identical_bytes() {
        let a = all_figures(&names(), Lang::Da, 150);
        let b = all_figures(&names(), Lang::Da, 150);
        assert_eq!(a, b);
        // Rendered on several threads at once (the shared font database, rayon in
        // `compare_figures`): still the same bytes.
        let threads: Vec<Vec<Figure>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| all_figures(&names(), Lang::Da, 150)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        for figures in threads {
            assert_eq!(figures, a);
        }
    }

    #[test]
    fn anonymised_names_appear_and_real_names_do_not_leak() {
        for fig in all_figures(&anonymous(), Lang::En, 96) {
            let texts = svg_texts(&fig.svg);
            if fig.name != "fig5_radar" {
                contains_all(&texts, &["Socialtilsyn 1", "Socialtilsyn 5"], &fig.name);
            }
            for real in ["Nord", "Midt", "Syd", "Hovedstaden"] {
                assert!(!fig.svg.contains(real), "{}: {real} leaked", fig.name);
            }
        }
    }

    #[test]
    fn markup_and_unusual_characters_in_names_are_escaped() {
        let odd: Vec<String> = ["A & B <Øst>", "Tilsyn \"2\"", "x'y", "社会 Ω", ""]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for fig in all_figures(&odd, Lang::Da, 96) {
            let texts = svg_texts(&fig.svg);
            if fig.name != "fig5_radar" {
                contains_all(&texts, &["A & B <Øst>", "x'y", "社会 Ω"], &fig.name);
            }
        }
    }

    #[test]
    fn font_can_be_stripped_and_shared() {
        let figs = all_figures(&names(), Lang::Da, 96);
        let stripped: Vec<String> = figs.iter().map(|f| svg_without_font(&f.svg)).collect();
        for (s, f) in stripped.iter().zip(&figs) {
            assert!(!s.contains("@font-face"));
            assert!(s.len() < f.svg.len());
            svg_texts(s);
        }
        let refs: Vec<&str> = stripped.iter().map(String::as_str).collect();
        let css = font_face_css(&refs).expect("css");
        assert_eq!(css.matches("@font-face").count(), 2);
    }

    #[test]
    fn invalid_input_is_an_error_not_a_panic() {
        let o = PlotOptions::default();
        let mut s = sample_shares(names());
        s.shares.pop();
        assert!(matches!(
            score_shares(&s, o),
            Err(Error::InvalidParameter { .. })
        ));
        let mut d = sample_distribution(names());
        d.authorities[0].kde = Some(vec![0.0; 3]);
        assert!(overall_distribution(&d, Layout::Overlay, o).is_err());
        let mut d = sample_distribution(names());
        d.edges.reverse();
        assert!(overall_distribution(&d, Layout::SmallMultiples, o).is_err());
        let mut h = sample_heatmap(names());
        h.limit = Some(0.0);
        assert!(deviation_heatmap(&h, o).is_err());
        let mut k = sample_ks(names());
        k.pairs[0].b = 9;
        assert!(ks_matrix(&k, o).is_err());
        let mut r = sample_radar("x", false);
        r.series[0].values[0] = Some(7.0);
        assert!(radar(&r, o).is_err());
        let bad_dpi = PlotOptions {
            lang: Lang::Da,
            dpi: 0,
        };
        assert!(score_shares(&sample_shares(names()), bad_dpi).is_err());
        let mut c = completeness_input();
        c.share[0][0] = 1.5;
        assert!(completeness(&c, o).is_err());
    }

    #[test]
    fn missing_kde_and_missing_cells_still_draw() {
        let o = PlotOptions {
            lang: Lang::En,
            dpi: 96,
        };
        let mut d = sample_distribution(anonymous());
        d.authorities[2].kde = None;
        for layout in [Layout::SmallMultiples, Layout::Overlay] {
            let fig = overall_distribution(&d, layout, o).expect("draws");
            svg_texts(&fig.svg);
        }
        let fig = radar(&sample_radar("This visit", true), o).expect("radar");
        let texts = svg_texts(&fig.svg);
        assert!(texts.iter().any(|t| t.contains("Gap in a line")));
    }

    /// Writes every figure for made-up data to /tmp/plot-preview/ (run by hand:
    /// `cargo test -- --ignored write_preview`).
    #[test]
    #[ignore = "writes files for visual inspection"]
    fn write_preview() {
        let dir = std::path::Path::new("/tmp/plot-preview");
        std::fs::create_dir_all(dir).expect("mkdir");
        for (lang, suffix) in [(Lang::Da, "da"), (Lang::En, "en")] {
            for fig in all_figures(&names(), lang, 150) {
                std::fs::write(dir.join(format!("{}_{suffix}.svg", fig.name)), &fig.svg)
                    .expect("svg");
                std::fs::write(dir.join(format!("{}_{suffix}.png", fig.name)), &fig.png)
                    .expect("png");
            }
        }
    }
}
