//! Stage 3: roll-up per visit: indicator → criterion → theme → overall.
//!
//! Input: the kept ratings of [`Filtered`]. Output: [`Rollup`], three polars tables. The
//! criteria and themes tables name each row's visit by its row in the visits table (a
//! number, not two texts per row; the written tables show its authority and visit id).
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
//! outgrow 64-bit integers (a custom model with very many criteria), that score falls back
//! to the floating-point mean.

use std::collections::BTreeMap;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::Result;
use crate::filter::Filtered;

/// The columns of [`Rollup::criteria`], one criterion of one visit per row.
pub mod criteria {
    use crate::frame::Col;
    use polars::prelude::{Float64Type, UInt32Type};

    /// The visit: its row in [`super::Rollup::visits`] (whose authority and visit id the
    /// written tables show in its place).
    pub const VISIT: Col<UInt32Type> = Col::new("visit");
    /// The criterion's theme.
    pub const THEME: Col<UInt32Type> = Col::new("theme");
    /// Criterion number.
    pub const CRITERION: Col<UInt32Type> = Col::new("criterion");
    /// Mean of the criterion's indicator scores.
    pub const SCORE: Col<Float64Type> = Col::new("score");
    /// How many indicators were scored.
    pub const INDICATORS: Col<UInt32Type> = Col::new("indicators");
}

/// The columns of [`Rollup::themes`], one theme of one visit per row.
pub mod themes {
    use crate::frame::Col;
    use polars::prelude::{Float64Type, UInt32Type};

    /// The visit: its row in [`super::Rollup::visits`] (whose authority and visit id the
    /// written tables show in its place).
    pub const VISIT: Col<UInt32Type> = Col::new("visit");
    /// Theme number.
    pub const THEME: Col<UInt32Type> = Col::new("theme");
    /// Mean of the theme's criterion scores.
    pub const SCORE: Col<Float64Type> = Col::new("score");
    /// How many criteria were scored.
    pub const CRITERIA: Col<UInt32Type> = Col::new("criteria");
}

/// The columns of [`Rollup::visits`], one visit per row.
pub mod visits {
    use crate::frame::Col;
    use polars::prelude::{Float64Type, UInt32Type};

    pub use crate::filter::visits::{
        AUTHORITY, OFFER_ID, OFFER_TYPE, RATINGS, VISIT_DATE, VISIT_ID,
    };
    /// Mean of the visit's theme scores.
    pub const OVERALL: Col<Float64Type> = Col::new("overall");
    /// How many themes were scored.
    pub const THEMES: Col<UInt32Type> = Col::new("themes");
}

/// Per-visit scores at each level of the model.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// One row per criterion of each visit (columns: [`criteria`]).
    pub criteria: DataFrame,
    /// One row per theme of each visit (columns: [`themes`]).
    pub themes: DataFrame,
    /// One row per visit (columns: [`visits`], in the order `authority, visit_id, offer_id,
    /// offer_type, visit_date, overall, themes, ratings`).
    pub visits: DataFrame,
}

impl Rollup {
    /// The overall scores per authority (sorted by visit id), for the statistics.
    pub fn overall_by_authority(&self) -> Result<BTreeMap<String, Vec<f64>>> {
        let authority = visits::AUTHORITY.of(&self.visits)?;
        let overall = visits::OVERALL.of(&self.visits)?;
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
    num: u64,
    den: u64,
}

impl Ratio {
    fn new(num: u64, den: u64) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Self {
            num: num / g,
            den: den / g,
        })
    }

    fn add(self, other: Self) -> Option<Self> {
        // Over the least common multiple of the denominators, which keeps the numbers small.
        let g = gcd(self.den, other.den);
        let (a, b) = (self.den / g, other.den / g);
        let num = self
            .num
            .checked_mul(b)?
            .checked_add(other.num.checked_mul(a)?)?;
        Self::new(num, self.den.checked_mul(b)?)
    }

    fn div(self, k: u64) -> Option<Self> {
        Self::new(self.num, self.den.checked_mul(k)?)
    }

    /// Correctly rounded when numerator and denominator are below 2^53 (one IEEE division of
    /// two exact values); otherwise a close approximation.
    fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// Greatest common divisor (binary method); `gcd(0, b) = b`, and 1 for `gcd(0, 0)`.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    if a == 0 || b == 0 {
        return (a | b).max(1);
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
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
        let n = parts.len() as u64;
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
struct Columns {
    criterion_theme: Vec<u32>,
    criterion: Vec<u32>,
    criterion_score: Vec<f64>,
    indicators: Vec<u32>,
    theme: Vec<u32>,
    theme_score: Vec<f64>,
    theme_criteria: Vec<u32>,
    /// Per visit rolled up: its row in [`Filtered::visits`], and how many criterion and
    /// theme rows it has.
    visit_rows: Vec<usize>,
    visit_criteria: Vec<usize>,
    visit_theme_rows: Vec<usize>,
    overall: Vec<f64>,
    visit_themes: Vec<u32>,
}

impl Columns {
    /// `self` followed by `other`.
    fn append(mut self, other: Self) -> Self {
        self.criterion_theme.extend(other.criterion_theme);
        self.criterion.extend(other.criterion);
        self.criterion_score.extend(other.criterion_score);
        self.indicators.extend(other.indicators);
        self.theme.extend(other.theme);
        self.theme_score.extend(other.theme_score);
        self.theme_criteria.extend(other.theme_criteria);
        self.visit_rows.extend(other.visit_rows);
        self.visit_criteria.extend(other.visit_criteria);
        self.visit_theme_rows.extend(other.visit_theme_rows);
        self.overall.extend(other.overall);
        self.visit_themes.extend(other.visit_themes);
        self
    }

    /// Rolls up visit `row` of [`Filtered::visits`]: `parts` are its (theme, criterion,
    /// score) ratings.
    fn visit(&mut self, row: usize, parts: &mut [(u32, u32, f64)]) {
        if !parts.is_sorted_by_key(|&(theme, criterion, _)| (theme, criterion)) {
            parts.sort_by_key(|&(theme, criterion, _)| (theme, criterion));
        }
        let (criteria_before, themes_before) = (self.criterion.len(), self.theme.len());
        let mut theme_scores: Vec<Score> = Vec::new();
        let mut criterion_scores: Vec<Score> = Vec::new();
        for theme_run in parts.chunk_by(|x, y| x.0 == y.0) {
            let theme = theme_run[0].0;
            criterion_scores.clear();
            for run in theme_run.chunk_by(|x, y| x.1 == y.1) {
                let score = criterion_score(run.iter().map(|p| p.2));
                self.criterion_theme.push(theme);
                self.criterion.push(run[0].1);
                self.criterion_score.push(score.value());
                self.indicators.push(run.len() as u32);
                criterion_scores.push(score);
            }
            let score = Score::mean(&criterion_scores);
            self.theme.push(theme);
            self.theme_score.push(score.value());
            self.theme_criteria.push(criterion_scores.len() as u32);
            theme_scores.push(score);
        }
        self.overall.push(Score::mean(&theme_scores).value());
        self.visit_themes.push(theme_scores.len() as u32);
        self.visit_rows.push(row);
        self.visit_criteria
            .push(self.criterion.len() - criteria_before);
        self.visit_theme_rows.push(self.theme.len() - themes_before);
    }
}

/// A criterion's score: the exact mean of its integer scores, else the float mean.
fn criterion_score(scores: impl Iterator<Item = f64> + Clone) -> Score {
    let n = scores.clone().count();
    let sum: f64 = scores.sum();
    if sum.fract() == 0.0 && (0.0..9.0e15).contains(&sum) {
        Ratio::new(sum as u64, n as u64).map_or(Score::Float(sum / n as f64), Score::Exact)
    } else {
        Score::Float(sum / n as f64)
    }
}

/// Rolls the kept ratings up to criterion, theme and overall scores per visit.
///
/// One pass over [`Filtered::ratings`], which holds each visit's ratings together in the
/// order of [`Filtered::visits`] (whose `ratings` column says how many); the visit
/// attributes (offer, type, date) come from [`Filtered::visits`].
pub fn rollup(filtered: &Filtered) -> Result<Rollup> {
    let starts = filtered.visit_starts()?;
    check_visit_order(filtered, &starts)?;
    let Columns {
        criterion_theme,
        criterion,
        criterion_score,
        indicators,
        theme,
        theme_score,
        theme_criteria,
        visit_rows,
        visit_criteria,
        visit_theme_rows,
        overall,
        visit_themes,
    } = roll_in_parallel(filtered, &starts)?;
    // Each level's vectors move into its frame, without a copy.
    let (criteria, themes) = rayon::join(
        move || {
            let columns = vec![
                Column::new(criteria::THEME.name().into(), criterion_theme),
                Column::new(criteria::CRITERION.name().into(), criterion),
                Column::new(criteria::SCORE.name().into(), criterion_score),
                Column::new(criteria::INDICATORS.name().into(), indicators),
            ];
            level_frame(&visit_criteria, columns)
        },
        move || {
            let columns = vec![
                Column::new(themes::THEME.name().into(), theme),
                Column::new(themes::SCORE.name().into(), theme_score),
                Column::new(themes::CRITERIA.name().into(), theme_criteria),
            ];
            level_frame(&visit_theme_rows, columns)
        },
    );
    let visits = visits_frame(filtered, &visit_rows, overall, visit_themes)?;
    Ok(Rollup {
        criteria: criteria?,
        themes: themes?,
        visits,
    })
}

/// Checks that the ratings of each visit are together, in the order of the visits table.
fn check_visit_order(filtered: &Filtered, starts: &[usize]) -> Result<()> {
    let visit = &filtered.ratings.visit;
    let visits = starts.len() - 1;
    let consistent = starts.last() == Some(&filtered.ratings.len())
        && (0..visits).all(|v| {
            visit[starts[v]..starts[v + 1]]
                .iter()
                .all(|&k| k as usize == v)
        });
    if consistent {
        return Ok(());
    }
    Err(crate::Error::InvalidParameter {
        name: "filtered ratings",
        value: "ratings that do not follow Filtered::visits".to_string(),
        expected: "each visit's ratings together, in the order and number of Filtered::visits",
    })
}

/// Rolls every visit up. Visits are independent: they are cut into one part per thread of
/// about equal numbers of ratings, rolled up in parallel, and the parts joined in order.
fn roll_in_parallel(filtered: &Filtered, starts: &[usize]) -> Result<Columns> {
    let ratings = &filtered.ratings;
    let (indicator, score) = (&ratings.indicator, &ratings.score);
    let known = |i: u16| filtered.indicators.get(usize::from(i));
    let lengths_agree = indicator.len() == ratings.len() && score.len() == ratings.len();
    if !lengths_agree || indicator.iter().any(|&i| known(i).is_none()) {
        return Err(crate::Error::InvalidParameter {
            name: "filtered ratings",
            value: "ratings whose indicator or score is missing".to_string(),
            expected: "an indicator of Filtered::indicators and a score for each rating",
        });
    }
    let visits = starts.len() - 1;
    let threads = rayon::current_num_threads().max(1);
    let mut cuts = vec![0];
    for k in 1..threads {
        let target = ratings.len() * k / threads;
        cuts.push(
            starts
                .partition_point(|&s| s < target)
                .min(visits)
                .max(cuts[k - 1]),
        );
    }
    cuts.push(visits);
    let roll = |range: std::ops::Range<usize>| -> Columns {
        let mut out = Columns::default();
        let mut parts: Vec<(u32, u32, f64)> = Vec::new();
        for v in range {
            let rows = starts[v]..starts[v + 1];
            if rows.is_empty() {
                continue;
            }
            parts.clear();
            parts.extend(rows.filter_map(|r| {
                let i = known(indicator[r])?;
                Some((i.theme, i.criterion, f64::from(score[r])))
            }));
            out.visit(v, &mut parts);
        }
        out
    };
    Ok(cuts
        .windows(2)
        .map(|w| w[0]..w[1])
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(roll)
        .reduce(Columns::default, Columns::append))
}

/// A level's frame: the visit (the `k`-th rolled-up visit has `counts[k]` rows), then the
/// level's own columns.
fn level_frame(counts: &[usize], own: Vec<Column>) -> Result<DataFrame> {
    let rows = counts.iter().sum();
    let mut visit: Vec<u32> = Vec::with_capacity(rows);
    for (k, &n) in counts.iter().enumerate() {
        visit.extend(std::iter::repeat_n(k as u32, n));
    }
    let mut columns = vec![Column::new(criteria::VISIT.name().into(), visit)];
    columns.extend(own);
    Ok(DataFrame::new(rows, columns)?)
}

/// The visits table: the filter's visit attributes of each rolled-up visit, then its overall
/// score, theme count and rating count.
fn visits_frame(
    filtered: &Filtered,
    visit_rows: &[usize],
    overall: Vec<f64>,
    themes: Vec<u32>,
) -> Result<DataFrame> {
    let attributes = [
        visits::AUTHORITY.name(),
        visits::VISIT_ID.name(),
        visits::OFFER_ID.name(),
        visits::OFFER_TYPE.name(),
        visits::VISIT_DATE.name(),
        visits::RATINGS.name(),
    ];
    let mut frame = filtered.visits.select(attributes)?;
    if visit_rows.len() != filtered.visits.height() {
        let rows = visit_rows.iter().map(|&r| r as IdxSize).collect();
        frame = frame.take(&IdxCa::from_vec("idx".into(), rows))?;
    }
    let ratings_per_visit = frame.drop_in_place(visits::RATINGS.name())?;
    frame.hstack_mut(&[
        Column::new(visits::OVERALL.name().into(), overall),
        Column::new(visits::THEMES.name().into(), themes),
        ratings_per_visit,
    ])?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_fractions_give_equal_floats() {
        // Two visits' theme scores with the same exact mean, 86/21 (found by a brute-force
        // search in Python with fractions.Fraction): summing the floats left to right gives
        // 4.095238095238096 for the first and 4.095238095238095 for the second.
        let visit = |parts: &[(u64, u64)]| -> Vec<Score> {
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
    fn binary_gcd_equals_euclid() {
        let euclid = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a.max(1)
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = (x >> (x % 61), (x.rotate_left(17)) >> (x % 59));
            assert_eq!(gcd(a, b), euclid(a, b), "gcd({a}, {b})");
            assert_eq!(gcd(a % 1000, b % 60), euclid(a % 1000, b % 60));
        }
        assert_eq!(gcd(0, 0), 1);
        assert_eq!(gcd(0, 12), 12);
        assert_eq!(gcd(12, 0), 12);
    }

    #[test]
    fn fractions_reduce_and_overflow_falls_back() {
        assert_eq!(Ratio::new(6, 8), Some(Ratio { num: 3, den: 4 }));
        assert_eq!(Ratio::new(1, 0), None);
        let huge = Ratio {
            num: 1,
            den: u64::MAX / 2,
        };
        assert!(
            huge.add(Ratio {
                num: 1,
                den: u64::MAX / 3
            })
            .is_none()
        );
        let parts = [Score::Exact(huge), Score::Float(4.0)];
        assert!(matches!(Score::mean(&parts), Score::Float(_)));
    }
}
