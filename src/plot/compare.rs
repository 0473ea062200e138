//! The figures of a `compare` run and of a `spider` profile, drawn from what the analysis
//! holds. This is the only place that maps [`Analysis`] onto the figure inputs; it copies
//! numbers, it never computes one.

use crate::analysis::{Analysis, ThemeMean};
use crate::error::Result;
use crate::model::QualityModel;
use crate::profile::VisitProfile;
use crate::stats::deviation::DeviationInference;

use super::style::Label;
use super::{
    AuthorityDistribution, CompletenessInput, DistributionInput, Figure, HeatCell, HeatmapInput,
    KsMatrixInput, KsPairCell, Lang, Layout, PlotOptions, RadarInput, RadarSeries,
    ScoreSharesInput, SeriesRole,
};

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

/// Every figure `compare --out` writes: LOS figures 1–3 (figure 2 as small multiples and as
/// an overlay), the KS matrix, completeness, and one spider chart per authority
/// (`fig5_spider_1` … in authority order) against the national mean. A figure with nothing
/// to show is left out: the KS matrix with fewer than two authorities, spider charts with
/// fewer than three themes, the heatmap and completeness figures without rows.
pub fn compare_figures(analysis: &Analysis, options: &PlotOptions) -> Result<Vec<Figure>> {
    let lang = options.lang;
    let names: Vec<String> = analysis
        .authorities
        .iter()
        .map(|a| a.name.clone())
        .collect();
    // The inputs are gathered here; the figures are drawn side by side, in this order.
    let mut jobs: Vec<Job<'_>> = Vec::new();
    let shares = ScoreSharesInput {
        authorities: names.clone(),
        shares: analysis.authorities.iter().map(|a| a.score_share).collect(),
    };
    jobs.push(Box::new(move || super::score_shares(&shares, options)));

    let d = &analysis.densities;
    let distribution = DistributionInput {
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
    };
    let distribution = std::sync::Arc::new(distribution);
    for layout in [Layout::SmallMultiples, Layout::Overlay] {
        let distribution = std::sync::Arc::clone(&distribution);
        jobs.push(Box::new(move || {
            super::overall_distribution(&distribution, layout, options)
        }));
    }

    let mut indicators: Vec<String> = Vec::new();
    for row in &analysis.deviation {
        if !indicators.contains(&row.indicator) {
            indicators.push(row.indicator.clone());
        }
    }
    let cells = indicators
        .iter()
        .map(|indicator| {
            names
                .iter()
                .map(|name| {
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
                })
                .collect()
        })
        .collect();
    if !indicators.is_empty() {
        let heatmap = HeatmapInput {
            indicators,
            authorities: names.clone(),
            cells,
            limit: None,
        };
        jobs.push(Box::new(move || {
            super::deviation_heatmap(&heatmap, options)
        }));
    }

    let index = |name: &str| names.iter().position(|n| n == name);
    if names.len() >= 2 {
        let matrix = KsMatrixInput {
            authorities: names.clone(),
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
        };
        jobs.push(Box::new(move || super::ks_matrix(&matrix, options)));
    }

    let rows = &analysis.filtered.completeness;
    let mut themes: Vec<Option<u32>> = Vec::new();
    for r in rows {
        if !themes.contains(&r.theme) {
            themes.push(r.theme);
        }
    }
    themes.sort_by_key(|t| (t.is_none(), *t));
    if !themes.is_empty() {
        let completeness = CompletenessInput {
            authorities: names.clone(),
            themes: themes
                .iter()
                .map(|t| match t {
                    Some(t) => format!("{t}"),
                    None => Label::AllThemes.text(lang).to_string(),
                })
                .collect(),
            share: names
                .iter()
                .map(|name| {
                    themes
                        .iter()
                        .map(|t| {
                            rows.iter()
                                .find(|r| &r.authority == name && r.theme == *t)
                                .map_or(f64::NAN, |r| r.share)
                        })
                        .collect()
                })
                .collect(),
        };
        jobs.push(Box::new(move || {
            super::completeness(&completeness, options)
        }));
    }

    let theme_numbers: Vec<u32> = analysis.model.themes.keys().copied().collect();
    let axes: Vec<String> = theme_numbers
        .iter()
        .map(|t| theme_label(&analysis.model, *t, lang))
        .collect();
    let national: Vec<&ThemeMean> = analysis
        .theme_means
        .iter()
        .filter(|m| m.authority.is_none())
        .collect();
    let spiders = if axes.len() >= 3 {
        names.as_slice()
    } else {
        &[]
    };
    for (k, name) in spiders.iter().enumerate() {
        let own: Vec<&ThemeMean> = analysis
            .theme_means
            .iter()
            .filter(|m| m.authority.as_deref() == Some(name.as_str()))
            .collect();
        let radar = RadarInput {
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
        };
        jobs.push(Box::new(move || {
            let mut figure = super::radar(&radar, options)?;
            figure.name = format!("fig5_spider_{}", k + 1);
            Ok(figure)
        }));
    }
    use rayon::prelude::*;
    jobs.into_par_iter().map(|draw| draw()).collect()
}

/// A figure to draw.
type Job<'a> = Box<dyn FnOnce() -> Result<Figure> + Send + 'a>;

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
    let mut figure = super::radar(
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
        options,
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
