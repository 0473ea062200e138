//! Periods (issue 15): the trend figure `fig8_periods`, has practice converged?
//!
//! Input: [`TrendInput`], per period each authority's mean overall score with its interval, and
//! the spread between the authorities (the SD of their means) with its bootstrap interval, and
//! the permutation p of the change in spread from the first period to the last (all computed
//! upstream, [`crate::analysis::periods`]; [`TrendInput::from_periods`] only copies them).
//! Output: [`Figure`] `fig8_periods`, two panels over the same periods: left, each authority's
//! mean (a dot, its interval a vertical line, consecutive periods joined; the authorities
//! side by side within a period so that intervals do not hide each other); right, the spread
//! per period with its interval, on an axis from 0. A legend names the authorities; a note
//! says what the spread is and gives the test of its change.
//!
//! Method: linear ticks at 1, 2 or 5 times a power of ten; periods at equal distances; every
//! position is computed here, the drawing is lines, dots and text on the [`Canvas`].

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Canvas, LegendEntry, LegendMark, legend_width, wrap};
use super::style::{self, Style, TextRole, format_number, format_p, size, text_width};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::analysis::periods::Periods;
use crate::error::Result;

/// A value and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendPoint {
    /// The estimate.
    pub value: f64,
    /// Its interval, if any.
    pub ci: Option<[f64; 2]>,
}

/// One authority's means, one per period (`None`: no visits in the period).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    /// Authority (or anonymised name).
    pub authority: String,
    /// Per period.
    pub points: Vec<Option<TrendPoint>>,
}

/// Input of [`trend`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrendInput {
    /// Period labels, in order.
    pub periods: Vec<String>,
    /// One series per authority.
    pub authorities: Vec<TrendSeries>,
    /// The spread (SD of the authority means) per period.
    pub spread: Vec<Option<TrendPoint>>,
    /// The spread of the means adjusted for offer type per period (empty: not adjusted).
    pub adjusted_spread: Vec<Option<TrendPoint>>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// The test of change in spread: first period, last period, permutation p.
    pub change: Option<(String, String, f64)>,
}

impl TrendInput {
    /// The figure's input from the period analysis (numbers copied, none computed).
    pub fn from_periods(p: &Periods) -> Self {
        let names = p.authority_names();
        let authorities = names
            .iter()
            .map(|name| TrendSeries {
                authority: (*name).to_string(),
                points: p
                    .periods
                    .iter()
                    .map(|x| {
                        let a = x.authorities.iter().find(|a| a.authority == *name)?;
                        Some(TrendPoint {
                            value: a.mean,
                            ci: a.ci,
                        })
                    })
                    .collect(),
            })
            .collect();
        Self {
            periods: p.periods.iter().map(|x| x.label.clone()).collect(),
            authorities,
            spread: p
                .periods
                .iter()
                .map(|x| {
                    x.spread.as_ref().map(|s| TrendPoint {
                        value: s.sd,
                        ci: s.sd_ci,
                    })
                })
                .collect(),
            adjusted_spread: adjusted_spread(p),
            confidence: p.confidence,
            change: p
                .spread_change
                .as_ref()
                .and_then(|c| Some((c.from.clone(), c.to.clone(), c.p_value?))),
        }
    }
}

/// The SD of the standardised means per period; empty when no period has it.
fn adjusted_spread(p: &Periods) -> Vec<Option<TrendPoint>> {
    let points: Vec<Option<TrendPoint>> = p
        .periods
        .iter()
        .map(|x| {
            let a = x.spread.as_ref()?.adjusted.as_ref()?;
            Some(TrendPoint {
                value: a.sd,
                ci: a.sd_ci,
            })
        })
        .collect();
    if points.iter().any(Option::is_some) {
        points
    } else {
        Vec::new()
    }
}

/// Draws the trend figure (`fig8_periods`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] with fewer than two periods, a series whose
/// length is not the number of periods, or a value that is not finite;
/// [`crate::error::Error::Plot`] if drawing fails.
pub fn trend(data: &TrendInput, options: PlotOptions) -> Result<Figure> {
    let k = data.periods.len();
    if k < 2 {
        return Err(invalid("periods", &k, "at least two periods"));
    }
    let lengths = data.authorities.iter().all(|a| a.points.len() == k)
        && data.spread.len() == k
        && (data.adjusted_spread.is_empty() || data.adjusted_spread.len() == k);
    if !lengths {
        return Err(invalid("trend series", &k, "one point per period"));
    }
    let finite = |p: &Option<TrendPoint>| {
        p.is_none_or(|p| {
            p.value.is_finite() && p.ci.is_none_or(|c| c.iter().all(|v| v.is_finite()))
        })
    };
    let all = data
        .authorities
        .iter()
        .flat_map(|a| &a.points)
        .chain(&data.spread)
        .chain(&data.adjusted_spread);
    if !all.clone().all(finite) {
        return Err(invalid(
            "trend point",
            &"a value",
            "finite means, spreads and intervals",
        ));
    }
    render(&Trend::new(data, options.lang), options)
}

/// Height of the panels' plotting areas.
const PANEL_HEIGHT: f64 = 300.0;
/// Width of the tick labels left of a panel.
const TICKS: f64 = 48.0;
/// Gap between the panels (the right panel's tick labels included).
const GAP: f64 = 36.0;
/// Height of the period labels under the panels.
const AXIS: f64 = 34.0;

struct Trend {
    data: TrendInput,
    lang: Lang,
    /// Width of the left (means) and right (spread) panels.
    widths: (f64, f64),
    means: (f64, f64),
    spread: (f64, f64),
    legend: Vec<LegendEntry>,
    notes: Vec<String>,
    level: String,
}

impl Trend {
    fn new(data: &TrendInput, lang: Lang) -> Self {
        let k = data.periods.len() as f64;
        let label_width = data
            .periods
            .iter()
            .map(|p| text_width(p, TextRole::Tick))
            .fold(0.0, f64::max);
        let slot = (label_width + 16.0).max(90.0);
        let widths = ((k * slot).max(320.0), (k * slot * 0.6).max(200.0));
        let mut values: Vec<f64> = Vec::new();
        for p in data.authorities.iter().flat_map(|a| &a.points).flatten() {
            values.push(p.value);
            values.extend(p.ci.into_iter().flatten());
        }
        let (lo, hi) = span(&values);
        let pad = ((hi - lo) * 0.08).max(0.02);
        let mut spreads: Vec<f64> = vec![0.0];
        for p in data.spread.iter().chain(&data.adjusted_spread).flatten() {
            spreads.push(p.value);
            spreads.extend(p.ci.into_iter().flatten());
        }
        let top = span(&spreads).1.max(0.01) * 1.1;
        let line = |label: &str, colour, dashed| LegendEntry {
            label: label.to_string(),
            mark: LegendMark::Line {
                colour,
                width: size::LINE,
                dashed,
            },
        };
        let mut legend: Vec<LegendEntry> = data
            .authorities
            .iter()
            .enumerate()
            .map(|(i, a)| line(&a.authority, style::series_colour(i), false))
            .collect();
        if !data.adjusted_spread.is_empty() {
            let [raw, adjusted] = match lang {
                Lang::Da => ["Spredning", "Spredning, justeret for tilbudstype"],
                Lang::En => ["Spread", "Spread, adjusted for offer type"],
            };
            legend.push(line(raw, style::TEXT, false));
            legend.push(line(adjusted, style::MUTED_TEXT, false));
        }
        let text_width = widths.0 + widths.1 + 2.0 * TICKS + GAP;
        Self {
            data: data.clone(),
            lang,
            widths,
            means: (lo - pad, hi + pad),
            spread: (0.0, top),
            legend,
            notes: wrap(&note(data, lang), TextRole::Note, text_width, 4),
            level: style::format_percent(data.confidence, 0, lang),
        }
    }

    fn top(&self) -> f64 {
        size::MARGIN + size::TITLE_HEIGHT + 28.0
    }

    fn bottom(&self) -> f64 {
        self.top() + PANEL_HEIGHT
    }

    /// Left edges of the two panels.
    fn lefts(&self) -> (f64, f64) {
        let left = size::MARGIN + TICKS;
        (left, left + self.widths.0 + GAP + TICKS)
    }

    /// x of period `i` in a panel starting at `left` of width `width`.
    fn period_x(&self, left: f64, width: f64, i: usize) -> f64 {
        left + width * (i as f64 + 0.5) / self.data.periods.len() as f64
    }

    fn y(&self, (lo, hi): (f64, f64), v: f64) -> f64 {
        self.bottom() - PANEL_HEIGHT * (v - lo) / (hi - lo)
    }

    fn words(&self) -> [String; 3] {
        let (title, left, right) = match self.lang {
            Lang::Da => (
                "Socialtilsynenes gennemsnit og spredningen mellem dem pr. periode",
                "Gns. samlet score",
                "Spredning: SD af gennemsnittene",
            ),
            Lang::En => (
                "The authorities' means and the spread between them per period",
                "Mean overall score",
                "Spread: SD of the means",
            ),
        };
        [
            title.to_string(),
            format!("{left} [{}]", self.level),
            format!("{right} [{}]", self.level),
        ]
    }

    /// Panel headings, grids with tick labels, and the period labels of one panel.
    fn panel<DB: DrawingBackend>(
        &self,
        c: &Canvas<'_, DB>,
        (left, width): (f64, f64),
        range: (f64, f64),
        heading: &str,
    ) -> DrawResult {
        c.text(
            heading,
            (left - TICKS + 4.0, self.top() - 14.0),
            TextRole::AxisTitle,
            style::TEXT,
            (HPos::Left, VPos::Center),
        )?;
        for v in style::round_ticks(range) {
            let y = self.y(range, v);
            c.line(&[(left, y), (left + width, y)], style::GRID, size::THIN)?;
            let label = format_number(v, decimals(range), self.lang);
            c.text(
                &label,
                (left - 6.0, y),
                TextRole::Tick,
                style::TEXT,
                (HPos::Right, VPos::Center),
            )?;
        }
        c.line(
            &[(left, self.bottom()), (left + width, self.bottom())],
            style::AXIS,
            size::THIN,
        )?;
        for (i, label) in self.data.periods.iter().enumerate() {
            let x = self.period_x(left, width, i);
            c.text(
                label,
                (x, self.bottom() + 14.0),
                TextRole::Tick,
                style::TEXT,
                (HPos::Center, VPos::Center),
            )?;
        }
        Ok(())
    }

    /// A series of points with intervals, joined from period to period.
    fn series<DB: DrawingBackend>(
        &self,
        c: &Canvas<'_, DB>,
        points: &[Option<TrendPoint>],
        (left, width, offset): (f64, f64, f64),
        range: (f64, f64),
        colour: plotters::style::RGBColor,
    ) -> DrawResult {
        let at = |i: usize, v: f64| (self.period_x(left, width, i) + offset, self.y(range, v));
        for (i, pair) in points.windows(2).enumerate() {
            if let [Some(a), Some(b)] = pair {
                c.line(&[at(i, a.value), at(i + 1, b.value)], colour, size::THIN)?;
            }
        }
        for (i, p) in points.iter().enumerate() {
            let Some(p) = p else { continue };
            if let Some([lo, hi]) = p.ci {
                c.line(&[at(i, lo), at(i, hi)], colour, size::LINE)?;
            }
            c.dot(at(i, p.value), 4.0, colour)?;
        }
        Ok(())
    }
}

/// What the spread is, and the test of its change.
fn note(data: &TrendInput, lang: Lang) -> String {
    let what = match lang {
        Lang::Da => {
            "Spredning: standardafvigelsen af socialtilsynenes gennemsnitlige samlede score (bootstrap-interval)."
        }
        Lang::En => {
            "Spread: the standard deviation of the authorities' mean overall scores (bootstrap interval)."
        }
    };
    match &data.change {
        Some((from, to, p)) => {
            let p = format_p(*p, lang);
            let p = if p.starts_with('<') {
                format!("p {p}")
            } else {
                format!("p = {p}")
            };
            match lang {
                Lang::Da => format!("{what} Ændring fra {from} til {to}, permutationstest: {p}."),
                Lang::En => format!("{what} Change from {from} to {to}, permutation test: {p}."),
            }
        }
        None => what.to_string(),
    }
}

/// Smallest and largest of `values`.
fn span(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        })
}

/// The decimals a tick label of `range` needs: 2 for a step of 0.01 or more, else 3.
fn decimals((lo, hi): (f64, f64)) -> usize {
    if hi - lo >= 0.08 { 2 } else { 3 }
}

impl Drawing for Trend {
    fn name(&self) -> &str {
        "fig8_periods"
    }

    fn size(&self) -> (u32, u32) {
        let right = self.lefts().1 + self.widths.1;
        let width = right + 24.0 + legend_width(&self.legend) + size::MARGIN;
        let notes = size::NOTE_LINE * self.notes.len() as f64;
        let height = self.bottom() + AXIS + notes + size::MARGIN;
        (width.ceil() as u32, height.ceil() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        let words = self.words();
        c.title(&words[0], f64::from(self.size().0))?;
        let (left, right) = self.lefts();
        self.panel(&c, (left, self.widths.0), self.means, &words[1])?;
        self.panel(&c, (right, self.widths.1), self.spread, &words[2])?;
        let count = self.data.authorities.len() as f64;
        let step = (self.widths.0 / self.data.periods.len() as f64 / (count + 1.0)).min(8.0);
        for (i, a) in self.data.authorities.iter().enumerate() {
            let offset = (i as f64 - (count - 1.0) / 2.0) * step;
            let colour = style::series_colour(i);
            self.series(
                &c,
                &a.points,
                (left, self.widths.0, offset),
                self.means,
                colour,
            )?;
        }
        let adjusted = &self.data.adjusted_spread;
        let shift = if adjusted.is_empty() { 0.0 } else { 5.0 };
        let spread = (right, self.widths.1, -shift);
        self.series(&c, &self.data.spread, spread, self.spread, style::TEXT)?;
        let spread = (right, self.widths.1, shift);
        self.series(&c, adjusted, spread, self.spread, style::MUTED_TEXT)?;
        c.legend(&self.legend, right + self.widths.1 + 24.0, self.top())?;
        c.notes(&self.notes, size::MARGIN, self.bottom() + AXIS - 4.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(periods: usize) -> TrendInput {
        let point = |v: f64| {
            Some(TrendPoint {
                value: v,
                ci: Some([v - 0.05, v + 0.05]),
            })
        };
        TrendInput {
            periods: (0..periods).map(|k| (2021 + k).to_string()).collect(),
            authorities: ["Socialtilsyn Nord", "Socialtilsyn Syd"]
                .iter()
                .enumerate()
                .map(|(a, name)| TrendSeries {
                    authority: (*name).to_string(),
                    points: (0..periods)
                        .map(|k| point(4.3 + 0.1 * (a + k) as f64))
                        .collect(),
                })
                .collect(),
            spread: (0..periods).map(|k| point(0.2 / (k + 1) as f64)).collect(),
            adjusted_spread: Vec::new(),
            confidence: 0.95,
            change: Some(("2021".to_string(), "2023".to_string(), 0.0004)),
        }
    }

    #[test]
    fn draws_in_both_languages_and_refuses_bad_input() {
        for lang in [Lang::Da, Lang::En] {
            let figure = trend(&input(3), PlotOptions { lang, dpi: 96 }).expect("figure");
            assert_eq!(figure.name, "fig8_periods");
            let words = match lang {
                Lang::Da => ["Spredning", "permutationstest: p &lt; 0,001"],
                Lang::En => ["Spread", "permutation test: p &lt; 0.001"],
            };
            for w in words {
                assert!(figure.svg.contains(w), "{lang:?}: {w}");
            }
            assert!(figure.svg.contains("2022") && figure.svg.contains("Socialtilsyn Syd"));
        }
        assert!(trend(&input(1), PlotOptions::default()).is_err());
        let mut bad = input(2);
        bad.spread[1] = Some(TrendPoint {
            value: f64::NAN,
            ci: None,
        });
        assert!(trend(&bad, PlotOptions::default()).is_err());
        let mut short = input(2);
        short.authorities[0].points.pop();
        assert!(trend(&short, PlotOptions::default()).is_err());
    }
}
