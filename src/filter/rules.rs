//! The filter rules as one table: each rule's name in outputs, what it removes, its number
//! among the LOS paper's four filters, and one line saying what it does (in English, and in
//! Danish for the Danish report and summaries).
//!
//! Adding a rule: a variant of [`Rule`], its row in [`RULES`] (in the order the rules
//! apply), and the pass that applies it ([`super`] lists the passes).
//!
//! Flags: a kept rating gets at most one of `authority_inferred` and `unmodelled_indicator`
//! (the first, if both apply), and, independently of them, `invalid_date`; a rating with both
//! kinds is listed once per flag and counted under each, so no flag changes another's count.
//! `invalid_date` is in the counts only when it flagged a rating ([`Rule::always_counted`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A filter rule (see the module docs of [`mod@crate::filter`] for the order and meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A record with the wrong number of fields.
    MalformedRow,
    /// A rating with a blank visit id.
    MissingVisitId,
    /// LOS 1: a visit without authority.
    MissingAuthority,
    /// A visit under two authorities.
    ConflictingAuthority,
    /// LOS 2: a score that is not an integer 1–5.
    InvalidScore,
    /// An indicator id that does not parse or whose criterion is not in the model.
    UnknownIndicator,
    /// The same indicator again, same score: the repeat is dropped.
    DuplicateRating,
    /// The same indicator twice with different scores: the visit is dropped.
    ConflictingDuplicate,
    /// LOS 3: every remaining score of the visit is 1.
    AllOnes,
    /// LOS 4: a universal indicator has no valid score.
    MissingUniversal,
    /// Kept: a blank authority filled from the visit's other rows.
    AuthorityInferred,
    /// Kept: an id not in the model whose criterion is.
    UnmodelledIndicator,
    /// Kept: a visit date that is not a date (see [`super::dates`]).
    InvalidDate,
}

/// What a rule removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Single ratings.
    Rating,
    /// Whole visits.
    Visit,
    /// Nothing: the rating is kept and flagged.
    Flag,
}

/// One row of the rule table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule.
    pub rule: Rule,
    /// Its name in outputs (`missing_authority` …).
    pub name: &'static str,
    /// What it removes.
    pub scope: Scope,
    /// Its number among the LOS paper's four filters (methods box, in its order); `None` for
    /// the rules losstat adds.
    pub los_number: Option<u8>,
    /// One line saying what it does, in English (the language of `results.json`, the CSV
    /// tables and messages).
    pub description: &'static str,
    /// The same line in Danish, for `report.html` and the terminal summaries under
    /// `--lang da` ([`Rule::description_in`]).
    pub description_da: &'static str,
}

/// Every rule, in the order the rules apply.
#[rustfmt::skip]
pub const RULES: [RuleInfo; 13] = {
    use Rule::*;
    use Scope::{Flag, Rating, Visit};
    [
        row(MalformedRow, "malformed_row", Rating, None, "record with a different number of fields than the header", "række med et andet antal felter end overskriftsrækken"),
        row(MissingVisitId, "missing_visit_id", Rating, None, "rating without a visit id", "bedømmelse uden besøgs-id"),
        row(MissingAuthority, "missing_authority", Visit, Some(1), "visit without an authority (LOS rule 1)", "tilsynsbesøg uden socialtilsyn (LOS' regel 1)"),
        row(ConflictingAuthority, "conflicting_authority", Visit, None, "visit id found under two or more authorities", "besøgs-id fundet under to eller flere socialtilsyn"),
        row(InvalidScore, "invalid_score", Rating, Some(2), "score that is not an integer 1-5 (LOS rule 2)", "score, der ikke er et heltal 1–5 (LOS' regel 2)"),
        row(UnknownIndicator, "unknown_indicator", Rating, None, "indicator id not recognised or its criterion not in the model", "indikator-id ikke genkendt, eller dets kriterium er ikke i kvalitetsmodellen"),
        row(DuplicateRating, "duplicate_rating", Rating, None, "indicator scored again in the visit with the same score", "indikator bedømt igen i besøget med samme score"),
        row(ConflictingDuplicate, "conflicting_duplicate", Visit, None, "indicator scored twice in the visit with different scores", "indikator bedømt to gange i besøget med forskellige scorer"),
        row(AllOnes, "all_ones", Visit, Some(3), "visit whose every remaining score is 1 (LOS rule 3)", "tilsynsbesøg, hvor alle tilbageværende scorer er 1 (LOS' regel 3)"),
        row(MissingUniversal, "missing_universal", Visit, Some(4), "visit without a valid score for a universal indicator (LOS rule 4)", "tilsynsbesøg uden gyldig score for en universel indikator (LOS' regel 4)"),
        row(AuthorityInferred, "authority_inferred", Flag, None, "kept: blank authority taken from the visit's other rows", "beholdt: tomt socialtilsyn udfyldt fra besøgets øvrige rækker"),
        row(UnmodelledIndicator, "unmodelled_indicator", Flag, None, "kept: indicator not in the model, joins its criterion", "beholdt: indikator uden for kvalitetsmodellen, indgår i sit kriterium"),
        row(InvalidDate, "invalid_date", Flag, None, "kept: visit date not readable as a date", "beholdt: besøgsdatoen kan ikke læses som en dato"),
    ]
};

/// A row of [`RULES`].
const fn row(
    rule: Rule,
    name: &'static str,
    scope: Scope,
    los_number: Option<u8>,
    description: &'static str,
    description_da: &'static str,
) -> RuleInfo {
    RuleInfo {
        rule,
        name,
        scope,
        los_number,
        description,
        description_da,
    }
}

impl Rule {
    /// All rules in the order they apply.
    pub const ALL: [Rule; RULES.len()] = {
        let mut all = [Rule::MalformedRow; RULES.len()];
        let mut i = 0;
        while i < RULES.len() {
            all[i] = RULES[i].rule;
            i += 1;
        }
        all
    };

    /// The rule's row in [`RULES`].
    pub fn info(self) -> &'static RuleInfo {
        // The table lists the variants in declaration order (checked by a test).
        &RULES[self as usize]
    }

    /// The rule's name in outputs (`missing_authority` …).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Which of the LOS paper's four filters (methods box, numbered in its order) this rule
    /// is; `None` for the rules losstat adds.
    pub fn los_number(self) -> Option<u8> {
        self.info().los_number
    }

    /// What the rule removes.
    pub fn scope(self) -> Scope {
        self.info().scope
    }

    /// One line saying what the rule does, in English (as in `results.json` and the CSV
    /// tables, which stay English whatever `--lang` says).
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// One line saying what the rule does, in `lang` (report.html, terminal summaries).
    ///
    /// ```
    /// use losstat::filter::Rule;
    /// use losstat::plot::Lang;
    /// assert_eq!(Rule::AllOnes.description_in(Lang::En), Rule::AllOnes.description());
    /// assert!(Rule::AllOnes.description_in(Lang::Da).contains("LOS' regel 3"));
    /// ```
    pub fn description_in(self, lang: crate::plot::Lang) -> &'static str {
        match lang {
            crate::plot::Lang::Da => self.info().description_da,
            crate::plot::Lang::En => self.info().description,
        }
    }

    /// Whether [`FilterSummary::rules`] lists the rule even when it counted nothing: every
    /// rule but `invalid_date`, which came later and is listed only when it flagged a rating,
    /// so that the outputs for exports whose dates all read stayed as they were.
    pub fn always_counted(self) -> bool {
        self != Rule::InvalidDate
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts for one rule and one authority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// Visits removed.
    pub visits: u64,
    /// Ratings removed (or flagged, for flag rules).
    pub ratings: u64,
}

/// Counts for one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule.
    pub rule: Rule,
    /// What it removes.
    pub scope: Scope,
    /// The LOS paper's number for the rule (1–4), `None` for the rules losstat adds.
    pub los_rule: Option<u8>,
    /// Visits removed.
    pub visits_dropped: u64,
    /// Ratings removed.
    pub ratings_dropped: u64,
    /// Ratings kept but flagged (flag rules only).
    pub ratings_flagged: u64,
    /// The same, per authority (canonical name; `(none)` or `(conflicting)` where there is none).
    pub by_authority: BTreeMap<String, Dropped>,
}

impl RuleCount {
    /// A count of nothing yet.
    pub fn zero(rule: Rule) -> Self {
        Self {
            rule,
            scope: rule.scope(),
            los_rule: rule.los_number(),
            visits_dropped: 0,
            ratings_dropped: 0,
            ratings_flagged: 0,
            by_authority: BTreeMap::new(),
        }
    }
}

/// The filter's bookkeeping (the `filter` block of `results.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterSummary {
    /// Ratings read, malformed records included.
    pub rows_read: u64,
    /// Distinct visit ids read.
    pub visits_read: u64,
    /// One entry per rule, in order (`invalid_date` only if it flagged a rating:
    /// [`Rule::always_counted`]).
    pub rules: Vec<RuleCount>,
    /// Ratings that passed.
    pub rows_kept: u64,
    /// Visits that passed.
    pub visits_kept: u64,
}

impl FilterSummary {
    /// `rule: n visits, m ratings; …` for the rules that removed something.
    pub fn one_line(&self) -> String {
        let parts: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.visits_dropped + r.ratings_dropped > 0)
            .map(|r| {
                format!(
                    "{}: {} visits, {} ratings",
                    r.rule, r.visits_dropped, r.ratings_dropped
                )
            })
            .collect();
        if parts.is_empty() {
            format!("{} ratings read, none excluded", self.rows_read)
        } else {
            format!("{} ratings read; {}", self.rows_read, parts.join("; "))
        }
    }

    /// Ratings removed by all rules together.
    pub fn ratings_excluded(&self) -> u64 {
        self.rules.iter().map(|r| r.ratings_dropped).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_rule_once_in_declaration_order() {
        for (i, info) in RULES.iter().enumerate() {
            assert_eq!(info.rule as usize, i, "{}", info.name);
            assert_eq!(info.rule.info(), info);
        }
        // Both languages describe every rule, and a LOS rule names its number in both.
        for info in &RULES {
            assert!(
                !info.description_da.is_empty() && info.description_da != info.description,
                "{}",
                info.name
            );
            if let Some(n) = info.los_number {
                assert!(info.description.ends_with(&format!("(LOS rule {n})")));
                assert!(info.description_da.ends_with(&format!("(LOS' regel {n})")));
            }
        }
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        // The LOS paper's four filters, in its order (methods box).
        let los: Vec<(u8, &str)> = RULES
            .iter()
            .filter_map(|r| r.los_number.map(|n| (n, r.name)))
            .collect();
        assert_eq!(
            los,
            [
                (1, "missing_authority"),
                (2, "invalid_score"),
                (3, "all_ones"),
                (4, "missing_universal")
            ]
        );
    }
}
