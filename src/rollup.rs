//! Stage 3: roll-up per visit: indicator → criterion → theme → overall.
//!
//! Input: the kept ratings of [`Filtered`]. Output: [`Rollup`], three polars tables.
//!
//! Method (LOS p. 3, "kriteriescorer, som er gennemsnit af kriteriets indikatorer, og
//! temascorer, som igen er gennemsnit af temaets kriterier"; overall score = mean of the
//! theme scores, LOS footnote 9): unweighted means of what is present. An offer type without
//! `2.d` is not penalised: criterion 2 is then the mean of its other indicators. A theme's
//! criteria count equally, whatever their number of indicators (theme 4: criteria 4–7 with
//! 2/3/2/1 indicators).
//!
//! Exactness: every score is computed as an exact fraction (scores are integers, so a
//! criterion is `sum / n`, a theme a sum of such fractions over its criteria, and so on) and
//! rounded to `f64` once, at the end. Two visits whose overall scores are equal as numbers
//! therefore get the *same* `f64`. Averaging floats instead gives values that differ in the
//! last bit (4.773809523809524 and …525 for the same 401/84), and a rank or KS test then sees
//! two values where there is a tie — the statistic itself changes. Should a fraction ever
//! outgrow 128-bit integers (a custom model with very many criteria), that score falls back
//! to the floating-point mean.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::Result;
use crate::filter::{Filtered, runs_column};

/// Per-visit scores at each level of the model.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// `authority, visit_id, theme, criterion, score, indicators` (score = mean of the
    /// criterion's indicator scores; indicators = how many).
    pub criteria: DataFrame,
    /// `authority, visit_id, theme, score, criteria`.
    pub themes: DataFrame,
    /// `authority, visit_id, offer_id, offer_type, visit_date, overall, themes, ratings`.
    pub visits: DataFrame,
}

impl Rollup {
    /// The overall scores per authority (sorted by visit id), for the statistics.
    pub fn overall_by_authority(&self) -> Result<BTreeMap<String, Vec<f64>>> {
        let authority = self.visits.column("authority")?.str()?;
        let overall = self.visits.column("overall")?.f64()?;
        let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (a, x) in authority.iter().zip(overall.iter()) {
            if let (Some(a), Some(x)) = (a, x) {
                out.entry(a.to_string()).or_default().push(x);
            }
        }
        Ok(out)
    }
}

/// An exact non-negative fraction, kept reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    fn new(num: i128, den: i128) -> Option<Self> {
        if den <= 0 {
            return None;
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1) as i128;
        Some(Self {
            num: num / g,
            den: den / g,
        })
    }

    fn add(self, other: Self) -> Option<Self> {
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_add(other.num.checked_mul(self.den)?)?;
        Self::new(num, self.den.checked_mul(other.den)?)
    }

    fn div(self, k: i128) -> Option<Self> {
        Self::new(self.num, self.den.checked_mul(k)?)
    }

    /// Correctly rounded when numerator and denominator are below 2^53 (one IEEE division of
    /// two exact values); otherwise a close approximation.
    fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A score as an exact fraction when possible, else the floating-point mean.
#[derive(Debug, Clone, Copy)]
enum Score {
    Exact(Ratio),
    Float(f64),
}

impl Score {
    fn value(self) -> f64 {
        match self {
            Score::Exact(r) => r.to_f64(),
            Score::Float(x) => x,
        }
    }

    /// The mean of `parts` (all exact if possible).
    fn mean(parts: &[Score]) -> Score {
        let n = parts.len() as i128;
        let exact = parts
            .iter()
            .try_fold(Ratio { num: 0, den: 1 }, |acc, p| match p {
                Score::Exact(r) => acc.add(*r),
                Score::Float(_) => None,
            })
            .and_then(|sum| sum.div(n));
        match exact {
            Some(r) => Score::Exact(r),
            None => Score::Float(parts.iter().map(|p| p.value()).sum::<f64>() / parts.len() as f64),
        }
    }
}

/// Output columns being filled, one row per criterion, theme and visit.
#[derive(Default)]
struct Columns<'a> {
    criteria: LevelColumns<'a>,
    criterion: Vec<u32>,
    indicators: Vec<u32>,
    themes: LevelColumns<'a>,
    theme_criteria: Vec<u32>,
    visit_rows: Vec<usize>,
    overall: Vec<f64>,
    visit_themes: Vec<u32>,
}

/// The authority, visit, theme and score columns of the criterion or theme table.
#[derive(Default)]
struct LevelColumns<'a> {
    authority: Vec<&'a str>,
    visit: Vec<&'a str>,
    theme: Vec<u32>,
    score: Vec<f64>,
}

impl<'a> LevelColumns<'a> {
    fn append(&mut self, other: Self) {
        self.authority.extend(other.authority);
        self.visit.extend(other.visit);
        self.theme.extend(other.theme);
        self.score.extend(other.score);
    }

    fn push(&mut self, authority: &'a str, visit: &'a str, theme: u32, score: f64) {
        self.authority.push(authority);
        self.visit.push(visit);
        self.theme.push(theme);
        self.score.push(score);
    }

    /// `authority, visit_id, theme, score`, then `extra`.
    fn frame(self, extra: Column) -> Result<DataFrame> {
        let authority = self.authority.into_iter().map(|v| (v, 1));
        let visit = self.visit.into_iter().map(|v| (v, 1));
        Ok(DataFrame::new(
            self.score.len(),
            vec![
                runs_column("authority", authority).into_column(),
                runs_column("visit_id", visit).into_column(),
                Column::new("theme".into(), self.theme),
                Column::new("score".into(), self.score),
                extra,
            ],
        )?)
    }
}

impl<'a> Columns<'a> {
    /// `self` followed by `other`.
    fn append(mut self, other: Self) -> Self {
        self.criteria.append(other.criteria);
        self.criterion.extend(other.criterion);
        self.indicators.extend(other.indicators);
        self.themes.append(other.themes);
        self.theme_criteria.extend(other.theme_criteria);
        self.visit_rows.extend(other.visit_rows);
        self.overall.extend(other.overall);
        self.visit_themes.extend(other.visit_themes);
        self
    }

    /// Rolls up one visit: `parts` are its (theme, criterion, score) ratings.
    fn visit(&mut self, authority: &'a str, visit: &'a str, parts: &mut [(u32, u32, f64)]) {
        parts.sort_by_key(|&(theme, criterion, _)| (theme, criterion));
        let mut theme_scores: Vec<Score> = Vec::new();
        let mut criterion_scores: Vec<Score> = Vec::new();
        for theme_run in parts.chunk_by(|x, y| x.0 == y.0) {
            let theme = theme_run[0].0;
            criterion_scores.clear();
            for run in theme_run.chunk_by(|x, y| x.1 == y.1) {
                let score = criterion_score(run.iter().map(|p| p.2));
                self.criteria.push(authority, visit, theme, score.value());
                self.criterion.push(run[0].1);
                self.indicators.push(run.len() as u32);
                criterion_scores.push(score);
            }
            let score = Score::mean(&criterion_scores);
            self.themes.push(authority, visit, theme, score.value());
            self.theme_criteria.push(criterion_scores.len() as u32);
            theme_scores.push(score);
        }
        self.overall.push(Score::mean(&theme_scores).value());
        self.visit_themes.push(theme_scores.len() as u32);
    }
}

/// A criterion's score: the exact mean of its integer scores, else the float mean.
fn criterion_score(scores: impl Iterator<Item = f64> + Clone) -> Score {
    let n = scores.clone().count();
    let sum: f64 = scores.sum();
    if sum.fract() == 0.0 && sum.abs() < 9.0e15 {
        Ratio::new(sum as i128, n as i128).map_or(Score::Float(sum / n as f64), Score::Exact)
    } else {
        Score::Float(sum / n as f64)
    }
}

/// Rolls the kept ratings up to criterion, theme and overall scores per visit.
///
/// One pass over [`Filtered::ratings`], which holds each visit's ratings together; the visit
/// attributes (offer, type, date) come from [`Filtered::visits`].
pub fn rollup(filtered: &Filtered) -> Result<Rollup> {
    let mut ratings = filtered.ratings.clone();
    ratings.rechunk_mut();
    let authority = ratings.column("authority")?.str()?;
    let visit = ratings.column("visit_id")?.str()?;
    let theme = ratings.column("theme")?.u32()?;
    let criterion = ratings.column("criterion")?.u32()?;
    let score = ratings.column("score")?.f64()?;
    let visit_row: HashMap<&str, usize> = filtered
        .visits
        .column("visit_id")?
        .str()?
        .iter()
        .enumerate()
        .filter_map(|(row, v)| Some((v?, row)))
        .collect();

    // Visits are independent: the rows are cut into one part per thread at visit
    // boundaries, rolled up in parallel, and the parts joined in order.
    let n = ratings.height();
    let threads = rayon::current_num_threads().max(1);
    let mut cuts = vec![0];
    for k in 1..threads {
        let mut at = (n * k / threads).max(cuts[cuts.len() - 1]);
        while at > 0 && at < n && visit.get(at) == visit.get(at - 1) {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(n);
    let roll = |rows: std::ops::Range<usize>| -> Columns<'_> {
        let mut out = Columns::default();
        let mut parts: Vec<(u32, u32, f64)> = Vec::new();
        let mut current: Option<(&str, &str)> = None;
        for i in rows {
            let (Some(a), Some(v), Some(t), Some(c), Some(x)) = (
                authority.get(i),
                visit.get(i),
                theme.get(i),
                criterion.get(i),
                score.get(i),
            ) else {
                continue;
            };
            if current.is_some_and(|(_, cv)| cv != v) {
                close(&mut out, current, &mut parts, &visit_row);
            }
            current = Some((a, v));
            parts.push((t, c, x));
        }
        close(&mut out, current, &mut parts, &visit_row);
        out
    };
    let out = cuts
        .windows(2)
        .map(|w| w[0]..w[1])
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(roll)
        .reduce(Columns::default, Columns::append);

    let Columns {
        criteria,
        criterion,
        indicators,
        themes,
        theme_criteria,
        visit_rows,
        overall,
        visit_themes,
    } = out;
    let (criteria, themes) = rayon::join(
        || -> Result<DataFrame> {
            let frame = criteria.frame(Column::new("indicators".into(), indicators))?;
            Ok(frame
                .hstack(&[Column::new("criterion".into(), criterion)])?
                .select([
                    "authority",
                    "visit_id",
                    "theme",
                    "criterion",
                    "score",
                    "indicators",
                ])?)
        },
        || themes.frame(Column::new("criteria".into(), theme_criteria)),
    );
    let (criteria, themes) = (criteria?, themes?);
    let idx = IdxCa::from_vec(
        "idx".into(),
        visit_rows.iter().map(|&r| r as IdxSize).collect(),
    );
    let mut visits = filtered
        .visits
        .select([
            "authority",
            "visit_id",
            "offer_id",
            "offer_type",
            "visit_date",
        ])?
        .take(&idx)?;
    let ratings_per_visit = filtered.visits.column("ratings")?.take(&idx)?;
    visits.hstack_mut(&[
        Column::new("overall".into(), overall),
        Column::new("themes".into(), visit_themes),
        ratings_per_visit,
    ])?;
    Ok(Rollup {
        criteria,
        themes,
        visits,
    })
}

/// Rolls up the visit being read, if it is one of [`Filtered::visits`].
fn close<'a>(
    out: &mut Columns<'a>,
    current: Option<(&'a str, &'a str)>,
    parts: &mut Vec<(u32, u32, f64)>,
    visit_row: &HashMap<&str, usize>,
) {
    if let Some((a, v)) = current
        && let Some(&row) = visit_row.get(v)
        && !parts.is_empty()
    {
        out.visit(a, v, parts);
        out.visit_rows.push(row);
    }
    parts.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_fractions_give_equal_floats() {
        // Two visits' theme scores with the same exact mean, 86/21 (found by a brute-force
        // search in Python with fractions.Fraction): summing the floats left to right gives
        // 4.095238095238096 for the first and 4.095238095238095 for the second.
        let visit = |parts: &[(i128, i128)]| -> Vec<Score> {
            parts
                .iter()
                .map(|(n, d)| Score::Exact(Ratio::new(*n, *d).expect("ratio")))
                .collect()
        };
        let a = visit(&[(39, 8), (35, 8), (4, 1), (11, 3), (23, 6), (25, 6), (15, 4)]);
        let b = visit(&[
            (39, 8),
            (107, 24),
            (47, 12),
            (11, 3),
            (23, 6),
            (25, 6),
            (15, 4),
        ]);
        let float_mean = |parts: &[Score]| parts.iter().map(|p| p.value()).sum::<f64>() / 7.0;
        assert_ne!(
            float_mean(&a),
            float_mean(&b),
            "the float path really differs"
        );
        let (ea, eb) = (Score::mean(&a).value(), Score::mean(&b).value());
        assert_eq!(ea.to_bits(), eb.to_bits());
        // 86/21 rounded once.
        assert_eq!(ea, 86.0 / 21.0);
    }

    #[test]
    fn fractions_reduce_and_overflow_falls_back() {
        assert_eq!(Ratio::new(6, 8), Some(Ratio { num: 3, den: 4 }));
        assert_eq!(Ratio::new(1, 0), None);
        let huge = Ratio {
            num: 1,
            den: i128::MAX / 2,
        };
        assert!(
            huge.add(Ratio {
                num: 1,
                den: i128::MAX / 3
            })
            .is_none()
        );
        let parts = [Score::Exact(huge), Score::Float(4.0)];
        assert!(matches!(Score::mean(&parts), Score::Float(_)));
    }
}
