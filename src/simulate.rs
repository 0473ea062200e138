//! Synthetic exports calibrated to the LOS paper (the real data are not public).
//!
//! Input: a [`QualityModel`] and [`SimulationOptions`]. Output: a [`Simulation`], the records
//! of a long-layout export, ready to write as canonical or Danish-locale CSV.
//!
//! Calibration targets (LOS, "Fem socialtilsyn …", 2024): visits per authority
//! Hovedstaden 575, Midt 473, Nord 254, Syd 335, Øst 344 (at `scale` 1); shares of score 5 of
//! about 50 %, 51 %, 62.7 %, 68.3 % and 81.5 % (the paper anonymised the authorities, so which
//! real name gets which share here is arbitrary); mean overall scores from about 4.3 to 4.7.
//!
//! Generative model: each authority has a base distribution over the scores 1–5 whose share
//! of 5s is its target. A visit draws a uniform `u_v`; each of its ratings uses `u_v` with
//! probability 0.45 and a fresh uniform otherwise (a mixture copula: the marginal stays
//! uniform, ratings within a visit correlate). Each indicator, and each indicator ×
//! authority cell, bends the uniform by a fixed power `u^γ` with `ln γ ~ N(0, 0.15²)` (larger
//! for `8.c` and `9.d`, which LOS found most divergent), so per-indicator deviations exist.
//! The score is the base distribution's inverse CDF at the bent uniform.
//!
//! Offers have a type (with its legal basis) that decides which conditional indicators they
//! get: `2.d` only children's residential offers, `2.b` not ambulant treatment, `6.a`, `6.b`,
//! `14.c` neither ambulant treatment nor shelters (SEL § 110), `8.c` only offers with a board,
//! `9.d` most offers (its scope is unknown; so does any other conditional indicator of a
//! custom model). Universal indicators are always scored.
//!
//! `dirty` adds every kind of bad row the filters exist for, on distinct visits, and returns
//! how many of each it injected.
//!
//! Visit dates fall in 2021–2023. With [`Years`] (issue 15), every year of a range instead gets
//! the full number of visits per authority, dated within that year, and offers are revisited
//! across years; with a convergence factor X, ratings follow the known-truth model ([`Truth`],
//! its shifts or [`CONVERGENCE_SHIFTS`]) with each authority's latent shift `shift · Xᵏ` in the
//! k-th year (k = 0 for the first): the authorities' differences shrink by X a year (grow, for
//! X > 1; stay, for X = 1).
//!
//! The RNG is ChaCha8 seeded from `seed`; the same seed and options give the same bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::filter::Rule;
use crate::load::Field;
use crate::model::QualityModel;

/// Options for [`simulate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationOptions {
    /// Multiplies the number of visits per authority (1.0 = the LOS data set's size).
    pub scale: f64,
    /// RNG seed.
    pub seed: u64,
    /// Inject bad rows of every kind.
    pub dirty: bool,
    /// After each visit's ratings, write the export's own criterion, theme and overall
    /// scores as rows (`Kriterium 3`, `Tema 4`, `Samlet`), rounded to two decimals, as the
    /// real export does.
    pub levels: bool,
    /// How visit dates are written.
    pub dates: DateStyle,
    /// Ratings from a model with a known truth instead of the LOS calibration (see
    /// [`Truth`]).
    pub truth: Option<Truth>,
    /// Several years of visits instead of one export spread over 2021–2023 (see [`Years`]).
    pub years: Option<Years>,
}

/// A multi-year export (issue 15): the visits of every year from `first` to `last` (both
/// included), each year the full number per authority, dated uniformly within the year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Years {
    /// The first year.
    pub first: i32,
    /// The last year (at most 50 years after `first`).
    pub last: i32,
    /// The known convergence: with `Some(x)`, ratings follow the truth model ([`Truth`]; its
    /// shifts, or [`CONVERGENCE_SHIFTS`] without one) with each authority's latent shift
    /// multiplied by `xᵏ` in the k-th year. `None`: the run's generator, the same every year.
    pub convergence: Option<f64>,
}

/// The latent shifts of a convergence run without a truth of its own (Hovedstaden, Midt,
/// Nord, Syd, Øst): on the logit scale of [`TRUTH_SHARES`] they put the shares of 5s near the
/// LOS paper's (about 50 %, 62 %, 68 %, 81 % and 50 %), so the mean overall scores span about
/// 4.3–4.7 in the first year.
pub const CONVERGENCE_SHIFTS: [f64; 5] = [-0.5, 0.0, 0.25, 0.95, -0.5];

/// A known truth for the case-mix analysis (issue 14): every rating follows a
/// proportional-odds model, `P(Y ≤ j) = F(θⱼ − η)` with F the logistic CDF,
/// `η = severity[authority] + type_effect · TYPE_LEVELS[offer type] + indicator effect`, and
/// thresholds θ at the logits of the national cumulative shares [`TRUTH_SHARES`]. Ratings of
/// one visit share their uniform with probability 0.45 (as in the calibrated generator), which
/// correlates them without changing any rating's own distribution, so the model's
/// coefficients are exactly `severity` and the visit-clustered errors are the right ones.
/// Authority `a` (in the order of [`AUTHORITY_NAMES`]) draws offer types `2a mod 9` and
/// `2a + 1 mod 9` with weight `1 + 8 · case_mix` times their national weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truth {
    /// Each authority's latent shift (logit scale); positive scores higher.
    pub severity: [f64; 5],
    /// How far apart the offer types score (multiplies [`TYPE_LEVELS`]).
    pub type_effect: f64,
    /// How differently the authorities' offers are mixed (0: the national mix everywhere).
    pub case_mix: f64,
}

/// The authorities of the simulated exports, in the order of [`Truth::severity`].
pub const AUTHORITY_NAMES: [&str; 5] = [
    "Socialtilsyn Hovedstaden",
    "Socialtilsyn Midt",
    "Socialtilsyn Nord",
    "Socialtilsyn Syd",
    "Socialtilsyn Øst",
];

/// Each offer type's latent level in the truth model (in the order of the offer types).
pub const TYPE_LEVELS: [f64; 9] = [-0.5, 0.8, -1.0, 0.3, 0.0, 1.0, -0.8, 0.5, -0.3];

/// National shares of the scores 1–4 in the truth model (5 takes the rest).
pub const TRUTH_SHARES: [f64; 4] = [0.012, 0.026, 0.08, 0.25];

impl Default for SimulationOptions {
    fn default() -> Self {
        Self {
            scale: 1.0,
            seed: 2024,
            dirty: false,
            levels: false,
            dates: DateStyle::Iso,
            truth: None,
            years: None,
        }
    }
}

/// How the simulated visit dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DateStyle {
    /// `2023-05-12`.
    #[default]
    Iso,
    /// `12-05-2023`, as Danish Excel writes dates.
    Danish,
}

/// How the CSV is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum CsvStyle {
    /// UTF-8, `,`, English headers, scores as integers.
    #[default]
    Canonical,
    /// Windows-1252, `;`, Danish headers, scores with a decimal comma (`4,0`), as Danish
    /// Excel saves it.
    Danish,
}

/// A synthetic export: the drawn visits, made into records one visit at a time when they are
/// read ([`Simulation::records`]) or written ([`write_csv`]), so that a simulation of ten
/// million ratings never holds them all as text.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Column names (canonical English).
    pub header: Vec<String>,
    /// What `dirty` injected, by the filter rule each bad row is for.
    pub injected: BTreeMap<Rule, u64>,
    /// How many of the records are criterion, theme or overall scores (`levels`).
    pub level_rows: usize,
    /// How many records there are.
    pub rows: usize,
    visits: Vec<Visit>,
    offers: Vec<Offer>,
    /// The malformed records `dirty` adds after the visits' (fewer fields).
    extra: Vec<Vec<String>>,
    model: QualityModel,
    options: SimulationOptions,
}

impl Simulation {
    /// The records in file order: each visit's ratings (then, with `levels`, its criterion,
    /// theme and overall scores), then the malformed records `dirty` adds, which have fewer
    /// fields.
    pub fn records(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        let written = self.written();
        self.visits
            .iter()
            .flat_map(move |v| written.records(v))
            .chain(self.extra.iter().cloned())
    }

    fn written(&self) -> Written<'_> {
        Written {
            offers: &self.offers,
            model: &self.model,
            options: &self.options,
        }
    }
}

/// Authorities with visit counts and base distribution over the scores 1–5. The shares of 5
/// sit 0.5–2.5 points above the targets because the indicator bends pull them down by about
/// that much (measured on the default seed).
const AUTHORITIES: [(&str, u32, [f64; 5]); 5] = [
    (
        "Socialtilsyn Hovedstaden",
        575,
        [0.010, 0.032, 0.100, 0.338, 0.520],
    ),
    (
        "Socialtilsyn Midt",
        473,
        [0.008, 0.021, 0.074, 0.257, 0.640],
    ),
    (
        "Socialtilsyn Nord",
        254,
        [0.006, 0.018, 0.068, 0.232, 0.676],
    ),
    ("Socialtilsyn Syd", 335, [0.003, 0.010, 0.037, 0.110, 0.840]),
    ("Socialtilsyn Øst", 344, [0.012, 0.034, 0.106, 0.338, 0.510]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OfferKind {
    AdultResidential,
    ChildResidential,
    Crisis,
    Shelter,
    Ambulant,
}

const OFFER_TYPES: [(&str, f64, OfferKind); 9] = [
    (
        "§ 107 midlertidigt botilbud til voksne",
        0.20,
        OfferKind::AdultResidential,
    ),
    (
        "§ 108 længerevarende botilbud til voksne",
        0.18,
        OfferKind::AdultResidential,
    ),
    (
        "§ 66, stk. 1, nr. 5 opholdssted for børn og unge",
        0.19,
        OfferKind::ChildResidential,
    ),
    (
        "§ 66, stk. 1, nr. 6 døgninstitution for børn og unge",
        0.11,
        OfferKind::ChildResidential,
    ),
    (
        "Botilbudslignende tilbud (§ 85 i ABL § 105)",
        0.11,
        OfferKind::AdultResidential,
    ),
    ("§ 109 kvindekrisecenter", 0.05, OfferKind::Crisis),
    ("§ 110 forsorgshjem/herberg", 0.06, OfferKind::Shelter),
    (
        "§ 101 ambulant stofmisbrugsbehandling",
        0.06,
        OfferKind::Ambulant,
    ),
    (
        "SUL § 141 ambulant alkoholbehandling",
        0.04,
        OfferKind::Ambulant,
    ),
];

const SHARED_UNIFORM: f64 = 0.45;

#[derive(Debug, Clone)]
struct Offer {
    id: String,
    kind_index: usize,
    has_board: bool,
    has_nine_d: bool,
}

#[derive(Debug, Clone)]
struct Visit {
    authority: usize,
    id: String,
    offer: usize,
    date: String,
    /// Indicator id and score as written: the ids shared with the model's (a pointer each),
    /// the scores from a fixed set of texts, so ten million ratings take 320 MB, not 0.8 GB.
    ratings: Vec<(Arc<str>, &'static str)>,
    /// `dirty`: the last rating is written with a blank authority.
    blank_authority_last: bool,
}

/// A score as written: its one digit.
fn score_text(score: u8) -> &'static str {
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    DIGITS.get(usize::from(score)).copied().unwrap_or("")
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn applies(id: &str, offer: &Offer) -> bool {
    let kind = OFFER_TYPES[offer.kind_index].2;
    match id {
        "2.b" => kind != OfferKind::Ambulant,
        "2.d" => kind == OfferKind::ChildResidential,
        "6.a" | "6.b" | "14.c" => !matches!(kind, OfferKind::Ambulant | OfferKind::Shelter),
        "8.c" => offer.has_board,
        "9.d" => offer.has_nine_d,
        _ => offer.has_nine_d,
    }
}

/// The truth model's rating for latent shift `eta` at uniform `u`: the smallest j with
/// `u ≤ F(θⱼ − η)` (see [`Truth`]).
fn proportional_odds(eta: f64, u: f64) -> u8 {
    let mut cumulative = 0.0;
    for (j, share) in TRUTH_SHARES.iter().enumerate() {
        cumulative += share;
        let theta = (cumulative / (1.0 - cumulative)).ln();
        if u <= 1.0 / (1.0 + (eta - theta).exp()) {
            return j as u8 + 1;
        }
    }
    5
}

/// The offer type at uniform `pick` for `authority` under the truth model's mix (see
/// [`Truth`]).
fn mixed_type(authority: usize, case_mix: f64, pick: f64) -> usize {
    let own = |k: usize| k == (2 * authority) % 9 || k == (2 * authority + 1) % 9;
    let weights: Vec<f64> = OFFER_TYPES
        .iter()
        .enumerate()
        .map(|(k, (_, w, _))| w * if own(k) { 1.0 + 8.0 * case_mix } else { 1.0 })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    weights
        .iter()
        .position(|w| {
            cumulative += w / total;
            pick < cumulative
        })
        .unwrap_or(0)
}

fn inverse_cdf(base: &[f64; 5], u: f64) -> u8 {
    let mut cumulative = 0.0;
    for (k, p) in base.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return k as u8 + 1;
        }
    }
    5
}

/// Generates a synthetic export (see the module docs).
pub fn simulate(model: &QualityModel, options: &SimulationOptions) -> Result<Simulation> {
    if !(options.scale.is_finite() && options.scale > 0.0 && options.scale <= 10_000.0) {
        return Err(Error::InvalidParameter {
            name: "scale",
            value: options.scale.to_string(),
            expected: "a number greater than 0 and at most 10000",
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let indicators: Vec<(Arc<str>, bool)> = model
        .indicators
        .iter()
        .map(|i| (i.id.to_string().into(), i.universal))
        .collect();
    let bends = Bends::draw(&indicators, &mut rng);
    let mut draw = Draw {
        indicators: &indicators,
        bends: &bends,
        truth: options.truth,
        rng: &mut rng,
        visits: Vec::new(),
        offers: Vec::new(),
        next_visit: 100_000,
        year: None,
        authority_offers: vec![Vec::new(); AUTHORITIES.len()],
    };
    match options.years {
        None => draw.year_of_visits(options.scale),
        Some(years) => {
            check_years(years)?;
            for (k, year) in (years.first..=years.last).enumerate() {
                draw.year = Some(year);
                if let Some(x) = years.convergence {
                    let truth = options.truth.unwrap_or(Truth {
                        severity: CONVERGENCE_SHIFTS,
                        type_effect: 0.0,
                        case_mix: 0.0,
                    });
                    let factor = x.powi(k as i32);
                    draw.truth = Some(Truth {
                        severity: truth.severity.map(|s| s * factor),
                        ..truth
                    });
                }
                draw.year_of_visits(options.scale);
            }
        }
    }
    let Draw {
        mut visits, offers, ..
    } = draw;
    let mut injected = BTreeMap::new();
    let mut extra: Vec<Vec<String>> = Vec::new();
    if options.dirty {
        inject(&mut visits, &mut extra, &mut injected, model, &mut rng);
    }
    let header: Vec<String> = [
        Field::Authority,
        Field::VisitId,
        Field::OfferId,
        Field::OfferType,
        Field::VisitDate,
        Field::Indicator,
        Field::Score,
    ]
    .map(|field| field.name().to_string())
    .to_vec();
    let written = Written {
        offers: &offers,
        model,
        options,
    };
    let level_rows = if options.levels {
        visits.iter().map(|v| written.level_scores(v).len()).sum()
    } else {
        0
    };
    let ratings: usize = visits.iter().map(|v| v.ratings.len()).sum();
    Ok(Simulation {
        header,
        injected,
        level_rows,
        rows: ratings + level_rows + extra.len(),
        visits,
        offers,
        extra,
        model: model.clone(),
        options: *options,
    })
}

/// Checks a [`Years`] range and factor.
fn check_years(years: Years) -> Result<()> {
    let span = i64::from(years.last) - i64::from(years.first);
    if !((1900..=2200).contains(&years.first) && (0..=50).contains(&span) && years.last <= 2200) {
        return Err(Error::InvalidParameter {
            name: "years",
            value: format!("{}..{}", years.first, years.last),
            expected: "FIRST..LAST with 1900 ≤ FIRST ≤ LAST ≤ 2200, at most 50 years apart",
        });
    }
    if let Some(x) = years.convergence
        && !(x.is_finite() && x > 0.0 && x <= 10.0)
    {
        return Err(Error::InvalidParameter {
            name: "convergence",
            value: x.to_string(),
            expected: "a factor greater than 0 and at most 10 (1: no change)",
        });
    }
    Ok(())
}

/// How each indicator, and each indicator × authority cell, bends the uniform (`ln γ`).
struct Bends {
    indicator: Vec<f64>,
    cell: Vec<Vec<f64>>,
}

impl Bends {
    fn draw(indicators: &[(Arc<str>, bool)], rng: &mut ChaCha8Rng) -> Self {
        let spread = |id: &str| {
            if matches!(id, "8.c" | "9.d") {
                0.5
            } else {
                0.15
            }
        };
        let indicator = indicators
            .iter()
            .map(|(id, _)| spread(id) * normal(rng))
            .collect();
        let cell = AUTHORITIES
            .iter()
            .map(|_| {
                indicators
                    .iter()
                    .map(|(id, _)| spread(id) * normal(rng))
                    .collect()
            })
            .collect();
        Self { indicator, cell }
    }
}

/// The visits and offers drawn so far.
struct Draw<'a> {
    indicators: &'a [(Arc<str>, bool)],
    bends: &'a Bends,
    truth: Option<Truth>,
    rng: &'a mut ChaCha8Rng,
    visits: Vec<Visit>,
    offers: Vec<Offer>,
    next_visit: u64,
    /// The year the visits fall in ([`Years`]); `None`: 2021–2023.
    year: Option<i32>,
    /// Each authority's offers so far (revisited across years).
    authority_offers: Vec<Vec<usize>>,
}

impl Draw<'_> {
    /// The visits of every authority, `scale` times the LOS counts.
    fn year_of_visits(&mut self, scale: f64) {
        for (a, (_, count, _)) in AUTHORITIES.iter().enumerate() {
            let n = ((f64::from(*count) * scale).round() as usize).max(1);
            self.authority(a, n);
        }
    }

    /// `n` visits of authority `a`.
    fn authority(&mut self, a: usize, n: usize) {
        let base = &AUTHORITIES[a].2;
        let mut authority_offers = std::mem::take(&mut self.authority_offers[a]);
        for _ in 0..n {
            let offer = self.offer(a, &mut authority_offers);
            let rng = &mut *self.rng;
            self.next_visit += 1 + rng.random_range(0..3u64);
            let date = match self.year {
                None => date_from_day(rng.random_range(0..1033u32)),
                Some(year) => date_in_year(year, rng.random_range(0..days_in_year(year))),
            };
            let shared: f64 = rng.random();
            let offer_ref = &self.offers[offer];
            let bends = self.bends;
            let truth = self.truth;
            let ratings = self
                .indicators
                .iter()
                .enumerate()
                .filter(|(_, (id, universal))| *universal || applies(id, offer_ref))
                .map(|(k, (id, _))| {
                    let u = if rng.random::<f64>() < SHARED_UNIFORM {
                        shared
                    } else {
                        rng.random()
                    };
                    let score = match truth {
                        None => {
                            let bent = u.powf((bends.indicator[k] + bends.cell[a][k]).exp());
                            inverse_cdf(base, bent)
                        }
                        Some(truth) => {
                            let eta = truth.severity[a]
                                + truth.type_effect * TYPE_LEVELS[offer_ref.kind_index]
                                + bends.indicator[k];
                            proportional_odds(eta, u)
                        }
                    };
                    (Arc::clone(id), score_text(score))
                })
                .collect();
            self.visits.push(Visit {
                authority: a,
                id: format!("B{}", self.next_visit),
                offer,
                date,
                ratings,
                blank_authority_last: false,
            });
        }
        self.authority_offers[a] = authority_offers;
    }

    /// The offer of the next visit: one of the authority's offers 25 % of the time (about 1.3
    /// visits per offer), else a new one.
    fn offer(&mut self, authority: usize, authority_offers: &mut Vec<usize>) -> usize {
        let rng = &mut *self.rng;
        if !authority_offers.is_empty() && rng.random::<f64>() < 0.25 {
            return authority_offers[rng.random_range(0..authority_offers.len())];
        }
        let pick: f64 = rng.random();
        let kind_index = match self.truth {
            None => {
                let mut cumulative = 0.0;
                OFFER_TYPES
                    .iter()
                    .position(|(_, w, _)| {
                        cumulative += w;
                        pick < cumulative
                    })
                    .unwrap_or(0)
            }
            Some(truth) => mixed_type(authority, truth.case_mix, pick),
        };
        self.offers.push(Offer {
            id: format!("T{:05}", self.offers.len() + 1),
            kind_index,
            has_board: rng.random::<f64>() < 0.6,
            has_nine_d: rng.random::<f64>() < 0.9,
        });
        authority_offers.push(self.offers.len() - 1);
        self.offers.len() - 1
    }
}

/// How the records of a visit are written.
#[derive(Debug, Clone, Copy)]
struct Written<'a> {
    offers: &'a [Offer],
    model: &'a QualityModel,
    options: &'a SimulationOptions,
}

impl Written<'_> {
    /// The visit's records: its ratings, then (with `levels`) its level scores.
    fn records(self, v: &Visit) -> Vec<Vec<String>> {
        let mut records = self.ratings(v);
        if self.options.levels {
            records.extend(self.levels(v));
        }
        records
    }

    /// The visit's fields before the indicator and score: authority, visit, offer, type, date.
    fn visit_fields(&self, v: &Visit, blank_authority: bool) -> Vec<String> {
        let offer = &self.offers[v.offer];
        let authority = if blank_authority {
            String::new()
        } else {
            AUTHORITIES
                .get(v.authority)
                .map_or(String::new(), |a| a.0.to_string())
        };
        let date = match self.options.dates {
            DateStyle::Iso => v.date.clone(),
            DateStyle::Danish => danish_date(&v.date),
        };
        vec![
            authority,
            v.id.clone(),
            offer.id.clone(),
            OFFER_TYPES[offer.kind_index].0.to_string(),
            date,
        ]
    }

    /// One record per rating of the visit.
    fn ratings(&self, v: &Visit) -> Vec<Vec<String>> {
        let last = v.ratings.len().saturating_sub(1);
        v.ratings
            .iter()
            .enumerate()
            .map(|(k, (indicator, score))| {
                let mut record = self.visit_fields(v, v.blank_authority_last && k == last);
                record.extend([indicator.to_string(), score.to_string()]);
                record
            })
            .collect()
    }

    /// The export's own criterion, theme and overall scores of the visit as records, two
    /// decimals ([`Self::level_scores`]).
    fn levels(&self, v: &Visit) -> Vec<Vec<String>> {
        self.level_scores(v)
            .into_iter()
            .map(|(label, score)| {
                let mut record = self.visit_fields(v, false);
                record.extend([label, format!("{score:.2}")]);
                record
            })
            .collect()
    }

    /// The export's own criterion, theme and overall scores of the visit (from its ratings
    /// that are integers 1–5 of a modelled criterion): each label and score.
    fn level_scores(&self, v: &Visit) -> Vec<(String, f64)> {
        // (theme, criterion) → scores
        let mut criteria: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
        for (indicator, score) in &v.ratings {
            let id = crate::model::IndicatorId::parse(indicator);
            let theme = id.and_then(|id| self.model.theme_of_criterion(id.criterion));
            if let (Some(id), Some(theme), Ok(score @ 1..=5)) = (id, theme, score.parse::<u8>()) {
                let slot = criteria.entry((theme, id.criterion)).or_default();
                slot.push(f64::from(score));
            }
        }
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        let mut themes: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        let mut rows: Vec<(String, f64)> = Vec::new();
        for ((theme, criterion), scores) in &criteria {
            let score = mean(scores);
            themes.entry(*theme).or_default().push(score);
            rows.push((format!("Kriterium {criterion}"), score));
        }
        let theme_scores: Vec<f64> = themes.values().map(|c| mean(c)).collect();
        for (theme, score) in themes.keys().zip(&theme_scores) {
            rows.push((format!("Tema {theme}"), *score));
        }
        if !theme_scores.is_empty() {
            rows.push(("Samlet".to_string(), mean(&theme_scores)));
        }
        rows
    }
}

/// `2023-05-12` written as Danish Excel does, `12-05-2023`.
fn danish_date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(year), Some(month), Some(day)) => format!("{day}-{month}-{year}"),
        _ => iso.to_string(),
    }
}

/// Injects one kind of bad data per group of distinct visits.
fn inject(
    visits: &mut [Visit],
    extra: &mut Vec<Vec<String>>,
    injected: &mut BTreeMap<Rule, u64>,
    model: &QualityModel,
    rng: &mut ChaCha8Rng,
) {
    let mut order: Vec<usize> = (0..visits.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut injection = Injection {
        visits,
        extra,
        injected,
        next: order.into_iter(),
    };
    injection.authorities();
    let universal: Vec<String> = model.universal().map(|i| i.id.to_string()).collect();
    injection.ratings(&universal, rng);
    injection.rows();
}

/// The visits [`inject`] spoils, in a random order taken a group at a time, the rows it adds
/// and its counts.
struct Injection<'a> {
    visits: &'a mut [Visit],
    extra: &'a mut Vec<Vec<String>>,
    injected: &'a mut BTreeMap<Rule, u64>,
    next: std::vec::IntoIter<usize>,
}

impl Injection<'_> {
    /// The next `k` visits of the random order.
    fn take(&mut self, k: usize) -> Vec<usize> {
        self.next.by_ref().take(k).collect()
    }

    fn add(&mut self, rule: Rule, n: u64) {
        *self.injected.entry(rule).or_insert(0) += n;
    }

    /// Visits without an authority, and visits whose rows name two.
    fn authorities(&mut self) {
        for v in self.take(3) {
            self.visits[v].authority = usize::MAX;
            self.add(Rule::MissingAuthority, 1);
        }
        for v in self.take(2) {
            // Half of this visit's rows under the next authority.
            let visit = &mut self.visits[v];
            let other = (visit.authority + 1) % AUTHORITIES.len();
            let half = visit.ratings.len() / 2;
            let moved: Vec<(Arc<str>, &str)> = visit.ratings.drain(half..).collect();
            for (indicator, score) in moved {
                self.extra.push(vec![
                    AUTHORITIES[other].0.to_string(),
                    visit.id.clone(),
                    String::new(),
                    String::new(),
                    visit.date.clone(),
                    indicator.to_string(),
                    score.to_string(),
                ]);
            }
            self.add(Rule::ConflictingAuthority, 1);
        }
    }

    /// Bad scores, unknown and duplicate indicators, all-ones visits, missing universal
    /// indicators, unmodelled indicators, and a blank authority the visit's other rows fill.
    fn ratings(&mut self, universal: &[String], rng: &mut ChaCha8Rng) {
        let bad_scores = ["3,5", "3.5", "0", "6", "", "x", "NaN", "4 point"];
        for (k, v) in self.take(8).into_iter().enumerate() {
            // A non-universal first would keep the visit; pick the last rating, usually 14.x.
            if let Some(last) = self.visits[v].ratings.last_mut() {
                last.1 = bad_scores[k % bad_scores.len()];
                self.add(Rule::InvalidScore, 1);
            }
        }
        for (k, v) in self.take(3).into_iter().enumerate() {
            let id = ["foo", "99.a", "indikator ?"][k];
            self.visits[v].ratings.push((id.into(), "4"));
            self.add(Rule::UnknownIndicator, 1);
        }
        for v in self.take(3) {
            if let Some(first) = self.visits[v].ratings.first().cloned() {
                self.visits[v].ratings.push(first);
                self.add(Rule::DuplicateRating, 1);
            }
        }
        for v in self.take(2) {
            if let Some((id, score)) = self.visits[v].ratings.first().cloned() {
                let other = if score == "5" { "4" } else { "5" };
                self.visits[v].ratings.push((id, other));
                self.add(Rule::ConflictingDuplicate, 1);
            }
        }
        for v in self.take(3) {
            for rating in &mut self.visits[v].ratings {
                rating.1 = "1";
            }
            self.add(Rule::AllOnes, 1);
        }
        for v in self.take(if universal.is_empty() { 0 } else { 4 }) {
            let missing = &universal[rng.random_range(0..universal.len())];
            self.visits[v].ratings.retain(|(id, _)| **id != **missing);
            self.add(Rule::MissingUniversal, 1);
        }
        for v in self.take(3) {
            self.visits[v].ratings.push(("5.z".into(), "4"));
            self.add(Rule::UnmodelledIndicator, 1);
        }
        for v in self.take(2) {
            if !self.visits[v].ratings.is_empty() {
                self.visits[v].blank_authority_last = true;
                self.add(Rule::AuthorityInferred, 1);
            }
        }
    }

    /// A row cut short, and a row without a visit id.
    fn rows(&mut self) {
        for v in self.take(2) {
            let visit = &mut self.visits[v];
            if let Some((indicator, _)) = visit.ratings.pop() {
                let authority = authority_name(visit).to_string();
                self.extra
                    .push(vec![authority, visit.id.clone(), indicator.to_string()]);
                self.add(Rule::MalformedRow, 1);
            }
        }
        for v in self.take(2) {
            let visit = &mut self.visits[v];
            if let Some((indicator, score)) = visit.ratings.pop() {
                self.extra.push(vec![
                    authority_name(visit).to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    indicator.to_string(),
                    score.to_string(),
                ]);
                self.add(Rule::MissingVisitId, 1);
            }
        }
    }
}

/// The name of a visit's authority (the last one for a visit whose authority was taken away).
fn authority_name(visit: &Visit) -> &'static str {
    AUTHORITIES[visit.authority.min(AUTHORITIES.len() - 1)].0
}

/// `YYYY-MM-DD`, `day` days after 2021-01-01 (within 2021–2023).
fn date_from_day(day: u32) -> String {
    let mut remaining = day;
    for year in 2021..=2023u32 {
        let lengths = [
            31,
            if year % 4 == 0 { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        for (m, len) in lengths.iter().enumerate() {
            if remaining < *len {
                return format!("{year}-{:02}-{:02}", m + 1, remaining + 1);
            }
            remaining -= len;
        }
    }
    "2023-12-31".to_string()
}

/// Days in `year` (365 or 366).
fn days_in_year(year: i32) -> u32 {
    chrono::NaiveDate::from_ymd_opt(year, 12, 31).map_or(365, |d| chrono::Datelike::ordinal(&d))
}

/// `YYYY-MM-DD`, `day` days after 1 January of `year`.
fn date_in_year(year: i32, day: u32) -> String {
    use chrono::Datelike;
    match chrono::NaiveDate::from_yo_opt(year, day + 1) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        None => format!("{year:04}-12-31"),
    }
}

/// The export as CSV bytes in the given style.
pub fn to_csv(simulation: &Simulation, style: CsvStyle) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    write_csv(simulation, style, &mut bytes)?;
    Ok(bytes)
}

/// [`to_csv`] into `out`, a record at a time (the same bytes).
pub fn write_csv(simulation: &Simulation, style: CsvStyle, out: impl Write) -> Result<()> {
    let danish_header = [
        "Socialtilsyn",
        "Tilsynsbesøg",
        "Tilbud",
        "Tilbudstype",
        "Dato",
        "Indikator",
        "Score",
    ];
    let builder = |separator: u8, terminator: csv::Terminator| {
        let mut builder = csv::WriterBuilder::new();
        builder
            .delimiter(separator)
            .flexible(true)
            .terminator(terminator);
        builder
    };
    match style {
        CsvStyle::Canonical => write_records(
            builder(b',', csv::Terminator::Any(b'\n')).from_writer(out),
            simulation.header.clone(),
            simulation.records(),
        ),
        CsvStyle::Danish => write_records(
            builder(b';', csv::Terminator::CRLF).from_writer(Windows1252::new(out)),
            danish_header.map(String::from).to_vec(),
            simulation.records().map(danish_record),
        ),
    }
}

/// Writes the header and the records with `w`, and flushes it.
fn write_records<W: Write>(
    mut w: csv::Writer<W>,
    header: Vec<String>,
    records: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    let csv_error = |e: csv::Error| Error::Csv {
        path: "(simulated export)".into(),
        line: 0,
        message: e.to_string(),
    };
    for record in std::iter::once(header).chain(records) {
        w.write_record(&record).map_err(csv_error)?;
    }
    w.flush().map_err(|e| Error::Csv {
        path: "(simulated export)".into(),
        line: 0,
        message: e.to_string(),
    })
}

/// UTF-8 text written on as Windows-1252, a piece at a time: a character cut between two
/// pieces waits for its rest (the encoding is one character at a time, so the bytes are
/// those of the whole text encoded at once).
struct Windows1252<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Windows1252<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: Write> Write for Windows1252<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let whole = match std::str::from_utf8(&self.pending) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&self.pending[..e.valid_up_to()]).unwrap_or_default(),
        };
        self.inner
            .write_all(&encoding_rs::WINDOWS_1252.encode(whole).0)?;
        let done = whole.len();
        self.pending.drain(..done);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A record as Danish Excel writes it: a whole score with a decimal comma (`4,0`), and a
/// criterion, theme or overall score (`levels`) with a decimal comma.
fn danish_record(mut record: Vec<String>) -> Vec<String> {
    let level = record
        .get(5)
        .is_some_and(|label| crate::load::ExportLevel::parse(label).is_some());
    if let Some(cell) = record.get_mut(6) {
        if cell.len() == 1 && cell.as_bytes()[0].is_ascii_digit() {
            cell.push_str(",0");
        } else if level {
            *cell = cell.replace('.', ",");
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_written_in_pieces_is_the_whole_text_encoded() {
        // Cut at every byte, inside two- and three-byte characters too (ø, §, €), and one
        // character the code page lacks (written as a numeric reference).
        let text = "Socialtilsyn Øst;§ 107;€ 4,0;ℵ\r\n";
        let whole = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
        for cut in 0..=text.len() {
            let mut w = Windows1252::new(Vec::new());
            w.write_all(&text.as_bytes()[..cut]).expect("in memory");
            w.write_all(&text.as_bytes()[cut..]).expect("in memory");
            assert_eq!(w.inner, whole, "cut at byte {cut}");
        }
    }

    #[test]
    fn matches_the_published_marginals() {
        let model = QualityModel::embedded().expect("model");
        let sim = simulate(&model, &SimulationOptions::default()).expect("simulate");
        let mut visits: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        let mut fives: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let records: Vec<Vec<String>> = sim.records().collect();
        for r in &records {
            visits.entry(&r[0]).or_default().insert(&r[1]);
            let slot = fives.entry(&r[0]).or_default();
            slot.0 += u64::from(r[6] == "5");
            slot.1 += 1;
        }
        // LOS methods box: visits per authority.
        let counts: Vec<usize> = visits
            .values()
            .map(std::collections::BTreeSet::len)
            .collect();
        assert_eq!(counts, vec![575, 473, 254, 335, 344]);
        // LOS p. 3: 56,491 ratings; the model here yields about 27 per visit.
        assert!((50_000..60_000).contains(&sim.rows), "{}", sim.rows);
        // LOS p. 3: shares of 5 "lidt over halvdelen", 62.7 %, 68.3 %, 81.5 %.
        let shares: Vec<f64> = fives.values().map(|(f, n)| *f as f64 / *n as f64).collect();
        for (got, want) in shares.iter().zip([0.51, 0.627, 0.683, 0.815, 0.51]) {
            assert!((got - want).abs() < 0.02, "share of 5s {got} vs {want}");
        }
    }

    #[test]
    fn years_give_every_year_its_visits_and_offers_return() {
        let model = QualityModel::embedded().expect("model");
        let years = Years {
            first: 2020,
            last: 2022,
            convergence: Some(0.5),
        };
        let options = SimulationOptions {
            scale: 0.1,
            seed: 3,
            years: Some(years),
            ..SimulationOptions::default()
        };
        let sim = simulate(&model, &options).expect("simulate");
        let mut visits: BTreeMap<(&str, &str), std::collections::BTreeSet<&str>> = BTreeMap::new();
        let mut offer_years: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        let records: Vec<Vec<String>> = sim.records().collect();
        for r in &records {
            let date = chrono::NaiveDate::parse_from_str(&r[4], "%Y-%m-%d").expect("ISO date");
            let year = &r[4][..4];
            assert_eq!(chrono::Datelike::year(&date).to_string(), year);
            visits.entry((year, &r[0])).or_default().insert(&r[1]);
            offer_years.entry(&r[2]).or_default().insert(year);
        }
        // Every year: the LOS counts times 0.1, rounded half away from zero (57.5 → 58,
        // 47.3, 25.4, 33.5 → 34, 34.4).
        for year in ["2020", "2021", "2022"] {
            let counts: Vec<usize> = AUTHORITY_NAMES
                .iter()
                .map(|a| {
                    visits
                        .get(&(year, *a))
                        .map_or(0, std::collections::BTreeSet::len)
                })
                .collect();
            assert_eq!(counts, [58, 47, 25, 34, 34], "{year}");
        }
        assert!(
            offer_years.values().any(|y| y.len() > 1),
            "no offer revisited"
        );
        let bad = |first, last, convergence| SimulationOptions {
            years: Some(Years {
                first,
                last,
                convergence,
            }),
            ..options
        };
        assert!(simulate(&model, &bad(2024, 2021, None)).is_err());
        assert!(simulate(&model, &bad(2021, 2099, None)).is_err());
        assert!(simulate(&model, &bad(2021, 2024, Some(0.0))).is_err());
        assert!(simulate(&model, &bad(2021, 2024, Some(f64::NAN))).is_err());
    }

    #[test]
    fn same_seed_same_bytes_and_dirty_injects_every_kind() {
        let model = QualityModel::embedded().expect("model");
        let options = SimulationOptions {
            scale: 0.1,
            seed: 5,
            dirty: true,
            ..SimulationOptions::default()
        };
        let a = to_csv(&simulate(&model, &options).expect("a"), CsvStyle::Danish).expect("csv");
        let b = to_csv(&simulate(&model, &options).expect("b"), CsvStyle::Danish).expect("csv");
        assert_eq!(a, b);
        let sim = simulate(&model, &options).expect("sim");
        assert_eq!(sim.injected.len(), 12, "{:?}", sim.injected.keys());
        assert!(
            simulate(
                &model,
                &SimulationOptions {
                    scale: 0.0,
                    ..options
                }
            )
            .is_err()
        );
    }
}
