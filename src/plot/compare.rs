//! The figures of a `compare` run and of a `spider` profile, drawn from what the analysis
//! holds: [`compare_figures`] from an [`Analysis`], [`visit_spider`] from a
//! [`VisitProfile`]. This is the only place that maps the analysis onto the figure
//! inputs; it copies numbers, it never computes one.
//!
//! Method: one mapping step per figure turns the analysis into that figure's input (or
//! `None` when the figure has nothing to show); the figures are then drawn side by side
//! (rayon), and returned in a fixed order.

use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::{Analysis, ThemeMean};
use crate::error::Result;
use crate::model::QualityModel;
use crate::profile::VisitProfile;
use crate::stats::deviation::DeviationInference;

use super::completeness::{CompletenessInput, completeness};
use super::distribution::{AuthorityDistribution, DistributionInput, Layout, overall_distribution};
use super::forest::{ForestInput, ForestRow, forest};
use super::heatmap::{HeatCell, HeatmapInput, deviation_heatmap};
use super::ks_matrix::{KsMatrixInput, KsPairCell, ks_matrix};
use super::radar::{RadarInput, RadarSeries, SeriesRole, radar};
use super::score_shares::{ScoreSharesInput, score_shares};
use super::style::Label;
use super::{Figure, Lang, PlotOptions};

/// A theme's axis label: its name in the chosen language, or `Tema N`.
fn theme_label(model: &QualityModel, theme: u32, lang: Lang) -> String {
    let named = model.themes.get(&theme).and_then(|t| match lang {
        Lang::Da => t.name.clone(),
        Lang::En => t.name_en.clone().or_else(|| t.name.clone()),
    });
    named.unwrap_or_else(|| format!("{} {theme}", Label::Theme.text(lang)))
}

/// The value of each theme (in `themes` order) from a list of means.
fn by_theme(themes: &[u32], means: &[&ThemeMean]) -> Vec<Option<f64>> {
    themes
        .iter()
        .map(|t| means.iter().find(|m| m.theme == *t).map(|m| m.mean))
        .collect()
}

/// Why the figures of a `compare` run are not drawn, if they are not: with more authorities
/// than a real export can have (see [`crate::analysis::guard`]), which the run only gets past
/// when the user raised the limit, no figure would stay legible (one panel, bar group,
/// matrix row and spider chart per authority), so none is drawn and the report says why.
pub fn figures_skipped(analysis: &Analysis) -> Option<String> {
    let count = analysis.authorities.len();
    let limit = crate::analysis::guard::MAX_AUTHORITIES;
    (count > limit).then(|| {
        format!(
            "no figures drawn: {count} authorities are more than the {limit} a figure can show legibly; \
             the tables hold every number"
        )
    })
}

/// A figure to draw.
type Job = Box<dyn FnOnce() -> Result<Figure> + Send>;

/// Every figure `compare --out` writes: LOS figures 1–3 (figure 2 as small multiples and as
/// an overlay), the KS matrix, completeness, and one spider chart per authority
/// (`fig5_spider_1` … in authority order) against the national mean; the case-mix forest
/// plot (`fig7_case_mix`) with offer types, and the trend figure (`fig8_periods`) with
/// `--period` and two periods or more. A figure with nothing to show is left out: the KS
/// matrix with fewer than two authorities, spider charts with fewer than three themes, the
/// heatmap and completeness figures without rows.
///
/// # Errors
/// [`crate::error::Error::Plot`] if drawing a figure fails, or
/// [`crate::error::Error::InvalidParameter`] if the analysis does not fit a figure.
pub fn compare_figures(analysis: &Analysis, options: &PlotOptions) -> Result<Vec<Figure>> {
    if figures_skipped(analysis).is_some() {
        return Ok(Vec::new());
    }
    let options = *options;
    let lang = options.lang;
    let names: Vec<String> = analysis
        .authorities
        .iter()
        .map(|a| a.name.clone())
        .collect();
    // The inputs are gathered here; the figures are drawn side by side, in this order.
    let shares = shares_input(analysis, &names);
    let mut jobs: Vec<Job> = vec![Box::new(move || score_shares(&shares, options))];
    let distribution = Arc::new(distribution_input(analysis));
    for layout in [Layout::SmallMultiples, Layout::Overlay] {
        let distribution = Arc::clone(&distribution);
        jobs.push(Box::new(move || {
            overall_distribution(&distribution, layout, options)
        }));
    }
    if let Some(heatmap) = heatmap_input(analysis, &names) {
        jobs.push(Box::new(move || deviation_heatmap(&heatmap, options)));
    }
    if let Some(matrix) = ks_matrix_input(analysis, &names) {
        jobs.push(Box::new(move || ks_matrix(&matrix, options)));
    }
    if let Some(table) = completeness_input(analysis, &names, lang) {
        jobs.push(Box::new(move || completeness(&table, options)));
    }
    for (k, spider) in authority_spiders(analysis, &names, lang)
        .into_iter()
        .enumerate()
    {
        jobs.push(Box::new(move || {
            let mut figure = radar(&spider, options)?;
            figure.name = format!("fig5_spider_{}", k + 1);
            Ok(figure)
        }));
    }
    if let Some(forest_data) = forest_input(analysis) {
        jobs.push(Box::new(move || forest(&forest_data, options)));
    }
    if let Some(periods) = analysis.compared_periods() {
        let input = super::trend::TrendInput::from_periods(periods);
        jobs.push(Box::new(move || super::trend::trend(&input, options)));
    }
    jobs.into_par_iter().map(|draw| draw()).collect()
}

/// Case mix: each authority's raw and adjusted effects (`fig7_case_mix`), when the export has
/// offer types.
fn forest_input(analysis: &Analysis) -> Option<ForestInput> {
    let mix = analysis.case_mix.as_ref()?;
    let rows = mix
        .authorities
        .iter()
        .map(|a| ForestRow {
            authority: a.authority.clone(),
            raw_mean: a.raw_mean,
            standardised: (a.standardised_mean, a.standardised_ci),
            odds_ratio: a.odds_ratio.zip(a.odds_ratio_ci),
        })
        .collect();
    Some(ForestInput {
        rows,
        confidence: mix.confidence,
    })
}

/// LOS figure 1: each authority's share of the scores 1–5.
fn shares_input(analysis: &Analysis, names: &[String]) -> ScoreSharesInput {
    ScoreSharesInput {
        authorities: names.to_vec(),
        shares: analysis.authorities.iter().map(|a| a.score_share).collect(),
    }
}

/// LOS figure 2: per authority, its histogram, its KDE curve (if one was estimated) and
/// its mean overall score.
fn distribution_input(analysis: &Analysis) -> DistributionInput {
    let d = &analysis.densities;
    DistributionInput {
        grid: d.grid.clone(),
        edges: d.edges.clone(),
        authorities: analysis
            .authorities
            .iter()
            .map(|a| AuthorityDistribution {
                name: a.name.clone(),
                histogram_density: d
                    .histograms
                    .iter()
                    .find(|h| h.authority == a.name)
                    .map(|h| h.density.clone())
                    .unwrap_or_default(),
                kde: d
                    .curves
                    .iter()
                    .find(|c| c.authority == a.name)
                    .and_then(|c| c.curve.as_ref())
                    .map(|c| c.density.clone()),
                mean: a.overall.mean,
            })
            .collect(),
    }
}

/// LOS figure 3: the indicator × authority deviations, indicators in order of first
/// appearance; `None` without any deviation row.
fn heatmap_input(analysis: &Analysis, names: &[String]) -> Option<HeatmapInput> {
    let mut indicators: Vec<String> = Vec::new();
    for row in &analysis.deviation {
        if !indicators.contains(&row.indicator) {
            indicators.push(row.indicator.clone());
        }
    }
    if indicators.is_empty() {
        return None;
    }
    let cell = |indicator: &String, name: &String| {
        analysis
            .deviation
            .iter()
            .find(|r| &r.indicator == indicator && &r.cell.authority == name)
            // A cell with no test (a single rating on one side, or no other
            // authority) is left blank: a muted "0.00" would read as agreement.
            .filter(|r| {
                !matches!(
                    r.cell.inference,
                    DeviationInference::TooFewRatings | DeviationInference::NoRest
                )
            })
            .map(|r| HeatCell {
                deviation: r.cell.deviation,
                significant: r.significant,
            })
    };
    let cells = indicators
        .iter()
        .map(|indicator| names.iter().map(|name| cell(indicator, name)).collect())
        .collect();
    Some(HeatmapInput {
        indicators,
        authorities: names.to_vec(),
        cells,
        limit: None,
    })
}

/// The KS matrix: the adjusted pairwise tests of the overall score; `None` with fewer
/// than two authorities.
fn ks_matrix_input(analysis: &Analysis, names: &[String]) -> Option<KsMatrixInput> {
    if names.len() < 2 {
        return None;
    }
    let index = |name: &str| names.iter().position(|n| n == name);
    Some(KsMatrixInput {
        authorities: names.to_vec(),
        pairs: analysis
            .overall_pairs()
            .iter()
            .filter_map(|p| {
                Some(KsPairCell {
                    a: index(&p.a)?,
                    b: index(&p.b)?,
                    statistic: p.statistic,
                    p_adjusted: p.p_value_adjusted,
                    significant: p.significant,
                })
            })
            .collect(),
        alpha: Some(analysis.options.pairwise.alpha),
    })
}

/// Completeness: the share of complete visits per authority and theme (numbered themes
/// first, then all themes together); `None` without any completeness row.
fn completeness_input(
    analysis: &Analysis,
    names: &[String],
    lang: Lang,
) -> Option<CompletenessInput> {
    let rows = &analysis.filtered.completeness;
    let mut themes: Vec<Option<u32>> = Vec::new();
    for r in rows {
        if !themes.contains(&r.theme) {
            themes.push(r.theme);
        }
    }
    themes.sort_by_key(|t| (t.is_none(), *t));
    if themes.is_empty() {
        return None;
    }
    let share = |name: &String, theme: Option<u32>| {
        rows.iter()
            .find(|r| &r.authority == name && r.theme == theme)
            .map_or(f64::NAN, |r| r.share)
    };
    Some(CompletenessInput {
        authorities: names.to_vec(),
        themes: themes
            .iter()
            .map(|t| match t {
                Some(t) => format!("{t}"),
                None => Label::AllThemes.text(lang).to_string(),
            })
            .collect(),
        share: names
            .iter()
            .map(|name| themes.iter().map(|t| share(name, *t)).collect())
            .collect(),
    })
}

/// One spider chart per authority (in `names` order): its mean theme scores against the
/// national mean; none with fewer than three themes.
fn authority_spiders(analysis: &Analysis, names: &[String], lang: Lang) -> Vec<RadarInput> {
    let theme_numbers: Vec<u32> = analysis.model.themes.keys().copied().collect();
    let axes: Vec<String> = theme_numbers
        .iter()
        .map(|t| theme_label(&analysis.model, *t, lang))
        .collect();
    if axes.len() < 3 {
        return Vec::new();
    }
    let national: Vec<&ThemeMean> = analysis
        .theme_means
        .iter()
        .filter(|m| m.authority.is_none())
        .collect();
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let own: Vec<&ThemeMean> = analysis
                .theme_means
                .iter()
                .filter(|m| m.authority.as_deref() == Some(name.as_str()))
                .collect();
            RadarInput {
                title: format!("{}: {name}", Label::ThemeScoresTitle.text(lang)),
                axes: axes.clone(),
                series: vec![
                    RadarSeries {
                        label: name.clone(),
                        values: by_theme(&theme_numbers, &own),
                        role: SeriesRole::Primary,
                        colour_index: k,
                    },
                    RadarSeries {
                        label: Label::NationalMean.text(lang).to_string(),
                        values: by_theme(&theme_numbers, &national),
                        role: SeriesRole::Reference,
                        colour_index: names.len(),
                    },
                ],
            }
        })
        .collect()
}

/// The spider chart of one visit, with its authority's and the national mean theme scores as
/// reference polygons. Named `spider_<visit id>` (characters other than letters, digits, `-`
/// and `_` replaced by `_`).
pub fn visit_spider(
    profile: &VisitProfile,
    model: &QualityModel,
    options: &PlotOptions,
) -> Result<Figure> {
    let lang = options.lang;
    let themes: Vec<u32> = model.themes.keys().copied().collect();
    let own: Vec<Option<f64>> = themes
        .iter()
        .map(|t| profile.themes.iter().find(|(n, _)| n == t).map(|(_, s)| *s))
        .collect();
    let authority: Vec<&ThemeMean> = profile.authority_means.iter().collect();
    let national: Vec<&ThemeMean> = profile.national_means.iter().collect();
    let mut figure = radar(
        &RadarInput {
            title: format!(
                "{} {} ({})",
                Label::VisitTitle.text(lang),
                profile.visit_id,
                profile.authority
            ),
            axes: themes
                .iter()
                .map(|t| theme_label(model, *t, lang))
                .collect(),
            series: vec![
                RadarSeries {
                    label: profile.visit_id.clone(),
                    values: own,
                    role: SeriesRole::Primary,
                    colour_index: 0,
                },
                RadarSeries {
                    label: format!(
                        "{} ({})",
                        Label::AuthorityMean.text(lang),
                        profile.authority
                    ),
                    values: by_theme(&themes, &authority),
                    role: SeriesRole::Reference,
                    colour_index: 1,
                },
                RadarSeries {
                    label: Label::NationalMean.text(lang).to_string(),
                    values: by_theme(&themes, &national),
                    role: SeriesRole::Reference,
                    colour_index: 2,
                },
            ],
        },
        *options,
    )?;
    let safe: String = profile
        .visit_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    figure.name = format!("spider_{safe}");
    Ok(figure)
}
