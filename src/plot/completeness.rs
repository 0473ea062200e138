//! Completeness (seed 000's minimum content): per authority and theme, the share of
//! visits with a valid score for every indicator that applies to the visit.
//!
//! Input: [`CompletenessInput`], `share[authority][theme]` (computed upstream; a
//! non-finite share means "no visits" and leaves the cell blank). Output: [`Figure`]
//! `fig6_completeness`, a heat-table with themes as rows and authorities as columns, the
//! percentage printed in each cell and the cell tinted more strongly the more visits lack
//! a score (white at 100 %, full colour at 50 % and below).
//!
//! Method: the cells are laid out and drawn as a heat-table by [`super::table`]; the tint
//! is [`style::completeness_fill`] and the text colour [`style::text_on`] the tint.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::canvas::Canvas;
use super::style::{self, Label, Style};
use super::table::{TableCell, TableLayout, TableSpec};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// Input of [`completeness`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompletenessInput {
    /// Authority names (or anonymised names).
    pub authorities: Vec<String>,
    /// Theme names, in display order.
    pub themes: Vec<String>,
    /// `share[authority][theme]` in 0..=1; NaN for "no visits" (blank cell).
    pub share: Vec<Vec<f64>>,
}

/// Draws the completeness table (`fig6_completeness`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are no authorities or themes, the
/// share matrix does not match them, or a finite share is outside 0..=1;
/// [`crate::error::Error::Plot`] if drawing fails.
pub fn completeness(data: &CompletenessInput, options: PlotOptions) -> Result<Figure> {
    if data.authorities.is_empty() || data.themes.is_empty() {
        return Err(invalid(
            "authorities/themes",
            &format!("{} x {}", data.authorities.len(), data.themes.len()),
            "at least one authority and one theme",
        ));
    }
    if data.share.len() != data.authorities.len()
        || data.share.iter().any(|r| r.len() != data.themes.len())
    {
        return Err(invalid(
            "share",
            &format!("{} rows", data.share.len()),
            "one row per authority with one share per theme",
        ));
    }
    if let Some(bad) = data
        .share
        .iter()
        .flatten()
        .find(|s| s.is_finite() && !(0.0..=1.0).contains(*s) || s.is_infinite())
    {
        return Err(invalid(
            "share",
            bad,
            "a share in 0..=1 (or NaN for no visits)",
        ));
    }
    render(&Completeness::new(data, options.lang), options)
}

struct Completeness {
    spec: TableSpec,
    layout: TableLayout,
}

impl Completeness {
    fn new(data: &CompletenessInput, lang: Lang) -> Self {
        let cells = (0..data.themes.len())
            .map(|t| {
                data.share
                    .iter()
                    .map(|row| match row.get(t) {
                        Some(&s) if s.is_finite() => {
                            let fill = style::completeness_fill(s);
                            TableCell {
                                fill: Some(fill),
                                lines: vec![style::format_percent(s, 1, lang)],
                                text: style::text_on(fill),
                                strong: false,
                            }
                        }
                        _ => TableCell::blank(),
                    })
                    .collect()
            })
            .collect();
        let spec = TableSpec {
            title: Label::CompletenessTitle.text(lang).to_owned(),
            row_axis: Label::Theme.text(lang).to_owned(),
            col_axis: Label::Authority.text(lang).to_owned(),
            rows: data.themes.clone(),
            cols: data.authorities.clone(),
            cells,
            cell_lines: 1,
            min_cell_width: 104.0,
            notes: vec![Label::CompletenessNote.text(lang).to_owned()],
            right_panel: 0.0,
            right_panel_height: 0.0,
        };
        let layout = TableLayout::new(&spec);
        Self { spec, layout }
    }
}

impl Drawing for Completeness {
    fn name(&self) -> &str {
        "fig6_completeness"
    }

    fn size(&self) -> (u32, u32) {
        self.layout.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = Canvas::new(root, s);
        self.layout.draw(&c, &self.spec)
    }
}
