//! The descriptives of the analysis: per authority the share of each score 1–5 (LOS
//! figure 1) and the summary of the overall scores (figure 2), the KDE and histogram of the
//! overall scores (figure 2; [`kde::gaussian_kde`]), the mean theme scores (the spider
//! charts' reference polygons), and the per-indicator score groups that
//! [`crate::stats::deviation::deviation_table`] turns into figure 3.

use std::collections::BTreeMap;

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
    let names: Vec<Option<&str>> = rollup::visits::AUTHORITY
        .of(&rollup.visits)?
        .iter()
        .collect();
    let visit = rollup::themes::VISIT.of(&rollup.themes)?;
    let authority = visit
        .iter()
        .map(|v| names.get(v? as usize).copied().flatten());
    let theme = rollup::themes::THEME.of(&rollup.themes)?;
    let score = rollup::themes::SCORE.of(&rollup.themes)?;
    let mut by: BTreeMap<(Option<&str>, u32), Vec<f64>> = BTreeMap::new();
    for ((a, t), x) in authority.zip(theme.iter()).zip(score.iter()) {
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
    // Scores by [indicator][authority slot], each vector made its exact size first: at ten
    // million ratings they hold 80 MB, and grown by doubling they took up to twice that.
    let (authorities, slot_of_visit) = rating_authorities(filtered)?;
    let mut sizes: Vec<Vec<usize>> = vec![Vec::new(); filtered.indicators.len()];
    for (&i, a_slot) in ratings
        .indicator
        .iter()
        .zip(per_rating(filtered, &slot_of_visit))
    {
        if let (Some(row), Some(a_slot)) = (sizes.get_mut(usize::from(i)), a_slot) {
            if row.len() <= a_slot {
                row.resize(a_slot + 1, 0);
            }
            row[a_slot] += 1;
        }
    }
    let mut cells: Vec<Vec<Vec<f64>>> = sizes
        .iter()
        .map(|row| row.iter().map(|&n| Vec::with_capacity(n)).collect())
        .collect();
    for ((&i, a_slot), &x) in ratings
        .indicator
        .iter()
        .zip(per_rating(filtered, &slot_of_visit))
        .zip(&ratings.score)
    {
        let (Some(row), Some(a_slot)) = (cells.get_mut(usize::from(i)), a_slot) else {
            continue;
        };
        if row.len() <= a_slot {
            row.resize_with(a_slot + 1, Vec::new);
        }
        row[a_slot].push(f64::from(x));
    }
    let mut by: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for (indicator, row) in filtered.indicators.iter().zip(cells) {
        if row.iter().all(Vec::is_empty) {
            continue;
        }
        let groups = by.entry(indicator.id.to_string()).or_default();
        for (a, values) in row.into_iter().enumerate() {
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
/// kept visit the slot of its authority there ([`per_rating`] gives it for each rating).
fn rating_authorities(filtered: &Filtered) -> Result<(Vec<&str>, Vec<Option<usize>>)> {
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
    Ok((authorities, slot_of_visit))
}

/// For each kept rating, the slot of its visit's authority (`slot_of_visit` as
/// [`rating_authorities`] gives it).
fn per_rating<'a>(
    filtered: &'a Filtered,
    slot_of_visit: &'a [Option<usize>],
) -> impl Iterator<Item = Option<usize>> + 'a {
    filtered
        .ratings
        .visit
        .iter()
        .map(|&v| slot_of_visit.get(v as usize).copied().flatten())
}

pub(super) fn describe(filtered: &Filtered, rollup: &Rollup) -> Result<Vec<AuthoritySummary>> {
    let (authorities, slot_of_visit) = rating_authorities(filtered)?;
    let mut by_slot = vec![[0u64; 5]; authorities.len()];
    for (a, &s) in per_rating(filtered, &slot_of_visit).zip(&filtered.ratings.score) {
        if let Some(a) = a {
            by_slot[a][usize::from(s).clamp(1, 5) - 1] += 1;
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
