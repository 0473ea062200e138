//! Pass 4: counting and listing. Every rule's visits and ratings, in total and per
//! authority, and one [`Exclusion`] per removed or flagged rating and rule (one per visit for
//! a visit left with no rating at all), sorted by file, line and rule. `invalid_date` is
//! counted only if it flagged something ([`Rule::always_counted`]).

use std::collections::BTreeMap;

use crate::load::{Field, MalformedRow};

use super::Exclusion;
use super::index::{Index, NONE_KEY};
use super::rating_rules::RatingPass;
use super::rules::{Rule, RuleCount, Scope};
use super::values::{canonical_authority, label_score};
use super::visit_rules::Verdict;

/// Longest raw value kept in the exclusion listing (a 10 MB field stays out of reports).
const RAW_VALUE_PREVIEW: usize = 200;

/// The counts per rule and the exclusion listing.
pub(super) struct Counted {
    /// One count per rule, in rule order.
    pub rules: Vec<RuleCount>,
    /// Every excluded or flagged rating.
    pub exclusions: Vec<Exclusion>,
}

/// Counts and lists what the rating and visit rules removed or flagged, and the malformed
/// records the loader set aside.
pub(super) fn count(
    index: &Index<'_>,
    pass: &RatingPass,
    verdicts: &[Verdict],
    malformed: &[MalformedRow],
) -> Counted {
    let mut counts: BTreeMap<Rule, RuleCount> = Rule::ALL
        .iter()
        .map(|&rule| (rule, RuleCount::zero(rule)))
        .collect();
    let mut exclusions = Vec::new();
    count_visits(index, pass, verdicts, &mut counts, &mut exclusions);
    count_rows(index, pass, verdicts, &mut counts, &mut exclusions);
    count_malformed(malformed, &mut counts, &mut exclusions);
    exclusions.sort_by_key(|e| (e.file, e.line, e.rule));
    Counted {
        rules: counts
            .into_values()
            .filter(|c| c.rule.always_counted() || c.ratings_flagged > 0)
            .collect(),
        exclusions,
    }
}

/// The count of `rule` (every rule has one from the start).
fn slot(counts: &mut BTreeMap<Rule, RuleCount>, rule: Rule) -> &mut RuleCount {
    counts.entry(rule).or_insert_with(|| RuleCount::zero(rule))
}

/// Field `field` of `row` as written, shortened for the listing.
fn preview(index: &Index<'_>, field: Field, row: usize) -> String {
    index
        .raw
        .get(field, row)
        .unwrap_or("")
        .chars()
        .take(RAW_VALUE_PREVIEW)
        .collect()
}

/// Dropped visits per rule; a visit with no rating left is listed once, at its first row.
fn count_visits(
    index: &Index<'_>,
    pass: &RatingPass,
    verdicts: &[Verdict],
    counts: &mut BTreeMap<Rule, RuleCount>,
    exclusions: &mut Vec<Exclusion>,
) {
    for (v, verdict) in verdicts.iter().enumerate() {
        let Some(rule) = verdict.rule else {
            continue;
        };
        let count = slot(counts, rule);
        count.visits_dropped += 1;
        let key = index.authority_key(v).to_string();
        count.by_authority.entry(key).or_default().visits += 1;
        if pass.remaining[v] == 0 && rule == Rule::MissingUniversal {
            let row = index.visits[v].first_row;
            exclusions.push(Exclusion {
                rule,
                file: index.raw.file(row).unwrap_or(0),
                line: index.raw.line(row).unwrap_or(0),
                authority: preview(index, Field::Authority, row),
                visit_id: index.visits[v].id.clone(),
                indicator: String::new(),
                raw_value: String::new(),
                detail: verdict.detail.clone(),
            });
        }
    }
}

/// Removed and flagged ratings per rule, each listed: a row's removing rule or flag, and its
/// `invalid_date` flag besides (a kept row can have both, see [`super::rules`]).
fn count_rows(
    index: &Index<'_>,
    pass: &RatingPass,
    verdicts: &[Verdict],
    counts: &mut BTreeMap<Rule, RuleCount>,
    exclusions: &mut Vec<Exclusion>,
) {
    for row in 0..index.rows() {
        if let Some(rule) = pass.status[row].or(pass.flags[row]) {
            list_row(index, verdicts, row, rule, counts, exclusions);
        }
    }
    // `invalid_date` flags a kept row (no rule removed it) whose date is not a date; no row is
    // looked at unless some file has such a date.
    if index.dates.any_not_read() {
        for row in 0..index.rows() {
            if pass.status[row].is_none() && index.date_unreadable(row) {
                list_row(index, verdicts, row, Rule::InvalidDate, counts, exclusions);
            }
        }
    }
}

/// Counts and lists `row` under `rule`.
fn list_row(
    index: &Index<'_>,
    verdicts: &[Verdict],
    row: usize,
    rule: Rule,
    counts: &mut BTreeMap<Rule, RuleCount>,
    exclusions: &mut Vec<Exclusion>,
) {
    let visit = index.visit_of(row);
    let key = match visit {
        Some(v) => index.authority_key(v).to_string(),
        None => index
            .authority(row)
            .and_then(|a| index.authority_names.get(a as usize).cloned())
            .unwrap_or_else(|| NONE_KEY.to_string()),
    };
    let count = slot(counts, rule);
    count.by_authority.entry(key).or_default().ratings += 1;
    if rule.scope() == Scope::Flag {
        count.ratings_flagged += 1;
    } else {
        count.ratings_dropped += 1;
    }
    let detail = match visit {
        Some(v) => row_detail(index, rule, row, v, &verdicts[v]),
        None => fixed_detail(rule),
    };
    exclusions.push(Exclusion {
        rule,
        file: index.raw.file(row).unwrap_or(0),
        line: index.raw.line(row).unwrap_or(0),
        authority: preview(index, Field::Authority, row),
        visit_id: preview(index, Field::VisitId, row),
        indicator: preview(index, Field::Indicator, row),
        raw_value: preview(index, Field::Score, row),
        detail,
    });
}

/// Why a row of visit `v` was removed or flagged, in words.
fn row_detail(index: &Index<'_>, rule: Rule, row: usize, v: usize, verdict: &Verdict) -> String {
    let id = index.indicator(row).and_then(|i| i.id);
    match rule {
        Rule::MissingVisitId | Rule::MissingAuthority => fixed_detail(rule),
        Rule::InvalidScore => {
            let raw = preview(index, Field::Score, row);
            match label_score(index.raw.get(Field::Score, row).unwrap_or("")) {
                Some(score) => format!(
                    "`{raw}` is not a score: the number beside the label (which means {score}) does not agree"
                ),
                None => format!("`{raw}` is not an integer from 1 to 5"),
            }
        }
        Rule::UnknownIndicator => match id {
            Some(id) => format!(
                "criterion {} of indicator {id} is not in the model",
                id.criterion
            ),
            None => format!(
                "`{}` is not an indicator id like 1.a",
                preview(index, Field::Indicator, row)
            ),
        },
        Rule::DuplicateRating => {
            "repeat of an indicator already scored in this visit with the same score".to_string()
        }
        Rule::AuthorityInferred => format!(
            "blank authority; the visit's other rows say {}",
            index.authority_key(v)
        ),
        Rule::InvalidDate => {
            index
                .dates
                .unreadable_detail(index.raw, row, &preview(index, Field::VisitDate, row))
        }
        Rule::UnmodelledIndicator => id.map_or_else(String::new, |id| {
            format!(
                "{id} is not in the model; it joins criterion {}",
                id.criterion
            )
        }),
        _ => verdict.detail.clone(),
    }
}

/// The detail of the rules whose words do not depend on the row (a row outside any visit
/// can only be `missing_visit_id`).
fn fixed_detail(rule: Rule) -> String {
    match rule {
        Rule::MissingVisitId => "the visit id is blank".to_string(),
        Rule::MissingAuthority => "no row of this visit names an authority".to_string(),
        _ => String::new(),
    }
}

/// The records the loader could not split into the header's fields.
fn count_malformed(
    malformed: &[MalformedRow],
    counts: &mut BTreeMap<Rule, RuleCount>,
    exclusions: &mut Vec<Exclusion>,
) {
    for bad in malformed {
        let key = bad
            .authority
            .as_deref()
            .and_then(canonical_authority)
            .unwrap_or_else(|| NONE_KEY.to_string());
        let count = slot(counts, Rule::MalformedRow);
        count.ratings_dropped += bad.ratings;
        count.by_authority.entry(key).or_default().ratings += bad.ratings;
        exclusions.push(Exclusion {
            rule: Rule::MalformedRow,
            file: bad.file,
            line: bad.line,
            authority: bad.authority.clone().unwrap_or_default(),
            visit_id: bad.visit_id.clone().unwrap_or_default(),
            indicator: String::new(),
            raw_value: bad.raw.clone(),
            detail: bad.detail.clone(),
        });
    }
}
