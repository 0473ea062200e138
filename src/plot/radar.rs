//! Spider (radar) chart for a single visit's report (seed 000): one axis per theme on a
//! FIXED 1–5 scale, so shapes are comparable across visits and authorities.
//!
//! Input: [`RadarInput`] (theme scores from the roll-up; nothing is computed here except
//! geometry). Output: [`Figure`] `fig5_radar`.
//!
//! plotters has no polar coordinates, so the chart is drawn in a cartesian square
//! `[-1.3, 1.3]²` with the value 5 at radius 1 and 1 at the centre. The geometry lives
//! in the pure function [`radar_vertices`]: axis `k` of `n` points at
//! `90° − k·360°/n` (the first axis straight up, then clockwise) and a value `v` sits at
//! radius `(v − min)/(max − min)`.
//!
//! Drawn: rings at 1..5 (labelled along the first axis; 1 is the centre), spokes, theme
//! labels outside the rings, then the reference series (dashed, thin, unfilled) and the
//! [`SeriesRole::Primary`] series last (thick line, light fill, dots at the vertices).
//!
//! **Missing values** (`None`) leave a gap: a line is drawn only between neighbouring
//! axes that both have a value, each present value gets a dot (so a value between two
//! gaps still shows), and a series with a gap is not filled. Drawing to the centre
//! instead would show "no score" as the lowest score, 1. A note under the chart explains
//! the gaps when there are any.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{self, Canvas, LegendEntry, LegendMark, Point};
use super::style::{self, Label, Style, TextRole, size};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// Lowest value on every radar axis.
pub const RADAR_MIN: f64 = 1.0;
/// Highest value on every radar axis.
pub const RADAR_MAX: f64 = 5.0;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesRole {
    /// The visit (or authority) the chart is about: thick line, light fill, dots.
    Primary,
    /// A comparison, e.g. "authority mean" or "national mean": thin dashed line.
    Reference,
}

/// One polygon on the radar.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSeries {
    /// Legend text.
    pub label: String,
    /// One value per axis (1–5), `None` where the theme has no score.
    pub values: Vec<Option<f64>>,
    /// Primary or reference.
    pub role: SeriesRole,
    /// Colour: index into [`style::PALETTE`] (authority order; 7 is black).
    pub colour_index: usize,
}

/// Input of [`radar`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadarInput {
    /// Chart title, e.g. the visit and offer.
    pub title: String,
    /// Axis (theme) labels, in fixed model order; at least 3.
    pub axes: Vec<String>,
    /// Series; references are drawn first, primaries on top.
    pub series: Vec<RadarSeries>,
}

/// Draws the spider chart (`fig5_radar`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are fewer than 3 axes, a series
/// does not have one value per axis, or a value is not a finite number in 1..=5;
/// [`crate::error::Error::Plot`] if drawing fails.
pub fn radar(data: &RadarInput, options: PlotOptions) -> Result<Figure> {
    if data.axes.len() < 3 {
        return Err(invalid("axes", &data.axes.len(), "at least 3 axes"));
    }
    for s in &data.series {
        if s.values.len() != data.axes.len() {
            return Err(invalid(
                "values",
                &format!(
                    "{}: {} values for {} axes",
                    s.label,
                    s.values.len(),
                    data.axes.len()
                ),
                "one value (or None) per axis",
            ));
        }
        if let Some(bad) = s
            .values
            .iter()
            .flatten()
            .find(|v| !(RADAR_MIN..=RADAR_MAX).contains(*v))
        {
            return Err(invalid(
                "values",
                &format!("{}: {bad}", s.label),
                "scores in 1..=5",
            ));
        }
    }
    render(&Radar::new(data, options.lang), options)
}

/// Unit vector of axis `k` of `n`: angle `90° − k·360°/n`, exact at multiples of 90°.
fn unit(k: usize, n: usize) -> (f64, f64) {
    if n > 0 && (4 * k).is_multiple_of(n) {
        return match (4 * k / n) % 4 {
            0 => (0.0, 1.0),
            1 => (1.0, 0.0),
            2 => (0.0, -1.0),
            _ => (-1.0, 0.0),
        };
    }
    // Axis counts are tiny, so they are exact as f64.
    let degrees = 90.0 - 360.0 * k as f64 / n as f64;
    let (sin, cos) = degrees.to_radians().sin_cos();
    (cos, sin)
}

/// Cartesian vertices of a radar polygon.
///
/// Axis `k` of `n = values.len()` points at angle `90° − k·360°/n` (counter-clockwise
/// from the positive x axis; so axis 0 points up and the axes run clockwise), and value
/// `v` lies at radius `(v − min)/(max − min)`, clamped to `[0, 1]`. Returns `None` for a
/// missing or non-finite value, and all `None` if `max <= min` or a bound is not finite.
/// Angles that are multiples of 90° give exact coordinates (no `6e-17` residue).
#[must_use]
pub fn radar_vertices(values: &[Option<f64>], min: f64, max: f64) -> Vec<Option<(f64, f64)>> {
    let n = values.len();
    let valid_scale = min.is_finite() && max.is_finite() && max > min;
    values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let v = (*v).filter(|v| v.is_finite() && valid_scale)?;
            let r = ((v - min) / (max - min)).clamp(0.0, 1.0);
            let (ux, uy) = unit(k, n);
            Some((r * ux, r * uy))
        })
        .collect()
}

/// The polylines through neighbouring present vertices (cyclic). All present: one
/// closed polyline (first point repeated at the end).
fn runs(vertices: &[Option<(f64, f64)>]) -> Vec<Vec<(f64, f64)>> {
    let n = vertices.len();
    if n == 0 {
        return Vec::new();
    }
    let present: Vec<(f64, f64)> = vertices.iter().flatten().copied().collect();
    if present.len() == n {
        let mut closed = present;
        if let Some(&first) = closed.first() {
            closed.push(first);
        }
        return vec![closed];
    }
    // Start just after a gap so runs are not split across the wrap-around.
    let Some(gap) = vertices.iter().position(Option::is_none) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for i in 1..=n {
        match vertices[(gap + i) % n] {
            Some(p) => current.push(p),
            None => {
                if current.len() >= 2 {
                    out.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
        }
    }
    if current.len() >= 2 {
        out.push(current);
    }
    out
}

/// Logical radius of the value 5.
const UNIT: f64 = 190.0;
/// Half the side of the chart square ([-1.3, 1.3]).
const HALF: f64 = 1.3 * UNIT;
/// Radius (in units) at which theme labels are anchored.
const LABEL_RADIUS: f64 = 1.09;
/// Widest a theme label may be before it is wrapped.
const LABEL_WRAP: f64 = 170.0;

struct Radar<'a> {
    data: &'a RadarInput,
    labels: Vec<Vec<String>>,
    legend: Vec<LegendEntry>,
    notes: Vec<String>,
    centre: Point,
    /// Logical extent of rings and labels below the centre.
    below: f64,
    width: f64,
    height: f64,
}

impl<'a> Radar<'a> {
    fn new(data: &'a RadarInput, lang: Lang) -> Self {
        let n = data.axes.len();
        let labels: Vec<Vec<String>> = data
            .axes
            .iter()
            .map(|a| canvas::wrap(a, TextRole::Tick, LABEL_WRAP, 2))
            .collect();
        // Horizontal room: each label extends outward from its anchor.
        let half_width = labels
            .iter()
            .enumerate()
            .map(|(k, lines)| {
                let (ux, _) = unit(k, n);
                let w = canvas::max_width(lines, TextRole::Tick);
                let anchor = ux.abs() * LABEL_RADIUS * UNIT;
                if ux.abs() < 0.15 {
                    w / 2.0
                } else {
                    anchor + 6.0 + w
                }
            })
            .fold(HALF, f64::max);
        let legend: Vec<LegendEntry> = data
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                mark: LegendMark::Line {
                    colour: style::series_colour(s.colour_index),
                    width: line_width(s.role),
                    dashed: s.role == SeriesRole::Reference,
                },
            })
            .collect();
        let mut notes = vec![Label::RadarScaleNote.text(lang).to_owned()];
        if data
            .series
            .iter()
            .any(|s| s.values.iter().any(Option::is_none))
        {
            notes.push(Label::RadarGapNote.text(lang).to_owned());
        }
        let notes_w = notes
            .iter()
            .map(|n| style::text_width(n, TextRole::Note))
            .fold(0.0, f64::max);
        let title_w = style::text_width(&data.title, TextRole::Title);
        let width = (2.0 * (half_width + size::MARGIN))
            .max(title_w + 2.0 * size::MARGIN)
            .max(notes_w + 2.0 * size::MARGIN)
            .max(canvas::legend_width(&legend) + 2.0 * size::MARGIN + 20.0)
            .ceil();
        // Vertical room: rings reach UNIT; labels reach beyond it.
        let (mut above, mut below) = (UNIT, UNIT);
        for (k, lines) in labels.iter().enumerate() {
            let (_, uy) = unit(k, n);
            let block = lines.len() as f64 * size::HEADER_LINE;
            let centre_up = uy * LABEL_RADIUS * UNIT + label_shift(uy, block);
            above = above.max(centre_up + block / 2.0);
            below = below.max(-(centre_up - block / 2.0));
        }
        let centre = (width / 2.0, size::MARGIN + size::TITLE_HEIGHT + above + 4.0);
        let height = (centre.1
            + below
            + 12.0
            + canvas::legend_height(&legend)
            + 8.0
            + notes.len() as f64 * size::NOTE_LINE
            + size::MARGIN)
            .ceil();
        Self {
            data,
            labels,
            legend,
            notes,
            centre,
            below,
            width,
            height,
        }
    }

    /// Chart coordinates ([-1.3, 1.3]², y up) to logical canvas coordinates.
    fn at(&self, (x, y): (f64, f64)) -> Point {
        (self.centre.0 + x * UNIT, self.centre.1 - y * UNIT)
    }

    fn frame<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> DrawResult {
        let n = self.data.axes.len();
        let ring_colour = style::GRID;
        for ring in 2..=5u8 {
            let value = f64::from(ring);
            let vertices = radar_vertices(&vec![Some(value); n], RADAR_MIN, RADAR_MAX);
            let pts: Vec<Point> = runs(&vertices)
                .concat()
                .into_iter()
                .map(|p| self.at(p))
                .collect();
            c.line(&pts, ring_colour, size::THIN)?;
        }
        for k in 0..n {
            let (ux, uy) = unit(k, n);
            c.line(
                &[self.at((0.0, 0.0)), self.at((ux, uy))],
                ring_colour,
                size::THIN,
            )?;
            let (x, y) = self.at((ux * LABEL_RADIUS, uy * LABEL_RADIUS));
            let h = if ux > 0.15 {
                HPos::Left
            } else if ux < -0.15 {
                HPos::Right
            } else {
                HPos::Center
            };
            let block = self.labels[k].len() as f64 * size::HEADER_LINE;
            let dy = -label_shift(uy, block); // canvas y grows downwards
            let dx = match h {
                HPos::Left => 6.0,
                HPos::Right => -6.0,
                HPos::Center => 0.0,
            };
            c.text_lines(
                &self.labels[k],
                (x + dx, y + dy),
                TextRole::Tick,
                style::TEXT,
                h,
                size::HEADER_LINE,
            )?;
        }
        Ok(())
    }

    /// Ring values on the first (top) spoke, on a background patch that hides the ring
    /// and spoke lines under them; drawn before the series, so data stays on top.
    fn ring_labels<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> DrawResult {
        for ring in 1..=5u8 {
            let text = ring.to_string();
            let r = (f64::from(ring) - RADAR_MIN) / (RADAR_MAX - RADAR_MIN);
            let (x, y) = self.at((0.0, r));
            let half_w = style::text_width(&text, TextRole::Note) / 2.0 + 2.0;
            let half_h = TextRole::Note.size() / 2.0;
            c.rect(
                x - half_w,
                y - half_h,
                x + half_w,
                y + half_h,
                style::BACKGROUND,
            )?;
            c.text(
                &text,
                (x, y),
                TextRole::Note,
                style::MUTED_TEXT,
                (HPos::Center, VPos::Center),
            )?;
        }
        Ok(())
    }

    fn series<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>, s: &RadarSeries) -> DrawResult {
        let colour = style::series_colour(s.colour_index);
        let vertices = radar_vertices(&s.values, RADAR_MIN, RADAR_MAX);
        let complete = vertices.iter().all(Option::is_some);
        let width = line_width(s.role);
        if complete && s.role == SeriesRole::Primary {
            let pts: Vec<Point> = vertices.iter().flatten().map(|&p| self.at(p)).collect();
            c.polygon(&pts, colour, 0.18)?;
        }
        for run in runs(&vertices) {
            let pts: Vec<Point> = run.into_iter().map(|p| self.at(p)).collect();
            match s.role {
                SeriesRole::Primary => c.line(&pts, colour, width)?,
                SeriesRole::Reference => c.dashed(&pts, colour, width)?,
            }
        }
        let dot = match s.role {
            SeriesRole::Primary => 4.0,
            SeriesRole::Reference => 2.5,
        };
        for p in vertices.iter().flatten() {
            c.dot(self.at(*p), dot, colour)?;
        }
        Ok(())
    }
}

/// Upward shift (chart direction) of a theme label block `block` tall on an axis with
/// vertical component `uy`: labels above the centre move up, below move down, so the
/// block clears the outer ring.
fn label_shift(uy: f64, block: f64) -> f64 {
    if uy > 0.15 {
        block / 2.0
    } else if uy < -0.15 {
        -block / 2.0
    } else {
        0.0
    }
}

fn line_width(role: SeriesRole) -> f64 {
    match role {
        SeriesRole::Primary => size::THICK,
        SeriesRole::Reference => size::LINE * 0.75,
    }
}

impl Drawing for Radar<'_> {
    fn name(&self) -> &str {
        "fig5_radar"
    }

    fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        c.title(&self.data.title, self.width)?;
        self.frame(&c)?;
        self.ring_labels(&c)?;
        let ordered = self
            .data
            .series
            .iter()
            .filter(|s| s.role == SeriesRole::Reference)
            .chain(
                self.data
                    .series
                    .iter()
                    .filter(|s| s.role == SeriesRole::Primary),
            );
        for series in ordered {
            self.series(&c, series)?;
        }
        let legend_y = self.centre.1 + self.below + 12.0;
        let legend_x = (self.width - canvas::legend_width(&self.legend)) / 2.0;
        c.legend(&self.legend, legend_x, legend_y)?;
        c.notes(
            &self.notes,
            size::MARGIN,
            legend_y + canvas::legend_height(&self.legend) + 8.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertices_on_four_axes_are_exact() {
        // n = 4: axes at 90°, 0°, -90°, -180°; radius (v - 1) / 4.
        let v = radar_vertices(&[Some(5.0), Some(3.0), Some(1.0), None], 1.0, 5.0);
        assert_eq!(
            v,
            vec![Some((0.0, 1.0)), Some((0.5, 0.0)), Some((0.0, 0.0)), None]
        );
        let v = radar_vertices(&[Some(2.0), Some(4.0), Some(5.0), Some(3.0)], 1.0, 5.0);
        assert_eq!(
            v,
            vec![
                Some((0.0, 0.25)),
                Some((0.75, 0.0)),
                Some((0.0, -1.0)),
                Some((-0.5, 0.0))
            ]
        );
    }

    #[test]
    fn vertices_on_three_and_seven_axes() {
        // n = 3: axes at 90°, -30°, -150°; cos 30° = √3/2, sin 30° = 1/2.
        let h = 3f64.sqrt() / 2.0;
        let v = radar_vertices(&[Some(5.0), Some(5.0), Some(3.0)], 1.0, 5.0);
        let expected = [(0.0, 1.0), (h, -0.5), (-0.5 * h, -0.25)];
        for (got, want) in v.iter().zip(expected) {
            let got = got.expect("present");
            assert!(
                (got.0 - want.0).abs() < 1e-15 && (got.1 - want.1).abs() < 1e-15,
                "{got:?} vs {want:?}"
            );
        }
        // n = 7, axis 2 at 90° - 720°/7 = -12.857142…°: (cos, sin) = (0.974927912181824, -0.222520933956314)
        let v = radar_vertices(&[None, None, Some(5.0), None, None, None, None], 1.0, 5.0);
        let (x, y) = v[2].expect("present");
        assert!(
            (x - 0.974_927_912_181_823_6).abs() < 1e-15
                && (y + 0.222_520_933_956_314_4).abs() < 1e-15
        );
        assert!(v.iter().enumerate().all(|(k, p)| (k == 2) == p.is_some()));
    }

    #[test]
    fn vertices_clamp_and_reject() {
        let v = radar_vertices(&[Some(9.0), Some(0.0), Some(f64::NAN), Some(3.0)], 1.0, 5.0);
        assert_eq!(
            v,
            vec![Some((0.0, 1.0)), Some((0.0, 0.0)), None, Some((-0.5, 0.0))]
        );
        assert_eq!(radar_vertices(&[Some(3.0); 3], 5.0, 5.0), vec![None; 3]);
        assert!(radar_vertices(&[], 1.0, 5.0).is_empty());
    }

    #[test]
    fn runs_leave_gaps() {
        let p = |x: f64| Some((x, 0.0));
        // all present: one closed line
        assert_eq!(runs(&[p(1.0), p(2.0), p(3.0)]).len(), 1);
        assert_eq!(runs(&[p(1.0), p(2.0), p(3.0)])[0].len(), 4);
        // gap at 1: run 2,3,0 across the wrap-around
        assert_eq!(
            runs(&[p(0.0), None, p(2.0), p(3.0)]),
            vec![vec![(2.0, 0.0), (3.0, 0.0), (0.0, 0.0)]]
        );
        // isolated points make no line
        assert!(runs(&[p(0.0), None, p(2.0), None]).is_empty());
    }
}
