//! Monte Carlo permutation p-value of the two-sample KS statistic, optionally
//! stratified, reproducible for any thread count (stage 4, part of [`super`]; the entry
//! point is re-exported there).
//!
//! Input: two samples, optional stratum codes per observation of each, the alternative,
//! the number of random permutations, a seed and a stream number.
//! Output: [`PermutationTest`] with `p = (b + 1)/(m + 1)`, `b` the number of permuted
//! statistics `≥` the observed one (in exact lattice units), `m` the permutations drawn
//! — the usual Monte Carlo p that never reports 0 (Phipson & Smyth 2010; R's
//! `simulate.p.value`, SciPy's `permutation_test`).
//!
//! Method: pool and sort the values once; a permutation reassigns the group labels to the
//! sorted positions (Fisher–Yates), within each stratum when strata are given, so
//! differences in case mix between the samples are held fixed. D is recomputed from label
//! counts at the ends of tie blocks, as [`super::statistic`] does, so the Monte Carlo p
//! converges to the tie-exact p of [`super::ties`] (unstratified). Permutations run in
//! fixed blocks of [`BLOCK_SIZE`] in parallel (rayon); block `k` draws from its own ChaCha8
//! generator keyed by `seed`, on ChaCha stream `stream`, starting at word offset
//! `k·2^36`, so the result depends only on `(data, seed, stream, permutations)` and not
//! on the number of threads or the scheduling.

use std::collections::BTreeMap;
use std::ops::Range;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};

use super::Alternative;
use super::statistic::KsStatistic;

/// Permutations per independently seeded block (the unit of parallel work).
pub(crate) const BLOCK_SIZE: u64 = 256;
/// log2 of the ChaCha word offset between consecutive blocks.
const BLOCK_WORDS_LOG2: u32 = 36;
/// Largest number of permutations [`ks_permutation`] accepts (2^40): 2^32 blocks of 256
/// fit in ChaCha's 2^68-word stream.
pub const MAX_PERMUTATIONS: u64 = BLOCK_SIZE << 32;
/// Largest pooled sample: a block must stay within its 2^36 words (≤ 4 words per draw).
const MAX_POOLED: usize = 1 << (BLOCK_WORDS_LOG2 - 8 - 2);

/// Result of [`ks_permutation`].
#[derive(Debug, Clone, Serialize)]
pub struct PermutationTest {
    /// `(exceedances + 1)/(permutations + 1)`.
    pub p_value: f64,
    /// Number of random permutations drawn.
    pub permutations: u64,
    /// Permuted statistics at least as large as the observed one.
    pub exceedances: u64,
    /// RNG seed.
    pub seed: u64,
    /// RNG stream (one per comparison, so that comparisons are independent).
    pub stream: u64,
    /// The observed statistic (D, D⁺ or D⁻).
    pub statistic: f64,
    /// The alternative tested.
    pub alternative: Alternative,
    /// Whether labels were permuted within strata.
    pub stratified: bool,
}

/// Monte Carlo permutation p-value for the KS statistic of `alternative`:
/// `p = (b + 1)/(m + 1)`, `b` the number of the `m = permutations` random relabellings of
/// the pooled sample whose statistic (at tie-block ends, in exact lattice units) reaches
/// the observed one (Phipson & Smyth 2010). Unstratified, it converges to
/// [`ks_p_ties`](super::ks_p_ties).
///
/// `strata`, if given, holds one stratum code per observation of `a` and of `b`; labels
/// are then permuted only among observations with the same code. The draws depend only on
/// `(data, seed, stream, permutations)`, never on the number of threads; give each
/// comparison its own `stream` so that comparisons are independent.
///
/// # Errors
/// Empty or non-finite samples; `permutations` outside `1..=MAX_PERMUTATIONS`; strata
/// whose lengths differ from the samples'; a pooled sample above 2^26 values.
///
/// # Examples
///
/// ```
/// use losstat::stats::ks::{Alternative, ks_permutation};
/// # fn main() -> losstat::Result<()> {
/// let (x, y) = ([1.0, 2.0, 2.0, 3.0, 3.0], [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0]);
/// let m = 20_000;
/// let test = ks_permutation(&x, &y, None, Alternative::TwoSided, m, 2024, 0)?;
/// // The Monte Carlo p estimates the tie-exact p 8/33 (R psmirnov, stats_reference.md §4.3):
/// // allow four standard errors.
/// let exact = 8.0 / 33.0;
/// let se = (exact * (1.0 - exact) / m as f64).sqrt();
/// assert!((test.p_value - exact).abs() <= 4.0 * se);
/// // D = 3/7 by hand: at x = 3, F_x = 5/5 and F_y = 4/7.
/// assert_eq!((test.statistic, test.permutations), (3.0 / 7.0, m));
/// # Ok(()) }
/// ```
pub fn ks_permutation(
    a: &[f64],
    b: &[f64],
    strata: Option<(&[u32], &[u32])>,
    alternative: Alternative,
    permutations: u64,
    seed: u64,
    stream: u64,
) -> Result<PermutationTest> {
    let stat = KsStatistic::compute(a, b)?;
    check_permutations(permutations)?;
    check_strata(a, b, strata)?;
    if a.len() + b.len() > MAX_POOLED {
        return Err(Error::InvalidParameter {
            name: "pooled sample size",
            value: (a.len() + b.len()).to_string(),
            expected: "at most 2^26 values for a permutation test",
        });
    }
    let observed = observed_units(&stat, alternative);
    let design = Design::new(a, b, strata);
    let streams = StreamKey { seed, stream };
    let blocks = permutations.div_ceil(BLOCK_SIZE);
    let exceedances: u64 = (0..blocks)
        .into_par_iter()
        .map(|block| {
            let start = block * BLOCK_SIZE;
            let count = BLOCK_SIZE.min(permutations - start);
            design.run_block(&streams, block, count, observed, alternative)
        })
        .sum();
    Ok(PermutationTest {
        p_value: (exceedances + 1) as f64 / (permutations + 1) as f64,
        permutations,
        exceedances,
        seed,
        stream,
        statistic: stat.to_fraction(observed),
        alternative,
        stratified: strata.is_some(),
    })
}

fn check_permutations(permutations: u64) -> Result<()> {
    if permutations == 0 || permutations > MAX_PERMUTATIONS {
        return Err(Error::InvalidParameter {
            name: "permutations",
            value: permutations.to_string(),
            expected: "between 1 and 2^40",
        });
    }
    Ok(())
}

fn check_strata(a: &[f64], b: &[f64], strata: Option<(&[u32], &[u32])>) -> Result<()> {
    let Some((sa, sb)) = strata else {
        return Ok(());
    };
    if sa.len() != a.len() || sb.len() != b.len() {
        return Err(Error::InvalidParameter {
            name: "strata",
            value: format!(
                "{} and {} codes for samples of {} and {}",
                sa.len(),
                sb.len(),
                a.len(),
                b.len()
            ),
            expected: "one stratum code per observation of each sample",
        });
    }
    Ok(())
}

fn observed_units(stat: &KsStatistic, alternative: Alternative) -> u64 {
    match alternative {
        Alternative::Greater => stat.d_plus.units,
        Alternative::Less => stat.d_minus.units,
        Alternative::TwoSided => stat.d_plus.units.max(stat.d_minus.units),
    }
}

/// Where a block's random numbers come from.
struct StreamKey {
    seed: u64,
    stream: u64,
}

impl StreamKey {
    fn block_rng(&self, block: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(u128::from(block) << BLOCK_WORDS_LOG2);
        rng
    }
}

/// The fixed part of the permutation design: sorted pooled positions, their tie blocks,
/// the observed labels and the groups of positions whose labels may be exchanged.
struct Design {
    n_a: i64,
    n_b: i64,
    /// Observed labels of the sorted pooled positions (`true` = sample a).
    labels: Vec<bool>,
    /// Tie blocks as ranges of sorted positions.
    blocks: Vec<Range<usize>>,
    /// Positions exchangeable with each other (one group per stratum that holds both labels).
    groups: Vec<Vec<u32>>,
}

/// One observation of the pooled sample before sorting.
struct Observation {
    value: f64,
    in_a: bool,
    stratum: u32,
}

impl Design {
    fn new(a: &[f64], b: &[f64], strata: Option<(&[u32], &[u32])>) -> Self {
        let code =
            |codes: Option<&[u32]>, i: usize| codes.and_then(|c| c.get(i)).copied().unwrap_or(0);
        let (sa, sb) = (strata.map(|s| s.0), strata.map(|s| s.1));
        let mut pooled: Vec<Observation> = a
            .iter()
            .enumerate()
            .map(|(i, &value)| Observation {
                value,
                in_a: true,
                stratum: code(sa, i),
            })
            .chain(b.iter().enumerate().map(|(i, &value)| Observation {
                value,
                in_a: false,
                stratum: code(sb, i),
            }))
            .collect();
        pooled.sort_by(|x, y| x.value.total_cmp(&y.value));
        let blocks = tie_blocks(&pooled);
        let groups = exchangeable_groups(&pooled);
        Self {
            n_a: a.len() as i64,
            n_b: b.len() as i64,
            labels: pooled.iter().map(|o| o.in_a).collect(),
            blocks,
            groups,
        }
    }

    /// Draw `count` permutations for block `block`; return how many reach `observed`.
    fn run_block(
        &self,
        key: &StreamKey,
        block: u64,
        count: u64,
        observed: u64,
        alternative: Alternative,
    ) -> u64 {
        let mut rng = key.block_rng(block);
        let mut labels = self.labels.clone();
        let mut exceed = 0;
        for _ in 0..count {
            for group in &self.groups {
                shuffle_within(&mut labels, group, &mut rng);
            }
            if self.statistic_units(&labels, alternative) >= observed {
                exceed += 1;
            }
        }
        exceed
    }

    /// The statistic of a labelling, in units of `1/(n_a·n_b)`.
    fn statistic_units(&self, labels: &[bool], alternative: Alternative) -> u64 {
        let (mut count_a, mut seen) = (0i64, 0i64);
        let (mut max, mut min) = (0i64, 0i64);
        for block in &self.blocks {
            count_a += labels[block.clone()].iter().filter(|&&x| x).count() as i64;
            seen += block.len() as i64;
            let diff = self.n_b * count_a - self.n_a * (seen - count_a);
            max = max.max(diff);
            min = min.min(diff);
        }
        let units = match alternative {
            Alternative::Greater => max,
            Alternative::Less => -min,
            Alternative::TwoSided => max.max(-min),
        };
        units.unsigned_abs()
    }
}

/// Fisher–Yates shuffle of the labels at `positions` among themselves.
fn shuffle_within(labels: &mut [bool], positions: &[u32], rng: &mut ChaCha8Rng) {
    for idx in (1..positions.len()).rev() {
        let other = rng.random_range(0..=idx as u32) as usize;
        labels.swap(positions[idx] as usize, positions[other] as usize);
    }
}

fn tie_blocks(pooled: &[Observation]) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut start = 0;
    for k in 1..=pooled.len() {
        if k == pooled.len() || pooled[k].value != pooled[k - 1].value {
            blocks.push(start..k);
            start = k;
        }
    }
    blocks
}

/// Positions per stratum, in stratum-code order; strata holding only one label are left
/// out (exchanging equal labels changes nothing).
fn exchangeable_groups(pooled: &[Observation]) -> Vec<Vec<u32>> {
    let mut by_stratum: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (pos, obs) in pooled.iter().enumerate() {
        by_stratum.entry(obs.stratum).or_default().push(pos as u32);
    }
    by_stratum
        .into_values()
        .filter(|positions| {
            let first = positions.first().map(|&p| pooled[p as usize].in_a);
            positions
                .iter()
                .any(|&p| Some(pooled[p as usize].in_a) != first)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tied(n: usize, offset: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7 + offset) % 13) as f64 / 3.0)
            .collect()
    }

    fn run_in_pool(
        threads: usize,
        a: &[f64],
        b: &[f64],
        strata: Option<(&[u32], &[u32])>,
    ) -> PermutationTest {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| {
            ks_permutation(a, b, strata, Alternative::TwoSided, 3000, 42, 7).expect("valid")
        })
    }

    #[test]
    fn identical_for_one_and_two_threads() {
        let a = tied(90, 0);
        let b = tied(70, 3);
        let one = run_in_pool(1, &a, &b, None);
        let two = run_in_pool(2, &a, &b, None);
        assert_eq!(one.exceedances, two.exceedances);
        assert_eq!(one.p_value, two.p_value);
        let sa: Vec<u32> = (0..90).map(|i| i % 3).collect();
        let sb: Vec<u32> = (0..70).map(|i| i % 2).collect();
        let one = run_in_pool(1, &a, &b, Some((&sa, &sb)));
        let two = run_in_pool(2, &a, &b, Some((&sa, &sb)));
        assert_eq!(one.exceedances, two.exceedances);
    }

    #[test]
    fn seed_and_stream_change_the_draws() {
        let a = tied(40, 0);
        let b = tied(50, 5);
        let run =
            |seed, stream| ks_permutation(&a, &b, None, Alternative::Greater, 2000, seed, stream);
        let base = run(1, 0).expect("valid");
        assert_eq!(base.exceedances, run(1, 0).expect("valid").exceedances);
        assert!(base.p_value > 0.0 && base.p_value <= 1.0);
        let others = [
            run(2, 0).expect("valid").exceedances,
            run(1, 1).expect("valid").exceedances,
        ];
        assert!(others.iter().any(|&e| e != base.exceedances));
    }

    #[test]
    fn one_stratum_equals_unstratified() {
        let a = tied(30, 1);
        let b = tied(25, 4);
        let (sa, sb) = (vec![9u32; 30], vec![9u32; 25]);
        let plain = ks_permutation(&a, &b, None, Alternative::TwoSided, 1000, 5, 0).expect("valid");
        let strat = ks_permutation(&a, &b, Some((&sa, &sb)), Alternative::TwoSided, 1000, 5, 0)
            .expect("valid");
        assert_eq!(plain.exceedances, strat.exceedances);
    }

    #[test]
    fn strata_separating_the_samples_fix_every_permutation() {
        // Each stratum holds one sample only: no label can move, every permutation equals
        // the observed statistic, p = 1.
        let a = [1.0, 2.0, 3.0];
        let b = [4.0, 5.0, 6.0];
        let res = ks_permutation(
            &a,
            &b,
            Some((&[0, 0, 0], &[1, 1, 1])),
            Alternative::TwoSided,
            500,
            3,
            0,
        );
        let res = res.expect("valid");
        assert_eq!(res.exceedances, 500);
        assert_eq!(res.p_value, 1.0);
    }

    #[test]
    fn rejects_bad_parameters() {
        let a = [1.0, 2.0];
        let b = [3.0];
        assert!(matches!(
            ks_permutation(&a, &b, None, Alternative::TwoSided, 0, 1, 0),
            Err(Error::InvalidParameter {
                name: "permutations",
                ..
            })
        ));
        assert!(matches!(
            ks_permutation(&a, &b, Some((&[0], &[0])), Alternative::TwoSided, 10, 1, 0),
            Err(Error::InvalidParameter { name: "strata", .. })
        ));
        assert!(matches!(
            ks_permutation(&[], &b, None, Alternative::TwoSided, 10, 1, 0),
            Err(Error::EmptySample { .. })
        ));
    }
}
