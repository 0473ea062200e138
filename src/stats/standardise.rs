//! Direct standardisation of group means to a common mix of strata, with percentile bootstrap
//! intervals (Kirkwood & Sterne 2003, "Essential Medical Statistics", §18.3; Efron &
//! Tibshirani 1993, ch. 13).
//!
//! Input: one value per observation (here: a visit's overall score), its group (authority) and
//! its stratum (offer type). Output: per group, the raw mean and the mean re-weighted to the
//! strata's shares of all observations, `Σ_s w_s · m_{g,s}` with `w_s = N_s / N`.
//!
//! A group with no observation in a stratum cannot be re-weighted there: its standardised mean
//! is taken over the strata it has, with their weights renormalised to sum to 1, and
//! [`StandardisedMean::coverage`] says which share of the national weight that is (1 when the
//! group has every stratum). Rare strata are best pooled before (the caller's rule).
//!
//! Bootstrap: each replicate resamples, with replacement, the observations of every group ×
//! stratum cell separately (so every cell keeps its size and the weights stay fixed), and
//! recomputes the standardised mean; the interval is the replicates' `(1 ± confidence)/2`
//! quantiles (linear interpolation). The generator is ChaCha8 seeded from `seed`, one stream
//! per group, so the result does not depend on the number of threads. Its words are read a
//! block at a time and turned into indices exactly as `random_range` turns them, and each
//! cell's draws are summed in their order (`Draws`): the same replicates, to the bit, as
//! drawing and summing one index at a time, in about a third of the time.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::descriptive::percentile_interval;
use crate::error::{Error, Result};

/// One group's raw and standardised mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardisedMean {
    /// The group's index.
    pub group: usize,
    /// Observations.
    pub n: usize,
    /// The plain mean.
    pub raw_mean: f64,
    /// The mean re-weighted to the national mix of strata.
    pub standardised: f64,
    /// Bootstrap interval of `standardised` (`None` without replicates).
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// The share of the national weight in the strata the group has.
    pub coverage: f64,
}

/// The observations: value, group and stratum of each.
#[derive(Debug, Clone, Copy)]
pub struct Stratified<'a> {
    /// The values.
    pub values: &'a [f64],
    /// The group of each value, `0..groups`.
    pub group: &'a [usize],
    /// The stratum of each value, `0..strata`.
    pub stratum: &'a [usize],
}

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Replicates (0: no interval).
    pub replicates: u64,
    /// Confidence level of the interval.
    pub confidence: f64,
    /// RNG seed.
    pub seed: u64,
}

/// Standardised means of every group (see the module docs), in group order.
///
/// ```
/// use losstat::stats::standardise::{Bootstrap, Stratified, direct_standardisation};
/// // Group 0 has one value 2 in stratum 0; group 1 has 4 in stratum 0 and 8 in stratum 1.
/// // National weights 2/3 and 1/3: group 1 → 4·2/3 + 8·1/3 = 16/3; group 0 covers only
/// // stratum 0 (coverage 2/3), so its standardised mean is its stratum-0 mean, 2 (by hand).
/// let data = Stratified { values: &[2.0, 4.0, 8.0], group: &[0, 1, 1], stratum: &[0, 0, 1] };
/// let none = Bootstrap { replicates: 0, confidence: 0.95, seed: 1 };
/// let means = direct_standardisation(data, 2, 2, none).unwrap();
/// assert!((means[1].standardised - 16.0 / 3.0).abs() < 1e-12);
/// assert_eq!((means[0].standardised, means[0].raw_mean), (2.0, 2.0));
/// assert!((means[0].coverage - 2.0 / 3.0).abs() < 1e-12);
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] when the slices differ in length, an index is out of range, or a
/// value is not finite.
pub fn direct_standardisation(
    data: Stratified<'_>,
    groups: usize,
    strata: usize,
    bootstrap: Bootstrap,
) -> Result<Vec<StandardisedMean>> {
    let cells = Cells::new(data, groups, strata)?;
    let total = data.values.len() as f64;
    let weights: Vec<f64> = (0..strata)
        .map(|s| (0..groups).map(|g| cells.values(g, s).len()).sum::<usize>() as f64 / total)
        .collect();
    (0..groups)
        .into_par_iter()
        .map(|g| {
            let cell_means: Vec<Option<f64>> =
                (0..strata).map(|s| mean(cells.values(g, s))).collect();
            let all: Vec<f64> = (0..strata)
                .flat_map(|s| cells.values(g, s).iter().copied())
                .collect();
            let interval = cells.interval(g, &weights, bootstrap);
            Ok(StandardisedMean {
                group: g,
                n: all.len(),
                raw_mean: mean(&all).unwrap_or(f64::NAN),
                standardised: weighted(&cell_means, &weights),
                ci_low: interval.map(|i| i.0),
                ci_high: interval.map(|i| i.1),
                coverage: (0..strata)
                    .filter(|&s| cell_means[s].is_some())
                    .map(|s| weights[s])
                    .sum(),
            })
        })
        .collect()
}

/// The values of each group × stratum cell.
struct Cells {
    strata: usize,
    values: Vec<Vec<f64>>,
}

impl Cells {
    fn new(data: Stratified<'_>, groups: usize, strata: usize) -> Result<Self> {
        let n = data.values.len();
        let bad = data.group.len() != n
            || data.stratum.len() != n
            || data.group.iter().any(|&g| g >= groups)
            || data.stratum.iter().any(|&s| s >= strata)
            || data.values.iter().any(|v| !v.is_finite());
        if bad || n == 0 {
            return Err(Error::InvalidParameter {
                name: "standardisation",
                value: format!("{n} values"),
                expected: "finite values, each with a group and stratum in range",
            });
        }
        let mut values = vec![Vec::new(); groups * strata];
        for ((&v, &g), &s) in data.values.iter().zip(data.group).zip(data.stratum) {
            values[g * strata + s].push(v);
        }
        Ok(Self { strata, values })
    }

    fn values(&self, group: usize, stratum: usize) -> &[f64] {
        &self.values[group * self.strata + stratum]
    }

    /// The percentile interval of the group's standardised mean.
    fn interval(&self, group: usize, weights: &[f64], bootstrap: Bootstrap) -> Option<(f64, f64)> {
        if bootstrap.replicates == 0 {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(bootstrap.seed);
        rng.set_stream(group as u64);
        let mut draws = Draws::new(rng);
        let mut means: Vec<Option<f64>> = vec![None; self.strata];
        let mut replicates: Vec<f64> = (0..bootstrap.replicates)
            .map(|_| {
                for (s, mean) in means.iter_mut().enumerate() {
                    let cell = self.values(group, s);
                    let sum = draws.sum_of(cell);
                    *mean = (!cell.is_empty()).then(|| sum / cell.len() as f64);
                }
                weighted(&means, weights)
            })
            .collect();
        percentile_interval(&mut replicates, bootstrap.confidence).map(|[low, high]| (low, high))
    }
}

/// Words of the generator a block at a time, and indices drawn from them exactly as
/// `rng.random_range(0..n)` draws them (rand's widening multiply of a 32-bit word by `n`, a
/// second word when the first falls where the result could be biased): the same indices,
/// so the same replicates to the bit, without the per-call cost of `random_range` and with
/// each cell's sum in a register (at 10 M ratings the bootstrap took 3.3 s of one core, now
/// 1.2 s). The generator belongs to one group's bootstrap, so the words read ahead and never
/// used change nothing.
struct Draws {
    rng: ChaCha8Rng,
    words: [u32; WORDS],
    next: usize,
}

/// Words read from the generator at a time.
const WORDS: usize = 1024;

impl Draws {
    fn new(rng: ChaCha8Rng) -> Self {
        Self {
            rng,
            words: [0; WORDS],
            next: WORDS,
        }
    }

    /// The next word of the generator (its `next_u32`).
    #[inline]
    fn word(&mut self) -> u32 {
        if self.next == WORDS {
            self.refill();
        }
        let word = self.words[self.next];
        self.next += 1;
        word
    }

    /// The generator's next block of words (kept out of line: [`Self::word`] is the hot path).
    #[inline(never)]
    fn refill(&mut self) {
        let mut bytes = [0u8; 4 * WORDS];
        self.rng.fill_bytes(&mut bytes);
        for (word, b) in self.words.iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        self.next = 0;
    }

    /// The sum of `cell.len()` values drawn from `cell`, as
    /// `(0..n).map(|_| cell[rng.random_range(0..n)]).sum()` adds them: the same draws, added
    /// in their order from the same start. The draws that surely fit in the words already
    /// read are made in a loop without a call, so the sum stays in a register.
    fn sum_of(&mut self, cell: &[f64]) -> f64 {
        let n = cell.len();
        let Ok(range) = u32::try_from(n) else {
            return (0..n).map(|_| cell[self.below_wide(n)]).sum();
        };
        // The start `.sum()` adds to (−0.0 in current Rust), so the additions are its own.
        let mut sum: f64 = std::iter::empty::<f64>().sum();
        let mut left = n;
        while left > 0 {
            // Each draw takes one word, or two: this many surely fit in the words read.
            let take = left.min((WORDS - self.next) / 2);
            if take == 0 {
                sum += cell[self.below(n)];
                left -= 1;
                continue;
            }
            let mut at = self.next;
            for _ in 0..take {
                sum += cell[draw(&self.words, &mut at, range) as usize];
            }
            self.next = at;
            left -= take;
        }
        sum
    }

    /// An index below `n` (`n` ≥ 1), as `random_range(0..n)`: from 32-bit words up to
    /// `u32::MAX`, from 64-bit ones (two words, low first, as `next_u64`) beyond.
    #[inline]
    fn below(&mut self, n: usize) -> usize {
        if let Ok(range) = u32::try_from(n) {
            if self.next + 2 <= WORDS {
                return draw(&self.words, &mut self.next, range) as usize;
            }
            let wide = u64::from(self.word()) * u64::from(range);
            let (high, low) = ((wide >> 32) as u32, wide as u32);
            if low <= range.wrapping_neg() {
                return high as usize;
            }
            let next_high = ((u64::from(self.word()) * u64::from(range)) >> 32) as u32;
            return (high + u32::from(low.checked_add(next_high).is_none())) as usize;
        }
        self.below_wide(n)
    }

    /// [`Self::below`] for `n` beyond `u32::MAX`, from 64-bit words.
    #[cold]
    fn below_wide(&mut self, n: usize) -> usize {
        let range = n as u64;
        let wide = u128::from(self.word64()) * u128::from(range);
        let (high, low) = ((wide >> 64) as u64, wide as u64);
        if low <= range.wrapping_neg() {
            return high as usize;
        }
        let next_high = ((u128::from(self.word64()) * u128::from(range)) >> 64) as u64;
        (high + u64::from(low.checked_add(next_high).is_none())) as usize
    }

    /// Two words as one, the first the low half.
    fn word64(&mut self) -> u64 {
        let low = self.word();
        u64::from(low) | (u64::from(self.word()) << 32)
    }
}

/// An index below `range` from the words at `at` (moved past the one or two it takes), as
/// rand makes it from 32-bit words: the high half of the first word times `range`, plus the
/// carry of a second word's when the low half falls where the result could be biased. The
/// caller leaves at least two words after `at`.
#[inline(always)]
fn draw(words: &[u32; WORDS], at: &mut usize, range: u32) -> u32 {
    let wide = u64::from(words[*at]) * u64::from(range);
    *at += 1;
    let (high, low) = ((wide >> 32) as u32, wide as u32);
    if low <= range.wrapping_neg() {
        return high;
    }
    let next_high = ((u64::from(words[*at]) * u64::from(range)) >> 32) as u32;
    *at += 1;
    high + u32::from(low.checked_add(next_high).is_none())
}

/// `Σ w_s m_s / Σ w_s` over the strata with a mean.
pub(crate) fn weighted(means: &[Option<f64>], weights: &[f64]) -> f64 {
    let (sum, weight) = means
        .iter()
        .zip(weights)
        .filter_map(|(m, w)| m.map(|m| (m * w, *w)))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    sum / weight
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_cells_have_a_degenerate_interval_and_the_seed_decides_the_rest() {
        let data = Stratified {
            values: &[3.0, 3.0, 5.0, 1.0, 4.0, 2.0],
            group: &[0, 0, 0, 1, 1, 1],
            stratum: &[0, 0, 1, 0, 1, 1],
        };
        let boot = Bootstrap {
            replicates: 500,
            confidence: 0.95,
            seed: 9,
        };
        let a = direct_standardisation(data, 2, 2, boot).expect("means");
        // Group 0's cells are constant (3, 3 | 5): every replicate equals the estimate.
        assert_eq!(a[0].ci_low, Some(a[0].standardised));
        assert_eq!(a[0].ci_high, Some(a[0].standardised));
        // Group 1 varies within stratum 1, so its interval is wider than a point.
        assert!(a[1].ci_low < a[1].ci_high);
        assert_eq!(a, direct_standardisation(data, 2, 2, boot).expect("again"));
        assert!(
            direct_standardisation(
                Stratified {
                    group: &[0, 9, 0, 0, 0, 0],
                    ..data
                },
                2,
                2,
                boot
            )
            .is_err()
        );
    }

    #[test]
    fn the_draws_are_those_of_random_range() {
        use rand::RngExt;
        // Ranges where the second word is rare, common (just above 2³¹) and 64-bit, each for
        // more draws than one block of words.
        for n in [
            1,
            2,
            3,
            7,
            1000,
            30_000,
            (1 << 31) + 12_345,
            u32::MAX as usize,
            1 << 40,
        ] {
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            rng.set_stream(3);
            let mut draws = Draws::new(rng.clone());
            for k in 0..3 * WORDS {
                assert_eq!(draws.below(n), rng.random_range(0..n), "n {n}, draw {k}");
            }
        }
    }

    #[test]
    fn the_sums_of_draws_are_those_of_random_range() {
        use rand::RngExt;
        // Cells of several sizes, one after another from one generator (so the draws cross
        // blocks of words at every offset), summed as the bootstrap summed them before.
        let values: Vec<f64> = (0..5000).map(|k| f64::from(k % 97) / 7.0 + 1.0).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        rng.set_stream(1);
        let mut draws = Draws::new(rng.clone());
        for round in 0..40 {
            for len in [1, 2, 3, 10, 333, 1500, 5000] {
                let cell = &values[..len];
                let expected: f64 = (0..len).map(|_| cell[rng.random_range(0..len)]).sum();
                assert_eq!(
                    draws.sum_of(cell).to_bits(),
                    expected.to_bits(),
                    "{round} {len}"
                );
            }
        }
    }
}
