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
//! Every mean is taken over rows sorted by authority, visit, theme and criterion, so the
//! floating-point result does not depend on the order of the input rows (long, wide or
//! Excel layouts give bit-identical roll-ups).

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
            col("score").mean().alias("score"),
            len().cast(DataType::UInt32).alias("indicators"),
        ])
        .collect()?;
    let themes = criteria
        .clone()
        .lazy()
        .group_by_stable([col("authority"), col("visit_id"), col("theme")])
        .agg([
            col("score").mean().alias("score"),
            len().cast(DataType::UInt32).alias("criteria"),
        ])
        .collect()?;
    let overall = themes
        .clone()
        .lazy()
        .group_by_stable(visit_keys.clone())
        .agg([
            col("score").mean().alias("overall"),
            len().cast(DataType::UInt32).alias("themes"),
        ]);
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
