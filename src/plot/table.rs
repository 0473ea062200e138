//! Heat-table layout shared by the deviation heatmap ([`super::heatmap`]), the KS matrix
//! ([`super::ks_matrix`]) and the completeness table ([`super::completeness`]): from a
//! [`TableSpec`] (labels and ready-made cells), it draws a title, a header with column
//! labels (wrapped to two lines), row labels on the left, one coloured cell per row ×
//! column with centred text, notes underneath, and leaves room for an optional panel on
//! the right (the colour bar, drawn by the figure).
//!
//! Method: the layout is computed once in logical pixels ([`TableLayout::new`]: every
//! column as wide as the widest cell text or column label needs, at least the spec's
//! minimum), then drawn on a [`Canvas`].

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, VPos};

use super::DrawResult;
use super::canvas::{self, Canvas};
use super::style::{self, TextRole, size};

/// One cell of a heat-table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCell {
    /// Background; `None` leaves the cell blank.
    pub fill: Option<RGBColor>,
    /// Text lines, centred.
    pub lines: Vec<String>,
    /// Text colour.
    pub text: RGBColor,
    /// Bold text.
    pub strong: bool,
}

impl TableCell {
    /// A blank cell.
    #[must_use]
    pub fn blank() -> Self {
        Self {
            fill: None,
            lines: Vec::new(),
            text: style::TEXT,
            strong: false,
        }
    }
}

/// What to draw: labels and cells, indexed `[row][column]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Figure title.
    pub title: String,
    /// Title of the row labels (top left), e.g. "Indikator".
    pub row_axis: String,
    /// Title over the column labels, e.g. "Socialtilsyn".
    pub col_axis: String,
    /// Row labels.
    pub rows: Vec<String>,
    /// Column labels (wrapped to at most two lines).
    pub cols: Vec<String>,
    /// Cells, `cells[row][col]`; missing entries are blank.
    pub cells: Vec<Vec<TableCell>>,
    /// Text lines per cell (sets the row height).
    pub cell_lines: usize,
    /// Minimum logical cell width.
    pub min_cell_width: f64,
    /// Notes under the table.
    pub notes: Vec<String>,
    /// Logical width reserved right of the cells (0 for none).
    pub right_panel: f64,
    /// Logical height of the right panel, measured from the top of the cells.
    pub right_panel_height: f64,
}

/// Logical geometry of a [`TableSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    /// Figure width.
    pub width: f64,
    /// Figure height.
    pub height: f64,
    /// Left edge of the first cell column.
    pub grid_x: f64,
    /// Top edge of the first cell row.
    pub grid_y: f64,
    /// Cell width.
    pub cell_w: f64,
    /// Cell height.
    pub cell_h: f64,
    /// Column labels after wrapping.
    pub col_lines: Vec<Vec<String>>,
    /// Top of the notes block.
    pub notes_y: f64,
    /// Left edge of the right panel.
    pub panel_x: f64,
}

const CELL_LINE: f64 = 15.0;
const CELL_PAD: f64 = 8.0;
const LABEL_GAP: f64 = 8.0;

impl TableLayout {
    /// Lays out `spec`.
    #[must_use]
    pub fn new(spec: &TableSpec) -> Self {
        let widest_cell_text = spec
            .cells
            .iter()
            .flatten()
            .map(|c| {
                let role = if c.strong {
                    TextRole::CellStrong
                } else {
                    TextRole::Cell
                };
                canvas::max_width(&c.lines, role)
            })
            .fold(0.0, f64::max);
        let mut cell_w = spec.min_cell_width.max(widest_cell_text + 2.0 * CELL_PAD);
        // Column labels: all on one line if they fit, otherwise every label split in
        // two at its best space, so the header looks the same across columns.
        let fits = spec
            .cols
            .iter()
            .all(|c| style::text_width(c, TextRole::Tick) <= cell_w - 6.0);
        let col_lines: Vec<Vec<String>> = spec
            .cols
            .iter()
            .map(|c| {
                if fits {
                    vec![c.clone()]
                } else {
                    canvas::wrap_balanced(c, TextRole::Tick)
                }
            })
            .collect();
        let widest_col = col_lines
            .iter()
            .map(|l| canvas::max_width(l, TextRole::Tick))
            .fold(0.0, f64::max);
        cell_w = cell_w.max(widest_col + 8.0);
        let header_lines = col_lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let header_h = header_lines as f64 * size::HEADER_LINE + 8.0;

        let row_w = spec
            .rows
            .iter()
            .map(|r| style::text_width(r, TextRole::Tick))
            .fold(
                style::text_width(&spec.row_axis, TextRole::AxisTitle),
                f64::max,
            );
        let grid_x = size::MARGIN + row_w + LABEL_GAP + 4.0;
        let col_axis_h = 24.0;
        let grid_y = size::MARGIN + size::TITLE_HEIGHT + col_axis_h + header_h;
        let cell_h = Self::cell_height(spec.cell_lines);
        let (n_rows, n_cols) = (spec.rows.len() as f64, spec.cols.len() as f64);
        let grid_bottom = grid_y + n_rows * cell_h;
        let panel_x = grid_x + n_cols * cell_w + 16.0;
        let notes_y = grid_bottom.max(grid_y + spec.right_panel_height) + 10.0;
        let notes_h = spec.notes.len() as f64 * size::NOTE_LINE;
        let notes_w = spec
            .notes
            .iter()
            .map(|n| style::text_width(n, TextRole::Note))
            .fold(0.0, f64::max);
        let title_w = style::text_width(&spec.title, TextRole::Title);
        let width = (panel_x + spec.right_panel + size::MARGIN)
            .max(title_w + 2.0 * size::MARGIN)
            .max(notes_w + 2.0 * size::MARGIN);
        let height = notes_y + notes_h + size::MARGIN;
        Self {
            width: width.ceil(),
            height: height.ceil(),
            grid_x,
            grid_y,
            cell_w,
            cell_h,
            col_lines,
            notes_y,
            panel_x,
        }
    }

    /// Logical height of a row of cells with `lines` text lines.
    #[must_use]
    pub fn cell_height(lines: usize) -> f64 {
        lines.max(1) as f64 * CELL_LINE + CELL_PAD
    }

    /// Logical size rounded to whole pixels.
    #[must_use]
    pub fn size(&self) -> (u32, u32) {
        // Widths are at most a few thousand logical pixels.
        (self.width as u32, self.height as u32)
    }

    /// Draws the table (everything except the right panel).
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        c: &Canvas<'_, DB>,
        spec: &TableSpec,
    ) -> DrawResult {
        c.title(&spec.title, self.width)?;
        let n_cols = spec.cols.len() as f64;
        let header_top = size::MARGIN + size::TITLE_HEIGHT;
        c.text(
            &spec.col_axis,
            (self.grid_x + n_cols * self.cell_w / 2.0, header_top + 10.0),
            TextRole::AxisTitle,
            style::TEXT,
            (HPos::Center, VPos::Center),
        )?;
        c.text(
            &spec.row_axis,
            (
                self.grid_x - LABEL_GAP,
                self.grid_y - 4.0 - size::HEADER_LINE / 2.0,
            ),
            TextRole::AxisTitle,
            style::TEXT,
            (HPos::Right, VPos::Center),
        )?;
        for (j, lines) in self.col_lines.iter().enumerate() {
            let cx = self.grid_x + (j as f64 + 0.5) * self.cell_w;
            let block = lines.len() as f64 * size::HEADER_LINE;
            let cy = self.grid_y - 4.0 - block / 2.0;
            c.text_lines(
                lines,
                (cx, cy),
                TextRole::Tick,
                style::TEXT,
                HPos::Center,
                size::HEADER_LINE,
            )?;
        }
        for (i, label) in spec.rows.iter().enumerate() {
            let y0 = self.grid_y + i as f64 * self.cell_h;
            c.text(
                label,
                (self.grid_x - LABEL_GAP, y0 + self.cell_h / 2.0),
                TextRole::Tick,
                style::TEXT,
                (HPos::Right, VPos::Center),
            )?;
            let Some(row) = spec.cells.get(i) else {
                continue;
            };
            for (j, cell) in row.iter().enumerate().take(spec.cols.len()) {
                let x0 = self.grid_x + j as f64 * self.cell_w;
                if let Some(fill) = cell.fill {
                    // 1-pixel white gutters between cells
                    c.rect(
                        x0 + 1.0,
                        y0 + 1.0,
                        x0 + self.cell_w - 1.0,
                        y0 + self.cell_h - 1.0,
                        fill,
                    )?;
                }
                let role = if cell.strong {
                    TextRole::CellStrong
                } else {
                    TextRole::Cell
                };
                c.text_lines(
                    &cell.lines,
                    (x0 + self.cell_w / 2.0, y0 + self.cell_h / 2.0),
                    role,
                    cell.text,
                    HPos::Center,
                    CELL_LINE,
                )?;
            }
        }
        c.notes(&spec.notes, size::MARGIN, self.notes_y)
    }
}
