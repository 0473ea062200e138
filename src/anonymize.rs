//! Stage 2b: anonymisation. Authority names become "Socialtilsyn 1" … "Socialtilsyn k" in the
//! filter's output, before anything is computed from it, so no later stage, table, figure or
//! report can show a real name (`compare --anonymize`).
//!
//! Input: a [`Filtered`] and a seed. Output: the same [`Filtered`] with every name replaced,
//! and the [`Anonymization`] key (written only on request, never into the outputs).
//!
//! Method: the labels follow a seeded Fisher–Yates shuffle (ChaCha8) of the sorted real names,
//! as the LOS paper's labels do not follow alphabetical order. Kept visits are put back in
//! name order, their ratings following; free text in the exclusion listing (details, raw
//! records) has the canonical names and their short forms (`Nord`) replaced.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::filter::{self, Filtered, canonical_authority, sort_completeness};

/// The anonymisation key: which real name became which label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anonymization {
    /// (real name, label), sorted by label.
    pub pairs: Vec<(String, String)>,
}

/// Replaces every authority name in `filtered` by a label drawn from `seed`, and returns the
/// key.
pub fn anonymize(filtered: &mut Filtered, seed: u64) -> Result<Anonymization> {
    let mapping = anonymous_labels(&filtered.authority_names()?, seed);
    rename_authorities(filtered, &mapping)?;
    let mut pairs: Vec<(String, String)> = mapping.into_iter().collect();
    pairs.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Anonymization { pairs })
}

/// Draws the anonymous labels for `names` (sorted real names): a seeded shuffle, so the
/// labels do not follow the names' alphabetical order.
pub fn anonymous_labels(names: &[String], seed: u64) -> BTreeMap<String, String> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..names.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    order
        .iter()
        .enumerate()
        .filter_map(|(label, &i)| {
            names
                .get(i)
                .map(|name| (name.clone(), format!("Socialtilsyn {}", label + 1)))
        })
        .collect()
}

/// Replaces authority names by `mapping` (canonical name → new name) everywhere: the kept
/// ratings, the exclusion listing (the raw authority field and the details), the counts and
/// the completeness table. Raw spellings are matched through [`canonical_authority`].
pub fn rename_authorities(
    filtered: &mut Filtered,
    mapping: &BTreeMap<String, String>,
) -> Result<()> {
    rename_tables(filtered, mapping)?;
    rename_listing(filtered, mapping);
    for rule in &mut filtered.summary.rules {
        rule.by_authority = std::mem::take(&mut rule.by_authority)
            .into_iter()
            .map(|(k, v)| (mapping.get(&k).cloned().unwrap_or(k), v))
            .collect();
    }
    for row in &mut filtered.completeness {
        if let Some(new) = mapping.get(&row.authority) {
            row.authority.clone_from(new);
        }
    }
    sort_completeness(&mut filtered.completeness);
    Ok(())
}

/// The kept tables renamed; the visits are put back in name order and the ratings follow.
fn rename_tables(filtered: &mut Filtered, mapping: &BTreeMap<String, String>) -> Result<()> {
    let rename = |raw: &str| canonical_authority(raw).and_then(|c| mapping.get(&c).cloned());
    let (visits, order) = renamed_in_order(&filtered.visits, &rename)?;
    let starts = filtered.visit_starts()?;
    let old = &filtered.ratings;
    let mut ratings = filter::Ratings {
        visit: Vec::with_capacity(old.len()),
        indicator: Vec::with_capacity(old.len()),
        score: Vec::with_capacity(old.len()),
    };
    let mut visit_files = Vec::with_capacity(order.len());
    for (new, &old_visit) in order.iter().enumerate() {
        let v = old_visit as usize;
        visit_files.push(filtered.visit_files.get(v).copied().flatten());
        let (Some(&from), Some(&to)) = (starts.get(v), starts.get(v + 1)) else {
            continue;
        };
        let (Some(indicator), Some(score)) = (old.indicator.get(from..to), old.score.get(from..to))
        else {
            continue;
        };
        ratings
            .visit
            .extend(std::iter::repeat_n(new as u32, to - from));
        ratings.indicator.extend_from_slice(indicator);
        ratings.score.extend_from_slice(score);
    }
    filtered.ratings = ratings;
    filtered.visit_files = visit_files;
    filtered.visits = visits;
    Ok(())
}

/// The exclusion listing renamed: the authority field through the mapping, and any spelling of
/// a name in free text (details, raw records) replaced.
fn rename_listing(filtered: &mut Filtered, mapping: &BTreeMap<String, String>) {
    // Free text may hold a name in any spelling: replace the canonical names and their short
    // forms ("Nord"), longest first.
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
    for e in &mut filtered.exclusions {
        match canonical_authority(&e.authority).and_then(|c| mapping.get(&c)) {
            Some(new) => e.authority.clone_from(new),
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
}

/// `df` (the kept visits, sorted by authority first) with its authorities renamed by `rename`
/// and its runs of rows per authority put back in name order (the order within a run is
/// kept), and the old row of each new row.
fn renamed_in_order(
    df: &DataFrame,
    rename: &dyn Fn(&str) -> Option<String>,
) -> Result<(DataFrame, Vec<IdxSize>)> {
    let authority = filter::visits::AUTHORITY.of(df)?;
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
    let mut names = StringChunkedBuilder::new(filter::visits::AUTHORITY.name().into(), df.height());
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
