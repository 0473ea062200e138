//! Pairwise two-sample Kolmogorov–Smirnov tests of the overall score, as an
//! authority × authority matrix (LOS footnote 10, with losstat's multiple-testing
//! adjustment).
//!
//! Input: [`KsMatrixInput`], one [`KsPairCell`] per tested pair (from `stats::ks`, after
//! adjustment). Output: [`Figure`] `fig4_ks_matrix`. The matrix is symmetric: pair
//! (a, b) fills cells `[a][b]` and `[b][a]` with the adjusted p-value and D. Significant
//! pairs get an asterisk, bold text and a coloured cell; the diagonal is grey with a
//! dash; pairs not given are blank.
//!
//! Method: the cells are laid out and drawn as a heat-table by [`super::table`].

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::style::{self, Label, Style};
use super::table::{TableCell, TableLayout, TableSpec};
use super::{DrawResult, Drawing, Figure, Lang, PlotOptions, invalid, render};
use crate::error::Result;

/// One tested pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsPairCell {
    /// Index of the first authority in [`KsMatrixInput::authorities`].
    pub a: usize,
    /// Index of the second authority.
    pub b: usize,
    /// KS statistic D (0–1).
    pub statistic: f64,
    /// p-value after adjustment for multiple testing (0–1).
    pub p_adjusted: f64,
    /// Significant at the chosen level after adjustment.
    pub significant: bool,
}

/// Input of [`ks_matrix`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KsMatrixInput {
    /// Authority names (or anonymised names).
    pub authorities: Vec<String>,
    /// The tested pairs, each at most once (in either order).
    pub pairs: Vec<KsPairCell>,
    /// Significance level, shown in the note if given.
    pub alpha: Option<f64>,
}

/// Draws the KS matrix (`fig4_ks_matrix`).
///
/// # Errors
/// [`crate::error::Error::InvalidParameter`] if there are fewer than two authorities, a
/// pair refers to an unknown authority or to itself, a pair occurs twice, or D or p is
/// not in 0..=1; [`crate::error::Error::Plot`] if drawing fails.
pub fn ks_matrix(data: &KsMatrixInput, options: PlotOptions) -> Result<Figure> {
    let n = data.authorities.len();
    if n < 2 {
        return Err(invalid("authorities", &n, "at least two authorities"));
    }
    let mut seen = vec![vec![false; n]; n];
    for p in &data.pairs {
        if p.a >= n || p.b >= n || p.a == p.b {
            return Err(invalid(
                "pairs",
                &format!("({}, {})", p.a, p.b),
                "two different authority indices",
            ));
        }
        if seen[p.a][p.b] {
            return Err(invalid(
                "pairs",
                &format!("({}, {})", p.a, p.b),
                "each pair at most once",
            ));
        }
        seen[p.a][p.b] = true;
        seen[p.b][p.a] = true;
        for (name, v) in [("statistic", p.statistic), ("p_adjusted", p.p_adjusted)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(name, &v, "a value in 0..=1"));
            }
        }
    }
    if let Some(alpha) = data.alpha
        && !(alpha > 0.0 && alpha < 1.0)
    {
        return Err(invalid("alpha", &alpha, "a level in (0, 1)"));
    }
    render(&KsMatrix::new(data, options.lang), options)
}

/// The p line of a cell: `p = 0,043`, or `p < 0,001` below 0.001 (never `p = < 0,001`);
/// the convention of the report and the terminal summaries (`report::locale`).
fn p_label(p: f64, lang: Lang) -> String {
    let value = style::format_p(p, lang);
    if value.starts_with('<') {
        format!("p {value}")
    } else {
        format!("p = {value}")
    }
}

struct KsMatrix {
    spec: TableSpec,
    layout: TableLayout,
}

impl KsMatrix {
    fn new(data: &KsMatrixInput, lang: Lang) -> Self {
        let n = data.authorities.len();
        let mut cells = vec![vec![TableCell::blank(); n]; n];
        for (i, row) in cells.iter_mut().enumerate() {
            row[i] = TableCell {
                fill: Some(style::EMPTY_CELL),
                lines: vec!["—".to_owned()],
                text: style::MUTED_TEXT,
                strong: false,
            };
        }
        for p in &data.pairs {
            let star = if p.significant { "*" } else { "" };
            let cell = TableCell {
                fill: Some(if p.significant {
                    style::SIGNIFICANT_FILL
                } else {
                    style::NOT_SIGNIFICANT_FILL
                }),
                lines: vec![
                    format!("{}{star}", p_label(p.p_adjusted, lang)),
                    format!("D = {}", style::format_number(p.statistic, 3, lang)),
                ],
                text: style::TEXT,
                strong: p.significant,
            };
            cells[p.a][p.b] = cell.clone();
            cells[p.b][p.a] = cell;
        }
        let significant_note = match data.alpha {
            Some(alpha) => format!(
                "{}{}",
                Label::KsSignificantNote.text(lang),
                style::alpha_suffix(alpha, lang)
            ),
            None => Label::KsSignificantNote.text(lang).to_owned(),
        };
        let spec = TableSpec {
            title: Label::KsTitle.text(lang).to_owned(),
            row_axis: Label::Authority.text(lang).to_owned(),
            col_axis: Label::Authority.text(lang).to_owned(),
            rows: data.authorities.clone(),
            cols: data.authorities.clone(),
            cells,
            cell_lines: 2,
            min_cell_width: 118.0,
            notes: vec![Label::KsCellNote.text(lang).to_owned(), significant_note],
            right_panel: 0.0,
            right_panel_height: 0.0,
        };
        let layout = TableLayout::new(&spec);
        Self { spec, layout }
    }
}

impl Drawing for KsMatrix {
    fn name(&self) -> &str {
        "fig4_ks_matrix"
    }

    fn size(&self) -> (u32, u32) {
        self.layout.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
        let c = super::canvas::Canvas::new(root, s);
        self.layout.draw(&c, &self.spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_p_reads_p_below_not_p_equals_below() {
        assert_eq!(p_label(2.5e-7, Lang::Da), "p < 0,001");
        assert_eq!(p_label(0.0, Lang::En), "p < 0.001");
        assert_eq!(p_label(0.04321, Lang::Da), "p = 0,043");
        assert_eq!(p_label(0.001, Lang::En), "p = 0.001");
    }
}
