//! Pass 2: the rating rules, visit by visit, and what the visit rules need to know.
//!
//! Each row gets the first rule that removes it, in the order of the rule table
//! (`missing_visit_id`, `missing_authority`, `conflicting_authority`, `invalid_score`,
//! `unknown_indicator`, `duplicate_rating`), or a flag if it is kept but flagged
//! (`authority_inferred`, `unmodelled_indicator`). A visit with the same indicator scored
//! differently is marked for `conflicting_duplicate`. Then, per visit, the pass counts what
//! the visit rules look at: the remaining ratings, how many of them are 1s, and which
//! universal indicators they cover.

use super::index::{Index, IndicatorInfo};
use super::rules::Rule;

/// The outcome of the rating rules.
pub(super) struct RatingPass {
    /// Per row: the rule that removed it.
    pub status: Vec<Option<Rule>>,
    /// Per row: the flag of a kept row.
    pub flags: Vec<Option<Rule>>,
    /// Per visit: ratings that passed the rating rules.
    pub remaining: Vec<u64>,
    /// Per visit: how many of those are 1s.
    pub ones: Vec<u64>,
    /// Per visit: the first conflicting duplicate, in words.
    pub conflicts: Vec<Option<String>>,
    /// Universal indicators per visit in `covered` and `valid_cover` (at least 1).
    pub width: usize,
    /// `[v * width + k]`: whether a remaining rating of visit `v` scores universal indicator `k`.
    pub covered: Vec<bool>,
    /// `[v * width + k]`: whether visit `v`, if it has one authority, has a valid score for
    /// universal indicator `k` (before duplicates are resolved; for the completeness table).
    pub valid_cover: Vec<bool>,
}

/// Applies the rating rules to every row of `index`.
pub(super) fn apply(index: &Index<'_>) -> RatingPass {
    let visits = index.visits.len();
    let width = index.universal.len().max(1);
    let mut pass = RatingPass {
        status: vec![Some(Rule::MissingVisitId); index.rows()],
        flags: vec![None; index.rows()],
        remaining: vec![0; visits],
        ones: vec![0; visits],
        conflicts: vec![None; visits],
        width,
        covered: vec![false; visits * width],
        valid_cover: vec![false; visits * width],
    };
    // The score each usable indicator id got in the current visit (stamped by visit).
    let mut seen: Vec<(usize, u8)> = vec![(usize::MAX, 0); index.indicators.distinct];
    for v in 0..visits {
        rate_visit(index, v, &mut seen, &mut pass);
        tally_visit(index, v, &mut pass);
    }
    pass
}

/// The rating rules for the rows of visit `v`.
fn rate_visit(index: &Index<'_>, v: usize, seen: &mut [(usize, u8)], pass: &mut RatingPass) {
    let visit = &index.visits[v];
    for row in index.rows_of(v).iter().map(|&r| r as usize) {
        let info = index.indicator(row);
        let score = index.score(row);
        let usable = info.and_then(|i| i.id.zip(i.slot));
        let rule = match (visit.authorities.len(), score, usable) {
            (0, _, _) => Some(Rule::MissingAuthority),
            (2.., _, _) => Some(Rule::ConflictingAuthority),
            (_, None, _) => Some(Rule::InvalidScore),
            (_, _, None) => Some(Rule::UnknownIndicator),
            (_, Some(score), Some((id, slot))) => {
                match std::mem::replace(&mut seen[slot], (v, score)) {
                    (stamp, previous) if stamp == v && previous == score => {
                        Some(Rule::DuplicateRating)
                    }
                    (stamp, previous) if stamp == v => {
                        pass.conflicts[v].get_or_insert_with(|| {
                            format!(
                                "indicator {id} of visit {} is scored both {previous} and {score}",
                                visit.id
                            )
                        });
                        None
                    }
                    _ => None,
                }
            }
        };
        pass.status[row] = rule;
        if rule.is_none() {
            pass.flags[row] = flag(index.authority(row).is_some(), info);
        }
        if visit.authorities.len() == 1
            && score.is_some()
            && let Some(k) = info.and_then(|i| i.universal)
        {
            pass.valid_cover[v * pass.width + k] = true;
        }
    }
}

/// The flag of a kept row: a blank authority taken from the visit, or an id outside the model.
fn flag(names_authority: bool, info: Option<&IndicatorInfo>) -> Option<Rule> {
    if !names_authority {
        Some(Rule::AuthorityInferred)
    } else if info.is_some_and(|i| !i.modelled) {
        Some(Rule::UnmodelledIndicator)
    } else {
        None
    }
}

/// Marks a conflicting visit's rows, and counts what the visit rules need.
fn tally_visit(index: &Index<'_>, v: usize, pass: &mut RatingPass) {
    let conflicting = pass.conflicts[v].is_some();
    for row in index.rows_of(v).iter().map(|&r| r as usize) {
        if conflicting && pass.status[row].is_none() {
            pass.status[row] = Some(Rule::ConflictingDuplicate);
        }
        if pass.status[row].is_some() {
            continue;
        }
        pass.remaining[v] += 1;
        if index.score(row) == Some(1) {
            pass.ones[v] += 1;
        }
        if let Some(k) = index.indicator(row).and_then(|i| i.universal) {
            pass.covered[v * pass.width + k] = true;
        }
    }
}
