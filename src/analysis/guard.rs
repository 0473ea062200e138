//! A guard against the wrong column read as the authority. Denmark has five socialtilsyn; an
//! export that names dozens of authorities has almost always had another column (an offer, a
//! municipality, a visit) mapped to `authority`, and the statistics, tables and figures of
//! thousands of "authorities" would take minutes and mean nothing. So the run stops right
//! after loading, before any statistics, with the column, the count and the most frequent
//! values, unless the caller raised the limit (`--max-authorities`).
//!
//! The count is of distinct canonical names ([`crate::filter::canonical_authority`]), so
//! `Nord` and `Socialtilsyn Nord` are one authority.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::filter::canonical_authority;
use crate::load::{Field, Loaded, MISSING};

/// The default limit on distinct authorities: more than twice the five there are, so that a
/// few misspellings or anonymised labels never trip it.
pub const MAX_AUTHORITIES: usize = 12;

/// How many of the most frequent values the message lists.
const LISTED: usize = 8;

/// Stops when the authority column holds more than `limit` distinct authorities.
pub fn check_authorities(loaded: &Loaded, limit: usize) -> Result<()> {
    let column = loaded.ratings.column(Field::Authority);
    let mut rows_per_code = vec![0u64; column.values().len()];
    for code in column.codes() {
        if code != MISSING
            && let Some(slot) = rows_per_code.get_mut(code as usize)
        {
            *slot += 1;
        }
    }
    let mut rows_per_name: BTreeMap<String, u64> = BTreeMap::new();
    for (value, rows) in column.values().iter().zip(rows_per_code) {
        if let Some(name) = canonical_authority(value).filter(|_| rows > 0) {
            *rows_per_name.entry(name).or_default() += rows;
        }
    }
    if rows_per_name.len() <= limit {
        return Ok(());
    }
    let mut frequent: Vec<(String, u64)> = rows_per_name.into_iter().collect();
    let count = frequent.len();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let examples: Vec<String> = frequent
        .iter()
        .take(LISTED)
        .map(|(name, rows)| format!("\"{name}\" ({rows} rows)"))
        .collect();
    Err(Error::TooManyAuthorities {
        files: loaded
            .sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        column: authority_column(loaded),
        count,
        limit,
        examples: examples.join(", "),
    })
}

/// The header the authority was read from, as written in the first file.
fn authority_column(loaded: &Loaded) -> String {
    loaded
        .sources
        .iter()
        .flat_map(|s| s.columns.iter())
        .find(|(field, _)| *field == Field::Authority)
        .map_or_else(
            || Field::Authority.name().to_string(),
            |(_, name)| name.clone(),
        )
}
