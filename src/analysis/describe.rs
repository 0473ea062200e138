//! The descriptives of the analysis: per authority the share of each score 1–5 (LOS
//! figure 1) and the summary of the overall scores (figure 2), the KDE and histogram of the
//! overall scores (figure 2; [`kde::gaussian_kde`]), the mean theme scores (the spider
//! charts' reference polygons), and the per-indicator score groups that
//! [`crate::stats::deviation::deviation_table`] turns into figure 3.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::error::Result;
use crate::filter::{self, Filtered};
use crate::model::QualityModel;
use crate::rollup::{self, Rollup};
use crate::stats::descriptive;
use crate::stats::deviation::IndicatorScores;
use crate::stats::kde::{self, Bandwidth};

use super::{AuthorityCurve, AuthorityHistogram, AuthoritySummary, Densities, ThemeMean};

/// Mean theme scores per authority (sorted by name) and nationally (`authority: None`, last).
pub(crate) fn theme_means(rollup: &Rollup) -> Result<Vec<ThemeMean>> {
    let authority = rollup::themes::AUTHORITY.of(&rollup.themes)?;
    let theme = rollup::themes::THEME.of(&rollup.themes)?;
    let score = rollup::themes::SCORE.of(&rollup.themes)?;
    let mut by: BTreeMap<(Option<&str>, u32), Vec<f64>> = BTreeMap::new();
    for ((a, t), x) in authority.iter().zip(theme.iter()).zip(score.iter()) {
        if let (Some(a), Some(t), Some(x)) = (a, t, x) {
            by.entry((Some(a), t)).or_default().push(x);
            by.entry((None, t)).or_default().push(x);
        }
    }
    let mut out = by
        .into_par_iter()
        .map(|((authority, theme), values)| {
            let summary = descriptive::summarize(&values, "theme scores")?;
            Ok(ThemeMean {
                authority: authority.map(str::to_string),
                theme,
                visits: summary.n,
                mean: summary.mean,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| {
        (a.authority.is_none(), &a.authority, a.theme).cmp(&(
            b.authority.is_none(),
            &b.authority,
            b.theme,
        ))
    });
    Ok(out)
}

pub(super) fn densities(rollup: &Rollup, bandwidth: Bandwidth) -> Result<Densities> {
    let grid = kde::default_grid();
    let edges = kde::score_histogram_edges();
    let mut curves = Vec::new();
    let mut histograms = Vec::new();
    for (authority, overall) in rollup.overall_by_authority()? {
        let (curve, note) = match kde::gaussian_kde(&overall, None, bandwidth, &grid) {
            Ok(curve) => (Some(curve), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let histogram = kde::histogram(&overall, &edges)?;
        curves.push(AuthorityCurve {
            authority: authority.clone(),
            curve,
            note,
        });
        histograms.push(AuthorityHistogram {
            authority,
            counts: histogram.counts,
            density: histogram.density,
        });
    }
    Ok(Densities {
        grid,
        curves,
        edges,
        histograms,
    })
}

/// The kept ratings ([`Filtered::ratings`]) grouped by indicator (model order, then ids
/// outside the model) and authority: the input of [`crate::stats::deviation::deviation_table`].
pub fn indicator_groups(filtered: &Filtered, model: &QualityModel) -> Result<Vec<IndicatorScores>> {
    let ratings = &filtered.ratings;
    let indicator = filter::ratings::INDICATOR.of(ratings)?;
    let score = filter::ratings::SCORE.of(ratings)?;
    let (authorities, authority_of_row) = rating_authorities(filtered)?;
    // Scores by [indicator slot][authority slot]: one hash lookup per rating (the
    // indicator).
    let mut indicator_slot: HashMap<&str, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut cells: Vec<Vec<Vec<f64>>> = Vec::new();
    for ((i, a_slot), x) in indicator.iter().zip(authority_of_row).zip(score.iter()) {
        let (Some(i), Some(a_slot), Some(x)) = (i, a_slot, x) else {
            continue;
        };
        let next = indicator_slot.len();
        let i_slot = *indicator_slot.entry(i).or_insert(next);
        if i_slot == cells.len() {
            cells.push(Vec::new());
        }
        let row = &mut cells[i_slot];
        if row.len() <= a_slot {
            row.resize_with(a_slot + 1, Vec::new);
        }
        row[a_slot].push(x);
    }
    let mut by: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for (i, slot) in indicator_slot {
        let groups = by.entry(i.to_string()).or_default();
        for (a, values) in std::mem::take(&mut cells[slot]).into_iter().enumerate() {
            if !values.is_empty() {
                groups.insert(authorities[a].to_string(), values);
            }
        }
    }
    let mut ordered: Vec<String> = model.indicators.iter().map(|i| i.id.to_string()).collect();
    let mut rest: Vec<String> = by
        .keys()
        .filter(|k| !ordered.contains(k))
        .cloned()
        .collect();
    rest.sort_by_key(|id| crate::model::IndicatorId::parse(id));
    ordered.extend(rest);
    Ok(ordered
        .into_iter()
        .filter_map(|id| {
            by.remove(&id).map(|groups| IndicatorScores {
                indicator: id,
                by_authority: groups.into_iter().collect(),
            })
        })
        .collect())
}

/// The distinct authorities of the kept visits (in order of first appearance), and for each
/// kept rating the slot of its authority there (through its `visit`).
fn rating_authorities(
    filtered: &Filtered,
) -> Result<(Vec<&str>, impl Iterator<Item = Option<usize>> + '_)> {
    let names = filter::visits::AUTHORITY.of(&filtered.visits)?;
    let mut authorities: Vec<&str> = Vec::new();
    let slot_of_visit: Vec<Option<usize>> = names
        .iter()
        .map(|name| {
            let name = name?;
            Some(
                authorities
                    .iter()
                    .position(|&n| n == name)
                    .unwrap_or_else(|| {
                        authorities.push(name);
                        authorities.len() - 1
                    }),
            )
        })
        .collect();
    let visit = filter::ratings::VISIT.of(&filtered.ratings)?;
    let per_row = visit
        .iter()
        .map(move |v| v.and_then(|v| slot_of_visit.get(v as usize).copied().flatten()));
    Ok((authorities, per_row))
}

pub(super) fn describe(filtered: &Filtered, rollup: &Rollup) -> Result<Vec<AuthoritySummary>> {
    let score = filter::ratings::SCORE.of(&filtered.ratings)?;
    let (authorities, authority_of_row) = rating_authorities(filtered)?;
    let mut by_slot = vec![[0u64; 5]; authorities.len()];
    for (a, s) in authority_of_row.zip(score.iter()) {
        if let (Some(a), Some(s)) = (a, s) {
            by_slot[a][(s as usize).clamp(1, 5) - 1] += 1;
        }
    }
    let counts: BTreeMap<&str, [u64; 5]> = authorities.into_iter().zip(by_slot).collect();
    rollup
        .overall_by_authority()?
        .into_iter()
        .map(|(name, overall)| {
            let score_counts = counts.get(name.as_str()).copied().unwrap_or([0; 5]);
            Ok(AuthoritySummary {
                visits: overall.len() as u64,
                ratings: score_counts.iter().sum(),
                score_share: descriptive::shares(&score_counts),
                score_counts,
                overall: descriptive::summarize(&overall, &format!("overall scores of {name}"))?,
                name,
            })
        })
        .collect()
}
