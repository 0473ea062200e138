//! Case mix (issue 14): a forest plot of each authority's raw and offer-type-adjusted effect.
//!
//! Input: [`ForestInput`], per authority its raw mean overall score, the standardised mean
//! with its interval, and the adjusted odds ratio against the average authority with its
//! interval (all computed upstream, [`crate::analysis::casemix`]). Output: [`Figure`]
//! `fig7_case_mix`, two panels sharing the authority rows: left, the mean overall score, raw
//! (a grey cross) and standardised to the national mix of offer types (a dot with its
//! interval); right, the adjusted odds ratio on a logarithmic axis with its interval and a
//! reference line at 1. A note says what the adjustment cannot do.
//!
//! Method: linear ticks at 1, 2 or 5 times a power of ten; odds-ratio ticks from a fixed set
//! of round ratios inside the range; every position is computed here, the drawing is lines,
//! dots and text on the [`Canvas`].

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::canvas::{Canvas, wrap};
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, Style, TextRole, format_number, size, text_width};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// One authority's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// Authority (or anonymised name).
    pub authority: String,
    /// Raw mean overall score.
    pub raw_mean: f64,
    /// Standardised mean and its interval.
    pub standardised: (f64, Option<[f64; 2]>),
    /// Adjusted odds ratio and its interval.
    pub odds_ratio: Option<(f64, [f64; 2])>,
}

/// Input of [`forest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForestInput {
    /// One row per authority, top to bottom.
    pub rows: Vec<ForestRow>,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

/// Draws the forest plot (`fig7_case_mix`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] without rows or with a value that is not a
/// finite number (a non-positive odds ratio included); [`crate::error::Error::Plot`] if
/// drawing fails.
pub fn forest(data: &ForestInput, options: PlotOptions) -> Result<Figure> {
    if data.rows.is_empty() {
        return Err(invalid("rows", &0, "at least one authority"));
    }
    let finite = |r: &ForestRow| {
        let means = [r.raw_mean, r.standardised.0];
        let ratios = r.odds_ratio.map_or([1.0; 3], |(o, [lo, hi])| [o, lo, hi]);
        means.iter().all(|v| v.is_finite()) && ratios.iter().all(|v| v.is_finite() && *v > 0.0)
    };
    if let Some(bad) = data.rows.iter().find(|r| !finite(r)) {
        return Err(invalid(
            "forest row",
            &bad.authority,
            "finite means and positive odds ratios",
        ));
    }
    render(&Forest::new(data, options.lang), options)
}

/// Height of one authority row.
const ROW: f64 = 34.0;
/// Width of one panel's plotting area.
const PANEL: f64 = 330.0;
/// Gap between the panels.
const GAP: f64 = 40.0;
/// Height of the axis (ticks and axis title) under the rows.
const AXIS: f64 = 52.0;
/// Round odds ratios for ticks.
const RATIO_TICKS: [f64; 15] = [
    0.25, 0.5, 0.75, 0.8, 0.9, 1.0, 1.1, 1.2, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0,
];
/// The least room between two odds-ratio ticks.
const TICK_ROOM: f64 = 48.0;

struct Forest {
    rows: Vec<ForestRow>,
    lang: Lang,
    labels_width: f64,
    means: (f64, f64),
    ratios: (f64, f64),
    notes: Vec<String>,
    level: String,
}

impl Forest {
    fn new(data: &ForestInput, lang: Lang) -> Self {
        let labels_width = data
            .rows
            .iter()
            .map(|r| text_width(&r.authority, TextRole::Tick))
            .fold(0.0, f64::max);
        let mut means: Vec<f64> = Vec::new();
        let mut ratios: Vec<f64> = vec![1.0];
        for r in &data.rows {
            means.extend([r.raw_mean, r.standardised.0]);
            means.extend(r.standardised.1.into_iter().flatten());
            if let Some((o, [lo, hi])) = r.odds_ratio {
                ratios.extend([o, lo, hi]);
            }
        }
        let span = |v: &[f64]| {
            v.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(*x), b.max(*x))
                })
        };
        let (lo, hi) = span(&means);
        let pad = ((hi - lo) * 0.08).max(0.02);
        let (rlo, rhi) = span(&ratios);
        let note = match lang {
            Lang::Da => {
                "Hvert tilbud har ét socialtilsyn, så socialtilsyn og region følges ad: justeringen fjerner kun det, tilbudstypen forklarer."
            }
            Lang::En => {
                "Each offer has one authority, so authority and region are confounded: adjustment removes only what offer type explains."
            }
        };
        Self {
            rows: data.rows.clone(),
            lang,
            labels_width,
            means: (lo - pad, hi + pad),
            ratios: (rlo / 1.08, rhi * 1.08),
            notes: wrap(note, TextRole::Note, 2.0 * PANEL + GAP + labels_width, 3),
            level: style::format_percent(data.confidence, 0, lang),
        }
    }

    fn left(&self) -> f64 {
        size::MARGIN + self.labels_width + 12.0
    }

    fn top(&self) -> f64 {
        size::MARGIN + size::TITLE_HEIGHT + 28.0
    }

    fn rows_height(&self) -> f64 {
        ROW * self.rows.len() as f64
    }

    /// The y of row `i`'s centre.
    fn row_y(&self, i: usize) -> f64 {
        self.top() + ROW * (i as f64 + 0.5)
    }

    /// x of a mean in the left panel.
    fn mean_x(&self, v: f64) -> f64 {
        let (lo, hi) = self.means;
        self.left() + PANEL * (v - lo) / (hi - lo)
    }

    /// x of an odds ratio in the right panel (log scale).
    fn ratio_x(&self, v: f64) -> f64 {
        let (lo, hi) = self.ratios;
        self.left() + PANEL + GAP + PANEL * (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
    }

    fn words(&self) -> [String; 3] {
        let (title, left, right) = match self.lang {
            Lang::Da => (
                "Socialtilsynenes forskelle før og efter justering for tilbudstype",
                "Gns. samlet score: rå (×) og standardiseret",
                "Odds ratio mod gns. socialtilsyn (justeret)",
            ),
            Lang::En => (
                "The authorities' differences before and after adjusting for offer type",
                "Mean overall score: raw (×) and standardised",
                "Odds ratio vs the average authority (adjusted)",
            ),
        };
        [
            title.to_string(),
            format!("{left} [{}]", self.level),
            format!("{right} [{}]", self.level),
        ]
    }

    /// The panel headings, the row labels and the grid.
    fn frame<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>, words: &[String; 3]) -> DrawResult {
        let heading_y = self.top() - 14.0;
        let right = self.left() + PANEL + GAP;
        for (x, text) in [(self.left(), &words[1]), (right, &words[2])] {
            c.text(
                text,
                (x, heading_y),
                TextRole::AxisTitle,
                style::TEXT,
                (HPos::Left, VPos::Center),
            )?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            let at = (self.left() - 12.0, self.row_y(i));
            c.text(
                &r.authority,
                at,
                TextRole::Tick,
                style::TEXT,
                (HPos::Right, VPos::Center),
            )?;
        }
        let bottom = self.top() + self.rows_height();
        for v in style::round_ticks(self.means) {
            self.tick(c, self.mean_x(v), bottom, &format_number(v, 2, self.lang))?;
        }
        // The round ratios in range, each at least TICK_ROOM from the one kept before it, 1
        // always.
        let mut last: Option<f64> = None;
        for v in RATIO_TICKS
            .iter()
            .copied()
            .filter(|v| (self.ratios.0..=self.ratios.1).contains(v))
        {
            let x = self.ratio_x(v);
            let near_one = (x - self.ratio_x(1.0)).abs() < TICK_ROOM && v != 1.0;
            if last.is_some_and(|l| x - l < TICK_ROOM) || near_one {
                continue;
            }
            self.tick(c, x, bottom, &format_number(v, 2, self.lang))?;
            last = Some(x);
        }
        let one = self.ratio_x(1.0);
        c.line(&[(one, self.top()), (one, bottom)], style::TEXT, size::THIN)
    }

    /// A grid line at `x` with its tick label under the rows.
    fn tick<DB: DrawingBackend>(
        &self,
        c: &Canvas<'_, DB>,
        x: f64,
        bottom: f64,
        label: &str,
    ) -> DrawResult {
        c.line(&[(x, self.top()), (x, bottom)], style::GRID, size::THIN)?;
        c.text(
            label,
            (x, bottom + 14.0),
            TextRole::Tick,
            style::TEXT,
            (HPos::Center, VPos::Center),
        )
    }

    /// One authority's marks.
    fn row<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>, i: usize, r: &ForestRow) -> DrawResult {
        let y = self.row_y(i);
        let colour = style::series_colour(i);
        let (raw, arm) = (self.mean_x(r.raw_mean), 5.0);
        c.line(
            &[(raw - arm, y - arm), (raw + arm, y + arm)],
            style::MUTED_TEXT,
            size::LINE,
        )?;
        c.line(
            &[(raw - arm, y + arm), (raw + arm, y - arm)],
            style::MUTED_TEXT,
            size::LINE,
        )?;
        if let Some([lo, hi]) = r.standardised.1 {
            c.line(
                &[(self.mean_x(lo), y), (self.mean_x(hi), y)],
                colour,
                size::LINE,
            )?;
        }
        c.dot((self.mean_x(r.standardised.0), y), 5.0, colour)?;
        if let Some((o, [lo, hi])) = r.odds_ratio {
            c.line(
                &[(self.ratio_x(lo), y), (self.ratio_x(hi), y)],
                colour,
                size::LINE,
            )?;
            c.dot((self.ratio_x(o), y), 5.0, colour)?;
        }
        Ok(())
    }
}

impl Drawing for Forest {
    fn name(&self) -> &str {
        "fig7_case_mix"
    }

    fn size(&self) -> (u32, u32) {
        let width = self.left() + 2.0 * PANEL + GAP + size::MARGIN + 8.0;
        let notes = size::NOTE_LINE * self.notes.len() as f64;
        let height = self.top() + self.rows_height() + AXIS + notes + size::MARGIN;
        (width.ceil() as u32, height.ceil() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        let words = self.words();
        c.title(&words[0], f64::from(self.size().0))?;
        self.frame(&c, &words)?;
        for (i, r) in self.rows.iter().enumerate() {
            self.row(&c, i, r)?;
        }
        let notes_y = self.top() + self.rows_height() + AXIS - 8.0;
        c.notes(&self.notes, size::MARGIN, notes_y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_value_is_an_error_not_a_panic() {
        let row = ForestRow {
            authority: "A".to_string(),
            raw_mean: 4.2,
            standardised: (4.3, Some([4.1, 4.5])),
            odds_ratio: Some((0.0, [0.0, 1.0])),
        };
        let input = ForestInput {
            rows: vec![row],
            confidence: 0.95,
        };
        assert!(forest(&input, PlotOptions::default()).is_err());
    }
}
