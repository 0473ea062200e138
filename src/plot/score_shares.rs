//! LOS figure 1: the share of each score 1–5 per authority, as grouped bars.
//!
//! Input: [`ScoreSharesInput`] (the caller copies `score_share` per authority from the
//! analysis); output: [`Figure`] `fig1_score_shares`. x = score 1..5, one bar per
//! authority within each score, coloured by the authority's position
//! ([`style::series_colour`]); y = share of the authority's ratings, shown in percent;
//! legend right of the plot, outside the data.
//!
//! Method: a plotters chart on x 0.5–5.5; the bars of one score share a group 0.8 wide,
//! and the y axis ends at the next 10 % above the tallest bar (at most 100 %).

use plotters::chart::ChartBuilder;
use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{Color, DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{self, Canvas, LegendEntry, LegendMark};
use super::style::{self, Label, Style, TextRole, size};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// Input of [`score_shares`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreSharesInput {
    /// Authority names (or anonymised names), in the order that fixes their colours.
    pub authorities: Vec<String>,
    /// Per authority, the share (0–1) of its ratings that are 1, 2, 3, 4, 5.
    pub shares: Vec<[f64; 5]>,
}

/// Draws LOS figure 1 (`fig1_score_shares`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are no authorities, the number of
/// share rows differs from the number of authorities, or a share is not in 0..=1;
/// [`crate::error::Error::Plot`] if drawing fails.
pub fn score_shares(data: &ScoreSharesInput, options: PlotOptions) -> Result<Figure> {
    if data.authorities.is_empty() {
        return Err(invalid("authorities", &"[]", "at least one authority"));
    }
    if data.shares.len() != data.authorities.len() {
        return Err(invalid(
            "shares",
            &format!(
                "{} rows for {} authorities",
                data.shares.len(),
                data.authorities.len()
            ),
            "one row of five shares per authority",
        ));
    }
    for row in &data.shares {
        if let Some(bad) = row.iter().find(|s| !(0.0..=1.0 + 1e-9).contains(*s)) {
            return Err(invalid("shares", bad, "shares between 0 and 1"));
        }
    }
    render(&ScoreShares::new(data, options.lang), options)
}

const HEIGHT: f64 = 520.0;
const CHART_WIDTH: f64 = 760.0;

struct ScoreShares<'a> {
    data: &'a ScoreSharesInput,
    lang: Lang,
    legend: Vec<LegendEntry>,
    width: f64,
    y_max: f64,
}

impl<'a> ScoreShares<'a> {
    fn new(data: &'a ScoreSharesInput, lang: Lang) -> Self {
        let legend: Vec<LegendEntry> = data
            .authorities
            .iter()
            .enumerate()
            .map(|(i, name)| LegendEntry {
                label: name.clone(),
                mark: LegendMark::Swatch(style::series_colour(i)),
            })
            .collect();
        let width =
            (size::MARGIN + CHART_WIDTH + 24.0 + canvas::legend_width(&legend) + size::MARGIN)
                .max(
                    style::text_width(Label::ScoreSharesTitle.text(lang), TextRole::Title)
                        + 2.0 * size::MARGIN,
                )
                .ceil();
        let max = data
            .shares
            .iter()
            .flatten()
            .copied()
            .fold(0.0_f64, f64::max);
        // Next 10 % above the tallest bar (with a little headroom), at most 100 %.
        let y_max = ((max * 1.05 * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
        Self {
            data,
            lang,
            legend,
            width,
            y_max,
        }
    }
}

impl Drawing for ScoreShares<'_> {
    fn name(&self) -> &str {
        "fig1_score_shares"
    }

    fn size(&self) -> (u32, u32) {
        (self.width as u32, HEIGHT as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        let lang = self.lang;
        c.title(Label::ScoreSharesTitle.text(lang), self.width)?;
        let top = size::MARGIN + size::TITLE_HEIGHT;
        let area = c.area(size::MARGIN, top, CHART_WIDTH, HEIGHT - top - size::MARGIN);
        let mut chart = ChartBuilder::on(&area)
            .margin(s.px(8.0))
            .x_label_area_size(s.px(54.0))
            .y_label_area_size(s.px(76.0))
            .build_cartesian_2d(0.5_f64..5.5_f64, 0.0_f64..self.y_max)?;
        let percent = |v: &f64| style::format_percent(*v, 0, lang);
        let score = |v: &f64| {
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                format!("{r:.0}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(5)
            .x_label_formatter(&score)
            .y_labels(6)
            .y_label_formatter(&percent)
            .y_max_light_lines(1)
            .x_desc(Label::ScoreAxis.text(lang))
            .y_desc(Label::ShareOfRatings.text(lang))
            .label_style(s.text(TextRole::Tick, style::TEXT, HPos::Center, VPos::Center))
            .axis_desc_style(s.text(TextRole::AxisTitle, style::TEXT, HPos::Center, VPos::Center))
            .bold_line_style(s.line(style::GRID, size::THIN))
            .light_line_style(s.line(style::mix(style::GRID, style::BACKGROUND, 0.6), size::THIN))
            .axis_style(s.line(style::AXIS, size::THIN))
            .set_all_tick_mark_size(s.px(5.0))
            .draw()?;

        let n = self.data.authorities.len() as f64;
        let group = 0.8;
        let bar = group / n;
        for (i, row) in self.data.shares.iter().enumerate() {
            let colour = style::series_colour(i);
            let offset = -group / 2.0 + bar * i as f64;
            chart.draw_series((1..=5).zip(row.iter()).map(|(k, &share)| {
                let x0 = f64::from(k) + offset + bar * 0.06;
                let x1 = f64::from(k) + offset + bar * 0.94;
                Rectangle::new([(x0, 0.0), (x1, share)], colour.filled())
            }))?;
        }
        c.legend(&self.legend, size::MARGIN + CHART_WIDTH + 24.0, top + 16.0)
    }
}
