//! Pass 5: the kept tables. The visits that passed, sorted by authority and visit id, and
//! their ratings, each visit's together and sorted by indicator (then file and line), as the
//! two polars tables of [`super::Filtered`] (columns: [`super::ratings`], [`super::visits`]).
//! A visit's date is its first readable one, written ISO `YYYY-MM-DD` ([`super::dates`]).

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::Result;
use crate::load::{Field, MISSING};

use super::index::{Index, IndicatorInfo};
use super::rating_rules::RatingPass;
use super::visit_rules::Verdict;
use super::{ratings, visits};

/// The kept rows in their final order, and the kept visits with the end of each one's rows in
/// that order.
pub(super) struct Kept<'i, 'a> {
    index: &'i Index<'a>,
    /// Raw rows, visit by visit.
    pub order: Vec<usize>,
    /// Kept visits (indices into [`Index::visits`]), by authority and id.
    pub visits: Vec<usize>,
    /// Where each kept visit's rows end in `order`.
    ends: Vec<usize>,
}

impl<'i, 'a> Kept<'i, 'a> {
    /// The visits no rule dropped that kept a rating, and their rows.
    pub fn select(index: &'i Index<'a>, pass: &RatingPass, verdicts: &[Verdict]) -> Self {
        let mut kept: Vec<usize> = (0..index.visits.len())
            .filter(|&v| verdicts[v].rule.is_none() && pass.remaining[v] > 0)
            .collect();
        kept.sort_by(|&x, &y| {
            (index.authority_key(x), index.visits[x].id.as_str())
                .cmp(&(index.authority_key(y), index.visits[y].id.as_str()))
        });
        let mut order: Vec<usize> = Vec::with_capacity(index.rows());
        let mut ends: Vec<usize> = Vec::with_capacity(kept.len());
        let indicators = index.raw.column(Field::Indicator);
        for &v in &kept {
            let start = order.len();
            order.extend(
                index
                    .rows_of(v)
                    .iter()
                    .map(|&row| row as usize)
                    .filter(|&row| pass.status[row].is_none()),
            );
            // Rows are in file and line order already, so (indicator, row) is the order wanted.
            order[start..].sort_unstable_by_key(|&row| {
                let rank = indicators
                    .code(row)
                    .and_then(|code| index.indicators.rank.get(code as usize));
                (rank.copied().unwrap_or(0), row)
            });
            ends.push(order.len());
        }
        Self {
            index,
            order,
            visits: kept,
            ends,
        }
    }

    /// `(start, end)` in `order` of each kept visit's rows.
    fn spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied())
    }

    /// The kept ratings (see [`super::Filtered::ratings`]). Each column is built on its own,
    /// in parallel (the indicator texts take longest).
    pub fn ratings(&self) -> Result<DataFrame> {
        type Maker<'m> = Box<dyn Fn() -> Column + Send + Sync + 'm>;
        let makers: Vec<Maker<'_>> = vec![
            Box::new(|| {
                let raw = self.index.raw;
                let file: Vec<u32> = self
                    .order
                    .iter()
                    .map(|&r| raw.file(r).unwrap_or(0))
                    .collect();
                Column::new(ratings::FILE.name().into(), file)
            }),
            Box::new(|| {
                let raw = self.index.raw;
                let line: Vec<u64> = self
                    .order
                    .iter()
                    .map(|&r| raw.line(r).unwrap_or(0))
                    .collect();
                Column::new(ratings::LINE.name().into(), line)
            }),
            Box::new(|| self.visit_numbers()),
            Box::new(|| self.indicator_texts()),
            Box::new(|| self.indicator_column(ratings::CRITERION.name(), |i| i.criterion)),
            Box::new(|| self.indicator_column(ratings::THEME.name(), |i| i.theme)),
            Box::new(|| self.scores()),
        ];
        let columns: Vec<Column> = makers.par_iter().map(|make| make()).collect();
        Ok(DataFrame::new(self.order.len(), columns)?)
    }

    /// Each rating's row in the visits table.
    fn visit_numbers(&self) -> Column {
        let mut visit = Vec::with_capacity(self.order.len());
        for (k, (start, end)) in self.spans().enumerate() {
            visit.extend(std::iter::repeat_n(k as u32, end - start));
        }
        Column::new(ratings::VISIT.name().into(), visit)
    }

    /// What the indicator field of a raw row means.
    fn info(&self, row: usize) -> Option<&IndicatorInfo> {
        let code = self.index.raw.column(Field::Indicator).code(row)?;
        self.index.indicators.by_code.get(code as usize)
    }

    /// A number derived from each rating's indicator.
    fn indicator_column(&self, name: &str, pick: fn(&IndicatorInfo) -> u32) -> Column {
        let values: Vec<u32> = self
            .order
            .iter()
            .map(|&r| self.info(r).map_or(0, pick))
            .collect();
        Column::new(name.into(), values)
    }

    /// The canonical indicator ids (`8.c`).
    fn indicator_texts(&self) -> Column {
        let indicators = self.index.raw.column(Field::Indicator);
        let canonical = &self.index.indicators.canonical;
        let mut column =
            StringChunkedBuilder::new(ratings::INDICATOR.name().into(), self.order.len());
        for &row in &self.order {
            let code = indicators.code(row).unwrap_or(MISSING) as usize;
            column.append_value(canonical.get(code).map_or("", String::as_str));
        }
        column.finish().into_column()
    }

    /// The scores, as numbers.
    fn scores(&self) -> Column {
        let codes = self.index.raw.column(Field::Score);
        let score_of = &self.index.score_of;
        let values: Vec<f64> = self
            .order
            .iter()
            .map(|&r| {
                codes
                    .code(r)
                    .and_then(|c| score_of.get(c as usize).copied().flatten())
                    .map_or(f64::NAN, f64::from)
            })
            .collect();
        Column::new(ratings::SCORE.name().into(), values)
    }

    /// One row per kept visit (see [`super::Filtered::visits`]).
    pub fn visit_table(&self) -> Result<DataFrame> {
        let (raw, order) = (self.index.raw, &self.order);
        let spans: Vec<(usize, usize)> = self.spans().collect();
        let first_of = |field: Field, name: &str| -> Column {
            spans
                .iter()
                .map(|&(s, e)| order[s..e].iter().find_map(|&row| raw.get(field, row)))
                .collect::<StringChunked>()
                .with_name(name.into())
                .into_column()
        };
        let authorities: Vec<&str> = self
            .visits
            .iter()
            .map(|&v| self.index.authority_key(v))
            .collect();
        let ids: Vec<&str> = self
            .visits
            .iter()
            .map(|&v| self.index.visits[v].id.as_str())
            .collect();
        let counts: Vec<u32> = spans.iter().map(|&(s, e)| (e - s) as u32).collect();
        // ISO `YYYY-MM-DD`: the first readable date among the visit's kept ratings.
        let dates: StringChunked = spans
            .iter()
            .map(|&(s, e)| {
                order[s..e]
                    .iter()
                    .find_map(|&row| self.index.date_text(row))
            })
            .collect();
        let columns = vec![
            Column::new(visits::AUTHORITY.name().into(), authorities),
            Column::new(visits::VISIT_ID.name().into(), ids),
            first_of(Field::OfferId, visits::OFFER_ID.name()),
            first_of(Field::OfferType, visits::OFFER_TYPE.name()),
            dates
                .with_name(visits::VISIT_DATE.name().into())
                .into_column(),
            Column::new(visits::RATINGS.name().into(), counts),
        ];
        Ok(DataFrame::new(self.visits.len(), columns)?)
    }
}
