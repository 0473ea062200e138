//! The pairwise comparisons of the authorities (LOS footnote 10) at each level asked for:
//! the overall scores always, each theme's and each criterion's scores on request. One
//! family per level and unit, each compared by [`pairwise::compare_pairs_with_progress`];
//! with `AdjustScope::Level`, the adjustment is then redone over all pairs of a level.
//!
//! Stratification (`Stratify::OfferType`): the permutation test permutes authority labels
//! only among visits of the same offer type (a missing type is a type of its own).

use std::collections::BTreeMap;

use polars::prelude::{DataFrame, Float64Type, UInt32Type};

use crate::error::Result;
use crate::frame::Col;
use crate::progress::{Progress, Step};
use crate::rollup::{self, Rollup};
use crate::stats::pairwise::{self, Group, PairwiseOptions};

use super::{AdjustScope, ComparisonFamily, Level, Levels, StatsOptions, Stratify};

/// A level's table in the roll-up: which column holds the unit and which the score.
struct LevelTable<'a> {
    level: Level,
    frame: &'a DataFrame,
    /// Theme or criterion; `None` for the overall level (unit 0).
    unit: Option<Col<UInt32Type>>,
    score: Col<Float64Type>,
}

/// Scores grouped by unit and authority, each with the offer type of its visit.
type Grouped<'a> = BTreeMap<u32, BTreeMap<&'a str, (Vec<f64>, Vec<Option<&'a str>>)>>;

impl<'a> LevelTable<'a> {
    /// The tables of the levels `levels` asks for, the overall level first.
    fn chosen(rollup: &'a Rollup, levels: Levels) -> Vec<Self> {
        let mut tables = vec![LevelTable {
            level: Level::Overall,
            frame: &rollup.visits,
            unit: None,
            score: rollup::visits::OVERALL,
        }];
        if matches!(levels, Levels::Theme | Levels::All) {
            tables.push(LevelTable {
                level: Level::Theme,
                frame: &rollup.themes,
                unit: Some(rollup::themes::THEME),
                score: rollup::themes::SCORE,
            });
        }
        if matches!(levels, Levels::Criterion | Levels::All) {
            tables.push(LevelTable {
                level: Level::Criterion,
                frame: &rollup.criteria,
                unit: Some(rollup::criteria::CRITERION),
                score: rollup::criteria::SCORE,
            });
        }
        tables
    }

    /// Each score's visit (its row in the roll-up's visits table) and unit, in table order:
    /// a theme or criterion row names its visit by row; an overall score is its visit's row.
    fn rows_and_units(&self) -> Result<Box<dyn Iterator<Item = (usize, u32)> + 'a>> {
        let df = self.frame;
        Ok(match self.unit {
            Some(unit) => {
                let visit = rollup::criteria::VISIT.of(df)?.iter();
                let rows = visit.map(|v| v.map_or(usize::MAX, |v| v as usize));
                Box::new(rows.zip(unit.of(df)?.iter().map(|u| u.unwrap_or(0))))
            }
            None => Box::new((0..df.height()).map(|row| (row, 0))),
        })
    }

    /// How many pairs of authorities the table's families have (per unit, the authorities
    /// with a score, two at a time), counted without grouping the scores.
    fn pairs(&self, visits: &DataFrame) -> Result<usize> {
        let authority: Vec<Option<&str>> = rollup::visits::AUTHORITY.of(visits)?.iter().collect();
        let values = self.score.of(self.frame)?;
        let mut seen: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
        for ((row, u), x) in self.rows_and_units()?.zip(values.iter()) {
            if let (Some(Some(a)), Some(_)) = (authority.get(row), x) {
                let names = seen.entry(u).or_default();
                if !names.contains(a) {
                    names.push(a);
                }
            }
        }
        Ok(seen
            .values()
            .map(|names| names.len() * names.len().saturating_sub(1) / 2)
            .sum())
    }

    /// The table's scores by unit and authority, with their visits' offer types.
    fn group(&self, visits: &'a DataFrame) -> Result<Grouped<'a>> {
        let df = self.frame;
        let authority: Vec<Option<&str>> = rollup::visits::AUTHORITY.of(visits)?.iter().collect();
        let offer: Vec<Option<&str>> = rollup::visits::OFFER_TYPE.of(visits)?.iter().collect();
        let values = self.score.of(df)?;
        let mut out: Grouped<'a> = BTreeMap::new();
        for ((row, u), x) in self.rows_and_units()?.zip(values.iter()) {
            if let (Some(Some(a)), Some(x)) = (authority.get(row), x) {
                let slot = out.entry(u).or_default().entry(*a).or_default();
                slot.0.push(x);
                slot.1.push(offer.get(row).copied().flatten());
            }
        }
        Ok(out)
    }
}

/// Every comparison family the options ask for, adjusted as they say.
pub(super) fn compare_levels(
    rollup: &Rollup,
    stats: &StatsOptions,
    progress: &dyn Progress,
) -> Result<Vec<ComparisonFamily>> {
    let tables = LevelTable::chosen(rollup, stats.levels);
    let mut pairs_total = 0;
    for table in &tables {
        pairs_total += table.pairs(&rollup.visits)?;
    }
    progress.start(Step::Compare, pairs_total as u64);
    let mut families = Vec::new();
    // One level's scores grouped at a time (at ten million ratings the criteria's are about
    // 100 MB, the themes' 60 MB).
    for table in &tables {
        for (unit, by_authority) in table.group(&rollup.visits)? {
            // Each family draws its permutations from its own block of RNG streams.
            let stream_base = 100 * families.len() as u64;
            let pairs = compare_family(&by_authority, stats, stream_base, progress)?;
            families.push(ComparisonFamily {
                level: table.level,
                unit,
                pairs,
            });
        }
    }
    progress.finish();
    if stats.adjust_scope == AdjustScope::Level {
        adjust_across_level(&mut families, &stats.pairwise);
    }
    Ok(families)
}

/// The pairs of one family: its scores by authority, each with its visit's offer type.
fn compare_family(
    by_authority: &BTreeMap<&str, (Vec<f64>, Vec<Option<&str>>)>,
    stats: &StatsOptions,
    stream_base: u64,
    progress: &dyn Progress,
) -> Result<Vec<pairwise::PairComparison>> {
    let codes = pairwise::stratum_codes(
        by_authority
            .values()
            .flat_map(|(_, types)| types.iter().map(Option::as_deref)),
    );
    let mut offset = 0;
    let mut strata: Vec<&[u32]> = Vec::new();
    for (values, _) in by_authority.values() {
        strata.push(codes.get(offset..offset + values.len()).unwrap_or(&[]));
        offset += values.len();
    }
    let groups: Vec<Group<'_>> = by_authority
        .iter()
        .zip(&strata)
        .map(|((name, (values, _)), codes)| Group {
            name,
            values,
            strata: (stats.stratify == Stratify::OfferType).then_some(*codes),
        })
        .collect();
    pairwise::compare_pairs_with_progress(&groups, &stats.pairwise, stream_base, progress)
}

/// Adjusts the pairs of each level as one family (replacing the per-family adjustment).
fn adjust_across_level(families: &mut [ComparisonFamily], options: &PairwiseOptions) {
    for level in [Level::Overall, Level::Theme, Level::Criterion] {
        let pairs = families
            .iter_mut()
            .filter(|f| f.level == level)
            .flat_map(|f| f.pairs.iter_mut());
        pairwise::adjust_pairs(pairs, options);
    }
}
