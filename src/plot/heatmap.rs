//! LOS figure 3: deviation of each authority's mean score from the national mean, per
//! indicator.
//!
//! Input: [`HeatmapInput`], cells indexed `[indicator][authority]`, each the deviation
//! (authority mean − national mean, from `stats::deviation`) and whether it survives the
//! Benjamini–Hochberg FDR correction. Output: [`Figure`] `fig3_deviation_heatmap`.
//!
//! Rows are indicators, columns authorities. Cell colour: ColorBrewer RdBu centred on 0
//! on the symmetric scale `[-limit, limit]` (limit = the given one, or the largest
//! |deviation|); the value is printed with sign and 2 decimals. Significant cells have
//! full colour and bold text; the others are muted (70 % towards grey) with grey text.
//! Missing cells are blank (the `compare` figure also leaves blank the cells that have no
//! test: one rating on a side, or no other authority). A colour bar on the right shows the
//! scale.
//!
//! Method: the cells are laid out and drawn as a heat-table by [`super::table`]; the
//! colour bar is drawn in the table's right panel as 64 steps of the same colour map.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{self, Canvas};
use super::style::{self, Label, Style, TextRole, size};
use super::table::{TableCell, TableLayout, TableSpec};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// One indicator × authority cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatCell {
    /// Authority mean minus national mean.
    pub deviation: f64,
    /// Significant after the FDR correction.
    pub significant: bool,
}

/// Input of [`deviation_heatmap`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatmapInput {
    /// Row labels, e.g. "1.a" … "14.c", in display order.
    pub indicators: Vec<String>,
    /// Column labels: authority names (or anonymised names).
    pub authorities: Vec<String>,
    /// `cells[indicator][authority]`; `None` for no ratings, or none to test.
    pub cells: Vec<Vec<Option<HeatCell>>>,
    /// Colour scale limit; `None` for the largest |deviation|.
    pub limit: Option<f64>,
}

/// Draws LOS figure 3 (`fig3_deviation_heatmap`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are no indicators or authorities,
/// the cell matrix does not match them, a deviation is not finite, or `limit` is not a
/// positive finite number; [`crate::error::Error::Plot`] if drawing fails.
pub fn deviation_heatmap(data: &HeatmapInput, options: PlotOptions) -> Result<Figure> {
    if data.indicators.is_empty() || data.authorities.is_empty() {
        return Err(invalid(
            "indicators/authorities",
            &format!("{} x {}", data.indicators.len(), data.authorities.len()),
            "at least one indicator and one authority",
        ));
    }
    if data.cells.len() != data.indicators.len()
        || data.cells.iter().any(|r| r.len() != data.authorities.len())
    {
        return Err(invalid(
            "cells",
            &format!("{} rows", data.cells.len()),
            "one row per indicator with one cell per authority",
        ));
    }
    if let Some(bad) = data
        .cells
        .iter()
        .flatten()
        .flatten()
        .find(|c| !c.deviation.is_finite())
    {
        return Err(invalid("deviation", &bad.deviation, "a finite deviation"));
    }
    if let Some(limit) = data.limit
        && !(limit > 0.0 && limit.is_finite())
    {
        return Err(invalid(
            "limit",
            &limit,
            "a positive finite colour-scale limit",
        ));
    }
    render(&Heatmap::new(data, options.lang), options)
}

const BAR_WIDTH: f64 = 18.0;
const BAR_STEPS: u32 = 64;
const MAX_BAR_HEIGHT: f64 = 280.0;

struct Heatmap {
    spec: TableSpec,
    layout: TableLayout,
    limit: f64,
    lang: Lang,
    bar_title: Vec<String>,
}

impl Heatmap {
    fn new(data: &HeatmapInput, lang: Lang) -> Self {
        let max_abs = data
            .cells
            .iter()
            .flatten()
            .flatten()
            .map(|c| c.deviation.abs())
            .fold(0.0, f64::max);
        let limit = data
            .limit
            .unwrap_or(if max_abs > 0.0 { max_abs } else { 1.0 });
        let cells: Vec<Vec<TableCell>> = data
            .cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        None => TableCell::blank(),
                        Some(c) => {
                            let fill = style::diverging(c.deviation, limit);
                            let text = style::format_signed(c.deviation, 2, lang);
                            if c.significant {
                                TableCell {
                                    fill: Some(fill),
                                    lines: vec![text],
                                    text: style::text_on(fill),
                                    strong: true,
                                }
                            } else {
                                TableCell {
                                    fill: Some(style::muted(fill)),
                                    lines: vec![text],
                                    text: style::MUTED_TEXT,
                                    strong: false,
                                }
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let mut notes = vec![Label::DeviationNote.text(lang).to_owned()];
        if data.cells.iter().flatten().any(Option::is_none) {
            notes.push(Label::MissingCellNote.text(lang).to_owned());
        }
        let bar_title = canvas::wrap(Label::DeviationAxis.text(lang), TextRole::Tick, 130.0, 3);
        let tick_w = style::text_width(&style::format_signed(-limit, 2, lang), TextRole::Tick);
        let right_panel =
            (canvas::max_width(&bar_title, TextRole::Tick)).max(BAR_WIDTH + 8.0 + tick_w);
        let grid_h = data.indicators.len() as f64 * TableLayout::cell_height(1);
        let (bar_top, bar_height) = bar_geometry(grid_h, bar_title.len());
        let spec = TableSpec {
            title: Label::DeviationTitle.text(lang).to_owned(),
            row_axis: Label::Indicator.text(lang).to_owned(),
            col_axis: Label::Authority.text(lang).to_owned(),
            rows: data.indicators.clone(),
            cols: data.authorities.clone(),
            cells,
            cell_lines: 1,
            min_cell_width: 96.0,
            notes,
            right_panel,
            right_panel_height: bar_top + bar_height + 8.0,
        };
        let layout = TableLayout::new(&spec);
        Self {
            spec,
            layout,
            limit,
            lang,
            bar_title,
        }
    }

    fn colour_bar<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> DrawResult {
        let l = &self.layout;
        let grid_h = self.spec.rows.len() as f64 * l.cell_h;
        let title_h = self.bar_title.len() as f64 * size::HEADER_LINE;
        let (bar_top, height) = bar_geometry(grid_h, self.bar_title.len());
        let top = l.grid_y + bar_top;
        c.text_lines(
            &self.bar_title,
            (l.panel_x, l.grid_y + title_h / 2.0),
            TextRole::Tick,
            style::TEXT,
            HPos::Left,
            size::HEADER_LINE,
        )?;
        let x0 = l.panel_x;
        let x1 = x0 + BAR_WIDTH;
        for k in 0..BAR_STEPS {
            let (t0, t1) = (
                f64::from(k) / f64::from(BAR_STEPS),
                f64::from(k + 1) / f64::from(BAR_STEPS),
            );
            // top = +limit, bottom = -limit; colour at the step's centre
            let value = self.limit * (1.0 - (t0 + t1));
            c.rect(
                x0,
                top + t0 * height,
                x1,
                top + t1 * height,
                style::diverging(value, self.limit),
            )?;
        }
        c.rect_outline((x0, top), (x1, top + height), style::AXIS, size::THIN)?;
        for k in 0..=4 {
            let t = f64::from(k) / 4.0;
            let y = top + t * height;
            let value = self.limit * (1.0 - 2.0 * t);
            c.line(&[(x1, y), (x1 + 4.0, y)], style::AXIS, size::THIN)?;
            c.text(
                &style::format_signed(value, 2, self.lang),
                (x1 + 7.0, y),
                TextRole::Tick,
                style::TEXT,
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }
}

/// Colour bar top (relative to the top of the cells) and height, for a grid `grid_h`
/// tall and a bar title of `title_lines` lines.
fn bar_geometry(grid_h: f64, title_lines: usize) -> (f64, f64) {
    let top = title_lines as f64 * size::HEADER_LINE + 16.0;
    (top, (grid_h - top).clamp(120.0, MAX_BAR_HEIGHT))
}

impl Drawing for Heatmap {
    fn name(&self) -> &str {
        "fig3_deviation_heatmap"
    }

    fn size(&self) -> (u32, u32) {
        self.layout.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        self.layout.draw(&c, &self.spec)?;
        self.colour_bar(&c)
    }
}
