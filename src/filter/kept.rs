//! Pass 5: the kept tables. The visits that passed, sorted by authority and visit id, as a
//! polars table (columns: [`super::visits`]); their ratings, each visit's together and sorted
//! by indicator (then file and line), as three small numbers each ([`super::Ratings`]), built
//! straight from the raw codes; and the kept indicators they number ([`super::KeptIndicator`]).
//! A visit's date is its first readable one, written ISO `YYYY-MM-DD` ([`super::dates`]).

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::Result;
use crate::load::{Field, MISSING};

use super::index::Index;
use super::rating_rules::RatingPass;
use super::visit_rules::Verdict;
use super::{KeptIndicator, Ratings, visits};

/// The kept rows in their final order, and the kept visits with the end of each one's rows in
/// that order.
pub(super) struct Kept<'i, 'a> {
    index: &'i Index<'a>,
    /// Raw rows, visit by visit.
    pub order: Vec<u32>,
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
        let mut order: Vec<u32> = Vec::with_capacity(index.rows());
        let mut ends: Vec<usize> = Vec::with_capacity(kept.len());
        let indicators = index.raw.column(Field::Indicator);
        for &v in &kept {
            let start = order.len();
            order.extend(
                index
                    .rows_of(v)
                    .iter()
                    .filter(|&&row| pass.status[row as usize].is_none())
                    .copied(),
            );
            // Rows are in file and line order already, so (indicator, row) is the order wanted.
            order[start..].sort_unstable_by_key(|&row| {
                let rank = indicators
                    .code(row as usize)
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

    /// The kept ratings and their indicators (see [`super::Filtered::ratings`]), straight
    /// from the raw codes. The last use of the kept rows: their vector becomes the ratings'
    /// visit numbers, so no second one is allocated.
    pub fn into_ratings(mut self) -> Result<(Ratings, Vec<KeptIndicator>)> {
        let raw_indicator = self.index.raw.column(Field::Indicator);
        let raw_score = self.index.raw.column(Field::Score);
        let code_of = |row: u32| raw_indicator.code(row as usize).unwrap_or(MISSING);
        let (indicators, number_of) = self.indicator_table(code_of)?;
        let order = &self.order;
        let (indicator, score) = rayon::join(
            || {
                let number = |row: u32| number_of.get(code_of(row) as usize).copied();
                order
                    .par_iter()
                    .map(|&row| number(row).unwrap_or(0))
                    .collect()
            },
            || {
                let score_of = &self.index.score_of;
                let score = |row: u32| {
                    let code = raw_score.code(row as usize)?;
                    score_of.get(code as usize).copied().flatten()
                };
                // A kept rating has a valid score: its rule would have dropped it.
                order
                    .par_iter()
                    .map(|&row| score(row).unwrap_or(0))
                    .collect()
            },
        );
        let spans: Vec<(usize, usize)> = self.spans().collect();
        let mut visit = std::mem::take(&mut self.order);
        for (k, (start, end)) in spans.into_iter().enumerate() {
            if let Some(rows) = visit.get_mut(start..end) {
                rows.fill(k as u32);
            }
        }
        let ratings = Ratings {
            visit,
            indicator,
            score,
        };
        Ok((ratings, indicators))
    }

    /// The distinct indicators of the kept ratings in model order, and the number of each
    /// raw indicator code among them (0 for a code no kept rating has).
    fn indicator_table(
        &self,
        code_of: impl Fn(u32) -> u32,
    ) -> Result<(Vec<KeptIndicator>, Vec<u16>)> {
        let infos = &self.index.indicators.by_code;
        let mut used = vec![false; infos.len()];
        for &row in &self.order {
            if let Some(u) = used.get_mut(code_of(row) as usize) {
                *u = true;
            }
        }
        let kept_info = |code: usize| -> Option<KeptIndicator> {
            let info = infos.get(code).filter(|_| used[code])?;
            Some(KeptIndicator {
                id: info.id?,
                criterion: info.criterion,
                theme: info.theme,
            })
        };
        let mut indicators: Vec<KeptIndicator> = (0..infos.len()).filter_map(kept_info).collect();
        indicators.sort_unstable_by_key(|i| i.id);
        indicators.dedup_by_key(|i| i.id);
        if indicators.len() > usize::from(u16::MAX) + 1 {
            return Err(crate::Error::InvalidParameter {
                name: "indicators",
                value: format!("{} distinct indicator ids kept", indicators.len()),
                expected: "at most 65536 distinct indicators",
            });
        }
        let number_of = (0..infos.len())
            .map(|code| {
                let id = kept_info(code).map(|i| i.id);
                id.and_then(|id| indicators.binary_search_by_key(&id, |i| i.id).ok())
                    .map_or(0, |n| n as u16)
            })
            .collect();
        Ok((indicators, number_of))
    }

    /// Per kept visit: the file of its ratings, or `None` if they come from two or more.
    pub fn visit_files(&self) -> Vec<Option<u32>> {
        let file = |row: u32| self.index.raw.file(row as usize);
        self.spans()
            .map(|(s, e)| {
                let mut files = self.order[s..e].iter().map(|&row| file(row));
                let first = files.next().flatten()?;
                files.all(|f| f == Some(first)).then_some(first)
            })
            .collect()
    }

    /// One row per kept visit (see [`super::Filtered::visits`]).
    pub fn visit_table(&self) -> Result<DataFrame> {
        let (raw, order) = (self.index.raw, &self.order);
        let spans: Vec<(usize, usize)> = self.spans().collect();
        let first_of = |field: Field, name: &str| -> Column {
            spans
                .iter()
                .map(|&(s, e)| {
                    order[s..e]
                        .iter()
                        .find_map(|&row| raw.get(field, row as usize))
                })
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
                    .find_map(|&row| self.index.date_text(row as usize))
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
