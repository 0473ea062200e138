//! Pass 3: the visit rules, in the order of the rule table: `missing_authority`,
//! `conflicting_authority`, `conflicting_duplicate`, then the LOS visit rules `all_ones`
//! (LOS 3) and `missing_universal` (LOS 4). A visit a rule drops takes its remaining rows
//! with it.

use super::FilterOptions;
use super::index::Index;
use super::rating_rules::RatingPass;
use super::rules::Rule;

/// Why a visit is dropped, if it is.
#[derive(Debug, Clone, Default)]
pub(super) struct Verdict {
    /// The rule that drops the visit.
    pub rule: Option<Rule>,
    /// Why, in words (empty where the rule says it all).
    pub detail: String,
}

/// Applies the visit rules; the rows of a dropped visit that passed the rating rules get
/// the visit's rule in `pass.status`.
pub(super) fn apply(
    index: &Index<'_>,
    pass: &mut RatingPass,
    options: FilterOptions,
) -> Vec<Verdict> {
    let verdicts: Vec<Verdict> = (0..index.visits.len())
        .map(|v| judge(index, pass, v, options))
        .collect();
    for (v, verdict) in verdicts.iter().enumerate() {
        let Some(rule) = verdict.rule else {
            continue;
        };
        for &row in index.rows_of(v) {
            pass.status[row as usize].get_or_insert(rule);
        }
    }
    verdicts
}

/// The verdict on visit `v`.
fn judge(index: &Index<'_>, pass: &RatingPass, v: usize, options: FilterOptions) -> Verdict {
    let visit = &index.visits[v];
    let drop = |rule, detail| Verdict {
        rule: Some(rule),
        detail,
    };
    if visit.authorities.is_empty() {
        drop(Rule::MissingAuthority, String::new())
    } else if visit.authorities.len() > 1 {
        let names: Vec<&str> = visit
            .authorities
            .iter()
            .filter_map(|&a| index.authority_names.get(a as usize))
            .map(String::as_str)
            .collect();
        let detail = format!("visit {} appears under {}", visit.id, names.join(" and "));
        drop(Rule::ConflictingAuthority, detail)
    } else if let Some(conflict) = &pass.conflicts[v] {
        drop(Rule::ConflictingDuplicate, conflict.clone())
    } else if options.los_visit_rules {
        los_visit_rules(index, pass, v)
    } else {
        // Shown as it is: no LOS visit rule applies.
        Verdict::default()
    }
}

/// LOS rules 3 and 4 on visit `v`.
fn los_visit_rules(index: &Index<'_>, pass: &RatingPass, v: usize) -> Verdict {
    let id = &index.visits[v].id;
    let remaining = pass.remaining[v];
    let drop = |rule, detail| Verdict {
        rule: Some(rule),
        detail,
    };
    if remaining > 0 && pass.ones[v] == remaining {
        return drop(
            Rule::AllOnes,
            format!("all {remaining} remaining scores of visit {id} are 1"),
        );
    }
    if remaining == 0 {
        return drop(
            Rule::MissingUniversal,
            format!("visit {id} has no valid rating left"),
        );
    }
    let missing: Vec<String> = index
        .universal
        .iter()
        .enumerate()
        .filter(|(k, _)| !pass.covered[v * pass.width + k])
        .map(|(_, id)| id.to_string())
        .collect();
    if missing.is_empty() {
        return Verdict::default();
    }
    drop(
        Rule::MissingUniversal,
        format!(
            "visit {id} has no valid score for universal indicator(s) {}",
            missing.join(", ")
        ),
    )
}
