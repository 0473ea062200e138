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

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::Result;
use crate::filter::Filtered;

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

/// Theme and overall scores computed exactly from the criterion sums.
struct ExactScores {
    /// Criterion score per row of the criteria table.
    criterion_scores: Vec<f64>,
    /// (authority, visit, theme, score, criteria) per theme, in table order.
    themes: Vec<(String, String, u32, Score, u32)>,
}

impl ExactScores {
    /// From the criteria table (sorted by authority, visit, theme, criterion) with its
    /// `score_sum` (sum of the integer scores) and `indicators` columns.
    fn from_criteria(criteria: &DataFrame) -> Result<Self> {
        let authority = criteria.column("authority")?.str()?;
        let visit = criteria.column("visit_id")?.str()?;
        let theme = criteria.column("theme")?.u32()?;
        let sum = criteria.column("score_sum")?.f64()?;
        let n = criteria.column("indicators")?.u32()?;
        let mut criterion_scores = Vec::with_capacity(criteria.height());
        let mut themes: Vec<(String, String, u32, Score, u32)> = Vec::new();
        let mut parts: Vec<Score> = Vec::new();
        let mut current: Option<(&str, &str, u32)> = None;
        let rows = authority
            .iter()
            .zip(visit.iter())
            .zip(theme.iter())
            .zip(sum.iter().zip(n.iter()));
        for (((a, v), t), (s, k)) in rows {
            let (a, v, t, s, k) = (
                a.unwrap_or(""),
                v.unwrap_or(""),
                t.unwrap_or(0),
                s.unwrap_or(f64::NAN),
                k.unwrap_or(1),
            );
            let score = if s.fract() == 0.0 && s.abs() < 9.0e15 {
                Ratio::new(s as i128, i128::from(k))
                    .map_or(Score::Float(s / f64::from(k)), Score::Exact)
            } else {
                Score::Float(s / f64::from(k))
            };
            criterion_scores.push(score.value());
            if current.is_some_and(|c| c != (a, v, t)) {
                Self::close(&mut themes, current, &mut parts);
            }
            current = Some((a, v, t));
            parts.push(score);
        }
        Self::close(&mut themes, current, &mut parts);
        Ok(Self {
            criterion_scores,
            themes,
        })
    }

    fn close(
        themes: &mut Vec<(String, String, u32, Score, u32)>,
        key: Option<(&str, &str, u32)>,
        parts: &mut Vec<Score>,
    ) {
        if let Some((a, v, t)) = key
            && !parts.is_empty()
        {
            themes.push((
                a.to_string(),
                v.to_string(),
                t,
                Score::mean(parts),
                parts.len() as u32,
            ));
        }
        parts.clear();
    }

    /// `authority, visit_id, theme, score, criteria`.
    fn themes_frame(&self) -> Result<DataFrame> {
        let t = &self.themes;
        Ok(DataFrame::new(
            t.len(),
            vec![
                Column::new(
                    "authority".into(),
                    t.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "visit_id".into(),
                    t.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
                ),
                Column::new("theme".into(), t.iter().map(|x| x.2).collect::<Vec<u32>>()),
                Column::new(
                    "score".into(),
                    t.iter().map(|x| x.3.value()).collect::<Vec<f64>>(),
                ),
                Column::new(
                    "criteria".into(),
                    t.iter().map(|x| x.4).collect::<Vec<u32>>(),
                ),
            ],
        )?)
    }

    /// `authority, visit_id, overall, themes`: the exact mean of each visit's theme scores.
    fn overall_frame(&self) -> Result<DataFrame> {
        let mut authority: Vec<&str> = Vec::new();
        let mut visit: Vec<&str> = Vec::new();
        let mut overall: Vec<f64> = Vec::new();
        let mut count: Vec<u32> = Vec::new();
        let mut start = 0;
        while start < self.themes.len() {
            let (a, v) = (&self.themes[start].0, &self.themes[start].1);
            let end = self.themes[start..]
                .iter()
                .position(|x| &x.0 != a || &x.1 != v)
                .map_or(self.themes.len(), |p| start + p);
            let parts: Vec<Score> = self.themes[start..end].iter().map(|x| x.3).collect();
            authority.push(a);
            visit.push(v);
            overall.push(Score::mean(&parts).value());
            count.push((end - start) as u32);
            start = end;
        }
        Ok(DataFrame::new(
            overall.len(),
            vec![
                Column::new("authority".into(), authority),
                Column::new("visit_id".into(), visit),
                Column::new("overall".into(), overall),
                Column::new("themes".into(), count),
            ],
        )?)
    }
}

/// Rolls the kept ratings up to criterion, theme and overall scores per visit.
pub fn rollup(filtered: &Filtered) -> Result<Rollup> {
    let visit_keys = [col("authority"), col("visit_id")];
    let ratings = filtered.ratings.clone().lazy();
    let criteria = ratings
        .clone()
        .sort(
            ["authority", "visit_id", "theme", "criterion", "indicator"],
            SortMultipleOptions::default(),
        )
        .group_by_stable([
            col("authority"),
            col("visit_id"),
            col("theme"),
            col("criterion"),
        ])
        .agg([
            col("score").sum().alias("score_sum"),
            len().cast(DataType::UInt32).alias("indicators"),
        ])
        .collect()?;
    let exact = ExactScores::from_criteria(&criteria)?;
    let criteria = criteria
        .drop("score_sum")?
        .hstack(&[Column::new("score".into(), exact.criterion_scores.clone())])?
        .select([
            "authority",
            "visit_id",
            "theme",
            "criterion",
            "score",
            "indicators",
        ])?;
    let themes = exact.themes_frame()?;
    let overall = exact.overall_frame()?.lazy();
    let attributes = ratings.group_by_stable(visit_keys.clone()).agg([
        col("offer_id").drop_nulls().first().alias("offer_id"),
        col("offer_type").drop_nulls().first().alias("offer_type"),
        col("visit_date").drop_nulls().first().alias("visit_date"),
        len().cast(DataType::UInt32).alias("ratings"),
    ]);
    let visits = attributes
        .join(
            overall,
            visit_keys.clone(),
            visit_keys,
            JoinArgs::new(JoinType::Inner),
        )
        .select([
            col("authority"),
            col("visit_id"),
            col("offer_id"),
            col("offer_type"),
            col("visit_date"),
            col("overall"),
            col("themes"),
            col("ratings"),
        ])
        .sort(["authority", "visit_id"], SortMultipleOptions::default())
        .collect()?;
    Ok(Rollup {
        criteria,
        themes,
        visits,
    })
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
