//! One visit at a glance (seed 000's minimum report content for a single visit): every
//! indicator score, the criterion and theme scores, the overall score, which universal
//! indicators are missing, and the authority's and the national mean theme scores for the
//! spider chart (`losstat spider`).
//!
//! Input: the export, the [`QualityModel`], a [`VisitSelector`]. Output: a [`VisitProfile`].
//! The visit's own scores are rolled up from its valid ratings even when a LOS visit rule
//! drops it from the comparisons (which `excluded_by` then says); the reference means come
//! from the whole export, filtered as for `compare`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::{DataFrame, Float64Type, StringType, UInt32Type};
use serde::Serialize;

use crate::analysis::{AnalysisOptions, ThemeMean, theme_means};
use crate::error::{Error, Result};
use crate::filter::{self, Dates, FilterOptions, Filtered, Scope};
use crate::frame::Col;
use crate::load::{self, Field, Loaded, RawRatings};
use crate::model::{IndicatorId, QualityModel};
use crate::rollup;

/// Picks the visit to profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitSelector {
    /// A visit id.
    Visit(String),
    /// An offer id: its most recent visit (by date, read as [`filter::dates`] says, then id).
    Offer(String),
}

/// One visit at a glance (seed 000's minimum report content): its scores at every level, what
/// is missing, and the reference means.
#[derive(Debug, Clone, Serialize)]
pub struct VisitProfile {
    /// Visit id.
    pub visit_id: String,
    /// Authority (canonical name).
    pub authority: String,
    /// Offer id, if the export has one.
    pub offer_id: Option<String>,
    /// Offer type, if the export has one.
    pub offer_type: Option<String>,
    /// Visit date, ISO `YYYY-MM-DD`, if the export has a readable one.
    pub visit_date: Option<String>,
    /// (indicator, score) in model order.
    pub indicators: Vec<(String, f64)>,
    /// (criterion, score).
    pub criteria: Vec<(u32, f64)>,
    /// (theme, score).
    pub themes: Vec<(u32, f64)>,
    /// Mean of the theme scores.
    pub overall: Option<f64>,
    /// Universal indicators without a valid score.
    pub missing_universal: Vec<String>,
    /// Visit-level rules that drop this visit from the comparisons, if any.
    pub excluded_by: Vec<String>,
    /// Other visits of the same offer (when selected by offer).
    pub other_visits: Vec<String>,
    /// The authority's mean theme scores (reference polygon).
    pub authority_means: Vec<ThemeMean>,
    /// The national mean theme scores (reference polygon).
    pub national_means: Vec<ThemeMean>,
}

/// Profiles one visit (see [`VisitProfile`]): its own scores come from its valid ratings even
/// if a LOS visit rule would drop it from the comparisons (that is then said in
/// `excluded_by`); the reference means come from the full, filtered data.
pub fn visit_profile(
    paths: &[PathBuf],
    model: &QualityModel,
    options: &AnalysisOptions,
    selector: &VisitSelector,
) -> Result<VisitProfile> {
    let loaded = load::load(paths, &options.load)?;
    // Dates are read once, in the order of each whole file, for the selection and the visit.
    let dates = Dates::read(&loaded.ratings, loaded.sources.len());
    let full = filter::filter_dated(&loaded, model, FilterOptions::default(), &dates)?;
    let (visit_id, other_visits) = select_visit(&loaded.ratings, &dates, selector)?;
    let shown = filter_one_visit(&loaded, &dates, &visit_id, model)?;
    // The raw table is read: freed before the national roll-up (at ten million ratings the
    // two took 140 and 250 MB at once).
    drop(dates);
    drop(loaded);
    let means = theme_means(&rollup::rollup(&full)?)?;
    let r = rollup::rollup(&shown)?;
    let text = |col: Col<StringType>| -> Result<Option<String>> {
        Ok(col.of(&r.visits)?.get(0).map(str::to_string))
    };
    let indicators = indicator_scores(&shown)?;
    let present: Vec<&str> = indicators.iter().map(|(id, _)| id.as_str()).collect();
    let missing_universal = model
        .universal()
        .map(|i| i.id.to_string())
        .filter(|id| !present.contains(&id.as_str()))
        .collect();
    let mut excluded_by: Vec<String> = full
        .exclusions
        .iter()
        .filter(|e| e.visit_id.trim() == visit_id && e.rule.scope() == Scope::Visit)
        .map(|e| e.rule.name().to_string())
        .collect();
    excluded_by.dedup();
    let authority = text(rollup::visits::AUTHORITY)?.unwrap_or_default();
    let means_of = |of: Option<&str>| -> Vec<ThemeMean> {
        means
            .iter()
            .filter(|m| m.authority.as_deref() == of)
            .cloned()
            .collect()
    };
    Ok(VisitProfile {
        offer_id: text(rollup::visits::OFFER_ID)?,
        offer_type: text(rollup::visits::OFFER_TYPE)?,
        visit_date: text(rollup::visits::VISIT_DATE)?,
        overall: rollup::visits::OVERALL.of(&r.visits)?.get(0),
        criteria: unit_scores(
            &r.criteria,
            rollup::criteria::CRITERION,
            rollup::criteria::SCORE,
        )?,
        themes: unit_scores(&r.themes, rollup::themes::THEME, rollup::themes::SCORE)?,
        indicators,
        missing_universal,
        excluded_by,
        other_visits,
        authority_means: means_of(Some(authority.as_str())),
        national_means: means_of(None),
        authority,
        visit_id,
    })
}

/// The visit to show, and (when chosen by offer) the offer's other visits, latest first: by
/// the latest readable date among a visit's rows (read as [`filter::dates`] says; a visit
/// without one comes before the dated ones), then by visit id.
fn select_visit(
    raw: &RawRatings,
    dates: &Dates,
    selector: &VisitSelector,
) -> Result<(String, Vec<String>)> {
    let offer = match selector {
        VisitSelector::Visit(id) => return Ok((id.trim().to_string(), Vec::new())),
        VisitSelector::Offer(offer) => offer,
    };
    // The latest date of each of the offer's visits.
    let mut candidates: BTreeMap<String, Option<NaiveDate>> = BTreeMap::new();
    for row in 0..raw.height() {
        let v = raw.get(Field::VisitId, row);
        let o = raw.get(Field::OfferId, row);
        if let (Some(v), Some(o)) = (v, o)
            && o.trim() == offer.trim()
            && !v.trim().is_empty()
        {
            let date = dates.date(raw, row);
            let entry = candidates.entry(v.trim().to_string()).or_default();
            *entry = (*entry).max(date);
        }
    }
    let mut ordered: Vec<(Option<NaiveDate>, String)> =
        candidates.into_iter().map(|(v, d)| (d, v)).collect();
    ordered.sort();
    let Some((_, latest)) = ordered.pop() else {
        return Err(Error::NotFound {
            what: format!("offer `{offer}`"),
            hint: "no row has this offer id; check the offer column (--column offer_id=NAME)"
                .to_string(),
        });
    };
    Ok((latest, ordered.into_iter().rev().map(|(_, v)| v).collect()))
}

/// The rows of visit `visit_id`, filtered without the LOS visit rules (so a visit they would
/// drop is still shown), their dates read in the order of their whole files (`dates`).
fn filter_one_visit(
    loaded: &Loaded,
    dates: &Dates,
    visit_id: &str,
    model: &QualityModel,
) -> Result<Filtered> {
    let raw = &loaded.ratings;
    let rows: Vec<usize> = (0..raw.height())
        .filter(|&row| {
            raw.get(Field::VisitId, row)
                .is_some_and(|v| v.trim() == visit_id)
        })
        .collect();
    if rows.is_empty() {
        return Err(Error::NotFound {
            what: format!("visit `{visit_id}`"),
            hint: "no row has this visit id".to_string(),
        });
    }
    let single = Loaded {
        ratings: raw.take(&rows),
        malformed: Vec::new(),
        sources: loaded.sources.clone(),
    };
    let options = FilterOptions {
        los_visit_rules: false,
    };
    let shown = filter::filter_dated(&single, model, options, dates)?;
    if shown.summary.visits_kept == 0 {
        return Err(Error::NotFound {
            what: format!("a valid rating of visit `{visit_id}`"),
            hint: format!(
                "the visit has no usable rating ({})",
                shown.summary.one_line()
            ),
        });
    }
    Ok(shown)
}

/// The visit's (indicator, score) pairs, in the order of the ids.
fn indicator_scores(shown: &Filtered) -> Result<Vec<(String, f64)>> {
    let ratings = &shown.ratings;
    let mut pairs: Vec<(IndicatorId, f64)> = ratings
        .indicator
        .iter()
        .zip(&ratings.score)
        .filter_map(|(&i, &x)| Some((shown.indicators.get(usize::from(i))?.id, f64::from(x))))
        .collect();
    pairs.sort_by_key(|&(id, _)| id);
    Ok(pairs
        .into_iter()
        .map(|(id, x)| (id.to_string(), x))
        .collect())
}

/// (unit, score) pairs of a level table of the roll-up.
fn unit_scores(
    frame: &DataFrame,
    unit: Col<UInt32Type>,
    score: Col<Float64Type>,
) -> Result<Vec<(u32, f64)>> {
    Ok(unit
        .of(frame)?
        .iter()
        .zip(score.of(frame)?.iter())
        .filter_map(|(k, x)| Some((k?, x?)))
        .collect())
}
