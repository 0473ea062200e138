//! The one place for how figures look: colours, sizes, fonts, number formats and every
//! piece of label text in Danish and English.
//!
//! Figure modules never write a colour literal, a font size or a user-visible string of
//! their own; they ask this module. Sizes are logical pixels at 96 dpi; [`Style`] turns
//! them into plotters' integer coordinates and styles (the PNG is the SVG rasterised at
//! its dpi).
//!
//! - Authority colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
//!   Design"), safe for the common forms of colour blindness, indexed by the authority's
//!   position in the input so a given authority keeps its colour in every figure.
//! - Diverging map: ColorBrewer's RdBu (Brewer, colorbrewer2.org), blue for below the
//!   national mean, white at 0, red for above, on a symmetric scale `[-limit, limit]`.
//! - Fonts: DejaVu Sans (regular and bold) embedded in the binary and registered with
//!   plotters' `ab_glyph` backend under "DejaVu Sans" and "sans-serif", once per process
//!   (for measuring text); the PNG rasteriser sets text from the same bytes.

use std::sync::OnceLock;

use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, ShapeStyle, TextStyle};

use super::Lang;
use crate::error::{Error, Result};

/// DejaVu Sans, regular (Bitstream Vera licence + DejaVu changes, see
/// `assets/fonts/LICENSE-DejaVu`).
pub(crate) static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold.
pub(crate) static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The font family every text element is drawn with (and the name used in the SVG
/// `@font-face` rule).
pub const FONT_FAMILY: &str = "DejaVu Sans";

/// Registers the embedded fonts with plotters, once per process.
///
/// Registered under [`FONT_FAMILY`] and under `"sans-serif"` (plotters' default family,
/// used by any text whose family was not set explicitly); regular and bold.
pub(crate) fn ensure_fonts() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for family in [FONT_FAMILY, "sans-serif"] {
                for (style, bytes) in [
                    (FontStyle::Normal, FONT_REGULAR),
                    (FontStyle::Bold, FONT_BOLD),
                ] {
                    plotters::style::register_font(family, style, bytes).map_err(|_| {
                        format!(
                            "the embedded font for {family} ({}) is invalid",
                            style.as_str()
                        )
                    })?;
                }
            }
            Ok(())
        })
        .clone()
        .map_err(|message| Error::Plot {
            figure: "(fonts)".to_owned(),
            message,
        })
}

// ---------------------------------------------------------------------------------------
// Colours
// ---------------------------------------------------------------------------------------

/// Okabe–Ito palette, reordered so the five authorities get the five most distinct
/// colours on white; yellow (weak on white) and black come last.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Colour of the authority (or series) at position `index`; wraps after 8.
#[must_use]
pub fn series_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Page background.
pub const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
/// Main text colour.
pub const TEXT: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
/// Text of muted (not significant) cells and of notes.
pub const MUTED_TEXT: RGBColor = RGBColor(0x80, 0x80, 0x80);
/// Axis lines and cell borders.
pub const AXIS: RGBColor = RGBColor(0x40, 0x40, 0x40);
/// Light grid lines, radar rings and table borders.
pub const GRID: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);
/// Fill of cells that have no value by construction (e.g. a matrix diagonal).
pub const EMPTY_CELL: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
/// Mean markers in the small-multiples distribution figure.
pub const MEAN_LINE: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
/// Fill of significant cells in the KS matrix.
pub const SIGNIFICANT_FILL: RGBColor = RGBColor(0xF6, 0xC1, 0x8E);
/// Fill of tested but not significant cells in the KS matrix.
pub const NOT_SIGNIFICANT_FILL: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);
/// Completeness: the colour reached at [`COMPLETENESS_FLOOR`] and below.
pub const COMPLETENESS_LOW: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Completeness share at or below which a cell gets the full [`COMPLETENESS_LOW`] colour.
pub const COMPLETENESS_FLOOR: f64 = 0.5;

/// ColorBrewer RdBu (7 classes), from -1 (blue) through 0 (white) to +1 (red).
const DIVERGING_STOPS: [RGBColor; 7] = [
    RGBColor(0x21, 0x66, 0xAC),
    RGBColor(0x67, 0xA9, 0xCF),
    RGBColor(0xD1, 0xE5, 0xF0),
    RGBColor(0xFF, 0xFF, 0xFF),
    RGBColor(0xFD, 0xDB, 0xC7),
    RGBColor(0xEF, 0x8A, 0x62),
    RGBColor(0xB2, 0x18, 0x2B),
];

/// Diverging blue–white–red colour for `value` on the symmetric scale `[-limit, limit]`.
///
/// 0 is white, `-limit` and below dark blue, `+limit` and above dark red (values outside
/// the scale are clamped). A non-finite value or a `limit` that is not positive gives white.
#[must_use]
pub fn diverging(value: f64, limit: f64) -> RGBColor {
    if !(value.is_finite() && limit > 0.0 && limit.is_finite()) {
        return DIVERGING_STOPS[3];
    }
    let t = (value / limit).clamp(-1.0, 1.0); // -1 ..= 1
    let pos = (t + 1.0) * 3.0; // 0 ..= 6
    // pos is in 0..=6, so floor() fits usize; min(5) keeps the upper stop in range.
    let lower = (pos.floor() as usize).min(5);
    let frac = pos - lower as f64;
    mix(DIVERGING_STOPS[lower], DIVERGING_STOPS[lower + 1], frac)
}

/// The muted version of a fill colour, for cells that are not significant: 70 % of the
/// way towards a light grey, so hue survives but the cell clearly recedes.
#[must_use]
pub fn muted(colour: RGBColor) -> RGBColor {
    mix(colour, RGBColor(0xF2, 0xF2, 0xF2), 0.7)
}

/// Fill of a completeness cell: white at 100 %, [`COMPLETENESS_LOW`] at
/// [`COMPLETENESS_FLOOR`] and below.
#[must_use]
pub fn completeness_fill(share: f64) -> RGBColor {
    let t = ((1.0 - share) / (1.0 - COMPLETENESS_FLOOR)).clamp(0.0, 1.0);
    mix(BACKGROUND, COMPLETENESS_LOW, t)
}

/// Linear interpolation in sRGB: `t = 0` gives `a`, `t = 1` gives `b`.
#[must_use]
pub fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let channel = |x: u8, y: u8| -> u8 {
        let v = f64::from(x) + (f64::from(y) - f64::from(x)) * t;
        // v is within 0..=255 because t is clamped to 0..=1.
        v.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
}

/// Text colour readable on `fill`: white on dark fills, [`TEXT`] otherwise (relative
/// luminance as in WCAG 2, threshold 0.4).
#[must_use]
pub fn text_on(fill: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let lum = 0.2126 * lin(fill.0) + 0.7152 * lin(fill.1) + 0.0722 * lin(fill.2);
    if lum < 0.4 { BACKGROUND } else { TEXT }
}

// ---------------------------------------------------------------------------------------
// Sizes and text roles
// ---------------------------------------------------------------------------------------

/// Logical sizes (pixels at 96 dpi) shared by all figures.
pub mod size {
    /// Outer margin around every figure.
    pub const MARGIN: f64 = 16.0;
    /// Height reserved for the title line.
    pub const TITLE_HEIGHT: f64 = 34.0;
    /// Height of one line of notes under a figure.
    pub const NOTE_LINE: f64 = 18.0;
    /// Height of one line of table header text.
    pub const HEADER_LINE: f64 = 17.0;
    /// Legend: swatch width.
    pub const SWATCH: f64 = 14.0;
    /// Legend: height of one entry.
    pub const LEGEND_LINE: f64 = 22.0;
    /// Thin lines (grid, borders, reference series).
    pub const THIN: f64 = 1.0;
    /// Normal data lines (KDE curves).
    pub const LINE: f64 = 2.0;
    /// Emphasised lines (primary radar series).
    pub const THICK: f64 = 3.0;
    /// Dash length of dashed lines.
    pub const DASH: f64 = 6.0;
    /// Gap between dashes.
    pub const DASH_GAP: f64 = 4.0;
}

/// What a piece of text is, which fixes its size and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRole {
    /// Figure title (bold).
    Title,
    /// Axis descriptions ("Score", "Andel af bedømmelser").
    AxisTitle,
    /// Tick labels, row and column labels.
    Tick,
    /// Legend entries.
    Legend,
    /// Panel titles in small multiples (bold).
    Panel,
    /// Numbers in table cells.
    Cell,
    /// Numbers in table cells that should stand out (bold).
    CellStrong,
    /// Notes and captions under a figure.
    Note,
}

impl TextRole {
    /// plotters font size in logical pixels (plotters' `ab_glyph` "pixel height").
    #[must_use]
    pub fn size(self) -> f64 {
        match self {
            Self::Title => 20.0,
            Self::AxisTitle => 15.0,
            Self::Tick | Self::Legend | Self::Panel => 14.0,
            Self::Cell | Self::CellStrong => 13.0,
            Self::Note => 13.0,
        }
    }

    fn weight(self) -> FontStyle {
        match self {
            Self::Title | Self::Panel | Self::CellStrong => FontStyle::Bold,
            _ => FontStyle::Normal,
        }
    }

    /// The scale-free font description (for measuring text in logical pixels).
    #[must_use]
    pub fn font(self) -> FontDesc<'static> {
        FontDesc::new(FontFamily::Name(FONT_FAMILY), self.size(), self.weight())
    }
}

/// Width of `text` in logical pixels when set in `role`'s font.
///
/// Registers the embedded fonts first if needed, so layout never depends on what was
/// drawn before in the process. Falls back to a rough 0.6 em per character only if the
/// embedded font cannot be used (then drawing fails anyway).
#[must_use]
pub fn text_width(text: &str, role: TextRole) -> f64 {
    let measured = ensure_fonts()
        .ok()
        .and_then(|()| role.font().box_size(text).ok());
    match measured {
        Some((w, _)) => f64::from(w),
        None => {
            // Label lengths are tiny, so the count is exact as f64.
            text.chars().count() as f64 * role.size() * 0.6
        }
    }
}

/// Turns logical sizes into the integer coordinates and styles plotters draws with.
///
/// Figures are drawn once, on the SVG backend at the logical size, so a device pixel is a
/// logical pixel; the PNG is rasterised from the SVG at its own resolution
/// (`plot::raster`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Style;

impl Style {
    /// The style of the SVG backend (one device pixel per logical pixel).
    #[must_use]
    pub fn new() -> Self {
        Self
    }

    /// A logical length in device pixels, rounded.
    #[must_use]
    pub fn px(self, logical: f64) -> i32 {
        // Figures are at most a few thousand logical pixels.
        logical.round() as i32
    }

    /// A logical point in device pixels.
    #[must_use]
    pub fn pt(self, x: f64, y: f64) -> (i32, i32) {
        (self.px(x), self.px(y))
    }

    /// A logical line width in device pixels (at least 1).
    #[must_use]
    pub fn stroke(self, logical: f64) -> u32 {
        u32::try_from(self.px(logical)).unwrap_or(1).max(1)
    }

    /// A stroked (unfilled) line style.
    #[must_use]
    pub fn line(self, colour: RGBColor, width: f64) -> ShapeStyle {
        colour.stroke_width(self.stroke(width))
    }

    /// Text in `role`'s font, `colour`, anchored at `h`/`v`.
    #[must_use]
    pub fn text(self, role: TextRole, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
        let font = FontDesc::new(FontFamily::Name(FONT_FAMILY), role.size(), role.weight());
        TextStyle {
            font,
            color: colour.to_backend_color(),
            pos: Pos::new(h, v),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Label text, Danish and English
// ---------------------------------------------------------------------------------------

/// Every fixed piece of text that appears in a figure.
///
/// [`Label::text`] gives it in the chosen language; parameterised text (means, counts)
/// is assembled from these pieces and the number formatters below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Label {
    /// Title of LOS figure 1.
    ScoreSharesTitle,
    /// y axis of figure 1.
    ShareOfRatings,
    /// x axis of figure 1.
    ScoreAxis,
    /// Title of LOS figure 2.
    DistributionTitle,
    /// x axis of figure 2.
    OverallScore,
    /// y axis of figure 2.
    Density,
    /// Abbreviation for "mean" before a number.
    MeanAbbrev,
    /// Note explaining the dashed mean lines.
    MeanLineNote,
    /// Note under figure 2 when some histogram is drawn in place of a missing KDE.
    KdeMissingNote,
    /// Title of LOS figure 3.
    DeviationTitle,
    /// Colour bar title of figure 3.
    DeviationAxis,
    /// Row header of figure 3.
    Indicator,
    /// Column header for authorities.
    Authority,
    /// Note under figure 3 explaining muted cells.
    DeviationNote,
    /// Note under figure 3 explaining blank cells.
    MissingCellNote,
    /// Title of the KS matrix.
    KsTitle,
    /// Note under the KS matrix: the asterisk.
    KsSignificantNote,
    /// Note under the KS matrix: what the numbers are.
    KsCellNote,
    /// Radar scale note.
    RadarScaleNote,
    /// Radar note on gaps.
    RadarGapNote,
    /// Title of the completeness figure.
    CompletenessTitle,
    /// Row header of the completeness figure.
    Theme,
    /// Note under the completeness figure.
    CompletenessNote,
    /// Radar title for an authority's mean theme scores.
    ThemeScoresTitle,
    /// Radar title for one visit.
    VisitTitle,
    /// Reference series: the national mean.
    NationalMean,
    /// Reference series: the authority's mean.
    AuthorityMean,
    /// Completeness column for all themes together.
    AllThemes,
}

impl Label {
    /// The label in `lang`.
    #[must_use]
    pub fn text(self, lang: Lang) -> &'static str {
        let (da, en) = match self {
            Self::ScoreSharesTitle => (
                "Fordeling af scorer pr. socialtilsyn",
                "Distribution of scores by supervisory authority",
            ),
            Self::ShareOfRatings => ("Andel af bedømmelser", "Share of ratings"),
            Self::ScoreAxis => (
                "Score (1 = i meget lav grad opfyldt, 5 = i meget høj grad opfyldt)",
                "Score (1 = met to a very low degree, 5 = met to a very high degree)",
            ),
            Self::DistributionTitle => (
                "Fordeling af samlet score pr. socialtilsyn",
                "Distribution of the overall score by supervisory authority",
            ),
            Self::OverallScore => ("Samlet score", "Overall score"),
            Self::Density => ("Tæthed", "Density"),
            Self::MeanAbbrev => ("gns.", "mean"),
            Self::MeanLineNote => (
                "Stiplet lodret linje: gennemsnit.",
                "Dashed vertical line: mean.",
            ),
            Self::KdeMissingNote => (
                "Trappekurve: histogram, hvor tæthedskurven mangler.",
                "Step line: histogram where the density curve is missing.",
            ),
            Self::DeviationTitle => (
                "Afvigelse fra landsgennemsnit pr. indikator",
                "Deviation from the national mean by indicator",
            ),
            Self::DeviationAxis => (
                "Afvigelse fra landsgennemsnit",
                "Deviation from the national mean",
            ),
            Self::Indicator => ("Indikator", "Indicator"),
            Self::Authority => ("Socialtilsyn", "Supervisory authority"),
            Self::DeviationNote => (
                "Fed tekst: signifikant efter FDR-korrektion (Benjamini–Hochberg). Grå: ikke signifikant.",
                "Bold: significant after FDR correction (Benjamini–Hochberg). Grey: not significant.",
            ),
            Self::MissingCellNote => (
                "Tomme felter: ingen bedømmelser, eller for få til en test (én bedømmelse, eller intet andet socialtilsyn).",
                "Empty cells: no ratings, or too few to test (a single rating, or no other authority).",
            ),
            Self::KsTitle => (
                "Parvise Kolmogorov–Smirnov-tests af samlet score",
                "Pairwise Kolmogorov–Smirnov tests of the overall score",
            ),
            Self::KsSignificantNote => (
                "* og farvet felt: signifikant efter korrektion for multiple tests",
                "* and coloured cell: significant after multiple-testing correction",
            ),
            Self::KsCellNote => (
                "p: justeret p-værdi; D: KS-teststørrelse",
                "p: adjusted p-value; D: KS statistic",
            ),
            Self::RadarScaleNote => (
                "Skala 1–5 (1 = i meget lav grad opfyldt, 5 = i meget høj grad opfyldt)",
                "Scale 1–5 (1 = met to a very low degree, 5 = met to a very high degree)",
            ),
            Self::RadarGapNote => (
                "Brud i en linje: temaet har ingen score.",
                "Gap in a line: the theme has no score.",
            ),
            Self::CompletenessTitle => (
                "Fuldstændighed: besøg med gyldig score for alle universelle indikatorer",
                "Completeness: visits with a valid score for every universal indicator",
            ),
            Self::Theme => ("Tema", "Theme"),
            Self::ThemeScoresTitle => ("Gennemsnitlige temascorer", "Mean theme scores"),
            Self::VisitTitle => ("Temascorer for tilsynsbesøg", "Theme scores of visit"),
            Self::NationalMean => ("Landsgennemsnit", "National mean"),
            Self::AuthorityMean => ("Socialtilsynets gennemsnit", "Authority's mean"),
            Self::AllThemes => ("Alle temaer", "All themes"),
            Self::CompletenessNote => (
                "Andel af besøg. Jo mørkere felt, jo flere besøg mangler en score (fuld farve ved 50 % eller mindre).",
                "Share of visits. Darker cells: more visits lack a score (full colour at 50% or less).",
            ),
        };
        match lang {
            Lang::Da => da,
            Lang::En => en,
        }
    }
}

/// "* og farvet felt …" with the significance level, e.g. "(α = 0,05)".
#[must_use]
pub fn alpha_suffix(alpha: f64, lang: Lang) -> String {
    format!(" (α = {})", format_number(alpha, 2, lang))
}

// ---------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------

/// `value` with `decimals` decimals: decimal comma in Danish, point in English; negative
/// numbers with a true minus sign (U+2212).
#[must_use]
pub fn format_number(value: f64, decimals: usize, lang: Lang) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let s = format!("{:.*}", decimals, value.abs());
    let s = match lang {
        Lang::Da => s.replace('.', ","),
        Lang::En => s,
    };
    // "-0.00" would be confusing: only print the sign if the rounded value is not zero.
    if value < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("\u{2212}{s}")
    } else {
        s
    }
}

/// Like [`format_number`] with an explicit sign: "+0,12", "−0,05", "0,00".
#[must_use]
pub fn format_signed(value: f64, decimals: usize, lang: Lang) -> String {
    let s = format_number(value, decimals, lang);
    if value > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// A share in 0..=1 as a percentage: "62,7 %" (Danish style, with a space) or "62.7%".
#[must_use]
pub fn format_percent(share: f64, decimals: usize, lang: Lang) -> String {
    let n = format_number(share * 100.0, decimals, lang);
    match lang {
        Lang::Da => format!("{n} %"),
        Lang::En => format!("{n}%"),
    }
}

/// A p-value: three decimals, or "< 0,001".
#[must_use]
pub fn format_p(p: f64, lang: Lang) -> String {
    if p.is_finite() && p < 0.001 {
        format!("< {}", format_number(0.001, 3, lang))
    } else {
        format_number(p, 3, lang)
    }
}

/// Ticks at multiples of 1, 2 or 5 times a power of ten, four to eight over `(lo, hi)`;
/// each is computed as an integer over a power of ten, so `4.6` is the double nearest 4.6.
pub(crate) fn round_ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let raw = (hi - lo) / 8.0;
    let exponent = raw.log10().floor() as i32;
    let unit = |k: i64| -> f64 {
        if exponent < 0 {
            k as f64 / 10f64.powi(-exponent)
        } else {
            k as f64 * 10f64.powi(exponent)
        }
    };
    let multiple = [1, 2, 5, 10]
        .into_iter()
        .find(|&m| unit(m) >= raw)
        .unwrap_or(10);
    let step = unit(multiple);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| unit(k * multiple)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_language() {
        assert_eq!(format_number(4.256, 2, Lang::Da), "4,26");
        assert_eq!(format_number(4.256, 2, Lang::En), "4.26");
        assert_eq!(format_signed(0.123, 2, Lang::Da), "+0,12");
        assert_eq!(format_signed(-0.123, 2, Lang::En), "\u{2212}0.12");
        assert_eq!(format_signed(-0.001, 2, Lang::En), "0.00");
        assert_eq!(format_percent(0.627, 1, Lang::Da), "62,7 %");
        assert_eq!(format_percent(0.627, 1, Lang::En), "62.7%");
        assert_eq!(format_p(0.0004, Lang::Da), "< 0,001");
        assert_eq!(format_p(0.0432, Lang::En), "0.043");
    }

    #[test]
    fn diverging_map_is_centred_and_symmetric() {
        assert_eq!(diverging(0.0, 0.5), RGBColor(0xFF, 0xFF, 0xFF));
        assert_eq!(diverging(0.5, 0.5), RGBColor(0xB2, 0x18, 0x2B));
        assert_eq!(diverging(-0.5, 0.5), RGBColor(0x21, 0x66, 0xAC));
        assert_eq!(diverging(9.0, 0.5), RGBColor(0xB2, 0x18, 0x2B));
        assert_eq!(diverging(f64::NAN, 0.5), RGBColor(0xFF, 0xFF, 0xFF));
        assert_eq!(diverging(0.3, 0.0), RGBColor(0xFF, 0xFF, 0xFF));
    }

    #[test]
    fn every_label_differs_between_languages() {
        use Label::*;
        for label in [
            ScoreSharesTitle,
            ShareOfRatings,
            ScoreAxis,
            DistributionTitle,
            OverallScore,
            Density,
            DeviationTitle,
            DeviationAxis,
            KsTitle,
            CompletenessTitle,
            Theme,
        ] {
            assert_ne!(label.text(Lang::Da), label.text(Lang::En), "{label:?}");
        }
    }

    #[test]
    fn round_ticks_are_round_and_inside() {
        // Range 0.58: step 0.1 (0.58 / 8 = 0.0725 rounds up to 0.1), by hand.
        assert_eq!(round_ticks((4.21, 4.79)), vec![4.3, 4.4, 4.5, 4.6, 4.7]);
        // Range 4: step 0.5; range 0.22 from 0: step 0.05.
        let ticks = round_ticks((1.0, 5.0));
        assert_eq!(ticks, vec![1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]);
        assert_eq!(round_ticks((0.0, 0.22)), vec![0.0, 0.05, 0.1, 0.15, 0.2]);
    }
}
