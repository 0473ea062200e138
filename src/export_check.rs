//! Stage 3b: the export's own roll-up, checked against losstat's.
//!
//! Real exports carry criterion, theme and overall scores beside the indicator ratings (LOS:
//! the export "indeholder kvalitetsvurderinger af kvalitetsmodellens indikatorer, kriterier og
//! temaer"). The loader keeps them apart ([`LevelScores`]); they enter no filter rule. Here
//! each is compared with the score losstat recomputes for the same visit and unit
//! ([`mod@crate::rollup`]: criterion = mean of its indicators, theme = mean of its criteria,
//! overall = mean of the themes).
//!
//! Input: the export's level scores, the [`Filtered`] ratings and the [`Rollup`]. Output: an
//! [`ExportCheck`]: per score the exported and the recomputed value and their difference; the
//! counts per authority and level; the largest differences; and, per level, how many exported
//! values each candidate definition of the roll-up explains.
//!
//! Rounding: an export writes its scores rounded. The number of decimals is read off the
//! export, per level: the most digits after the decimal mark among its values (`4,33` → 2). A
//! score agrees when the exported and the recomputed value differ by at most half a unit of the
//! last decimal (0.005 for two decimals), plus 1e-9 for the binary representation.
//!
//! Definitions: when scores disagree, the question is which roll-up the export used. For a
//! theme, the mean of its criteria (LOS) or the mean of all its indicators pooled; for the
//! overall score, the mean of the themes (LOS), of the criteria, or of all indicators. Each is
//! computed for every compared score, and [`DefinitionFit`] says how many exported values it
//! explains within the rounding.
//!
//! Scores of visits the filter dropped are counted (`visit_not_kept`), not compared: losstat
//! has no roll-up for them. A value that is not a number is `unreadable`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::error::Result;
use crate::filter::{self, Filtered};
use crate::load::{ExportLevel, LevelScoreRef, LevelScores};
use crate::rollup::{self, Rollup};

/// The level of an exported score, without its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelKind {
    /// A criterion score.
    Criterion,
    /// A theme score.
    Theme,
    /// The overall score.
    Overall,
}

impl LevelKind {
    /// The level's name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            LevelKind::Criterion => "criterion",
            LevelKind::Theme => "theme",
            LevelKind::Overall => "overall",
        }
    }
}

/// A way to roll a visit's ratings up to one score of a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Definition {
    /// The mean of the unit's indicator scores, pooled (LOS for criteria).
    MeanOfIndicators,
    /// The mean of the unit's criterion scores (LOS for themes).
    MeanOfCriteria,
    /// The mean of the theme scores (LOS for the overall score).
    MeanOfThemes,
}

impl Definition {
    /// The definition in words.
    pub fn describe(self) -> &'static str {
        match self {
            Definition::MeanOfIndicators => "the mean of its indicators",
            Definition::MeanOfCriteria => "the mean of its criteria",
            Definition::MeanOfThemes => "the mean of the themes",
        }
    }
}

/// What became of one exported score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Within the export's rounding of losstat's score.
    Agrees,
    /// Further from losstat's score than the rounding allows.
    Disagrees,
    /// The value is not a number.
    Unreadable,
    /// The visit is kept but has no score for this unit in losstat's roll-up (no valid
    /// rating of the unit).
    NotInRollup,
}

/// One exported score, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    /// Index of the source file.
    pub file: u32,
    /// Line (or Excel row) where the score was read.
    pub line: u64,
    /// Authority of the visit (as in the other outputs).
    pub authority: String,
    /// Visit id.
    pub visit_id: String,
    /// Level.
    pub level: LevelKind,
    /// Criterion or theme number; `None` for the overall score.
    pub unit: Option<u32>,
    /// The score as written in the export.
    pub exported: String,
    /// The score as a number.
    pub exported_value: Option<f64>,
    /// losstat's score for the same visit and unit.
    pub recomputed: Option<f64>,
    /// `exported_value - recomputed`.
    pub difference: Option<f64>,
    /// The outcome.
    pub status: CheckStatus,
}

/// One exported score of a kept visit, compared, in compact form (32 bytes, no text): which
/// score, whose, the two values and the outcome; [`spell`] makes it a [`CheckRow`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct CheckedScore {
    /// Position of the score among the level scores [`check`] was given (the sources' level
    /// scores in order, as [`crate::load::Loaded::levels`] gives them).
    score: usize,
    /// The exported value; NaN when it is not a number (a readable value is finite).
    exported: f64,
    /// losstat's score; NaN when it has none (a roll-up score is finite).
    recomputed: f64,
    /// The visit's authority, in [`VisitScores::authorities`].
    authority: u32,
    status: CheckStatus,
}

impl CheckedScore {
    /// Score number `score` of the level scores [`check`] was given, of a visit of authority
    /// `authority` (in [`VisitScores::authorities`]), with its values and outcome.
    fn new(
        score: usize,
        authority: u32,
        exported_value: Option<f64>,
        recomputed: Option<f64>,
        status: CheckStatus,
    ) -> Self {
        Self {
            score,
            exported: exported_value.unwrap_or(f64::NAN),
            recomputed: recomputed.unwrap_or(f64::NAN),
            authority,
            status,
        }
    }

    /// The score as a number.
    fn exported_value(&self) -> Option<f64> {
        Some(self.exported).filter(|x| !x.is_nan())
    }

    /// losstat's score for the same visit and unit.
    fn recomputed(&self) -> Option<f64> {
        Some(self.recomputed).filter(|x| !x.is_nan())
    }

    /// `exported_value - recomputed`.
    fn difference(&self) -> Option<f64> {
        self.exported_value()
            .zip(self.recomputed())
            .map(|(e, r)| e - r)
    }
}

/// Counts for one authority and level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCount {
    /// Authority.
    pub authority: String,
    /// Level.
    pub level: LevelKind,
    /// Scores compared.
    pub compared: u64,
    /// Of those, within the rounding.
    pub agreeing: u64,
    /// The largest absolute difference.
    pub max_abs_difference: f64,
}

/// How many exported scores of a level one definition explains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionFit {
    /// Level.
    pub level: LevelKind,
    /// The definition.
    pub definition: Definition,
    /// Whether it is the LOS paper's (and losstat's) definition for this level.
    pub los: bool,
    /// Compared scores within the rounding of this definition's value.
    pub explains: u64,
    /// Compared scores of the level.
    pub of: u64,
}

/// The decimals the export writes a level's scores with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRounding {
    /// Level.
    pub level: LevelKind,
    /// Digits after the decimal mark (the most among the level's values).
    pub decimals: u32,
    /// The largest difference that still agrees.
    pub tolerance: f64,
}

/// The check of the export's own roll-up (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportCheck {
    /// Criterion, theme and overall scores in the export.
    pub levels_read: u64,
    /// Scores compared with losstat's.
    pub compared: u64,
    /// Of those, within the rounding.
    pub agreeing: u64,
    /// Of those, outside it.
    pub disagreeing: u64,
    /// Scores of visits the filter dropped (not compared).
    pub visit_not_kept: u64,
    /// Scores that are not numbers.
    pub unreadable: u64,
    /// Scores of kept visits for a unit losstat has no score for.
    pub not_in_rollup: u64,
    /// The rounding per level.
    pub rounding: Vec<LevelRounding>,
    /// Counts per authority and level.
    pub by_authority: Vec<CheckCount>,
    /// Per level, how many scores each definition explains.
    pub definitions: Vec<DefinitionFit>,
    /// The largest disagreements (at most [`LARGEST_LISTED`]), largest first.
    pub largest_differences: Vec<CheckRow>,
}

impl ExportCheck {
    /// Scores of kept visits compared: one row each in `export_check.csv`.
    pub fn rows(&self) -> u64 {
        self.levels_read - self.visit_not_kept
    }
}

/// A compact row as a [`CheckRow`], from its level score and the authorities.
fn spell(row: &CheckedScore, score: LevelScoreRef<'_>, authorities: &[String]) -> CheckRow {
    CheckRow {
        file: score.file,
        line: score.line,
        authority: authorities
            .get(row.authority as usize)
            .cloned()
            .unwrap_or_default(),
        visit_id: score.visit_id.trim().to_string(),
        level: kind(score.level),
        unit: match score.level {
            ExportLevel::Criterion(u) | ExportLevel::Theme(u) => Some(u),
            ExportLevel::Overall => None,
        },
        exported: score.raw_score.to_string(),
        exported_value: row.exported_value(),
        recomputed: row.recomputed(),
        difference: row.difference(),
        status: row.status,
    }
}

/// How many disagreements `largest_differences` lists.
pub const LARGEST_LISTED: usize = 10;

/// Compares the export's level scores with the roll-up; `None` when the export has none.
/// The rows compared are counted, not kept ([`for_each_row`] makes them again).
pub fn check(
    levels: &[&LevelScores],
    filtered: &Filtered,
    rollup: &Rollup,
) -> Result<Option<ExportCheck>> {
    let levels_read = levels.iter().map(|l| l.len()).sum::<usize>();
    if levels_read == 0 {
        return Ok(None);
    }
    let scores = VisitScores::build(filtered, rollup)?;
    let rounding = rounding(levels);
    let mut fits: BTreeMap<(LevelKind, Definition), (u64, u64)> = BTreeMap::new();
    let mut tally = Tally::default();
    let visit_not_kept = walk(levels, &scores, &rounding, |score, visit, row| {
        let level = kind(score.level);
        if let Some(value) = row.exported_value().filter(|_| row.recomputed().is_some()) {
            let close_enough = tolerance(&rounding, level);
            for (definition, candidate) in visit.definitions(score.level) {
                let fit = fits.entry((level, definition)).or_default();
                fit.1 += 1;
                fit.0 += u64::from(candidate.is_some_and(|c| (value - c).abs() <= close_enough));
            }
        }
        tally.add(row, level, &scores.authorities);
        Ok(())
    })?;
    let largest_differences = tally
        .largest()
        .into_iter()
        .filter_map(|row| Some(spell(&row, nth(levels, row.score)?, &scores.authorities)))
        .collect();
    let count = |status: CheckStatus| tally.statuses.get(&status).copied().unwrap_or(0);
    let (agreeing, disagreeing) = (count(CheckStatus::Agrees), count(CheckStatus::Disagrees));
    Ok(Some(ExportCheck {
        levels_read: levels_read as u64,
        compared: agreeing + disagreeing,
        agreeing,
        disagreeing,
        visit_not_kept,
        unreadable: count(CheckStatus::Unreadable),
        not_in_rollup: count(CheckStatus::NotInRollup),
        rounding,
        by_authority: tally.by_authority(),
        definitions: definition_fits(&fits),
        largest_differences,
    }))
}

/// Every score of a kept visit compared, in file and line order, as [`check`] compared it
/// (`check` keeps no rows: at ten million ratings they are about seven million), for
/// `export_check.csv`. `levels`, `filtered` and `rollup` are those `check` was given.
pub fn for_each_row(
    check: &ExportCheck,
    levels: &[&LevelScores],
    filtered: &Filtered,
    rollup: &Rollup,
    mut f: impl FnMut(CheckRow) -> Result<()>,
) -> Result<()> {
    let scores = VisitScores::build(filtered, rollup)?;
    walk(levels, &scores, &check.rounding, |score, _, row| {
        f(spell(&row, score, &scores.authorities))
    })?;
    Ok(())
}

/// Compares each level score of a kept visit in order (the scores come in file and line
/// order: each file's in file order, the files in order) and hands it to `f` with its visit's
/// scores; returns how many scores are of visits the filter dropped.
fn walk(
    levels: &[&LevelScores],
    scores: &VisitScores<'_>,
    rounding: &[LevelRounding],
    mut f: impl FnMut(LevelScoreRef<'_>, &Visit, CheckedScore) -> Result<()>,
) -> Result<u64> {
    let mut visit_not_kept = 0;
    // A visit's level scores come together: its scores are gathered once for them.
    let mut current: Option<(usize, Visit)> = None;
    for (k, score) in levels.iter().flat_map(|l| l.iter()).enumerate() {
        let id = score.visit_id.trim();
        let Some(row) = scores.row(id) else {
            visit_not_kept += 1;
            continue;
        };
        if current.as_ref().is_none_or(|(r, _)| *r != row) {
            current = Some((row, scores.visit(row, id)));
        }
        if let Some((_, visit)) = &current {
            let compared = visit.compare(k, &score, tolerance(rounding, kind(score.level)));
            f(score, visit, compared)?;
        }
    }
    Ok(visit_not_kept)
}

/// The largest difference that still agrees at `level` (0.5 for a level without values).
fn tolerance(rounding: &[LevelRounding], level: LevelKind) -> f64 {
    rounding
        .iter()
        .find(|r| r.level == level)
        .map_or(0.5, |r| r.tolerance)
}

/// What [`check`] counts while it compares: the outcomes, per authority and level the
/// compared scores, and the largest disagreements so far.
#[derive(Default)]
struct Tally<'a> {
    statuses: BTreeMap<CheckStatus, u64>,
    by: BTreeMap<(&'a str, LevelKind), (u64, u64, f64)>,
    /// Disagreements, cut to the [`LARGEST_LISTED`] largest whenever it outgrows
    /// [`Tally::KEPT`].
    largest: Vec<CheckedScore>,
}

impl<'a> Tally<'a> {
    const KEPT: usize = 1024;

    fn add(&mut self, row: CheckedScore, level: LevelKind, authorities: &'a [String]) {
        *self.statuses.entry(row.status).or_default() += 1;
        if let Some(difference) = row.difference() {
            let name = authorities
                .get(row.authority as usize)
                .map_or("", String::as_str);
            let slot = self.by.entry((name, level)).or_default();
            slot.0 += 1;
            slot.1 += u64::from(row.status == CheckStatus::Agrees);
            slot.2 = slot.2.max(difference.abs());
        }
        if row.status == CheckStatus::Disagrees {
            self.largest.push(row);
            if self.largest.len() > Self::KEPT {
                self.cut();
            }
        }
    }

    /// Keeps the [`LARGEST_LISTED`] largest disagreements: by size, then in file order (the
    /// order they came in).
    fn cut(&mut self) {
        let size = |r: &CheckedScore| r.difference().map_or(0.0, f64::abs);
        self.largest
            .sort_by(|a, b| size(b).total_cmp(&size(a)).then(a.score.cmp(&b.score)));
        self.largest.truncate(LARGEST_LISTED);
    }

    /// The largest disagreements, largest first.
    fn largest(&mut self) -> Vec<CheckedScore> {
        self.cut();
        std::mem::take(&mut self.largest)
    }

    /// The counts per authority and level.
    fn by_authority(&self) -> Vec<CheckCount> {
        self.by
            .iter()
            .map(
                |(&(authority, level), &(compared, agreeing, max))| CheckCount {
                    authority: authority.to_string(),
                    level,
                    compared,
                    agreeing,
                    max_abs_difference: max,
                },
            )
            .collect()
    }
}

/// Per level and definition, how many exported values it explains.
fn definition_fits(fits: &BTreeMap<(LevelKind, Definition), (u64, u64)>) -> Vec<DefinitionFit> {
    fits.iter()
        .map(|(&(level, definition), &(explains, of))| DefinitionFit {
            level,
            definition,
            los: los_definition(level) == definition,
            explains,
            of,
        })
        .collect()
}

/// Score `k` of `levels` counted across the files in order (as [`check`] numbers them).
fn nth<'a>(levels: &[&'a LevelScores], mut k: usize) -> Option<LevelScoreRef<'a>> {
    for &file in levels {
        if k < file.len() {
            return file.get(k);
        }
        k -= file.len();
    }
    None
}

/// The level kind of an exported level.
fn kind(level: ExportLevel) -> LevelKind {
    match level {
        ExportLevel::Criterion(_) => LevelKind::Criterion,
        ExportLevel::Theme(_) => LevelKind::Theme,
        ExportLevel::Overall => LevelKind::Overall,
    }
}

/// An exported score as a number: decimal point or comma, surrounding spaces allowed.
fn exported_value(raw: &str) -> Option<f64> {
    let value: f64 = raw.trim().replace(',', ".").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Digits after the decimal mark of a readable value.
fn decimals(raw: &str) -> Option<u32> {
    exported_value(raw)?;
    let text = raw.trim();
    Some(
        text.find(['.', ','])
            .map_or(0, |at| (text.len() - at - 1) as u32)
            .min(9),
    )
}

/// The decimals of each level present, the most among its values.
fn rounding(levels: &[&LevelScores]) -> Vec<LevelRounding> {
    let mut most: BTreeMap<LevelKind, u32> = BTreeMap::new();
    for score in levels.iter().flat_map(|l| l.iter()) {
        if let Some(d) = decimals(score.raw_score) {
            let slot = most.entry(kind(score.level)).or_default();
            *slot = (*slot).max(d);
        }
    }
    most.into_iter()
        .map(|(level, decimals)| LevelRounding {
            level,
            decimals,
            tolerance: 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9,
        })
        .collect()
}

/// The definition LOS (and losstat's roll-up) uses for a level.
pub fn los_definition(level: LevelKind) -> Definition {
    match level {
        LevelKind::Criterion => Definition::MeanOfIndicators,
        LevelKind::Theme => Definition::MeanOfCriteria,
        LevelKind::Overall => Definition::MeanOfThemes,
    }
}

/// losstat's scores of one kept visit, and the alternative roll-ups.
#[derive(Debug, Default)]
struct Visit {
    /// The authority, in [`VisitScores::authorities`].
    authority: u32,
    criteria: Units,
    themes: Units,
    overall: Option<f64>,
    /// Per theme: the mean of all its indicator scores.
    theme_indicators: Units,
    /// The mean of all criterion scores.
    overall_criteria: Option<f64>,
    /// The mean of all indicator scores.
    overall_indicators: Option<f64>,
}

impl Visit {
    /// losstat's score of the level.
    fn recomputed(&self, level: ExportLevel) -> Option<f64> {
        match level {
            ExportLevel::Criterion(c) => self.criteria.get(c),
            ExportLevel::Theme(t) => self.themes.get(t),
            ExportLevel::Overall => self.overall,
        }
    }

    /// Every candidate definition's score of the level.
    fn definitions(&self, level: ExportLevel) -> Vec<(Definition, Option<f64>)> {
        match level {
            ExportLevel::Criterion(c) => {
                vec![(Definition::MeanOfIndicators, self.criteria.get(c))]
            }
            ExportLevel::Theme(t) => vec![
                (Definition::MeanOfCriteria, self.themes.get(t)),
                (Definition::MeanOfIndicators, self.theme_indicators.get(t)),
            ],
            ExportLevel::Overall => vec![
                (Definition::MeanOfThemes, self.overall),
                (Definition::MeanOfCriteria, self.overall_criteria),
                (Definition::MeanOfIndicators, self.overall_indicators),
            ],
        }
    }

    /// Exported score number `k`, of this visit, compared.
    fn compare(&self, k: usize, score: &LevelScoreRef<'_>, tolerance: f64) -> CheckedScore {
        let exported_value = exported_value(score.raw_score);
        let recomputed = self.recomputed(score.level);
        let difference = exported_value.zip(recomputed).map(|(e, r)| e - r);
        let status = match (exported_value, difference) {
            (None, _) => CheckStatus::Unreadable,
            (Some(_), None) => CheckStatus::NotInRollup,
            (Some(_), Some(d)) if d.abs() <= tolerance => CheckStatus::Agrees,
            (Some(_), Some(_)) => CheckStatus::Disagrees,
        };
        CheckedScore::new(k, self.authority, exported_value, recomputed, status)
    }
}

/// A visit's scores by unit (criterion or theme number), in unit order: what a
/// `BTreeMap<u32, f64>` holds, in about a third of its memory (a visit has a dozen criteria,
/// and an export of ten million ratings 369,000 visits).
#[derive(Debug, Default)]
struct Units(Vec<(u32, f64)>);

impl Units {
    /// Sets the score of `unit`.
    fn insert(&mut self, unit: u32, x: f64) {
        match self.0.binary_search_by_key(&unit, |&(u, _)| u) {
            Ok(at) => self.0[at].1 = x,
            Err(at) => self.0.insert(at, (unit, x)),
        }
    }

    fn get(&self, unit: u32) -> Option<f64> {
        let at = self.0.binary_search_by_key(&unit, |&(u, _)| u).ok()?;
        Some(self.0[at].1)
    }

    /// The scores in unit order.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.0.iter().map(|&(_, x)| x)
    }
}

/// Where each kept visit's scores are, by visit id: its row in the roll-up (whose visit ids
/// are unique), its criteria's and themes' rows there, and its ratings. A visit's scores are
/// gathered when its first level score is checked ([`VisitScores::visit`]), so that the check
/// holds one visit's at a time (at ten million ratings all of them took 230 MB).
struct VisitScores<'a> {
    by_id: HashMap<&'a str, usize>,
    /// Per roll-up row, the authority, in [`Self::authorities`].
    authority: Vec<u32>,
    /// The visits' authorities, each once, in order of first appearance.
    authorities: Vec<String>,
    overall: &'a polars::prelude::Float64Chunked,
    criteria: UnitRows<'a>,
    themes: UnitRows<'a>,
    /// The kept ratings' visits (rows of [`Filtered::visits`]) by id, and where each visit's
    /// ratings start.
    rated: HashMap<&'a str, usize>,
    starts: Vec<usize>,
    filtered: &'a Filtered,
}

/// A level table of the roll-up (criteria or themes) with its rows grouped by visit: visit
/// `v`'s rows are `rows[starts[v]..starts[v + 1]]`, in table order.
struct UnitRows<'a> {
    unit: &'a polars::prelude::UInt32Chunked,
    score: &'a polars::prelude::Float64Chunked,
    rows: Vec<u32>,
    starts: Vec<usize>,
}

impl<'a> UnitRows<'a> {
    fn new(
        frame: &'a polars::prelude::DataFrame,
        visits: usize,
        unit: crate::frame::Col<polars::prelude::UInt32Type>,
        score: crate::frame::Col<polars::prelude::Float64Type>,
    ) -> Result<Self> {
        let visit = rollup::criteria::VISIT.of(frame)?;
        let mut starts = vec![0usize; visits + 1];
        for v in visit.iter().flatten() {
            if let Some(count) = starts.get_mut(v as usize + 1) {
                *count += 1;
            }
        }
        for v in 0..visits {
            starts[v + 1] += starts[v];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; starts[visits]];
        for (row, v) in visit.iter().enumerate() {
            if let Some(at) = v.and_then(|v| next.get_mut(v as usize)) {
                rows[*at] = u32::try_from(row).unwrap_or(u32::MAX);
                *at += 1;
            }
        }
        Ok(Self {
            unit: unit.of(frame)?,
            score: score.of(frame)?,
            rows,
            starts,
        })
    }

    /// Visit `v`'s scores by unit (a unit given twice keeps its last score, as in the table).
    fn of(&self, v: usize) -> Units {
        let mut units = Units::default();
        let (Some(&from), Some(&to)) = (self.starts.get(v), self.starts.get(v + 1)) else {
            return units;
        };
        for &row in &self.rows[from..to] {
            let row = row as usize;
            if let (Some(u), Some(x)) = (self.unit.get(row), self.score.get(row)) {
                units.insert(u, x);
            }
        }
        units
    }
}

impl<'a> VisitScores<'a> {
    fn build(filtered: &'a Filtered, rollup: &'a Rollup) -> Result<Self> {
        let ids = rollup::visits::VISIT_ID.of(&rollup.visits)?;
        let names = rollup::visits::AUTHORITY.of(&rollup.visits)?;
        let mut by_id = HashMap::with_capacity(ids.len());
        let mut authorities: Vec<String> = Vec::new();
        let mut authority = Vec::with_capacity(ids.len());
        for (row, (id, name)) in ids.iter().zip(names.iter()).enumerate() {
            let name = name.unwrap_or("");
            let code = match authorities.iter().position(|a| a == name) {
                Some(a) => a,
                None => {
                    authorities.push(name.to_string());
                    authorities.len() - 1
                }
            };
            authority.push(u32::try_from(code).unwrap_or(u32::MAX));
            if let Some(id) = id {
                by_id.insert(id, row);
            }
        }
        let visits = rollup.visits.height();
        let (unit, score) = (rollup::criteria::CRITERION, rollup::criteria::SCORE);
        let criteria = UnitRows::new(&rollup.criteria, visits, unit, score)?;
        let (unit, score) = (rollup::themes::THEME, rollup::themes::SCORE);
        let themes = UnitRows::new(&rollup.themes, visits, unit, score)?;
        let rated = filter::visits::VISIT_ID
            .of(&filtered.visits)?
            .iter()
            .enumerate()
            .filter_map(|(v, id)| Some((id?, v)))
            .collect();
        Ok(Self {
            by_id,
            authority,
            authorities,
            overall: rollup::visits::OVERALL.of(&rollup.visits)?,
            criteria,
            themes,
            rated,
            starts: filtered.visit_starts()?,
            filtered,
        })
    }

    /// The roll-up row of the kept visit `id`.
    fn row(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The scores of the visit in roll-up row `row`, named `id`.
    fn visit(&self, row: usize, id: &str) -> Visit {
        let criteria = self.criteria.of(row);
        let mut visit = Visit {
            authority: self.authority.get(row).copied().unwrap_or(0),
            overall: self.overall.get(row),
            overall_criteria: mean(criteria.values()),
            criteria,
            themes: self.themes.of(row),
            ..Visit::default()
        };
        self.add_indicator_means(&mut visit, id);
        visit
    }

    /// The pooled indicator means per theme and overall of visit `id`, from its kept ratings.
    fn add_indicator_means(&self, visit: &mut Visit, id: &str) {
        let Some(&v) = self.rated.get(id) else {
            return;
        };
        let (Some(&from), Some(&to)) = (self.starts.get(v), self.starts.get(v + 1)) else {
            return;
        };
        let ratings = &self.filtered.ratings;
        let (Some(indicator), Some(score)) =
            (ratings.indicator.get(from..to), ratings.score.get(from..to))
        else {
            return;
        };
        let theme_of = |i: u16| {
            self.filtered
                .indicators
                .get(usize::from(i))
                .map_or(0, |i| i.theme)
        };
        let mut per_theme: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (&i, &x) in indicator.iter().zip(score) {
            per_theme.entry(theme_of(i)).or_default().push(f64::from(x));
        }
        visit.overall_indicators = mean(score.iter().map(|&x| f64::from(x)));
        for (t, xs) in per_theme {
            if let Some(m) = mean(xs.into_iter()) {
                visit.theme_indicators.insert(t, m);
            }
        }
    }
}

/// The mean of `values`; `None` when there are none.
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_values_read_both_decimal_marks() {
        assert_eq!(exported_value(" 4,33 "), Some(4.33));
        assert_eq!(exported_value("4.5"), Some(4.5));
        assert_eq!(exported_value("x"), None);
        assert_eq!(decimals("4,33"), Some(2));
        assert_eq!(decimals("4"), Some(0));
        assert_eq!(decimals("4.125"), Some(3));
        assert_eq!(decimals("n/a"), None);
    }

    #[test]
    fn a_compared_score_is_32_bytes_and_gives_back_its_values() {
        assert_eq!(std::mem::size_of::<CheckedScore>(), 32);
        let unreadable = CheckedScore::new(7, 1, None, Some(4.25), CheckStatus::Unreadable);
        assert_eq!(unreadable.exported_value(), None);
        assert_eq!(unreadable.recomputed(), Some(4.25));
        assert_eq!(unreadable.difference(), None);
        let compared = CheckedScore::new(8, 1, Some(4.5), Some(4.25), CheckStatus::Disagrees);
        assert_eq!((compared.score, compared.difference()), (8, Some(0.25)));
    }

    #[test]
    fn scores_are_numbered_across_the_files_in_order() {
        // Two files of two and one scores: numbers 0, 1 in the first, 2 in the second.
        let mut first = LevelScores::new(0);
        first.push(2, ExportLevel::Overall, ["Nord", "v1", "Samlet", "4,5"]);
        first.push(3, ExportLevel::Theme(1), ["Nord", "v1", "Tema 1", "4"]);
        let mut second = LevelScores::new(1);
        second.push(7, ExportLevel::Overall, ["Syd", "v9", "Samlet", "3,25"]);
        let levels = [&first, &second];
        let at = |k| nth(&levels, k).map(|l| (l.file, l.line, l.raw_score));
        assert_eq!(at(1), Some((0, 3, "4")));
        assert_eq!(at(2), Some((1, 7, "3,25")));
        assert_eq!(at(3), None);
    }

    #[test]
    fn a_level_tables_rows_are_found_by_visit_in_table_order() {
        // Rows of visits 1, 0, 1, 2, 1: visit 1 has units 3 and 4 and unit 3 again, whose last
        // score counts, as a map filled in table order keeps it.
        use polars::prelude::{Column, DataFrame};
        let frame = DataFrame::new(
            5,
            vec![
                Column::new("visit".into(), [1u32, 0, 1, 2, 1]),
                Column::new("criterion".into(), [3u32, 1, 4, 1, 3]),
                Column::new("score".into(), [4.0f64, 2.0, 5.0, 3.0, 4.5]),
            ],
        )
        .expect("frame");
        let (unit, score) = (rollup::criteria::CRITERION, rollup::criteria::SCORE);
        let rows = UnitRows::new(&frame, 3, unit, score).expect("columns");
        assert_eq!(rows.of(1).0, [(3, 4.5), (4, 5.0)]);
        assert_eq!(rows.of(0).0, [(1, 2.0)]);
        assert_eq!(rows.of(2).0, [(1, 3.0)]);
        assert!(rows.of(3).0.is_empty());
    }

    #[test]
    fn the_largest_disagreements_kept_while_counting_are_those_of_a_full_sort() {
        // 3,000 disagreements (more than the tally keeps before it cuts) with sizes that
        // repeat, so ties are decided by file order: the ten kept equal the ten first of all
        // of them sorted by size, then order.
        let rows: Vec<CheckedScore> = (0..3000usize)
            .map(|k| {
                let size = ((k * 7919) % 113) as f64 / 100.0;
                CheckedScore::new(k, 0, Some(4.0 + size), Some(4.0), CheckStatus::Disagrees)
            })
            .collect();
        let mut tally = Tally::default();
        let authorities = vec!["Nord".to_string()];
        for &row in &rows {
            tally.add(row, LevelKind::Theme, &authorities);
        }
        let size = |r: &CheckedScore| r.difference().map_or(0.0, f64::abs);
        let mut all = rows.clone();
        all.sort_by(|a, b| size(b).total_cmp(&size(a)));
        let want: Vec<usize> = all.iter().take(LARGEST_LISTED).map(|r| r.score).collect();
        let got: Vec<usize> = tally.largest().iter().map(|r| r.score).collect();
        assert_eq!(got, want);
        assert_eq!(tally.statuses[&CheckStatus::Disagrees], 3000);
    }

    #[test]
    fn the_means_are_plain_means() {
        // (4 + 5 + 3) / 3 = 4 exactly.
        assert_eq!(mean([4.0, 5.0, 3.0].into_iter()), Some(4.0));
        assert_eq!(mean(std::iter::empty()), None);
    }
}
