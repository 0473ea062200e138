//! Pass 1: what each distinct raw value means, and which rows make up each visit.
//!
//! The raw table is dictionary-coded ([`RawRatings`]), so each distinct authority, score,
//! indicator and date text is interpreted once ([`super::values`], [`IndicatorId::parse`],
//! [`super::dates`]); rows then only look their codes up. Visits are numbered in order of
//! first appearance, and the rows of each visit are gathered in file order by a counting sort.
//!
//! The index holds four bytes a row: each visit's rows, numbered in 32 bits ([`Index::build`]
//! refuses a table of more than `u32::MAX` rows with [`Error::TooManyRatings`], so every row
//! number fits). A row's visit is not stored but looked up through its visit id's code (one
//! visit per distinct id text).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::load::{Field, RawRatings};
use crate::model::{IndicatorId, QualityModel};

use super::dates::Dates;
use super::values::{canonical_authority, parse_score};

/// Key of a visit with no (single) authority in the per-authority counts.
pub(super) const NONE_KEY: &str = "(none)";
/// Key of a visit under two or more authorities in the per-authority counts.
pub(super) const CONFLICT_KEY: &str = "(conflicting)";

/// The visit of a row with a blank visit id.
const NO_VISIT: u32 = u32::MAX;

/// One visit id of the input.
pub(super) struct Visit {
    /// The id, trimmed.
    pub id: String,
    /// The distinct authorities its rows name (indices into [`Index::authority_names`]).
    pub authorities: Vec<u32>,
    /// Its first row in the raw table.
    pub first_row: usize,
}

/// What an indicator field's distinct value means.
#[derive(Debug, Clone, Copy)]
pub(super) struct IndicatorInfo {
    /// The parsed id.
    pub id: Option<IndicatorId>,
    /// Dense number of the id among the usable ones (criterion in the model); `None` if
    /// unusable.
    pub slot: Option<usize>,
    /// Whether the id itself is in the model.
    pub modelled: bool,
    /// Position among the universal indicators.
    pub universal: Option<usize>,
    /// Criterion and theme (0 when unusable).
    pub criterion: u32,
    pub theme: u32,
}

/// [`IndicatorInfo`] per distinct raw indicator value, and its rank in the order of the parsed ids (unparsed first).
pub(super) struct IndicatorTable {
    pub by_code: Vec<IndicatorInfo>,
    pub rank: Vec<u32>,
    /// How many distinct usable ids there are (the slots).
    pub distinct: usize,
}

impl IndicatorTable {
    fn new(values: &[Box<str>], model: &QualityModel, universal: &[IndicatorId]) -> Self {
        let mut slots: HashMap<IndicatorId, usize> = HashMap::new();
        let by_code = values
            .iter()
            .map(|value| {
                let id = IndicatorId::parse(value);
                let theme = id.and_then(|id| model.theme_of_criterion(id.criterion));
                let next = slots.len();
                let slot = match (id, theme) {
                    (Some(id), Some(_)) => Some(*slots.entry(id).or_insert(next)),
                    _ => None,
                };
                IndicatorInfo {
                    id,
                    slot,
                    modelled: id.is_some_and(|id| model.indicator(id).is_some()),
                    universal: id.and_then(|id| universal.iter().position(|u| *u == id)),
                    criterion: id.map_or(0, |id| id.criterion),
                    theme: theme.unwrap_or(0),
                }
            })
            .collect::<Vec<IndicatorInfo>>();
        let mut ids: Vec<Option<IndicatorId>> = by_code.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let rank = by_code
            .iter()
            .map(|i| ids.binary_search(&i.id).map_or(0, |r| r as u32))
            .collect();
        Self {
            by_code,
            rank,
            distinct: slots.len(),
        }
    }
}

/// The raw table with every distinct value interpreted and every row placed in its visit.
pub(super) struct Index<'a> {
    pub raw: &'a RawRatings,
    /// The model's universal indicators, in model order.
    pub universal: Vec<IndicatorId>,
    /// Canonical authority names, in order of first appearance.
    pub authority_names: Vec<String>,
    /// Per authority code: the index of its canonical name (`None` for a blank).
    authority_of: Vec<Option<u32>>,
    /// Per score code: the score, if it is one.
    pub score_of: Vec<Option<u8>>,
    pub indicators: IndicatorTable,
    /// The visit dates, read per distinct text, and each file's day/month order.
    pub dates: &'a Dates,
    pub visits: Vec<Visit>,
    /// Per code of the visit id field: its visit, or [`NO_VISIT`] for a blank id.
    visit_of_code: Vec<u32>,
    /// Visit `v`'s rows are `visit_rows[offsets[v]..offsets[v + 1]]`, in file order.
    offsets: Vec<usize>,
    visit_rows: Vec<u32>,
}

impl<'a> Index<'a> {
    /// Interprets the distinct values of `raw` and gathers the rows of each visit; `dates` are
    /// the dates of `raw` (or of the table its rows were taken from). Fails if the table has
    /// too many rows to number in 32 bits.
    pub fn build(raw: &'a RawRatings, model: &QualityModel, dates: &'a Dates) -> Result<Self> {
        if u32::try_from(raw.height()).is_err() {
            return Err(Error::TooManyRatings {
                count: raw.height() as u64,
                limit: u64::from(u32::MAX),
            });
        }
        let universal: Vec<IndicatorId> = model.universal().map(|i| i.id).collect();
        let (authority_names, authority_of) = authority_codes(raw);
        let score_of = raw
            .column(Field::Score)
            .values()
            .iter()
            .map(|v| parse_score(v))
            .collect();
        let indicators =
            IndicatorTable::new(raw.column(Field::Indicator).values(), model, &universal);
        let (visits, visit_of_code) = visit_codes(raw);
        let mut index = Self {
            raw,
            universal,
            authority_names,
            authority_of,
            score_of,
            indicators,
            dates,
            visits,
            visit_of_code,
            offsets: Vec::new(),
            visit_rows: Vec::new(),
        };
        index.gather_visits();
        Ok(index)
    }

    /// The visit of every row, in row order ([`NO_VISIT`] for a blank id).
    fn row_visits(&self) -> impl Iterator<Item = u32> + '_ {
        let of_code = &self.visit_of_code;
        self.raw
            .column(Field::VisitId)
            .codes()
            .map(|c| of_code.get(c as usize).copied().unwrap_or(NO_VISIT))
    }

    /// Each visit's rows (a counting sort), first row and authorities.
    fn gather_visits(&mut self) {
        let mut offsets = vec![0usize; self.visits.len() + 1];
        for v in self.row_visits() {
            if let Some(next) = offsets.get_mut(v as usize + 1) {
                *next += 1;
            }
        }
        for v in 0..self.visits.len() {
            offsets[v + 1] += offsets[v];
        }
        let mut visit_rows = vec![0u32; offsets[self.visits.len()]];
        let mut fill = offsets.clone();
        let mut visits = std::mem::take(&mut self.visits);
        for (row, v) in self.row_visits().enumerate() {
            let Some(slot) = fill.get_mut(v as usize) else {
                continue;
            };
            // `build` checked that every row number fits.
            visit_rows[*slot] = row as u32;
            *slot += 1;
            let authority = self.authority(row);
            let visit = &mut visits[v as usize];
            if visit.first_row == usize::MAX {
                visit.first_row = row;
            }
            if let Some(a) = authority
                && !visit.authorities.contains(&a)
            {
                visit.authorities.push(a);
            }
        }
        self.visits = visits;
        self.offsets = offsets;
        self.visit_rows = visit_rows;
    }

    /// Rows in the raw table.
    pub fn rows(&self) -> usize {
        self.raw.height()
    }

    /// The rows of visit `v`, in file order.
    pub fn rows_of(&self, v: usize) -> &[u32] {
        &self.visit_rows[self.offsets[v]..self.offsets[v + 1]]
    }

    /// The visit of `row` (its index in [`Index::visits`]), if its visit id is not blank.
    pub fn visit_of(&self, row: usize) -> Option<usize> {
        let code = self.raw.column(Field::VisitId).code(row)?;
        let v = *self.visit_of_code.get(code as usize)?;
        (v != NO_VISIT).then_some(v as usize)
    }

    /// The dictionary code of `field` in `row`, unless the field is missing there.
    fn code(&self, field: Field, row: usize) -> Option<usize> {
        self.raw.column(field).code(row).map(|c| c as usize)
    }

    /// The authority `row` names (an index into [`Index::authority_names`]).
    pub fn authority(&self, row: usize) -> Option<u32> {
        self.code(Field::Authority, row)
            .and_then(|c| self.authority_of[c])
    }

    /// The score of `row`, if it is an integer 1–5.
    pub fn score(&self, row: usize) -> Option<u8> {
        self.code(Field::Score, row).and_then(|c| self.score_of[c])
    }

    /// The visit date of `row` as ISO text `YYYY-MM-DD`, if it has a readable one.
    pub fn date_text(&self, row: usize) -> Option<&str> {
        self.dates.iso(self.raw, row)
    }

    /// Whether `row` has a visit date that is not a date (in its file's order).
    pub fn date_unreadable(&self, row: usize) -> bool {
        self.dates.unreadable(self.raw, row)
    }

    /// What the indicator of `row` means.
    pub fn indicator(&self, row: usize) -> Option<&IndicatorInfo> {
        self.code(Field::Indicator, row)
            .map(|c| &self.indicators.by_code[c])
    }

    /// The key of visit `v` in the per-authority counts: its authority, or [`NONE_KEY`] /
    /// [`CONFLICT_KEY`].
    pub fn authority_key(&self, v: usize) -> &str {
        match self.visits[v].authorities.as_slice() {
            [] => NONE_KEY,
            [one] => self
                .authority_names
                .get(*one as usize)
                .map_or(NONE_KEY, String::as_str),
            _ => CONFLICT_KEY,
        }
    }
}

/// The canonical names of the authority column's distinct values, and per value its name.
fn authority_codes(raw: &RawRatings) -> (Vec<String>, Vec<Option<u32>>) {
    let mut names: Vec<String> = Vec::new();
    let of = raw
        .column(Field::Authority)
        .values()
        .iter()
        .map(|value| {
            canonical_authority(value).map(|name| {
                match names.iter().position(|known| *known == name) {
                    Some(i) => i as u32,
                    None => {
                        names.push(name);
                        (names.len() - 1) as u32
                    }
                }
            })
        })
        .collect();
    (names, of)
}

/// The visits (one per distinct trimmed, non-blank id, in order of first appearance), and
/// per code of the visit id field its visit.
fn visit_codes(raw: &RawRatings) -> (Vec<Visit>, Vec<u32>) {
    let column = raw.column(Field::VisitId);
    let values = column.values();
    let mut visits: Vec<Visit> = Vec::with_capacity(values.len());
    let mut index: HashMap<&str, u32, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(values.len(), Default::default());
    let of_code = values
        .iter()
        .map(|value| {
            let id = value.trim();
            if id.is_empty() {
                return NO_VISIT;
            }
            *index.entry(id).or_insert_with(|| {
                visits.push(Visit {
                    id: id.to_string(),
                    authorities: Vec::new(),
                    first_row: usize::MAX,
                });
                (visits.len() - 1) as u32
            })
        })
        .collect();
    (visits, of_code)
}
