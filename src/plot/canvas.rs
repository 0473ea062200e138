//! The drawing layer shared by the figures: rectangles, solid and dashed lines, polygons,
//! dots, text, titles, notes and legends, drawn from logical coordinates (pixels at 96
//! dpi, origin top left), plus the label wrapping the layouts use.
//!
//! Method: figures lay themselves out in logical units once, then draw through a
//! [`Canvas`], which turns every logical length into the backend's integer coordinates
//! with [`Style`] (the renderer draws on the SVG backend; the PNG is that SVG
//! rasterised). Text is measured in the embedded font ([`style::text_width`]) for legends
//! and wrapping.

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};

use super::DrawResult;
use super::style::{self, Style, TextRole, size};

/// A logical point `(x, y)`.
pub type Point = (f64, f64);

/// Drawing primitives in logical coordinates on one backend.
pub struct Canvas<'a, DB: DrawingBackend> {
    root: &'a DrawingArea<DB, Shift>,
    style: Style,
}

impl<'a, DB: DrawingBackend> Canvas<'a, DB> {
    /// A canvas over the whole `root` area.
    pub(crate) fn new(root: &'a DrawingArea<DB, Shift>, style: Style) -> Self {
        Self { root, style }
    }

    /// The sub-area covering the logical rectangle `(x, y)`–`(x + w, y + h)`, for
    /// plotters charts.
    pub(crate) fn area(&self, x: f64, y: f64, w: f64, h: f64) -> DrawingArea<DB, Shift> {
        let (px, py) = self.style.pt(x, y);
        let pw = u32::try_from(self.style.px(w)).unwrap_or(1).max(1);
        let ph = u32::try_from(self.style.px(h)).unwrap_or(1).max(1);
        self.root.clone().shrink((px, py), (pw, ph))
    }

    /// A filled rectangle.
    pub(crate) fn rect(&self, x0: f64, y0: f64, x1: f64, y1: f64, fill: RGBColor) -> DrawResult {
        let el = Rectangle::new(
            [self.style.pt(x0, y0), self.style.pt(x1, y1)],
            fill.filled(),
        );
        self.root.draw(&el)?;
        Ok(())
    }

    /// A rectangle outline.
    pub(crate) fn rect_outline(
        &self,
        (x0, y0): Point,
        (x1, y1): Point,
        colour: RGBColor,
        width: f64,
    ) -> DrawResult {
        let el = Rectangle::new(
            [self.style.pt(x0, y0), self.style.pt(x1, y1)],
            self.style.line(colour, width),
        );
        self.root.draw(&el)?;
        Ok(())
    }

    /// A solid polyline.
    pub(crate) fn line(&self, points: &[Point], colour: RGBColor, width: f64) -> DrawResult {
        let pts: Vec<(i32, i32)> = points.iter().map(|&(x, y)| self.style.pt(x, y)).collect();
        self.root
            .draw(&PathElement::new(pts, self.style.line(colour, width)))?;
        Ok(())
    }

    /// A dashed polyline.
    pub(crate) fn dashed(&self, points: &[Point], colour: RGBColor, width: f64) -> DrawResult {
        let pts: Vec<(i32, i32)> = points.iter().map(|&(x, y)| self.style.pt(x, y)).collect();
        let el = DashedPathElement::new(
            pts,
            self.style.px(size::DASH),
            self.style.px(size::DASH_GAP),
            self.style.line(colour, width),
        );
        self.root.draw(&el)?;
        Ok(())
    }

    /// A filled polygon with opacity `alpha`.
    pub(crate) fn polygon(&self, points: &[Point], colour: RGBColor, alpha: f64) -> DrawResult {
        let pts: Vec<(i32, i32)> = points.iter().map(|&(x, y)| self.style.pt(x, y)).collect();
        self.root
            .draw(&Polygon::new(pts, colour.mix(alpha).filled()))?;
        Ok(())
    }

    /// A filled circle of logical radius `r`.
    pub(crate) fn dot(&self, (x, y): Point, r: f64, colour: RGBColor) -> DrawResult {
        let el = Circle::new(
            self.style.pt(x, y),
            self.style.px(r).max(1),
            colour.filled(),
        );
        self.root.draw(&el)?;
        Ok(())
    }

    /// One line of text anchored at `(x, y)`.
    pub(crate) fn text(
        &self,
        s: &str,
        (x, y): Point,
        role: TextRole,
        colour: RGBColor,
        (h, v): (HPos, VPos),
    ) -> DrawResult {
        if s.is_empty() {
            return Ok(());
        }
        let ts = self.style.text(role, colour, h, v);
        self.root
            .draw(&Text::new(s.to_owned(), self.style.pt(x, y), ts))?;
        Ok(())
    }

    /// Several lines of text, `line_height` apart, the block vertically centred on `y`.
    pub(crate) fn text_lines(
        &self,
        lines: &[String],
        (x, y): Point,
        role: TextRole,
        colour: RGBColor,
        h: HPos,
        line_height: f64,
    ) -> DrawResult {
        // A handful of lines: every count below is exact as f64.
        let n = lines.len() as f64;
        let top = y - line_height * (n - 1.0) / 2.0;
        for (i, line) in lines.iter().enumerate() {
            let yi = top + line_height * i as f64;
            self.text(line, (x, yi), role, colour, (h, VPos::Center))?;
        }
        Ok(())
    }

    /// The figure title, centred at the top.
    pub(crate) fn title(&self, s: &str, width: f64) -> DrawResult {
        self.text(
            s,
            (width / 2.0, size::MARGIN + size::TITLE_HEIGHT / 2.0 - 4.0),
            TextRole::Title,
            style::TEXT,
            (HPos::Center, VPos::Center),
        )
    }

    /// Note lines, left-aligned, starting at logical `y` (top of the first line).
    pub(crate) fn notes(&self, notes: &[String], x: f64, y: f64) -> DrawResult {
        for (i, note) in notes.iter().enumerate() {
            let yi = y + size::NOTE_LINE * (i as f64 + 0.5);
            self.text(
                note,
                (x, yi),
                TextRole::Note,
                style::MUTED_TEXT,
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }

    /// A vertical legend with its top-left corner at `(x, y)`.
    pub(crate) fn legend(&self, entries: &[LegendEntry], x: f64, y: f64) -> DrawResult {
        for (i, entry) in entries.iter().enumerate() {
            let cy = y + size::LEGEND_LINE * (i as f64 + 0.5);
            let sx = x + size::SWATCH + 2.0;
            match entry.mark {
                LegendMark::Swatch(colour) => {
                    self.rect(x, cy - 6.0, x + size::SWATCH, cy + 6.0, colour)?;
                }
                LegendMark::Line {
                    colour,
                    width,
                    dashed,
                } => {
                    let pts = [(x - 6.0, cy), (sx, cy)];
                    if dashed {
                        self.dashed(&pts, colour, width)?;
                    } else {
                        self.line(&pts, colour, width)?;
                    }
                }
            }
            self.text(
                &entry.label,
                (sx + 8.0, cy),
                TextRole::Legend,
                style::TEXT,
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LegendMark {
    /// A filled square (bars).
    Swatch(RGBColor),
    /// A line sample (curves, radar series).
    Line {
        /// Line colour.
        colour: RGBColor,
        /// Logical line width.
        width: f64,
        /// Dashed rather than solid.
        dashed: bool,
    },
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text after the mark.
    pub label: String,
    /// The mark.
    pub mark: LegendMark,
}

/// Logical width a legend needs.
#[must_use]
pub fn legend_width(entries: &[LegendEntry]) -> f64 {
    let text = entries
        .iter()
        .map(|e| style::text_width(&e.label, TextRole::Legend))
        .fold(0.0, f64::max);
    size::SWATCH + 18.0 + text
}

/// Logical height a legend needs.
#[must_use]
pub fn legend_height(entries: &[LegendEntry]) -> f64 {
    let n = entries.len() as f64;
    size::LEGEND_LINE * n
}

/// Splits `text` into at most `max_lines` lines no wider than `max_width` where possible,
/// breaking at spaces (and after hyphens); a single word wider than `max_width` stays on
/// its own line. Text that fits is returned as one line.
#[must_use]
pub fn wrap(text: &str, role: TextRole, max_width: f64, max_lines: usize) -> Vec<String> {
    if style::text_width(text, role) <= max_width || max_lines <= 1 {
        return vec![text.to_owned()];
    }
    // Greedy fill, then if more than max_lines, merge the tail into the last line.
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let mut lines: Vec<String> = Vec::new();
    for word in words {
        match lines.last_mut() {
            Some(last) if style::text_width(&format!("{last} {word}"), role) <= max_width => {
                last.push(' ');
                last.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    if lines.len() > max_lines {
        let tail = lines.split_off(max_lines - 1).join(" ");
        lines.push(tail);
    }
    lines
}

/// Splits `text` at the space that makes the widest of the two lines narrowest; text
/// without a space stays one line.
#[must_use]
pub fn wrap_balanced(text: &str, role: TextRole) -> Vec<String> {
    let best = text
        .match_indices(' ')
        .map(|(i, _)| {
            let (a, b) = (&text[..i], &text[i + 1..]);
            let w = style::text_width(a, role).max(style::text_width(b, role));
            (w, a, b)
        })
        .min_by(|x, y| x.0.total_cmp(&y.0));
    match best {
        Some((_, a, b)) => vec![a.to_owned(), b.to_owned()],
        None => vec![text.to_owned()],
    }
}

/// Widest line of `lines` in logical pixels.
#[must_use]
pub fn max_width(lines: &[String], role: TextRole) -> f64 {
    lines
        .iter()
        .map(|l| style::text_width(l, role))
        .fold(0.0, f64::max)
}
