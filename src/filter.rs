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
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::load::{Field, Loaded, MISSING, RawRatings, fold};
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

    /// Which of the LOS paper's four filters (methods box, numbered in its order) this rule
    /// is; `None` for the rules losstat adds.
    pub fn los_number(self) -> Option<u8> {
        match self {
            Rule::MissingAuthority => Some(1),
            Rule::InvalidScore => Some(2),
            Rule::AllOnes => Some(3),
            Rule::MissingUniversal => Some(4),
            _ => None,
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
    /// Ratings that passed: `file` u32, `line` u64, `visit` u32 (the rating's row in
    /// [`Filtered::visits`], where its authority and visit id are), `indicator` (canonical
    /// `8.c`), `criterion` u32, `theme` u32, `score` f64; sorted by visit (so by authority
    /// and visit id), then indicator, file and line. Join with `visits` on its row number for
    /// the names:
    ///
    /// ```
    /// # fn main() -> losstat::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("export.csv");
    /// # std::fs::write(&path, "authority,visit_id,indicator,score\nNord,v1,1.a,4\n").unwrap();
    /// # let loaded = losstat::load::load(&[path], &Default::default())?;
    /// # let model = losstat::model::QualityModel::embedded()?;
    /// # let filtered = losstat::filter::filter_with(&loaded, &model, &losstat::filter::FilterOptions { los_visit_rules: false })?;
    /// let visit = filtered.ratings.column("visit")?.u32()?;
    /// let authority = filtered.visits.column("authority")?.str()?;
    /// let first = visit.get(0).unwrap() as usize;
    /// assert_eq!(authority.get(first), Some("Socialtilsyn Nord"));
    /// # Ok(()) }
    /// ```
    ///
    /// (A name column per rating would hold 10 million copies of five names.)
    pub ratings: DataFrame,
    /// One row per kept visit: `authority`, `visit_id`, and the visit's `offer_id`,
    /// `offer_type` and `visit_date` (the first non-blank value among its kept ratings, in
    /// the order of `ratings`), `ratings` u32 (how many rows of `ratings` it has); sorted by
    /// authority and visit.
    pub visits: DataFrame,
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
        let kept = self.visits.column("authority")?.str()?;
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

    /// Where each visit's ratings start in [`Filtered::ratings`] (from the `ratings` column of
    /// [`Filtered::visits`]), with the end of the last one appended: visit `v` is rows
    /// `starts[v]..starts[v + 1]`.
    pub fn visit_starts(&self) -> Result<Vec<usize>> {
        let counts = self.visits.column("ratings")?.u32()?;
        let mut starts = Vec::with_capacity(counts.len() + 1);
        let mut at = 0usize;
        starts.push(at);
        for n in counts.iter() {
            at += n.unwrap_or(0) as usize;
            starts.push(at);
        }
        Ok(starts)
    }

    /// Replaces authority names by `mapping` (canonical name → new name) everywhere: the kept
    /// ratings, the exclusion listing (the raw authority field and the details), the counts and
    /// the completeness table. Raw spellings are matched through [`canonical_authority`].
    pub fn rename_authorities(&mut self, mapping: &BTreeMap<String, String>) -> Result<()> {
        let rename = |raw: &str| -> Option<String> {
            canonical_authority(raw).and_then(|c| mapping.get(&c).cloned())
        };
        // The visits are put back in name order; the ratings follow their visits.
        let (visits, order) = renamed_in_order(&self.visits, &rename)?;
        let starts = self.visit_starts()?;
        let mut rows: Vec<IdxSize> = Vec::with_capacity(self.ratings.height());
        let mut visit: Vec<u32> = Vec::with_capacity(self.ratings.height());
        for (new, &old) in order.iter().enumerate() {
            let old = old as usize;
            let (Some(&from), Some(&to)) = (starts.get(old), starts.get(old + 1)) else {
                continue;
            };
            rows.extend((from..to).map(|r| r as IdxSize));
            visit.extend(std::iter::repeat_n(new as u32, to - from));
        }
        let mut ratings = self.ratings.take(&IdxCa::from_vec("idx".into(), rows))?;
        ratings.with_column(Column::new("visit".into(), visit))?;
        self.ratings = ratings;
        self.visits = visits;
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

/// `df` (sorted by `authority` first) with its authorities renamed by `rename` and its runs
/// of rows per authority put back in name order (the order within a run is kept), and the
/// old row of each new row.
fn renamed_in_order(
    df: &DataFrame,
    rename: &dyn Fn(&str) -> Option<String>,
) -> Result<(DataFrame, Vec<IdxSize>)> {
    let authority = df.column("authority")?.str()?;
    let mut runs: Vec<(String, usize, usize)> = Vec::new();
    for (row, name) in authority.iter().enumerate() {
        let name = name.unwrap_or("");
        match runs.last_mut() {
            Some(run) if row > 0 && authority.get(row - 1) == Some(name) => run.2 = row + 1,
            _ => runs.push((
                rename(name).unwrap_or_else(|| name.to_string()),
                row,
                row + 1,
            )),
        }
    }
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut order: Vec<IdxSize> = Vec::with_capacity(df.height());
    let mut names = StringChunkedBuilder::new("authority".into(), df.height());
    for (name, start, end) in &runs {
        order.extend((*start..*end).map(|r| r as IdxSize));
        for _ in *start..*end {
            names.append_value(name);
        }
    }
    let mut out = df.take(&IdxCa::from_slice("idx".into(), &order))?;
    out.with_column(names.finish().into_column())?;
    Ok((out, order))
}

const NONE_KEY: &str = "(none)";
const CONFLICT_KEY: &str = "(conflicting)";

/// Per-visit state during filtering.
struct Visit {
    id: String,
    authorities: Vec<u32>,
    conflicting_duplicate: bool,
    conflict: String,
    first_row: usize,
    rows: usize,
}

/// The visit of a row with a blank visit id.
const NO_VISIT: u32 = u32::MAX;

impl Visit {
    fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            authorities: Vec::new(),
            conflicting_duplicate: false,
            conflict: String::new(),
            first_row: usize::MAX,
            rows: 0,
        }
    }

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
    let raw = &loaded.ratings;
    let n = raw.height();
    let universal: Vec<IndicatorId> = model.universal().map(|i| i.id).collect();

    // Each distinct raw value is interpreted once; rows then only look codes up.
    let mut authority_names: Vec<String> = Vec::new();
    let authority_of: Vec<Option<u32>> = raw
        .column(Field::Authority)
        .values()
        .iter()
        .map(|value| {
            canonical_authority(value).map(|name| {
                match authority_names.iter().position(|known| *known == name) {
                    Some(i) => i as u32,
                    None => {
                        authority_names.push(name);
                        (authority_names.len() - 1) as u32
                    }
                }
            })
        })
        .collect();
    let score_of: Vec<Option<u8>> = raw
        .column(Field::Score)
        .values()
        .iter()
        .map(|v| parse_score(v))
        .collect();
    let indicators = IndicatorTable::new(raw.column(Field::Indicator).values(), model, &universal);
    let visit_values = raw.column(Field::VisitId).values();
    let mut visits: Vec<Visit> = Vec::with_capacity(visit_values.len());
    let visit_of: Vec<u32> = {
        let mut index: HashMap<&str, u32, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(visit_values.len(), Default::default());
        visit_values
            .iter()
            .map(|value| {
                let id = value.trim();
                if id.is_empty() {
                    return NO_VISIT;
                }
                *index.entry(id).or_insert_with(|| {
                    visits.push(Visit::new(id));
                    (visits.len() - 1) as u32
                })
            })
            .collect()
    };
    let lookup = |codes: &[u32], row: usize| -> Option<usize> {
        codes
            .get(row)
            .filter(|&&c| c != MISSING)
            .map(|&c| c as usize)
    };
    let row_authority = |row: usize| -> Option<u32> {
        lookup(raw.column(Field::Authority).codes(), row).and_then(|c| authority_of[c])
    };
    let row_score = |row: usize| -> Option<u8> {
        lookup(raw.column(Field::Score).codes(), row).and_then(|c| score_of[c])
    };
    let row_indicator = |row: usize| -> Option<&IndicatorInfo> {
        lookup(raw.column(Field::Indicator).codes(), row).map(|c| &indicators.by_code[c])
    };

    // Pass 1: per row, its visit; per visit, its authorities and rows.
    let mut status: Vec<Option<Rule>> = vec![None; n];
    let mut row_visit: Vec<u32> = Vec::with_capacity(n);
    let visit_codes = raw.column(Field::VisitId).codes();
    for (row, slot) in status.iter_mut().enumerate() {
        let v = lookup(visit_codes, row).map_or(NO_VISIT, |c| visit_of[c]);
        row_visit.push(v);
        let Some(visit) = visits.get_mut(v as usize) else {
            *slot = Some(Rule::MissingVisitId);
            continue;
        };
        visit.rows += 1;
        if visit.first_row == usize::MAX {
            visit.first_row = row;
        }
        if let Some(a) = row_authority(row)
            && !visit.authorities.contains(&a)
        {
            visit.authorities.push(a);
        }
    }
    // The rows of each visit, in file order (a counting sort).
    let mut offsets: Vec<usize> = Vec::with_capacity(visits.len() + 1);
    offsets.push(0);
    for visit in &visits {
        offsets.push(offsets[offsets.len() - 1] + visit.rows);
    }
    let mut visit_rows = vec![0usize; offsets[visits.len()]];
    let mut fill = offsets.clone();
    for (row, &v) in row_visit.iter().enumerate() {
        if let Some(slot) = fill.get_mut(v as usize) {
            visit_rows[*slot] = row;
            *slot += 1;
        }
    }

    // Pass 2, visit by visit: the rating rules in order, then what the visit rules need.
    let width = universal.len().max(1);
    let mut flags: Vec<Option<Rule>> = vec![None; n];
    let mut remaining = vec![0u64; visits.len()];
    let mut ones = vec![0u64; visits.len()];
    let mut covered = vec![false; visits.len() * width];
    let mut valid_cover = vec![false; visits.len() * width];
    // The score each distinct indicator id got in the current visit (stamped by visit).
    let mut seen: Vec<(usize, u8)> = vec![(usize::MAX, 0); indicators.distinct];
    for (v, visit) in visits.iter_mut().enumerate() {
        let rows = &visit_rows[offsets[v]..offsets[v + 1]];
        for &row in rows {
            let info = row_indicator(row);
            let score = row_score(row);
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
                            if !visit.conflicting_duplicate {
                                visit.conflicting_duplicate = true;
                                visit.conflict = format!(
                                    "indicator {id} of visit {} is scored both {previous} and {score}",
                                    visit.id
                                );
                            }
                            None
                        }
                        _ => None,
                    }
                }
            };
            status[row] = rule;
            if rule.is_none() {
                flags[row] = if row_authority(row).is_none() {
                    Some(Rule::AuthorityInferred)
                } else if info.is_some_and(|i| !i.modelled) {
                    Some(Rule::UnmodelledIndicator)
                } else {
                    None
                };
            }
            if visit.authorities.len() == 1
                && score.is_some()
                && let Some(k) = info.and_then(|i| i.universal)
            {
                valid_cover[v * width + k] = true;
            }
        }
        for &row in rows {
            if visit.conflicting_duplicate && status[row].is_none() {
                status[row] = Some(Rule::ConflictingDuplicate);
            }
            if status[row].is_some() {
                continue;
            }
            remaining[v] += 1;
            if row_score(row) == Some(1) {
                ones[v] += 1;
            }
            if let Some(k) = row_indicator(row).and_then(|i| i.universal) {
                covered[v * width + k] = true;
            }
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
                .filter(|(k, _)| !covered[v * width + k])
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
    let text = |field: Field, row: usize| -> String {
        raw.get(field, row)
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
                    file: raw.file.get(row).copied().unwrap_or(0),
                    line: raw.line.get(row).copied().unwrap_or(0),
                    authority: text(Field::Authority, row),
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
            None => row_authority(row)
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
        let raw_score = text(Field::Score, row);
        let raw_indicator = text(Field::Indicator, row);
        let id = row_indicator(row).and_then(|i| i.id);
        let detail = match rule {
            Rule::MissingVisitId => "the visit id is blank".to_string(),
            Rule::MissingAuthority => "no row of this visit names an authority".to_string(),
            Rule::InvalidScore => format!("`{raw_score}` is not an integer from 1 to 5"),
            Rule::UnknownIndicator => match id {
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
            Rule::UnmodelledIndicator => match id {
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
            file: raw.file.get(row).copied().unwrap_or(0),
            line: raw.line.get(row).copied().unwrap_or(0),
            authority: text(Field::Authority, row),
            visit_id: text(Field::VisitId, row),
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

    // The kept tables: visits by authority and id; in each, its ratings by indicator.
    let mut kept_visits: Vec<usize> = (0..visits.len())
        .filter(|&v| visit_rule[v].is_none() && remaining[v] > 0)
        .collect();
    let authority_of_visit = |v: usize| visits[v].authority_key(&authority_names);
    kept_visits.sort_by(|&x, &y| {
        (authority_of_visit(x), visits[x].id.as_str())
            .cmp(&(authority_of_visit(y), visits[y].id.as_str()))
    });
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut visit_ends: Vec<usize> = Vec::with_capacity(kept_visits.len());
    let indicator_codes = raw.column(Field::Indicator).codes();
    for &v in &kept_visits {
        let start = order.len();
        order.extend(
            visit_rows[offsets[v]..offsets[v + 1]]
                .iter()
                .copied()
                .filter(|&row| status[row].is_none()),
        );
        // Rows are in file and line order already, so (indicator, row) is the order wanted.
        order[start..].sort_unstable_by_key(|&row| {
            let rank = indicator_codes
                .get(row)
                .and_then(|&code| indicators.rank.get(code as usize));
            (rank.copied().unwrap_or(0), row)
        });
        visit_ends.push(order.len());
    }
    let kept = Kept {
        raw,
        order: &order,
        kept_visits: &kept_visits,
        visit_ends: &visit_ends,
        visits: &visits,
        authority_names: &authority_names,
    };
    let ratings = kept.ratings(&indicators, &score_of)?;
    let kept_visit_table = kept.visit_frame()?;
    let malformed_ratings: u64 = loaded.malformed.iter().map(|m| m.ratings).sum();
    let summary = FilterSummary {
        rows_read: n as u64 + malformed_ratings,
        visits_read: visits.len() as u64,
        rules: counts.into_values().collect(),
        rows_kept: order.len() as u64,
        visits_kept: kept_visits.len() as u64,
    };
    let completeness = completeness(&visits, &authority_names, &universal, &valid_cover, model);
    Ok(Filtered {
        ratings,
        visits: kept_visit_table,
        exclusions,
        summary,
        completeness,
    })
}

/// A string column from runs `(value, length)`; equal neighbouring runs are merged. A value
/// longer than a view's 12 inline bytes is stored once per run, not once per row, so an
/// authority name repeated over a million ratings takes 24 bytes, not 24 MB. `rows` is the
/// total length (room for it is reserved up front).
pub(crate) fn runs_column<'a>(
    name: &str,
    runs: impl IntoIterator<Item = (&'a str, usize)>,
    rows: usize,
) -> StringChunked {
    // Sized up front: growing a column of millions of views copies it several times.
    let mut array = polars_arrow::array::MutableBinaryViewArray::<str>::with_capacity(rows);
    let mut pending: Option<(&str, usize)> = None;
    for (value, length) in runs {
        match &mut pending {
            Some((last, n)) if *last == value => *n += length,
            _ => {
                if let Some((last, n)) = pending.replace((value, length)) {
                    array.extend_constant(n, Some(last));
                }
            }
        }
    }
    if let Some((last, n)) = pending {
        array.extend_constant(n, Some(last));
    }
    StringChunked::with_chunk(name.into(), array.freeze())
}

/// What an indicator field's distinct value means.
#[derive(Debug, Clone, Copy)]
struct IndicatorInfo {
    /// The parsed id.
    id: Option<IndicatorId>,
    /// Dense number of the id among the usable ones (criterion in the model); `None` if
    /// unusable.
    slot: Option<usize>,
    /// Whether the id itself is in the model.
    modelled: bool,
    /// Position among the universal indicators.
    universal: Option<usize>,
    /// Criterion and theme (0 when unusable).
    criterion: u32,
    theme: u32,
}

/// [`IndicatorInfo`] per distinct raw indicator value, the canonical spelling of each, and
/// its rank in the order of the parsed ids (unparsed first).
struct IndicatorTable {
    by_code: Vec<IndicatorInfo>,
    canonical: Vec<String>,
    rank: Vec<u32>,
    distinct: usize,
}

impl IndicatorTable {
    fn new(values: &[Box<str>], model: &QualityModel, universal: &[IndicatorId]) -> Self {
        let mut slots: HashMap<IndicatorId, usize> = HashMap::new();
        let mut canonical = Vec::with_capacity(values.len());
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
                canonical.push(id.map(|id| id.to_string()).unwrap_or_default());
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
            canonical,
            rank,
            distinct: slots.len(),
        }
    }
}

/// What the kept tables are built from: the kept rows in their final `order`, and the kept
/// visits with the end of each one's rows in `order`.
struct Kept<'a> {
    raw: &'a RawRatings,
    order: &'a [usize],
    kept_visits: &'a [usize],
    visit_ends: &'a [usize],
    visits: &'a [Visit],
    authority_names: &'a [String],
}

impl Kept<'_> {
    /// The kept ratings in `order` (see [`Filtered::ratings`]).
    fn ratings(&self, indicators: &IndicatorTable, score_of: &[Option<u8>]) -> Result<DataFrame> {
        let (raw, order, visit_ends) = (self.raw, self.order, self.visit_ends);
        // One run per kept visit: its rows are consecutive in `order`.
        let lengths: Vec<usize> = visit_ends
            .iter()
            .scan(0, |start, &end| {
                let n = end - *start;
                *start = end;
                Some(n)
            })
            .collect();
        let indicator_codes = raw.column(Field::Indicator).codes();
        let info = |row: usize| {
            indicator_codes
                .get(row)
                .and_then(|&c| indicators.by_code.get(c as usize))
        };
        let from_indicator = |name: &str, pick: fn(&IndicatorInfo) -> u32| {
            let values: Vec<u32> = order.iter().map(|&r| info(r).map_or(0, pick)).collect();
            Column::new(name.into(), values)
        };
        let score_codes = raw.column(Field::Score).codes();
        // Each column is built on its own, in parallel (the indicator texts take longest).
        type Maker<'m> = Box<dyn Fn() -> Column + Send + Sync + 'm>;
        let makers: Vec<Maker<'_>> = vec![
            Box::new(|| {
                Column::new(
                    "file".into(),
                    order.iter().map(|&r| raw.file[r]).collect::<Vec<u32>>(),
                )
            }),
            Box::new(|| {
                Column::new(
                    "line".into(),
                    order.iter().map(|&r| raw.line[r]).collect::<Vec<u64>>(),
                )
            }),
            Box::new(|| {
                let mut visit = Vec::with_capacity(order.len());
                for (k, &n) in lengths.iter().enumerate() {
                    visit.extend(std::iter::repeat_n(k as u32, n));
                }
                Column::new("visit".into(), visit)
            }),
            Box::new(|| {
                let mut indicator = StringChunkedBuilder::new("indicator".into(), order.len());
                for &row in order {
                    let code = indicator_codes.get(row).copied().unwrap_or(MISSING) as usize;
                    indicator
                        .append_value(indicators.canonical.get(code).map_or("", String::as_str));
                }
                indicator.finish().into_column()
            }),
            Box::new(|| from_indicator("criterion", |i| i.criterion)),
            Box::new(|| from_indicator("theme", |i| i.theme)),
            Box::new(|| {
                Column::new(
                    "score".into(),
                    order
                        .iter()
                        .map(|&r| {
                            score_codes
                                .get(r)
                                .and_then(|&c| score_of.get(c as usize).copied().flatten())
                                .map_or(f64::NAN, f64::from)
                        })
                        .collect::<Vec<f64>>(),
                )
            }),
        ];
        let columns: Vec<Column> = makers.par_iter().map(|make| make()).collect();
        Ok(DataFrame::new(order.len(), columns)?)
    }

    /// The authority of each kept visit.
    fn visit_authorities(&self) -> Vec<&str> {
        self.kept_visits
            .iter()
            .map(|&v| self.visits[v].authority_key(self.authority_names))
            .collect()
    }

    /// The id of each kept visit.
    fn visit_ids(&self) -> Vec<&str> {
        self.kept_visits
            .iter()
            .map(|&v| self.visits[v].id.as_str())
            .collect()
    }

    /// One row per kept visit (see [`Filtered::visits`]).
    fn visit_frame(&self) -> Result<DataFrame> {
        let (raw, order, visit_ends) = (self.raw, self.order, self.visit_ends);
        let mut starts = Vec::with_capacity(visit_ends.len());
        let mut start = 0;
        for &end in visit_ends {
            starts.push((start, end));
            start = end;
        }
        let first_of = |field: Field| -> StringChunked {
            starts
                .iter()
                .map(|&(s, e)| order[s..e].iter().find_map(|&row| raw.get(field, row)))
                .collect()
        };
        let columns = vec![
            Column::new("authority".into(), self.visit_authorities()),
            Column::new("visit_id".into(), self.visit_ids()),
            first_of(Field::OfferId)
                .with_name("offer_id".into())
                .into_column(),
            first_of(Field::OfferType)
                .with_name("offer_type".into())
                .into_column(),
            first_of(Field::VisitDate)
                .with_name("visit_date".into())
                .into_column(),
            Column::new(
                "ratings".into(),
                starts
                    .iter()
                    .map(|&(s, e)| (e - s) as u32)
                    .collect::<Vec<u32>>(),
            ),
        ];
        Ok(DataFrame::new(self.kept_visits.len(), columns)?)
    }
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
    // The universal indicators of each theme (all of them for the all-themes row).
    let members: Vec<Vec<usize>> = themes
        .iter()
        .map(|theme| {
            (0..universal.len())
                .filter(|&k| {
                    theme
                        .is_none_or(|t| model.theme_of_criterion(universal[k].criterion) == Some(t))
                })
                .collect()
        })
        .collect();
    // (visits, complete) per authority and theme.
    let mut counts = vec![(0u64, 0u64); authority_names.len() * themes.len()];
    for (v, visit) in visits.iter().enumerate() {
        let [authority] = visit.authorities.as_slice() else {
            continue;
        };
        // As filled by the filter: `universal.len().max(1)` slots per visit.
        let start = v * universal.len().max(1);
        let Some(cover) = valid_cover.get(start..start + universal.len()) else {
            continue;
        };
        for (t, members) in members.iter().enumerate() {
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
            authority: authority_names[slot / themes.len()].clone(),
            theme: themes[slot % themes.len()],
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
        los_rule: rule.los_number(),
        visits_dropped: 0,
        ratings_dropped: 0,
        ratings_flagged: 0,
        by_authority: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_column_repeats_values_and_stores_each_run_once() {
        let long = "Socialtilsyn Hovedstaden";
        let runs = [(long, 2), (long, 3), ("Nord", 1), (long, 1), ("", 2)];
        let ca = runs_column("authority", runs, 9);
        let expected: Vec<&str> = runs
            .iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n))
            .collect();
        let got: Vec<&str> = ca.iter().map(|v| v.expect("no nulls")).collect();
        assert_eq!(got, expected);
        assert_eq!(ca.name().as_str(), "authority");
        // The first two runs merge: the long name is stored twice (runs 1–2 and run 4), not
        // once per row; "Nord" and "" fit in the views.
        let array = ca.downcast_iter().next().expect("one chunk");
        assert_eq!(array.total_buffer_len(), 2 * long.len());
    }

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

    use crate::load::Loaded;
    use crate::load::table::TableBuilder;

    /// Three visits of two authorities, in file order Syd, Nord, Syd.
    fn loaded() -> Loaded {
        let mut table = TableBuilder::new();
        let mut line = 1;
        for (authority, visit) in [("Syd", "s1"), ("Nord", "n1"), ("Syd", "s2")] {
            for (id, score) in [("1.a", "4"), ("2.a", "5"), ("1.b", "3")] {
                line += 1;
                table.push(
                    0,
                    line,
                    [
                        Some(authority),
                        Some(visit),
                        Some(id),
                        Some(score),
                        None,
                        None,
                        None,
                    ],
                );
            }
        }
        Loaded {
            ratings: table.finish(),
            malformed: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// A visit's id, authority and (indicator, score) ratings.
    type VisitRatings = (String, String, Vec<(String, f64)>);

    /// Each visit's ratings, read through the `visit` column.
    fn by_visit(f: &Filtered) -> Vec<VisitRatings> {
        let ids = f
            .visits
            .column("visit_id")
            .expect("visit_id")
            .str()
            .expect("str");
        let names = f
            .visits
            .column("authority")
            .expect("authority")
            .str()
            .expect("str");
        let visit = f
            .ratings
            .column("visit")
            .expect("visit")
            .u32()
            .expect("u32");
        let indicator = f
            .ratings
            .column("indicator")
            .expect("indicator")
            .str()
            .expect("str");
        let score = f
            .ratings
            .column("score")
            .expect("score")
            .f64()
            .expect("f64");
        let mut out: Vec<VisitRatings> = (0..f.visits.height())
            .map(|v| {
                let id = ids.get(v).expect("id").to_string();
                (id, names.get(v).expect("name").to_string(), Vec::new())
            })
            .collect();
        let mut last = 0;
        for r in 0..f.ratings.height() {
            let v = visit.get(r).expect("visit") as usize;
            assert!(v >= last, "ratings are sorted by visit");
            last = v;
            let pair = (
                indicator.get(r).expect("id").to_string(),
                score.get(r).expect("score"),
            );
            out[v].2.push(pair);
        }
        out
    }

    #[test]
    fn ratings_name_their_visit_by_row_and_follow_a_rename() {
        let model = QualityModel::embedded().expect("model");
        let options = FilterOptions {
            los_visit_rules: false,
        };
        let mut f = filter_with(&loaded(), &model, &options).expect("filter");
        let before = by_visit(&f);
        // Sorted by authority, then visit; each visit's ratings by indicator.
        let order: Vec<(&str, &str)> = before
            .iter()
            .map(|(v, a, _)| (a.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("Socialtilsyn Nord", "n1"),
                ("Socialtilsyn Syd", "s1"),
                ("Socialtilsyn Syd", "s2")
            ]
        );
        let ids: Vec<&str> = before[0].2.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, vec!["1.a", "1.b", "2.a"]);
        // Renaming reorders the visits (Syd becomes "A", before "Z"); ratings follow.
        let mapping: BTreeMap<String, String> = [
            ("Socialtilsyn Nord".to_string(), "Z".to_string()),
            ("Socialtilsyn Syd".to_string(), "A".to_string()),
        ]
        .into();
        f.rename_authorities(&mapping).expect("rename");
        let after = by_visit(&f);
        let order: Vec<(&str, &str)> = after
            .iter()
            .map(|(v, a, _)| (a.as_str(), v.as_str()))
            .collect();
        assert_eq!(order, vec![("A", "s1"), ("A", "s2"), ("Z", "n1")]);
        for (visit, _, ratings) in &after {
            let old = before
                .iter()
                .find(|(v, _, _)| v == visit)
                .expect("same visit");
            assert_eq!(ratings, &old.2, "visit {visit} keeps its ratings");
        }
        let counts = f
            .visits
            .column("ratings")
            .expect("ratings")
            .u32()
            .expect("u32");
        assert_eq!(
            counts.into_no_null_iter().collect::<Vec<_>>(),
            vec![3, 3, 3]
        );
        // The roll-up reads them through the same index.
        let scores = crate::rollup::rollup(&f).expect("rollup");
        assert_eq!(scores.visits.height(), 3);
    }
}
