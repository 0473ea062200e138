//! The completeness of the universal indicators per authority and theme (seed 000: the
//! audit function's minimum report content asks for scores on every indicator).
//!
//! Counted over every visit with exactly one authority, *before* the visit-level rules
//! (after them every kept visit is complete by construction), using the ratings that pass
//! the rating-level rules. Conditional indicators are not counted: whether they apply to a
//! visit depends on facts about the offer that exports do not carry.

use serde::Serialize;

use crate::model::QualityModel;

use super::index::Index;
use super::rating_rules::RatingPass;

/// How many of an authority's visits have a valid score for every universal indicator of a
/// theme (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletenessRow {
    /// Authority (canonical name).
    pub authority: String,
    /// Theme number; `None` for all themes together.
    pub theme: Option<u32>,
    /// Visits counted.
    pub visits: u64,
    /// Visits with every universal indicator of the theme validly scored.
    pub complete: u64,
    /// `complete / visits`.
    pub share: f64,
}

/// Completeness rows by authority, then theme, with the all-themes row last.
pub(crate) fn sort_completeness(rows: &mut [CompletenessRow]) {
    rows.sort_by(|a, b| {
        (a.authority.as_str(), a.theme.is_none(), a.theme).cmp(&(
            b.authority.as_str(),
            b.theme.is_none(),
            b.theme,
        ))
    });
}

/// The themes with a universal indicator, then `None` (all themes), each with the positions
/// of its universal indicators among [`Index::universal`].
fn theme_members(index: &Index<'_>, model: &QualityModel) -> Vec<(Option<u32>, Vec<usize>)> {
    let universal = &index.universal;
    let theme_of = |k: usize| model.theme_of_criterion(universal[k].criterion);
    model
        .themes
        .keys()
        .copied()
        .filter(|&t| (0..universal.len()).any(|k| theme_of(k) == Some(t)))
        .map(Some)
        .chain(std::iter::once(None))
        .map(|theme| {
            let members = (0..universal.len())
                .filter(|&k| theme.is_none_or(|t| theme_of(k) == Some(t)))
                .collect();
            (theme, members)
        })
        .collect()
}

/// The completeness table (see [`CompletenessRow`]), sorted by authority, then theme with the
/// all-themes row last.
pub(super) fn completeness(
    index: &Index<'_>,
    pass: &RatingPass,
    model: &QualityModel,
) -> Vec<CompletenessRow> {
    let themes = theme_members(index, model);
    let universal = index.universal.len();
    // (visits, complete) per authority and theme.
    let mut counts = vec![(0u64, 0u64); index.authority_names.len() * themes.len()];
    for (v, visit) in index.visits.iter().enumerate() {
        let [authority] = visit.authorities.as_slice() else {
            continue;
        };
        let start = v * pass.width;
        let Some(cover) = pass.valid_cover.get(start..start + universal) else {
            continue;
        };
        for (t, (_, members)) in themes.iter().enumerate() {
            if let Some(slot) = counts.get_mut(*authority as usize * themes.len() + t) {
                slot.0 += 1;
                slot.1 += u64::from(members.iter().all(|&k| cover[k]));
            }
        }
    }
    let mut rows: Vec<CompletenessRow> = counts
        .iter()
        .enumerate()
        .filter(|(_, (visits, _))| *visits > 0)
        .map(|(slot, &(visits, complete))| CompletenessRow {
            authority: index.authority_names[slot / themes.len()].clone(),
            theme: themes[slot % themes.len()].0,
            visits,
            complete,
            share: complete as f64 / visits as f64,
        })
        .collect();
    sort_completeness(&mut rows);
    rows
}
