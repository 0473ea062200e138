//! Stage 2: the LOS filters, and the rules for the data problems real exports have.
//!
//! Input: [`Loaded`] (the raw ratings) and the [`QualityModel`]. Output: [`Filtered`], the
//! visits that pass with their canonical authority, and their ratings as three small numbers
//! each (visit, indicator, score; [`Ratings`]); every exclusion, listed; and the counts per
//! rule and authority.
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
//! Three further rules flag ratings but keep them: `authority_inferred` (a row with a blank
//! authority in a visit whose other rows name exactly one authority takes that authority),
//! `unmodelled_indicator` (a well-formed id such as `5.z` whose criterion is in the model joins
//! that criterion), and `invalid_date` (a visit date that is not a date; the visit takes its
//! first readable date, if any). A rating has at most one of the first two (the first wins)
//! and, independently, `invalid_date`: it is then listed and counted once per flag. A flag
//! changes neither what is kept nor any other rule's count.
//!
//! Authority names are canonicalised, scores and dates read as [`canonical_authority`],
//! [`parse_score`] and [`parse_date`] say; [`Filtered::dates`] says per file in which
//! day/month order dates were read, and why.
//!
//! The stage runs as five passes over the dictionary-coded raw table, each a module:
//!
//! | pass | module | what it does |
//! |---|---|---|
//! | 1 | `index` | interprets each distinct raw value once (dates: [`dates`]); gathers the rows of each visit |
//! | 2 | `rating_rules` | the rating rules, row by row within each visit; what the visit rules need |
//! | 3 | `visit_rules` | the visit rules; a dropped visit takes its remaining rows |
//! | 4 | `counts` | counts per rule and authority; the exclusion listing |
//! | 5 | `kept` | the kept tables, [`Filtered::ratings`] and [`Filtered::visits`] |
//!
//! The rules themselves, with their names, scopes and LOS numbers, are one table in
//! [`rules`]; the completeness of the universal indicators is [`CompletenessRow`].
//!
//! Accounting identities, checked by the tests: `rows_read = rows_kept + Σ ratings_dropped`
//! and `visits_read = visits_kept + Σ visits_dropped`.

mod completeness;
mod counts;
pub mod dates;
mod index;
mod kept;
mod rating_rules;
pub mod rules;
mod values;
mod visit_rules;

use std::collections::BTreeSet;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::load::Loaded;
use crate::model::{IndicatorId, QualityModel};

pub use completeness::CompletenessRow;
pub(crate) use completeness::sort_completeness;
pub(crate) use dates::Dates;
pub use dates::{DateOrder, DateReport, parse_date};
pub use rules::{Dropped, FilterSummary, RULES, Rule, RuleCount, RuleInfo, Scope};
pub use values::{canonical_authority, parse_score};

/// The kept ratings ([`Filtered::ratings`]), dictionary-coded: three small numbers a rating,
/// one vector per field, all of one length.
///
/// A rating names its visit by row in [`Filtered::visits`] and its indicator by position in
/// [`Filtered::indicators`]; the authority, visit id, criterion and theme are looked up
/// there. (A text column per rating would hold ten million copies of a few dozen ids.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratings {
    /// The rating's visit: its row in [`Filtered::visits`].
    pub visit: Vec<u32>,
    /// The rating's indicator: its position in [`Filtered::indicators`].
    pub indicator: Vec<u16>,
    /// The score, 1–5.
    pub score: Vec<u8>,
}

impl Ratings {
    /// How many ratings there are.
    pub fn len(&self) -> usize {
        self.visit.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.visit.is_empty()
    }
}

/// One indicator of the kept ratings (an entry of [`Filtered::indicators`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptIndicator {
    /// The canonical id (`8.c`).
    pub id: IndicatorId,
    /// Its criterion.
    pub criterion: u32,
    /// The criterion's theme.
    pub theme: u32,
}

/// The columns of [`Filtered::visits`], one kept visit per row.
pub mod visits {
    use crate::frame::Col;
    use polars::prelude::{StringType, UInt32Type};

    /// Authority (canonical name).
    pub const AUTHORITY: Col<StringType> = Col::new("authority");
    /// Visit id.
    pub const VISIT_ID: Col<StringType> = Col::new("visit_id");
    /// Offer id (the first non-blank value among the visit's kept ratings).
    pub const OFFER_ID: Col<StringType> = Col::new("offer_id");
    /// Offer type (likewise).
    pub const OFFER_TYPE: Col<StringType> = Col::new("offer_type");
    /// Visit date, ISO `YYYY-MM-DD`: the first readable date among the visit's kept ratings
    /// ([`super::dates`]); null if none is.
    pub const VISIT_DATE: Col<StringType> = Col::new("visit_date");
    /// How many of [`super::Filtered::ratings`] are the visit's.
    pub const RATINGS: Col<UInt32Type> = Col::new("ratings");
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

/// The filter stage's output.
#[derive(Debug, Clone)]
pub struct Filtered {
    /// Ratings that passed, sorted by visit (so by authority and visit id), then indicator
    /// (in model order), then file and line. A rating names its visit by row and its
    /// indicator by position: look the authority up in `visits` and the criterion in
    /// `indicators`:
    ///
    /// ```
    /// # fn main() -> losstat::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("export.csv");
    /// # std::fs::write(&path, "authority,visit_id,indicator,score\nNord,v1,1.a,4\n").unwrap();
    /// # let loaded = losstat::load::load(&[path], &Default::default())?;
    /// # let model = losstat::model::QualityModel::embedded()?;
    /// # let filtered = losstat::filter::filter_with(&loaded, &model, &losstat::filter::FilterOptions { los_visit_rules: false })?;
    /// use losstat::filter::visits;
    /// let ratings = &filtered.ratings;
    /// let authority = visits::AUTHORITY.of(&filtered.visits)?;
    /// assert_eq!(authority.get(ratings.visit[0] as usize), Some("Socialtilsyn Nord"));
    /// let indicator = filtered.indicators[usize::from(ratings.indicator[0])];
    /// assert_eq!(indicator.id.to_string(), "1.a");
    /// assert_eq!((indicator.criterion, indicator.theme), (1, 1));
    /// assert_eq!(ratings.score[0], 4);
    /// # Ok(()) }
    /// ```
    pub ratings: Ratings,
    /// The indicators of the kept ratings, each once, in model order (by criterion, then
    /// letter): [`Ratings::indicator`] indexes this.
    pub indicators: Vec<KeptIndicator>,
    /// One row per kept visit (columns: [`visits`]), sorted by authority and visit id; the
    /// offer, type and date are the first non-blank value among its kept ratings, in the
    /// order of `ratings`.
    pub visits: DataFrame,
    /// Per kept visit (row of `visits`): the input file its ratings came from, or `None` if
    /// they came from two or more (`--period file` leaves such a visit out). In no output
    /// table.
    pub visit_files: Vec<Option<u32>>,
    /// Every excluded or flagged rating, sorted by file and line.
    pub exclusions: Vec<Exclusion>,
    /// Counts.
    pub summary: FilterSummary,
    /// Completeness of the universal indicators per authority and theme (seed 000).
    pub completeness: Vec<CompletenessRow>,
    /// The visit dates of each input file: the day/month order they were read in, and the
    /// evidence for it (one per file, in file order).
    pub dates: Vec<DateReport>,
}

impl Filtered {
    /// Every authority name this result mentions (kept, excluded, or only in counts),
    /// canonical, sorted; the placeholders `(none)` and `(conflicting)` excluded.
    pub fn authority_names(&self) -> Result<Vec<String>> {
        let mut names = BTreeSet::new();
        let kept = visits::AUTHORITY.of(&self.visits)?;
        names.extend(kept.iter().flatten().map(str::to_string));
        for rule in &self.summary.rules {
            names.extend(rule.by_authority.keys().cloned());
        }
        names.extend(
            self.exclusions
                .iter()
                .filter_map(|e| canonical_authority(&e.authority)),
        );
        names.remove(index::NONE_KEY);
        names.remove(index::CONFLICT_KEY);
        Ok(names.into_iter().collect())
    }

    /// Where each visit's ratings start in [`Filtered::ratings`] (from [`visits::RATINGS`]),
    /// with the end of the last one appended: visit `v` is rows `starts[v]..starts[v + 1]`.
    pub fn visit_starts(&self) -> Result<Vec<usize>> {
        let counts = visits::RATINGS.of(&self.visits)?;
        let mut starts = Vec::with_capacity(counts.len() + 1);
        let mut at = 0usize;
        starts.push(at);
        for n in counts.iter() {
            at += n.unwrap_or(0) as usize;
            starts.push(at);
        }
        Ok(starts)
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

/// [`filter`] with options: the five passes in turn.
pub fn filter_with(
    loaded: &Loaded,
    model: &QualityModel,
    options: &FilterOptions,
) -> Result<Filtered> {
    let dates = Dates::read(&loaded.ratings, loaded.sources.len());
    filter_dated(loaded, model, *options, &dates)
}

/// [`filter_with`], with the dates read already: `dates` may come from a larger table than
/// `loaded`'s, whose rows were taken from it ([`crate::load::RawRatings::take`]), so that a
/// part is read in the order of its whole files.
pub(crate) fn filter_dated(
    loaded: &Loaded,
    model: &QualityModel,
    options: FilterOptions,
    dates: &Dates,
) -> Result<Filtered> {
    let index = index::Index::build(&loaded.ratings, model, dates)?;
    let mut pass = rating_rules::apply(&index);
    let verdicts = visit_rules::apply(&index, &mut pass, options);
    let counted = counts::count(&index, &pass, &verdicts, &loaded.malformed);
    let kept = kept::Kept::select(&index, &pass, &verdicts);
    let malformed_ratings: u64 = loaded.malformed.iter().map(|m| m.ratings).sum();
    let summary = FilterSummary {
        rows_read: index.rows() as u64 + malformed_ratings,
        visits_read: index.visits.len() as u64,
        rules: counted.rules,
        rows_kept: kept.order.len() as u64,
        visits_kept: kept.visits.len() as u64,
    };
    let completeness = completeness::completeness(&index, &pass, model);
    // The per-row verdicts are read: freed before the kept ratings are built.
    drop(pass);
    let visits = kept.visit_table()?;
    let visit_files = kept.visit_files();
    let (ratings, indicators) = kept.into_ratings()?;
    Ok(Filtered {
        ratings,
        indicators,
        visits,
        visit_files,
        exclusions: counted.exclusions,
        summary,
        completeness,
        dates: dates.reports().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::load::Loaded;
    use crate::load::TableBuilder;

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
        loaded_from(table)
    }

    /// The raw table as loaded ratings, from no file.
    fn loaded_from(table: TableBuilder) -> Loaded {
        Loaded {
            ratings: table.finish(),
            malformed: Vec::new(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn an_unreadable_date_flags_its_rating_beside_other_flags() {
        // One visit: 1.a with a blank authority and a date that is not one (both flags), then
        // 2.a and 1.b dated 12 May 2023 day first, the second written with a month name.
        let mut table = TableBuilder::new();
        for (line, (authority, id, date)) in [
            (None, "1.a", "31-02-2023"),
            (Some("Syd"), "2.a", "12-05-2023"),
            (Some("Syd"), "1.b", "12. maj 2023"),
        ]
        .into_iter()
        .enumerate()
        {
            let row = [
                authority,
                Some("s1"),
                Some(id),
                Some("4"),
                None,
                None,
                Some(date),
            ];
            table.push(0, line as u32 + 2, row);
        }
        let dated = loaded_from(table);
        let model = QualityModel::embedded().expect("model");
        let options = FilterOptions {
            los_visit_rules: false,
        };
        let f = filter_with(&dated, &model, &options).expect("filter");
        assert_eq!((f.summary.rows_kept, f.summary.visits_kept), (3, 1));
        let listed: Vec<(u64, &str)> = f
            .exclusions
            .iter()
            .map(|e| (e.line, e.rule.name()))
            .collect();
        assert_eq!(listed, [(2, "authority_inferred"), (2, "invalid_date")]);
        assert!(
            f.exclusions[1]
                .detail
                .starts_with("`31-02-2023` is not a date")
        );
        assert_eq!(f.exclusions[1].raw_value, "4");
        let flagged = |rule: Rule| {
            f.summary
                .rules
                .iter()
                .find(|r| r.rule == rule)
                .map(|r| r.ratings_flagged)
        };
        assert_eq!(flagged(Rule::AuthorityInferred), Some(1));
        assert_eq!(flagged(Rule::InvalidDate), Some(1));
        // The visit takes its first readable date, in ISO.
        let date = visits::VISIT_DATE.of(&f.visits).expect("date");
        assert_eq!(date.get(0), Some("2023-05-12"));
        assert_eq!(f.dates.len(), 1);
        assert_eq!(f.dates[0].order, DateOrder::DayFirst);
        assert_eq!(f.dates[0].unreadable, 1);

        // Without a bad date, `invalid_date` is not in the counts at all.
        let f = filter_with(&loaded(), &model, &options).expect("filter");
        assert_eq!(f.summary.rules.len(), RULES.len() - 1);
        assert!(f.summary.rules.iter().all(|r| r.rule != Rule::InvalidDate));
    }

    /// A visit's id, authority and (indicator, score) ratings.
    type VisitRatings = (String, String, Vec<(String, f64)>);

    /// Each visit's ratings, read through the `visit` column.
    fn by_visit(f: &Filtered) -> Vec<VisitRatings> {
        let ids = visits::VISIT_ID.of(&f.visits).expect("visit_id");
        let names = visits::AUTHORITY.of(&f.visits).expect("authority");
        let mut out: Vec<VisitRatings> = (0..f.visits.height())
            .map(|v| {
                let id = ids.get(v).expect("id").to_string();
                (id, names.get(v).expect("name").to_string(), Vec::new())
            })
            .collect();
        let mut last = 0;
        let r = &f.ratings;
        assert_eq!((r.indicator.len(), r.score.len()), (r.len(), r.len()));
        for ((&v, &i), &score) in r.visit.iter().zip(&r.indicator).zip(&r.score) {
            let v = v as usize;
            assert!(v >= last, "ratings are sorted by visit");
            last = v;
            let pair = (
                f.indicators[usize::from(i)].id.to_string(),
                f64::from(score),
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
        crate::anonymize::rename_authorities(&mut f, &mapping).expect("rename");
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
        let counts = visits::RATINGS.of(&f.visits).expect("ratings");
        assert_eq!(
            counts.into_no_null_iter().collect::<Vec<_>>(),
            vec![3, 3, 3]
        );
        // The roll-up reads them through the same index.
        let scores = crate::rollup::rollup(&f).expect("rollup");
        assert_eq!(scores.visits.height(), 3);
    }

    #[test]
    fn ratings_are_codes_into_one_indicator_table_and_visits_know_their_file() {
        // Two files; `2 A` and `2.a` are one indicator; s1 and n1 have ratings in both files.
        let mut table = TableBuilder::new();
        let rows = [
            (0, "Syd", "s1", "10.a", "4"),
            (0, "Syd", "s1", "2.a", "5"),
            (0, "Nord", "n1", "2 A", "3"),
            (1, "Syd", "s1", "1.b", "2"),
            (1, "Nord", "n1", "1.b", "4"),
            (1, "Syd", "s2", "1.a", "3"),
        ];
        for (line, (file, authority, visit, id, score)) in rows.into_iter().enumerate() {
            let fields = [Some(authority), Some(visit), Some(id), Some(score)];
            let mut values = [None; 7];
            values[..4].copy_from_slice(&fields);
            table.push(file, line as u32 + 2, values);
        }
        let loaded = loaded_from(table);
        let model = QualityModel::embedded().expect("model");
        let options = FilterOptions {
            los_visit_rules: false,
        };
        let mut f = filter_with(&loaded, &model, &options).expect("filter");
        let ids: Vec<String> = f.indicators.iter().map(|i| i.id.to_string()).collect();
        assert_eq!(
            ids,
            ["1.a", "1.b", "2.a", "10.a"],
            "each once, in model order"
        );
        let units: Vec<(u32, u32)> = f
            .indicators
            .iter()
            .map(|i| (i.criterion, i.theme))
            .collect();
        let theme = |c: u32| model.theme_of_criterion(c).expect("in the model");
        assert_eq!(
            units,
            [(1, theme(1)), (1, theme(1)), (2, theme(2)), (10, theme(10))]
        );
        // Visits n1, s1, s2 (Nord before Syd); each visit's ratings by indicator.
        assert_eq!(f.ratings.visit, [0, 0, 1, 1, 1, 2]);
        assert_eq!(f.ratings.indicator, [1, 2, 1, 2, 3, 0]);
        assert_eq!(f.ratings.score, [4, 3, 2, 5, 4, 3]);
        assert_eq!(f.visit_files, [None, None, Some(1)]);
        // A rename reorders the visits (Syd becomes "A"): the files follow their visits.
        let mapping: BTreeMap<String, String> = [
            ("Socialtilsyn Nord".to_string(), "Z".to_string()),
            ("Socialtilsyn Syd".to_string(), "A".to_string()),
        ]
        .into();
        crate::anonymize::rename_authorities(&mut f, &mapping).expect("rename");
        assert_eq!(f.visit_files, [None, Some(1), None]);
        assert_eq!(f.ratings.visit, [0, 0, 0, 1, 2, 2]);
        assert_eq!(f.ratings.score, [2, 5, 4, 3, 4, 3]);
    }
}
