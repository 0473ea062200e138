//! LOS figure 2: the distribution of the overall score per authority.
//!
//! Input: [`DistributionInput`]: the KDE grid, the histogram bin edges, and per authority
//! the histogram densities, the KDE evaluated on the grid (from `stats::kde`; drawn, never
//! recomputed) and the mean. Output: [`Figure`] in one of two [`Layout`]s:
//!
//! - [`Layout::SmallMultiples`] (`fig2_overall_distribution`): one panel per authority,
//!   stacked on a shared x axis (1–5) and a shared y scale: histogram bars in a light tint
//!   of the authority's colour, the KDE curve in its colour, a dashed vertical line at the
//!   mean. An authority without a KDE shows the histogram only.
//! - [`Layout::Overlay`] (`fig2_overall_distribution_overlay`): all KDE curves in one
//!   panel, each mean marked by a dashed line from the axis up to its curve and a dot; an
//!   authority without a KDE is drawn as the histogram's step outline (noted under the
//!   figure). Legend right of the plot with name and mean.
//!
//! Method: each panel is a plotters chart on the x range 1–5 (widened to the bin edges)
//! and a y range 8 % above the highest density drawn; bars, curves and mean marks are
//! drawn in input order, the histogram from its bin edges (never plotters' `Histogram`).

use plotters::chart::ChartBuilder;
use plotters::coord::Shift;
use plotters::element::{Circle, Rectangle};
use plotters::prelude::{Color, DrawingArea, DrawingBackend};
use plotters::series::{DashedLineSeries, LineSeries};
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{self, Canvas, LegendEntry, LegendMark};
use super::style::{self, Label, Style, TextRole, size};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// Which variant of figure 2 to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One panel per authority (histogram, KDE, mean line).
    #[default]
    SmallMultiples,
    /// All KDE curves in one panel with mean marks.
    Overlay,
}

/// One authority's overall-score distribution, precomputed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthorityDistribution {
    /// Authority name (or anonymised name).
    pub name: String,
    /// Histogram density per bin (`edges.len() - 1` values, area 1 over the bins).
    pub histogram_density: Vec<f64>,
    /// KDE evaluated on [`DistributionInput::grid`], if computed.
    pub kde: Option<Vec<f64>>,
    /// Mean overall score.
    pub mean: f64,
}

/// Input of [`overall_distribution`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistributionInput {
    /// KDE evaluation points, strictly increasing (default: 512 points on 1..=5).
    pub grid: Vec<f64>,
    /// Histogram bin edges, strictly increasing.
    pub edges: Vec<f64>,
    /// One entry per authority, in colour order.
    pub authorities: Vec<AuthorityDistribution>,
}

/// Draws LOS figure 2 in `layout`.
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are no authorities, the grid or
/// the edges are not strictly increasing finite values, a histogram does not have one
/// value per bin, a KDE does not have one value per grid point, or a value is negative
/// or not finite; [`crate::error::Error::Plot`] if drawing fails.
pub fn overall_distribution(
    data: &DistributionInput,
    layout: Layout,
    options: PlotOptions,
) -> Result<Figure> {
    validate(data)?;
    render(&Distribution::new(data, layout, options.lang), options)
}

fn increasing(v: &[f64]) -> bool {
    v.len() >= 2 && v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] < w[1])
}

fn non_negative(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite() && *x >= 0.0)
}

fn validate(data: &DistributionInput) -> Result<()> {
    if data.authorities.is_empty() {
        return Err(invalid("authorities", &"[]", "at least one authority"));
    }
    if !increasing(&data.grid) {
        return Err(invalid(
            "grid",
            &format!("{} points", data.grid.len()),
            "at least 2 strictly increasing finite points",
        ));
    }
    if !increasing(&data.edges) {
        return Err(invalid(
            "edges",
            &format!("{} edges", data.edges.len()),
            "at least 2 strictly increasing finite edges",
        ));
    }
    for a in &data.authorities {
        if a.histogram_density.len() + 1 != data.edges.len() || !non_negative(&a.histogram_density)
        {
            return Err(invalid(
                "histogram_density",
                &format!(
                    "{}: {} values for {} bins",
                    a.name,
                    a.histogram_density.len(),
                    data.edges.len() - 1
                ),
                "one finite non-negative density per bin",
            ));
        }
        if let Some(kde) = &a.kde
            && (kde.len() != data.grid.len() || !non_negative(kde))
        {
            return Err(invalid(
                "kde",
                &format!(
                    "{}: {} values for {} grid points",
                    a.name,
                    kde.len(),
                    data.grid.len()
                ),
                "one finite non-negative density per grid point",
            ));
        }
        if !a.mean.is_finite() {
            return Err(invalid(
                "mean",
                &format!("{}: {}", a.name, a.mean),
                "a finite mean",
            ));
        }
    }
    Ok(())
}

const CHART_WIDTH: f64 = 760.0;
const PANEL_TITLE: f64 = 24.0;
const PANEL_CHART: f64 = 132.0;
const X_TICKS: f64 = 28.0;
const X_DESC: f64 = 28.0;
const Y_LABELS: f64 = 78.0;
const OVERLAY_HEIGHT: f64 = 440.0;

struct Distribution<'a> {
    data: &'a DistributionInput,
    layout: Layout,
    lang: Lang,
    x_range: (f64, f64),
    y_max: f64,
    legend: Vec<LegendEntry>,
    notes: Vec<String>,
    width: f64,
    height: f64,
}

impl<'a> Distribution<'a> {
    fn new(data: &'a DistributionInput, layout: Layout, lang: Lang) -> Self {
        let first = data.edges.first().copied().unwrap_or(1.0);
        let last = data.edges.last().copied().unwrap_or(5.0);
        let x_range = (first.min(1.0), last.max(5.0));
        let hist_max = data
            .authorities
            .iter()
            .flat_map(|a| a.histogram_density.iter())
            .copied()
            .fold(0.0, f64::max);
        let kde_max = data
            .authorities
            .iter()
            .filter_map(|a| a.kde.as_ref())
            .flatten()
            .copied()
            .fold(0.0, f64::max);
        let y_top = match layout {
            Layout::SmallMultiples => hist_max.max(kde_max),
            Layout::Overlay => data
                .authorities
                .iter()
                .map(|a| match &a.kde {
                    Some(k) => k.iter().copied().fold(0.0, f64::max),
                    None => a.histogram_density.iter().copied().fold(0.0, f64::max),
                })
                .fold(0.0, f64::max),
        };
        let y_max = if y_top > 0.0 { y_top * 1.08 } else { 1.0 };
        let mut notes = vec![Label::MeanLineNote.text(lang).to_owned()];
        let legend: Vec<LegendEntry> = data
            .authorities
            .iter()
            .enumerate()
            .map(|(i, a)| LegendEntry {
                label: format!(
                    "{} ({} {})",
                    a.name,
                    Label::MeanAbbrev.text(lang),
                    style::format_number(a.mean, 2, lang)
                ),
                mark: LegendMark::Line {
                    colour: style::series_colour(i),
                    width: size::LINE + 1.0,
                    dashed: false,
                },
            })
            .collect();
        let (width, height) = match layout {
            Layout::SmallMultiples => {
                let n = data.authorities.len() as f64;
                let h = size::MARGIN
                    + size::TITLE_HEIGHT
                    + n * (PANEL_TITLE + PANEL_CHART + X_TICKS)
                    + X_DESC
                    + 8.0
                    + size::NOTE_LINE
                    + size::MARGIN;
                (CHART_WIDTH + 2.0 * size::MARGIN, h)
            }
            Layout::Overlay => {
                if data.authorities.iter().any(|a| a.kde.is_none()) {
                    notes.push(Label::KdeMissingNote.text(lang).to_owned());
                }
                let h = size::MARGIN
                    + size::TITLE_HEIGHT
                    + OVERLAY_HEIGHT
                    + 8.0
                    + notes.len() as f64 * size::NOTE_LINE
                    + size::MARGIN;
                let w = size::MARGIN
                    + CHART_WIDTH
                    + 24.0
                    + canvas::legend_width(&legend)
                    + size::MARGIN;
                (w, h)
            }
        };
        let title_w = style::text_width(Label::DistributionTitle.text(lang), TextRole::Title);
        Self {
            data,
            layout,
            lang,
            x_range,
            y_max,
            legend,
            notes,
            width: width.max(title_w + 2.0 * size::MARGIN).ceil(),
            height: height.ceil(),
        }
    }

    /// One chart on `area`: mesh, then `draw_data` on the chart.
    fn mesh<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Style,
        x_label_area: f64,
        x_desc: bool,
    ) -> std::result::Result<
        plotters::chart::ChartContext<
            '_,
            DB,
            plotters::coord::cartesian::Cartesian2d<
                plotters::coord::types::RangedCoordf64,
                plotters::coord::types::RangedCoordf64,
            >,
        >,
        super::DrawError,
    > {
        let lang = self.lang;
        let mut chart = ChartBuilder::on(area)
            .margin_right(s.px(12.0))
            .margin_top(s.px(4.0))
            .x_label_area_size(s.px(x_label_area))
            .y_label_area_size(s.px(Y_LABELS))
            .build_cartesian_2d(self.x_range.0..self.x_range.1, 0.0..self.y_max)?;
        let x_fmt = |v: &f64| {
            let decimals = usize::from((v - v.round()).abs() > 1e-9);
            style::format_number(*v, decimals, lang)
        };
        let y_fmt = |v: &f64| style::format_number(*v, 1, lang);
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(9)
            .x_label_formatter(&x_fmt)
            .y_labels(4)
            .y_label_formatter(&y_fmt)
            .max_light_lines(0)
            .y_desc(Label::Density.text(lang))
            .label_style(s.text(TextRole::Tick, style::TEXT, HPos::Center, VPos::Center))
            .axis_desc_style(s.text(TextRole::AxisTitle, style::TEXT, HPos::Center, VPos::Center))
            .bold_line_style(s.line(style::mix(style::GRID, style::BACKGROUND, 0.4), size::THIN))
            .axis_style(s.line(style::AXIS, size::THIN))
            .set_all_tick_mark_size(s.px(4.0));
        if x_desc {
            mesh.x_desc(Label::OverallScore.text(lang));
        }
        mesh.draw()?;
        Ok(chart)
    }

    fn draw_small_multiples<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>, s: Style) -> DrawResult {
        let lang = self.lang;
        let n = self.data.authorities.len();
        let mut y = size::MARGIN + size::TITLE_HEIGHT;
        for (i, a) in self.data.authorities.iter().enumerate() {
            let colour = style::series_colour(i);
            let last = i + 1 == n;
            let title = format!(
                "{}  ({} {})",
                a.name,
                Label::MeanAbbrev.text(lang),
                style::format_number(a.mean, 2, lang)
            );
            c.text(
                &title,
                (size::MARGIN + Y_LABELS, y + PANEL_TITLE / 2.0 + 2.0),
                TextRole::Panel,
                style::TEXT,
                (HPos::Left, VPos::Center),
            )?;
            let x_area = if last { X_TICKS + X_DESC } else { X_TICKS };
            let area = c.area(
                size::MARGIN,
                y + PANEL_TITLE,
                CHART_WIDTH,
                PANEL_CHART + x_area,
            );
            let mut chart = self.mesh(&area, s, x_area, last)?;
            let tint = style::mix(colour, style::BACKGROUND, 0.6);
            // Bar extents once; filled first, then outlined (same order as before).
            let bars: Vec<[(f64, f64); 2]> = a
                .histogram_density
                .iter()
                .enumerate()
                .filter_map(|(k, &d)| {
                    let (x0, x1) = (self.data.edges.get(k)?, self.data.edges.get(k + 1)?);
                    Some([(*x0, 0.0), (*x1, d)])
                })
                .collect();
            chart.draw_series(bars.iter().map(|b| Rectangle::new(*b, tint.filled())))?;
            chart.draw_series(
                bars.iter()
                    .map(|b| Rectangle::new(*b, s.line(style::BACKGROUND, size::THIN))),
            )?;
            if let Some(kde) = &a.kde {
                chart.draw_series(LineSeries::new(
                    self.data.grid.iter().copied().zip(kde.iter().copied()),
                    s.line(colour, size::LINE),
                ))?;
            }
            chart.draw_series(DashedLineSeries::new(
                [(a.mean, 0.0), (a.mean, self.y_max)],
                s.px(size::DASH),
                s.px(size::DASH_GAP),
                s.line(style::MEAN_LINE, size::LINE * 0.75),
            ))?;
            y += PANEL_TITLE + PANEL_CHART + X_TICKS;
        }
        c.notes(&self.notes, size::MARGIN + Y_LABELS, y + X_DESC + 8.0)
    }

    fn draw_overlay<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>, s: Style) -> DrawResult {
        let top = size::MARGIN + size::TITLE_HEIGHT;
        let area = c.area(size::MARGIN, top, CHART_WIDTH, OVERLAY_HEIGHT);
        let mut chart = self.mesh(&area, s, X_TICKS + X_DESC, true)?;
        for (i, a) in self.data.authorities.iter().enumerate() {
            let colour = style::series_colour(i);
            let height_at_mean = match &a.kde {
                Some(kde) => {
                    chart.draw_series(LineSeries::new(
                        self.data.grid.iter().copied().zip(kde.iter().copied()),
                        s.line(colour, size::LINE + 0.5),
                    ))?;
                    interpolate(&self.data.grid, kde, a.mean)
                }
                None => {
                    chart.draw_series(LineSeries::new(
                        step_outline(&self.data.edges, &a.histogram_density),
                        s.line(colour, size::LINE),
                    ))?;
                    bin_value(&self.data.edges, &a.histogram_density, a.mean)
                }
            };
            chart.draw_series(DashedLineSeries::new(
                [(a.mean, 0.0), (a.mean, height_at_mean)],
                s.px(size::DASH),
                s.px(size::DASH_GAP),
                s.line(colour, size::LINE * 0.75),
            ))?;
            chart.draw_series(std::iter::once(Circle::new(
                (a.mean, height_at_mean),
                s.px(4.0),
                colour.filled(),
            )))?;
        }
        c.legend(&self.legend, size::MARGIN + CHART_WIDTH + 24.0, top + 16.0)?;
        c.notes(
            &self.notes,
            size::MARGIN + Y_LABELS,
            top + OVERLAY_HEIGHT + 8.0,
        )
    }
}

/// Linear interpolation of `ys` over `xs` at `x` (clamped to the ends).
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let k = xs.partition_point(|&g| g < x);
    match (
        k.checked_sub(1).and_then(|j| xs.get(j).zip(ys.get(j))),
        xs.get(k).zip(ys.get(k)),
    ) {
        (Some((&x0, &y0)), Some((&x1, &y1))) => y0 + (y1 - y0) * (x - x0) / (x1 - x0),
        (None, Some((_, &y))) | (Some((_, &y)), None) => y,
        (None, None) => 0.0,
    }
}

/// The histogram value of the bin containing `x` (0 below the first edge, the last bin
/// at and beyond the last edge).
fn bin_value(edges: &[f64], density: &[f64], x: f64) -> f64 {
    let k = edges.partition_point(|&e| e <= x).min(density.len());
    k.checked_sub(1)
        .and_then(|j| density.get(j))
        .copied()
        .unwrap_or(0.0)
}

/// The outline of a histogram as a polyline from the first edge to the last.
fn step_outline(edges: &[f64], density: &[f64]) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(2 * density.len() + 2);
    if let Some(&first) = edges.first() {
        pts.push((first, 0.0));
    }
    for (k, &d) in density.iter().enumerate() {
        if let (Some(&x0), Some(&x1)) = (edges.get(k), edges.get(k + 1)) {
            pts.push((x0, d));
            pts.push((x1, d));
        }
    }
    if let Some(&last) = edges.last() {
        pts.push((last, 0.0));
    }
    pts
}

impl Drawing for Distribution<'_> {
    fn name(&self) -> &str {
        match self.layout {
            Layout::SmallMultiples => "fig2_overall_distribution",
            Layout::Overlay => "fig2_overall_distribution_overlay",
        }
    }

    fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        c.title(Label::DistributionTitle.text(self.lang), self.width)?;
        match self.layout {
            Layout::SmallMultiples => self.draw_small_multiples(&c, s),
            Layout::Overlay => self.draw_overlay(&c, s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(interpolate(&[1.0, 2.0, 3.0], &[0.0, 1.0, 3.0], 2.5), 2.0);
        assert_eq!(interpolate(&[1.0, 2.0], &[5.0, 7.0], 0.0), 5.0);
        assert_eq!(interpolate(&[1.0, 2.0], &[5.0, 7.0], 9.0), 7.0);
        assert_eq!(bin_value(&[1.0, 2.0, 3.0], &[0.25, 0.75], 2.0), 0.75);
        assert_eq!(bin_value(&[1.0, 2.0, 3.0], &[0.25, 0.75], 0.5), 0.0);
        assert_eq!(bin_value(&[1.0, 2.0, 3.0], &[0.25, 0.75], 3.0), 0.75);
        assert_eq!(
            step_outline(&[1.0, 2.0, 3.0], &[0.5, 0.25]),
            vec![
                (1.0, 0.0),
                (1.0, 0.5),
                (2.0, 0.5),
                (2.0, 0.25),
                (3.0, 0.25),
                (3.0, 0.0)
            ]
        );
    }
}
