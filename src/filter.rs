//! Stage 2: the LOS filters, and the rules for the data problems real exports have.
//!
//! Input: [`Loaded`] (the raw ratings) and the [`QualityModel`]. Output: [`Filtered`], the
//! ratings that pass with their canonical authority, indicator, criterion, theme and score;
//! every exclusion, listed; and the counts per rule and authority.
//!
//! The rules apply in this order (the LOS paper's four, methods box, in its order, with the
//! extra rules placed where they must act). A rating or visit removed by one rule is not
//! counted again by a later one.
//!
//! | rule | scope | what it does |
//! |---|---|---|
//! | `malformed_row` | rating | a record whose field count differs from the header's is dropped |
//! | `missing_visit_id` | rating | a rating with a blank visit id belongs to no visit and is dropped |
//! | `missing_authority` | visit | **LOS 1**: a visit with no authority on any of its rows is dropped |
//! | `conflicting_authority` | visit | a visit id that appears under two authorities is dropped |
//! | `invalid_score` | rating | **LOS 2**: a score that is not an integer 1–5 is dropped; `4`, `4.0`, `4,0` (and surrounding spaces) are integers; `3.5`, `0`, `6`, empty, `x`, `NaN` are not |
//! | `unknown_indicator` | rating | an id that does not parse (`1.a`, `8 C` …), or whose criterion is not in the model, is dropped |
//! | `duplicate_rating` | rating | the same indicator scored again in a visit with the *same* score: the repeat is dropped |
//! | `conflicting_duplicate` | visit | the same indicator scored twice in a visit with *different* scores: the visit is dropped, since no rule can say which is right |
//! | `all_ones` | visit | **LOS 3**: a visit whose every remaining score is 1 is dropped (assumed a registration error) |
//! | `missing_universal` | visit | **LOS 4**: a visit lacking a valid score for a universal indicator is dropped (so is a visit left with no valid rating) |
//!
//! Two further rules flag ratings but keep them: `authority_inferred` (a row with a blank
//! authority in a visit whose other rows name exactly one authority takes that authority), and
//! `unmodelled_indicator` (a well-formed id such as `5.z` whose criterion is in the model joins
//! that criterion).
//!
//! Authority names are canonicalised: `Nord`, `socialtilsyn nord`, `Socialtilsyn Øst`,
//! `SOCIALTILSYN OEST` become `Socialtilsyn Nord` / `Socialtilsyn Øst`; other names are kept
//! as written (whitespace collapsed), so anonymised names like `Socialtilsyn 3` pass through.
//!
//! Accounting identities, checked by the tests: `rows_read = rows_kept + Σ ratings_dropped`
//! and `visits_read = visits_kept + Σ visits_dropped`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::load::{Loaded, fold};
use crate::model::{IndicatorId, QualityModel};

/// Longest raw value kept in the exclusion listing (a 10 MB field stays out of reports).
const RAW_VALUE_PREVIEW: usize = 200;

/// A filter rule (see the module docs for the order and meaning).
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

impl Rule {
    /// All rules in the order they apply.
    pub const ALL: [Rule; 12] = [
        Rule::MalformedRow,
        Rule::MissingVisitId,
        Rule::MissingAuthority,
        Rule::ConflictingAuthority,
        Rule::InvalidScore,
        Rule::UnknownIndicator,
        Rule::DuplicateRating,
        Rule::ConflictingDuplicate,
        Rule::AllOnes,
        Rule::MissingUniversal,
        Rule::AuthorityInferred,
        Rule::UnmodelledIndicator,
    ];

    /// The rule's name in outputs (`missing_authority` …).
    pub fn name(self) -> &'static str {
        match self {
            Rule::MalformedRow => "malformed_row",
            Rule::MissingVisitId => "missing_visit_id",
            Rule::MissingAuthority => "missing_authority",
            Rule::ConflictingAuthority => "conflicting_authority",
            Rule::InvalidScore => "invalid_score",
            Rule::UnknownIndicator => "unknown_indicator",
            Rule::DuplicateRating => "duplicate_rating",
            Rule::ConflictingDuplicate => "conflicting_duplicate",
            Rule::AllOnes => "all_ones",
            Rule::MissingUniversal => "missing_universal",
            Rule::AuthorityInferred => "authority_inferred",
            Rule::UnmodelledIndicator => "unmodelled_indicator",
        }
    }

    /// What the rule removes.
    pub fn scope(self) -> Scope {
        match self {
            Rule::MalformedRow
            | Rule::MissingVisitId
            | Rule::InvalidScore
            | Rule::UnknownIndicator
            | Rule::DuplicateRating => Scope::Rating,
            Rule::MissingAuthority
            | Rule::ConflictingAuthority
            | Rule::ConflictingDuplicate
            | Rule::AllOnes
            | Rule::MissingUniversal => Scope::Visit,
            Rule::AuthorityInferred | Rule::UnmodelledIndicator => Scope::Flag,
        }
    }

    /// One line saying what the rule does.
    pub fn description(self) -> &'static str {
        match self {
            Rule::MalformedRow => "record with a different number of fields than the header",
            Rule::MissingVisitId => "rating without a visit id",
            Rule::MissingAuthority => "visit without an authority (LOS rule 1)",
            Rule::ConflictingAuthority => "visit id found under two or more authorities",
            Rule::InvalidScore => "score that is not an integer 1-5 (LOS rule 2)",
            Rule::UnknownIndicator => {
                "indicator id not recognised or its criterion not in the model"
            }
            Rule::DuplicateRating => "indicator scored again in the visit with the same score",
            Rule::ConflictingDuplicate => {
                "indicator scored twice in the visit with different scores"
            }
            Rule::AllOnes => "visit whose every remaining score is 1 (LOS rule 3)",
            Rule::MissingUniversal => {
                "visit without a valid score for a universal indicator (LOS rule 4)"
            }
            Rule::AuthorityInferred => "kept: blank authority taken from the visit's other rows",
            Rule::UnmodelledIndicator => "kept: indicator not in the model, joins its criterion",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One excluded (or flagged) rating, as listed in `exclusions.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    /// The rule that removed or flagged it.
    pub rule: Rule,
    /// Index of the source file.
    pub file: u32,
    /// Line (or Excel row) where the rating was read.
    pub line: u64,
    /// Authority of the row as written (empty if blank).
    pub authority: String,
    /// Visit id as written.
    pub visit_id: String,
    /// Indicator as written.
    pub indicator: String,
    /// The raw score (or the raw record, for malformed rows), shortened.
    pub raw_value: String,
    /// Why, in words.
    pub detail: String,
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
    /// Visits removed.
    pub visits_dropped: u64,
    /// Ratings removed.
    pub ratings_dropped: u64,
    /// Ratings kept but flagged (flag rules only).
    pub ratings_flagged: u64,
    /// The same, per authority (canonical name; `(none)` or `(conflicting)` where there is none).
    pub by_authority: BTreeMap<String, Dropped>,
}

/// The filter's bookkeeping (the `filter` block of `results.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterSummary {
    /// Ratings read, malformed records included.
    pub rows_read: u64,
    /// Distinct visit ids read.
    pub visits_read: u64,
    /// One entry per rule, in order.
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

/// The filter stage's output.
#[derive(Debug, Clone)]
pub struct Filtered {
    /// Ratings that passed: `file` u32, `line` u64, `authority`, `visit_id`, `indicator`
    /// (canonical `8.c`), `criterion` u32, `theme` u32, `score` f64, `offer_id`,
    /// `offer_type`, `visit_date`; sorted by authority, visit, indicator.
    pub ratings: DataFrame,
    /// Every excluded or flagged rating, sorted by file and line.
    pub exclusions: Vec<Exclusion>,
    /// Counts.
    pub summary: FilterSummary,
    /// Completeness of the universal indicators per authority and theme (seed 000).
    pub completeness: Vec<CompletenessRow>,
}

/// How many of an authority's visits have a valid score for every universal indicator of a
/// theme (the audit function's minimum report content: scores for all indicators).
///
/// Counted over every visit with exactly one authority, *before* the visit-level rules
/// (after them every kept visit is complete by construction), using the ratings that pass
/// the rating-level rules. Conditional indicators are not counted: whether they apply to a
/// visit depends on facts about the offer that exports do not carry.
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

impl Filtered {
    /// Every authority name this result mentions (kept, excluded, or only in counts),
    /// canonical, sorted; the placeholders `(none)` and `(conflicting)` excluded.
    pub fn authority_names(&self) -> Result<Vec<String>> {
        let mut names = std::collections::BTreeSet::new();
        let kept = self.ratings.column("authority")?.str()?;
        names.extend(kept.iter().flatten().map(str::to_string));
        for rule in &self.summary.rules {
            names.extend(rule.by_authority.keys().cloned());
        }
        names.extend(
            self.exclusions
                .iter()
                .filter_map(|e| canonical_authority(&e.authority)),
        );
        names.remove(NONE_KEY);
        names.remove(CONFLICT_KEY);
        Ok(names.into_iter().collect())
    }

    /// Replaces authority names by `mapping` (canonical name → new name) everywhere: the kept
    /// ratings, the exclusion listing (the raw authority field and the details), the counts and
    /// the completeness table. Raw spellings are matched through [`canonical_authority`].
    pub fn rename_authorities(&mut self, mapping: &BTreeMap<String, String>) -> Result<()> {
        let rename = |raw: &str| -> Option<String> {
            canonical_authority(raw).and_then(|c| mapping.get(&c).cloned())
        };
        let kept = self.ratings.column("authority")?.str()?;
        let renamed: Vec<Option<String>> = kept
            .iter()
            .map(|a| a.map(|a| rename(a).unwrap_or_else(|| a.to_string())))
            .collect();
        self.ratings
            .with_column(Column::new("authority".into(), renamed))?;
        self.ratings = self
            .ratings
            .sort(KEPT_ORDER, SortMultipleOptions::default())?;
        // Free text (details, raw records) may hold a name in any spelling: replace the
        // canonical names and their short forms ("Nord"), longest first.
        let mut spellings: Vec<(String, &String)> = Vec::new();
        for (from, to) in mapping {
            spellings.push((from.clone(), to));
            if let Some(short) = from
                .strip_prefix("Socialtilsyn ")
                .filter(|s| s.chars().count() >= 3)
            {
                spellings.push((short.to_string(), to));
            }
        }
        spellings.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let scrub = |text: &mut String| {
            for (from, to) in &spellings {
                if text.contains(from.as_str()) {
                    *text = text.replace(from.as_str(), to);
                }
            }
        };
        for e in &mut self.exclusions {
            match rename(&e.authority) {
                Some(new) => e.authority = new,
                None => scrub(&mut e.authority),
            }
            for text in [
                &mut e.detail,
                &mut e.raw_value,
                &mut e.visit_id,
                &mut e.indicator,
            ] {
                scrub(text);
            }
        }
        for rule in &mut self.summary.rules {
            rule.by_authority = std::mem::take(&mut rule.by_authority)
                .into_iter()
                .map(|(k, v)| (mapping.get(&k).cloned().unwrap_or(k), v))
                .collect();
        }
        for row in &mut self.completeness {
            if let Some(new) = mapping.get(&row.authority) {
                row.authority = new.clone();
            }
        }
        sort_completeness(&mut self.completeness);
        Ok(())
    }

    /// The exclusions as a DataFrame (columns as [`Exclusion`]; `rule` as its name).
    pub fn exclusions_frame(&self) -> Result<DataFrame> {
        let e = &self.exclusions;
        let text = |name: &str, f: &dyn Fn(&Exclusion) -> &str| {
            Column::new(name.into(), e.iter().map(f).collect::<Vec<&str>>())
        };
        Ok(DataFrame::new(
            e.len(),
            vec![
                text("rule", &|x| x.rule.name()),
                Column::new(
                    "file".into(),
                    e.iter().map(|x| x.file).collect::<Vec<u32>>(),
                ),
                Column::new(
                    "line".into(),
                    e.iter().map(|x| x.line).collect::<Vec<u64>>(),
                ),
                text("authority", &|x| &x.authority),
                text("visit_id", &|x| &x.visit_id),
                text("indicator", &|x| &x.indicator),
                text("raw_value", &|x| &x.raw_value),
                text("detail", &|x| &x.detail),
            ],
        )?)
    }
}

/// Canonical authority name (see the module docs); `None` for a blank.
///
/// ```
/// use losstat::filter::canonical_authority;
/// assert_eq!(canonical_authority(" socialtilsyn  OEST").as_deref(), Some("Socialtilsyn Øst"));
/// assert_eq!(canonical_authority("Nord").as_deref(), Some("Socialtilsyn Nord"));
/// assert_eq!(canonical_authority("Socialtilsyn  3").as_deref(), Some("Socialtilsyn 3"));
/// assert_eq!(canonical_authority("  "), None);
/// ```
pub fn canonical_authority(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    let folded = fold(&collapsed);
    let key = ["socialtilsynet", "socialtilsyn"]
        .iter()
        .find_map(|p| folded.strip_prefix(p))
        .unwrap_or(&folded);
    let canonical = match key {
        "nord" => "Socialtilsyn Nord",
        "midt" => "Socialtilsyn Midt",
        "syd" => "Socialtilsyn Syd",
        "ost" | "oest" => "Socialtilsyn Øst",
        "hovedstaden" => "Socialtilsyn Hovedstaden",
        _ => return Some(collapsed),
    };
    Some(canonical.to_string())
}

/// Parses a score: an integer 1–5, written `4`, `4.0`, `4,00`, with optional surrounding
/// whitespace. Anything else is `None`.
///
/// ```
/// use losstat::filter::parse_score;
/// assert_eq!(parse_score(" 4,0 "), Some(4));
/// assert_eq!(parse_score("3.5"), None);
/// assert_eq!(parse_score("6"), None);
/// ```
pub fn parse_score(raw: &str) -> Option<u8> {
    let s = raw.trim();
    let mut chars = s.chars();
    let digit = chars.next()?;
    if !('1'..='5').contains(&digit) {
        return None;
    }
    let rest = chars.as_str();
    let valid_tail = rest.is_empty()
        || (rest.len() > 1
            && (rest.starts_with('.') || rest.starts_with(','))
            && rest[1..].bytes().all(|b| b == b'0'));
    valid_tail.then_some(digit as u8 - b'0')
}

/// The order of the kept-ratings table.
const KEPT_ORDER: [&str; 6] = [
    "authority",
    "visit_id",
    "criterion",
    "indicator",
    "file",
    "line",
];

const NONE_KEY: &str = "(none)";
const CONFLICT_KEY: &str = "(conflicting)";

/// Per-visit state during filtering.
struct Visit {
    id: String,
    authorities: Vec<u32>,
    conflicting_duplicate: bool,
    conflict: String,
    first_row: usize,
}

impl Visit {
    fn authority_key<'a>(&self, names: &'a [String]) -> &'a str {
        match self.authorities.as_slice() {
            [] => NONE_KEY,
            [one] => names.get(*one as usize).map_or(NONE_KEY, String::as_str),
            _ => CONFLICT_KEY,
        }
    }
}

/// Options for [`filter_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterOptions {
    /// Apply the LOS visit rules `all_ones` and `missing_universal`. Off only to *show* a
    /// single visit that those rules would drop (`losstat spider`); every comparison uses them.
    pub los_visit_rules: bool,
}

impl Default for FilterOptions {
    fn default() -> Self {
        Self {
            los_visit_rules: true,
        }
    }
}

/// Applies the rules (see the module docs) to the loaded ratings.
pub fn filter(loaded: &Loaded, model: &QualityModel) -> Result<Filtered> {
    filter_with(loaded, model, &FilterOptions::default())
}

/// [`filter`] with options.
pub fn filter_with(
    loaded: &Loaded,
    model: &QualityModel,
    options: &FilterOptions,
) -> Result<Filtered> {
    let df = &loaded.ratings;
    let n = df.height();
    let authority_col = df.column("authority")?.str()?;
    let visit_col = df.column("visit_id")?.str()?;
    let indicator_col = df.column("indicator")?.str()?;
    let score_col = df.column("score")?.str()?;
    let file_col = df.column("file")?.u32()?;
    let line_col = df.column("line")?.u64()?;

    // Pass 1: per row, the visit, authority, score and indicator; per visit, its authorities.
    let mut authority_names: Vec<String> = Vec::new();
    let mut authority_index: HashMap<String, u32> = HashMap::new();
    let mut raw_authority_cache: HashMap<&str, Option<u32>> = HashMap::new();
    let mut visits: Vec<Visit> = Vec::new();
    let mut visit_index: HashMap<&str, u32> = HashMap::new();
    let mut row_visit: Vec<u32> = Vec::with_capacity(n);
    let mut row_authority: Vec<Option<u32>> = Vec::with_capacity(n);
    let mut row_score: Vec<Option<u8>> = Vec::with_capacity(n);
    let mut row_indicator: Vec<Option<IndicatorId>> = Vec::with_capacity(n);
    let mut status: Vec<Option<Rule>> = vec![None; n];

    let rows = authority_col
        .iter()
        .zip(visit_col.iter())
        .zip(indicator_col.iter().zip(score_col.iter()));
    for (row, ((authority, visit), (indicator, score))) in rows.enumerate() {
        let authority = match authority {
            Some(raw) => *raw_authority_cache.entry(raw).or_insert_with(|| {
                canonical_authority(raw).map(|name| {
                    let next = authority_names.len() as u32;
                    *authority_index.entry(name.clone()).or_insert_with(|| {
                        authority_names.push(name);
                        next
                    })
                })
            }),
            None => None,
        };
        row_authority.push(authority);
        row_score.push(score.and_then(parse_score));
        row_indicator.push(indicator.and_then(IndicatorId::parse));
        let visit_id = visit.map(str::trim).unwrap_or("");
        if visit_id.is_empty() {
            row_visit.push(u32::MAX);
            status[row] = Some(Rule::MissingVisitId);
            continue;
        }
        let v = *visit_index.entry(visit_id).or_insert_with(|| {
            visits.push(Visit {
                id: visit_id.to_string(),
                authorities: Vec::new(),
                conflicting_duplicate: false,
                conflict: String::new(),
                first_row: row,
            });
            (visits.len() - 1) as u32
        });
        row_visit.push(v);
        if let Some(a) = authority {
            let list = &mut visits[v as usize].authorities;
            if !list.contains(&a) {
                list.push(a);
            }
        }
    }

    // Pass 2: rules in order, per row.
    let mut seen: HashMap<(u32, IndicatorId), u8> = HashMap::new();
    let mut flags: Vec<Option<Rule>> = vec![None; n];
    for row in 0..n {
        if status[row].is_some() {
            continue;
        }
        let visit = &visits[row_visit[row] as usize];
        let rule = match (visit.authorities.len(), row_score[row], row_indicator[row]) {
            (0, _, _) => Some(Rule::MissingAuthority),
            (2.., _, _) => Some(Rule::ConflictingAuthority),
            (_, None, _) => Some(Rule::InvalidScore),
            (_, _, None) => Some(Rule::UnknownIndicator),
            (_, _, Some(id)) if model.theme_of_criterion(id.criterion).is_none() => {
                Some(Rule::UnknownIndicator)
            }
            (_, Some(score), Some(id)) => match seen.insert((row_visit[row], id), score) {
                Some(previous) if previous == score => Some(Rule::DuplicateRating),
                Some(previous) => {
                    let visit = &mut visits[row_visit[row] as usize];
                    if !visit.conflicting_duplicate {
                        visit.conflicting_duplicate = true;
                        visit.conflict = format!(
                            "indicator {id} of visit {} is scored both {previous} and {score}",
                            visit.id
                        );
                    }
                    None
                }
                None => None,
            },
        };
        status[row] = rule;
        if rule.is_none() {
            let id = row_indicator[row];
            flags[row] = if row_authority[row].is_none() {
                Some(Rule::AuthorityInferred)
            } else if id.is_some_and(|id| model.indicator(id).is_none()) {
                Some(Rule::UnmodelledIndicator)
            } else {
                None
            };
        }
    }

    // Pass 3: visit rules on what remains.
    let universal: Vec<IndicatorId> = model.universal().map(|i| i.id).collect();
    let mut remaining = vec![0u64; visits.len()];
    let mut ones = vec![0u64; visits.len()];
    let mut covered = vec![0u64; visits.len() * universal.len().max(1)];
    let mut valid_cover = vec![false; visits.len() * universal.len().max(1)];
    for row in 0..n {
        let attributable = visits
            .get(row_visit[row] as usize)
            .is_some_and(|v| v.authorities.len() == 1);
        if attributable
            && row_score[row].is_some()
            && let Some(k) =
                row_indicator[row].and_then(|id| universal.iter().position(|u| *u == id))
        {
            valid_cover[row_visit[row] as usize * universal.len() + k] = true;
        }
        if visits
            .get(row_visit[row] as usize)
            .is_some_and(|v| v.conflicting_duplicate)
            && status[row].is_none()
        {
            status[row] = Some(Rule::ConflictingDuplicate);
        }
        if status[row].is_some() {
            continue;
        }
        let v = row_visit[row] as usize;
        remaining[v] += 1;
        if row_score[row] == Some(1) {
            ones[v] += 1;
        }
        if let Some(k) = row_indicator[row].and_then(|id| universal.iter().position(|u| *u == id)) {
            covered[v * universal.len() + k] += 1;
        }
    }
    let mut visit_rule: Vec<Option<Rule>> = vec![None; visits.len()];
    let mut visit_detail: Vec<String> = vec![String::new(); visits.len()];
    for (v, visit) in visits.iter().enumerate() {
        if visit.authorities.is_empty() {
            visit_rule[v] = Some(Rule::MissingAuthority);
        } else if visit.authorities.len() > 1 {
            visit_rule[v] = Some(Rule::ConflictingAuthority);
            visit_detail[v] = format!(
                "visit {} appears under {}",
                visit.id,
                visit
                    .authorities
                    .iter()
                    .filter_map(|&a| authority_names.get(a as usize))
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(" and ")
            );
        } else if visit.conflicting_duplicate {
            visit_rule[v] = Some(Rule::ConflictingDuplicate);
            visit_detail[v] = visit.conflict.clone();
        } else if !options.los_visit_rules {
            // Shown as it is: no LOS visit rule applies.
        } else if remaining[v] > 0 && ones[v] == remaining[v] {
            visit_rule[v] = Some(Rule::AllOnes);
            visit_detail[v] = format!(
                "all {} remaining scores of visit {} are 1",
                remaining[v], visit.id
            );
        } else {
            let missing: Vec<String> = universal
                .iter()
                .enumerate()
                .filter(|(k, _)| covered[v * universal.len() + k] == 0)
                .map(|(_, id)| id.to_string())
                .collect();
            if remaining[v] == 0 {
                visit_rule[v] = Some(Rule::MissingUniversal);
                visit_detail[v] = format!("visit {} has no valid rating left", visit.id);
            } else if !missing.is_empty() {
                visit_rule[v] = Some(Rule::MissingUniversal);
                visit_detail[v] = format!(
                    "visit {} has no valid score for universal indicator(s) {}",
                    visit.id,
                    missing.join(", ")
                );
            }
        }
    }
    for row in 0..n {
        if status[row].is_none() {
            status[row] = visit_rule.get(row_visit[row] as usize).copied().flatten();
        }
    }

    // Counting and listing.
    let mut counts: BTreeMap<Rule, RuleCount> = Rule::ALL
        .iter()
        .map(|&rule| (rule, zero_count(rule)))
        .collect();
    let mut exclusions: Vec<Exclusion> = Vec::new();
    let text = |ca: &StringChunked, row: usize| -> String {
        ca.get(row)
            .unwrap_or("")
            .chars()
            .take(RAW_VALUE_PREVIEW)
            .collect()
    };
    for (v, rule) in visit_rule.iter().enumerate() {
        if let Some(rule) = rule {
            let key = visits[v].authority_key(&authority_names).to_string();
            let count = counts.entry(*rule).or_insert_with(|| zero_count(*rule));
            count.visits_dropped += 1;
            count.by_authority.entry(key).or_default().visits += 1;
            if remaining[v] == 0 && *rule == Rule::MissingUniversal {
                let row = visits[v].first_row;
                exclusions.push(Exclusion {
                    rule: *rule,
                    file: file_col.get(row).unwrap_or(0),
                    line: line_col.get(row).unwrap_or(0),
                    authority: text(authority_col, row),
                    visit_id: visits[v].id.clone(),
                    indicator: String::new(),
                    raw_value: String::new(),
                    detail: visit_detail[v].clone(),
                });
            }
        }
    }
    for row in 0..n {
        let Some(rule) = status[row].or(flags[row]) else {
            continue;
        };
        let visit = visits.get(row_visit[row] as usize);
        let key = match visit {
            Some(visit) => visit.authority_key(&authority_names).to_string(),
            None => row_authority[row]
                .and_then(|a| authority_names.get(a as usize).cloned())
                .unwrap_or_else(|| NONE_KEY.to_string()),
        };
        let count = counts.entry(rule).or_insert_with(|| zero_count(rule));
        let per_authority = count.by_authority.entry(key).or_default();
        per_authority.ratings += 1;
        if rule.scope() == Scope::Flag {
            count.ratings_flagged += 1;
        } else {
            count.ratings_dropped += 1;
        }
        let raw_score = text(score_col, row);
        let raw_indicator = text(indicator_col, row);
        let detail = match rule {
            Rule::MissingVisitId => "the visit id is blank".to_string(),
            Rule::MissingAuthority => "no row of this visit names an authority".to_string(),
            Rule::InvalidScore => format!("`{raw_score}` is not an integer from 1 to 5"),
            Rule::UnknownIndicator => match row_indicator[row] {
                Some(id) => format!(
                    "criterion {} of indicator {id} is not in the model",
                    id.criterion
                ),
                None => format!("`{raw_indicator}` is not an indicator id like 1.a"),
            },
            Rule::DuplicateRating => {
                "repeat of an indicator already scored in this visit with the same score"
                    .to_string()
            }
            Rule::AuthorityInferred => format!(
                "blank authority; the visit's other rows say {}",
                visit.map_or(NONE_KEY, |v| v.authority_key(&authority_names))
            ),
            Rule::UnmodelledIndicator => match row_indicator[row] {
                Some(id) => format!(
                    "{id} is not in the model; it joins criterion {}",
                    id.criterion
                ),
                None => String::new(),
            },
            _ => visit.map_or_else(String::new, |_| {
                visit_detail[row_visit[row] as usize].clone()
            }),
        };
        exclusions.push(Exclusion {
            rule,
            file: file_col.get(row).unwrap_or(0),
            line: line_col.get(row).unwrap_or(0),
            authority: text(authority_col, row),
            visit_id: text(visit_col, row),
            indicator: raw_indicator,
            raw_value: raw_score,
            detail,
        });
    }
    for bad in &loaded.malformed {
        let key = bad
            .authority
            .as_deref()
            .and_then(canonical_authority)
            .unwrap_or_else(|| NONE_KEY.to_string());
        let count = counts
            .entry(Rule::MalformedRow)
            .or_insert_with(|| zero_count(Rule::MalformedRow));
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
    exclusions.sort_by_key(|e| (e.file, e.line, e.rule));

    // The kept table.
    let kept: Vec<IdxSize> = (0..n)
        .filter(|&row| status[row].is_none())
        .map(|row| row as IdxSize)
        .collect();
    let kept_visits = visit_rule
        .iter()
        .zip(&remaining)
        .filter(|(rule, rem)| rule.is_none() && **rem > 0)
        .count() as u64;
    let ratings = kept_table(
        df,
        &kept,
        |row| {
            let visit = &visits[row_visit[row] as usize];
            visit.authority_key(&authority_names)
        },
        |row| visits[row_visit[row] as usize].id.as_str(),
        |row| row_indicator[row],
        |row| row_score[row].map_or(f64::NAN, f64::from),
        model,
    )?;
    let malformed_ratings: u64 = loaded.malformed.iter().map(|m| m.ratings).sum();
    let summary = FilterSummary {
        rows_read: n as u64 + malformed_ratings,
        visits_read: visits.len() as u64,
        rules: counts.into_values().collect(),
        rows_kept: kept.len() as u64,
        visits_kept: kept_visits,
    };
    let completeness = completeness(&visits, &authority_names, &universal, &valid_cover, model);
    Ok(Filtered {
        ratings,
        exclusions,
        summary,
        completeness,
    })
}

/// Completeness rows by authority, then theme, with the all-themes row last.
fn sort_completeness(rows: &mut [CompletenessRow]) {
    rows.sort_by(|a, b| {
        (a.authority.as_str(), a.theme.is_none(), a.theme).cmp(&(
            b.authority.as_str(),
            b.theme.is_none(),
            b.theme,
        ))
    });
}

/// The completeness table (see [`CompletenessRow`]), sorted by authority, then theme with the
/// all-themes row last.
fn completeness(
    visits: &[Visit],
    authority_names: &[String],
    universal: &[IndicatorId],
    valid_cover: &[bool],
    model: &QualityModel,
) -> Vec<CompletenessRow> {
    let themes: Vec<Option<u32>> = model
        .themes
        .keys()
        .copied()
        .filter(|t| {
            universal
                .iter()
                .any(|id| model.theme_of_criterion(id.criterion) == Some(*t))
        })
        .map(Some)
        .chain(std::iter::once(None))
        .collect();
    let mut counts: BTreeMap<(&str, Option<u32>), (u64, u64)> = BTreeMap::new();
    for (v, visit) in visits.iter().enumerate() {
        let [authority] = visit.authorities.as_slice() else {
            continue;
        };
        let Some(name) = authority_names.get(*authority as usize) else {
            continue;
        };
        for theme in &themes {
            let complete = universal.iter().enumerate().all(|(k, id)| {
                let in_theme =
                    theme.is_none_or(|t| model.theme_of_criterion(id.criterion) == Some(t));
                !in_theme || valid_cover[v * universal.len() + k]
            });
            let slot = counts.entry((name.as_str(), *theme)).or_default();
            slot.0 += 1;
            slot.1 += u64::from(complete);
        }
    }
    let mut rows: Vec<CompletenessRow> = counts
        .into_iter()
        .map(|((authority, theme), (visits, complete))| CompletenessRow {
            authority: authority.to_string(),
            theme,
            visits,
            complete,
            share: complete as f64 / visits as f64,
        })
        .collect();
    sort_completeness(&mut rows);
    rows
}

/// A count of nothing yet.
fn zero_count(rule: Rule) -> RuleCount {
    RuleCount {
        rule,
        scope: rule.scope(),
        visits_dropped: 0,
        ratings_dropped: 0,
        ratings_flagged: 0,
        by_authority: BTreeMap::new(),
    }
}

/// Builds the table of kept ratings, sorted by authority, visit and indicator.
fn kept_table<'a>(
    df: &DataFrame,
    kept: &[IdxSize],
    authority: impl Fn(usize) -> &'a str,
    visit: impl Fn(usize) -> &'a str,
    indicator: impl Fn(usize) -> Option<IndicatorId>,
    score: impl Fn(usize) -> f64,
    model: &QualityModel,
) -> Result<DataFrame> {
    let idx = IdxCa::from_vec("idx".into(), kept.to_vec());
    let mut base = df
        .select(["file", "line", "offer_id", "offer_type", "visit_date"])?
        .take(&idx)?;
    let rows = || kept.iter().map(|&r| r as usize);
    let ids: Vec<Option<IndicatorId>> = rows().map(&indicator).collect();
    let columns = [
        Column::new(
            "authority".into(),
            rows().map(&authority).collect::<Vec<&str>>(),
        ),
        Column::new("visit_id".into(), rows().map(&visit).collect::<Vec<&str>>()),
        Column::new(
            "indicator".into(),
            ids.iter()
                .map(|id| id.map(|id| id.to_string()).unwrap_or_default())
                .collect::<Vec<String>>(),
        ),
        Column::new(
            "criterion".into(),
            ids.iter()
                .map(|id| id.map_or(0, |id| id.criterion))
                .collect::<Vec<u32>>(),
        ),
        Column::new(
            "theme".into(),
            ids.iter()
                .map(|id| {
                    id.and_then(|id| model.theme_of_criterion(id.criterion))
                        .unwrap_or(0)
                })
                .collect::<Vec<u32>>(),
        ),
        Column::new("score".into(), rows().map(&score).collect::<Vec<f64>>()),
    ];
    base.hstack_mut(&columns)?;
    let ordered = base.select([
        "file",
        "line",
        "authority",
        "visit_id",
        "indicator",
        "criterion",
        "theme",
        "score",
        "offer_id",
        "offer_type",
        "visit_date",
    ])?;
    Ok(ordered.sort(KEPT_ORDER, SortMultipleOptions::default())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_the_los_integer_rule() {
        for (raw, expected) in [
            ("4", Some(4)),
            ("4.0", Some(4)),
            ("4,0", Some(4)),
            (" 5 ", Some(5)),
            ("1,000", Some(1)),
            ("3.5", None),
            ("3,5", None),
            ("0", None),
            ("6", None),
            ("", None),
            ("x", None),
            ("NaN", None),
            ("inf", None),
            ("-0", None),
            ("4.0000001", None),
            ("4 point", None),
            ("1e308", None),
            ("4.", None),
            ("+4", None),
        ] {
            assert_eq!(parse_score(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn authorities_are_canonicalised() {
        for raw in [
            "Nord",
            "socialtilsyn nord",
            " SOCIALTILSYN  NORD ",
            "Socialtilsynet Nord",
        ] {
            assert_eq!(
                canonical_authority(raw).as_deref(),
                Some("Socialtilsyn Nord")
            );
        }
        for raw in ["Øst", "Socialtilsyn Oest", "socialtilsyn øst"] {
            assert_eq!(
                canonical_authority(raw).as_deref(),
                Some("Socialtilsyn Øst")
            );
        }
        assert_eq!(canonical_authority("Tilsyn X").as_deref(), Some("Tilsyn X"));
    }
}
