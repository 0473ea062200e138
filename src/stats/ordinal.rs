//! The proportional-odds (cumulative logit) model for ordered ratings, as R's
//! `ordinal::clm(y ~ x)` (Christensen 2019, "ordinal — Regression Models for Ordinal Data";
//! McCullagh 1980, JRSS B 42), with model-based and cluster-robust standard errors.
//!
//! Model: `logit P(Yᵢ ≤ j) = θⱼ − xᵢᵀβ`, `j = 1 … K−1`, θ increasing, no intercept in x; a
//! positive β shifts ratings upwards. Input: each observation's category (1 … K) and its
//! design row as the indices of its non-zero columns (the designs here are dummy codings, so
//! each row has a few ones); optionally a cluster id per observation. Output: an
//! [`OrdinalFit`]: thresholds, coefficients, the model-based covariance (the inverse observed
//! information, what `vcov(clm_fit)` returns), and the cluster-robust covariance.
//!
//! Method: Newton–Raphson on the log-likelihood with closed-form gradient and Hessian, from θ
//! at the logits of the cumulative marginal shares and β = 0, halving a step that does not
//! increase the likelihood, until the largest absolute gradient entry is below
//! [`GRADIENT_TOLERANCE`] (R's `clm.control(gradTol = 1e-10)`; clm's default, 1e-6, is looser).
//! The gradient is a sum over the observations, and its rounding error grows with their
//! number (about 1e-9 at ten million ratings), so 1e-10 can be out of reach: once the largest
//! gradient entry is below clm's default [`ROUNDING_FLOOR_TOLERANCE`] and an accepted Newton
//! step no longer makes it smaller, the fit has reached the rounding floor and stops there as
//! converged. (Without this rule, every fit of a national ten-year export ran 100 iterations
//! and failed; with it the fits that reached 1e-10 before are unchanged, bit for bit.)
//! Probabilities of a category are computed from the nearer tail, so a rating far in one
//! tail keeps its digits.
//!
//! Cluster-robust covariance (ratings of one visit are not independent):
//! `V = H⁻¹ (Σ_g s_g s_gᵀ) H⁻¹ · G/(G − 1)`, `s_g` the score summed over cluster g and G the
//! number of clusters (the small-sample factor of Stata's and `sandwich::vcovCL`'s `HC1`
//! clustering without the `(n−1)/(n−k)` term).
//!
//! Cost: the likelihood of an observation depends only on its category and design row, of
//! which there are few (at 10 M ratings, 5 categories × 5 authorities × offer types ×
//! indicators: a few thousand). [`OrdinalRows`] stores each distinct pair once as a cell
//! and each observation as its cell (2 bytes; the clusters as runs); every evaluation computes each
//! cell's terms once and then adds them observation by observation, in the observations'
//! order, so the sums are the same additions as one observation at a time (the same bits)
//! without the logistic functions, the logarithm or an allocation per observation. The sums
//! are split among the threads by index, each thread walking all observations in order, so
//! the result does not depend on the number of threads. The Hessian's two triangles receive
//! the same terms in the same order, so only the upper one is summed and then mirrored.
//!
//! Why not a crate: no maintained Rust crate fits cumulative-link models; the factorisations
//! are nalgebra's.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Convergence: the largest absolute gradient entry.
pub const GRADIENT_TOLERANCE: f64 = 1e-10;
/// Below this largest gradient entry (clm's default `gradTol`), a Newton step that does not
/// shrink the gradient ends the fit: the rounding floor is reached (see the module docs).
pub const ROUNDING_FLOOR_TOLERANCE: f64 = 1e-6;
/// Newton iterations at most.
const MAX_ITERATIONS: usize = 100;
/// Step halvings at most per iteration.
const MAX_HALVINGS: usize = 30;
/// Shares the sums of one evaluation are split into at most (one per thread).
const MAX_SHARES: usize = 8;

/// One observation: its category (1 … K), its non-zero design columns (all ones), its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrdinalRow {
    /// Category, 1-based.
    pub category: u8,
    /// Columns of the design that are 1 in this row.
    pub columns: Vec<u32>,
    /// Cluster (visit) of the observation.
    pub cluster: u32,
}

/// The observations of the model in compact form: each distinct (category, design columns)
/// once as a cell, per observation its cell (two bytes while there are at most 65,536 cells),
/// and the clusters as runs of consecutive observations (a visit's ratings come together:
/// one run per visit). At ten million ratings that is about 26 MB instead of 80 MB for a
/// cell and a cluster per observation. Build it with [`OrdinalRows::push`] and fit it with
/// [`clm_rows`].
///
/// # Examples
///
/// ```
/// use losstat::stats::ordinal::OrdinalRows;
/// let mut rows = OrdinalRows::default();
/// rows.push(2, &[0], 7);
/// rows.push(2, &[0], 8);
/// let cell = rows.push(1, &[], 8);
/// assert!(rows.push_cell(cell, 9));
/// // By hand: four observations, two distinct (category, columns) cells.
/// assert_eq!((rows.len(), rows.cells()), (4, 2));
/// ```
#[derive(Debug, Clone, Default)]
pub struct OrdinalRows {
    /// Distinct cells: the category, then the design columns.
    cells: Vec<Vec<u32>>,
    /// Cell of each key (the category, then the columns).
    index: HashMap<Vec<u32>, u32, foldhash::fast::RandomState>,
    /// Per observation: its cell.
    cell_of: CellOf,
    /// The clusters: each run's first observation and its cluster, a new run where the
    /// cluster changes.
    runs: Vec<(usize, u32)>,
    /// The key being looked up (reused, so a known cell costs no allocation).
    key: Vec<u32>,
}

impl OrdinalRows {
    /// Room for `n` observations.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            cell_of: CellOf::Narrow(Vec::with_capacity(n)),
            ..Self::default()
        }
    }

    /// Adds an observation: its category (1 … K), the design columns that are 1 in its row,
    /// and its cluster. Returns its cell, which [`Self::push_cell`] takes for another
    /// observation of the same category and columns (without looking them up again).
    pub fn push(&mut self, category: u8, columns: &[u32], cluster: u32) -> u32 {
        self.key.clear();
        self.key.push(u32::from(category));
        self.key.extend_from_slice(columns);
        let cell = match self.index.get(self.key.as_slice()) {
            Some(&cell) => cell,
            None => {
                let cell = self.cells.len() as u32;
                self.cells.push(self.key.clone());
                self.index.insert(self.key.clone(), cell);
                cell
            }
        };
        self.observe(cell, cluster);
        cell
    }

    /// Adds an observation of `cell` (as [`Self::push`] returned it) in `cluster`; `false`,
    /// and nothing added, when there is no such cell.
    pub fn push_cell(&mut self, cell: u32, cluster: u32) -> bool {
        let known = (cell as usize) < self.cells.len();
        if known {
            self.observe(cell, cluster);
        }
        known
    }

    /// Appends an observation of a known cell.
    fn observe(&mut self, cell: u32, cluster: u32) {
        if self.runs.last().is_none_or(|&(_, c)| c != cluster) {
            self.runs.push((self.len(), cluster));
        }
        self.cell_of.push(cell);
    }

    /// Calls `f` with the cell of each observation in `range`, in order.
    #[inline]
    fn cells_in(&self, range: std::ops::Range<usize>, mut f: impl FnMut(usize)) {
        match &self.cell_of {
            CellOf::Narrow(v) => v[range].iter().for_each(|&c| f(usize::from(c))),
            CellOf::Wide(v) => v[range].iter().for_each(|&c| f(c as usize)),
        }
    }

    /// Calls `f` with the cell of each observation, in order.
    #[inline]
    fn each_cell(&self, f: impl FnMut(usize)) {
        self.cells_in(0..self.len(), f);
    }

    /// The runs of observations of one cluster: (first, end, cluster).
    fn cluster_runs(&self) -> Vec<(usize, usize, u32)> {
        let ends = self.runs.iter().skip(1).map(|&(start, _)| start);
        self.runs
            .iter()
            .zip(ends.chain([self.len()]))
            .map(|(&(start, cluster), end)| (start, end, cluster))
            .collect()
    }

    /// Observations.
    pub fn len(&self) -> usize {
        match &self.cell_of {
            CellOf::Narrow(v) => v.len(),
            CellOf::Wide(v) => v.len(),
        }
    }

    /// Whether there are no observations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distinct (category, columns) cells.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }
}

/// The cell of each observation: `u16` codes while the cells fit, widened to `u32` after.
#[derive(Debug, Clone)]
enum CellOf {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for CellOf {
    fn default() -> Self {
        CellOf::Narrow(Vec::new())
    }
}

/// A cell code of [`CellOf`], as an index.
trait CellCode: Copy {
    fn index(self) -> usize;
}

impl CellCode for u16 {
    #[inline]
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl CellCode for u32 {
    #[inline]
    fn index(self) -> usize {
        self as usize
    }
}

impl CellOf {
    fn push(&mut self, cell: u32) {
        match self {
            CellOf::Narrow(v) => match u16::try_from(cell) {
                Ok(narrow) => v.push(narrow),
                Err(_) => {
                    let mut wide = Vec::with_capacity(v.capacity());
                    wide.extend(v.iter().map(|&c| u32::from(c)));
                    wide.push(cell);
                    *self = CellOf::Wide(wide);
                }
            },
            CellOf::Wide(v) => v.push(cell),
        }
    }
}

/// A fitted proportional-odds model.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdinalFit {
    /// θ₁ … θ_{K−1}.
    pub thresholds: Vec<f64>,
    /// One coefficient per design column.
    pub coefficients: Vec<f64>,
    /// Model-based covariance of (θ, β), thresholds first.
    pub vcov: DMatrix<f64>,
    /// Cluster-robust covariance of (θ, β).
    pub vcov_cluster: DMatrix<f64>,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Clusters.
    pub clusters: usize,
}

impl OrdinalFit {
    /// Model-based standard error of parameter `k` (thresholds first, then coefficients).
    pub fn se(&self, k: usize) -> f64 {
        self.vcov[(k, k)].sqrt()
    }

    /// Cluster-robust standard error of parameter `k`.
    pub fn se_cluster(&self, k: usize) -> f64 {
        self.vcov_cluster[(k, k)].sqrt()
    }

    /// `cᵀβ` for a contrast `c` of the first `c.len()` coefficients.
    pub fn contrast(&self, c: &[f64]) -> f64 {
        c.iter().zip(&self.coefficients).map(|(c, b)| c * b).sum()
    }

    /// The standard error `√(cᵀ V c)` of [`contrast`](Self::contrast)`(c)`, with `V` the
    /// coefficients' block of `vcov` (this fit's [`vcov`](Self::vcov) or
    /// [`vcov_cluster`](Self::vcov_cluster)).
    pub fn contrast_se(&self, c: &[f64], vcov: &DMatrix<f64>) -> f64 {
        let offset = self.thresholds.len();
        let mut v = 0.0;
        for (i, ci) in c.iter().enumerate() {
            for (j, cj) in c.iter().enumerate() {
                v += ci * cj * vcov[(offset + i, offset + j)];
            }
        }
        v.sqrt()
    }
}

/// The logistic CDF.
fn cdf(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The logistic density and its derivative at `z` (0 at ±∞).
fn density(z: f64) -> (f64, f64) {
    if z.is_infinite() {
        return (0.0, 0.0);
    }
    let f = cdf(z);
    let d = f * (1.0 - f);
    (d, d * (1.0 - 2.0 * f))
}

/// `F(u) − F(l)` from the nearer tail.
fn band(u: f64, l: f64) -> f64 {
    if l > 0.0 {
        cdf(-l) - cdf(-u)
    } else {
        cdf(u) - cdf(l)
    }
}

/// The problem: categories, sparse design, parameter count.
struct Problem<'a> {
    rows: &'a OrdinalRows,
    /// Categories K.
    k: usize,
    /// Design columns.
    p: usize,
}

/// One observation's part of the likelihood: `p = F(u) − F(l)` with `u`, `l` its upper and
/// lower threshold minus η, the densities `f` and their derivatives `df` at `u` and `l`, and
/// `∂ℓ/∂η`.
#[derive(Debug, Clone, Copy)]
struct Terms {
    p: f64,
    fu: f64,
    fl: f64,
    dfu: f64,
    dfl: f64,
    d_eta: f64,
}

/// One observation's log-likelihood, its score (parameter index, derivative) and the terms
/// of its second derivatives.
struct Contribution {
    log_likelihood: f64,
    score: Vec<(usize, f64)>,
    terms: Terms,
}

/// One cell's part of an evaluation: its log-likelihood and, for each entry of the
/// gradient and of the Hessian (column-major, after the gradient) it adds to, the index and
/// the amount, in the order one observation adds them.
struct CellPart {
    log_likelihood: f64,
    adds: Vec<(usize, f64)>,
}

/// Log-likelihood, gradient and Hessian at one parameter vector (θ then β).
struct Evaluation {
    log_likelihood: f64,
    gradient: DVector<f64>,
    hessian: DMatrix<f64>,
}

impl Problem<'_> {
    fn parameters(&self) -> usize {
        self.k - 1 + self.p
    }

    /// θ bounds of observation with category `y` (1-based): (upper index, lower index).
    fn bounds(&self, theta: &[f64], y: usize) -> (f64, f64) {
        let upper = if y < self.k {
            theta[y - 1]
        } else {
            f64::INFINITY
        };
        let lower = if y > 1 {
            theta[y - 2]
        } else {
            f64::NEG_INFINITY
        };
        (upper, lower)
    }

    /// The linear predictor of a row.
    fn eta(columns: &[u32], beta: &[f64]) -> f64 {
        columns.iter().map(|&c| beta[c as usize]).sum()
    }

    /// A cell's category and design columns.
    fn cell(&self, cell: usize) -> (usize, &[u32]) {
        match self.rows.cells[cell].split_first() {
            Some((&y, columns)) => (y as usize, columns),
            None => (0, &[]),
        }
    }

    /// One observation's log-likelihood and score, with the parameter indices they touch.
    /// Returns `None` when the observation's probability is 0 (θ out of order).
    fn score(&self, params: &[f64], cell: usize) -> Option<Contribution> {
        let (theta, beta) = params.split_at(self.k - 1);
        let (y, columns) = self.cell(cell);
        let eta = Self::eta(columns, beta);
        let (upper, lower) = self.bounds(theta, y);
        let (u, l) = (upper - eta, lower - eta);
        let p = band(u, l);
        if p.is_nan() || p <= 0.0 {
            return None;
        }
        let ((fu, dfu), (fl, dfl)) = (density(u), density(l));
        let mut touched = Vec::with_capacity(2 + columns.len());
        if y < self.k {
            touched.push((y - 1, fu / p));
        }
        if y > 1 {
            touched.push((y - 2, -fl / p));
        }
        let d_eta = -(fu - fl) / p;
        for &c in columns {
            touched.push((self.k - 1 + c as usize, d_eta));
        }
        Some(Contribution {
            log_likelihood: p.ln(),
            score: touched,
            terms: Terms {
                p,
                fu,
                fl,
                dfu,
                dfl,
                d_eta,
            },
        })
    }

    /// Log-likelihood, gradient and Hessian at `params`; `None` if some probability is 0.
    /// Each cell's part is computed once, then added observation by observation in their
    /// order: every sum receives the same terms in the same order as when each observation
    /// is computed on its own (each observation adds at most once to each entry). The sums
    /// are independent of one another, so they are split among the threads by index
    /// (entry i goes to share `i mod shares`); each share walks all the observations in order,
    /// so every sum, and the result, is the same for any number of threads. Each cell adds the
    /// same amount to the Hessian entries `(r, c)` and `(c, r)`, so the two sums receive the
    /// same terms in the same order and are equal to the bit: only the upper triangle is
    /// summed, and mirrored (a third fewer additions).
    fn evaluate(&self, params: &[f64]) -> Option<Evaluation> {
        let n = self.parameters();
        let parts = (0..self.rows.cells.len())
            .map(|cell| self.part(params, cell))
            .collect::<Option<Vec<CellPart>>>()?;
        let shares = rayon::current_num_threads().clamp(1, MAX_SHARES);
        let summed: Vec<(f64, Vec<f64>)> = (0..shares)
            .into_par_iter()
            .map(|share| self.share_sums(&parts, share, shares))
            .collect();
        let log_likelihood = summed.first().map_or(0.0, |(l, _)| *l);
        let sums: Vec<f64> = (0..n + n * n).map(|i| summed[i % shares].1[i]).collect();
        let mut hessian = DMatrix::from_column_slice(n, n, &sums[n..]);
        hessian.fill_lower_triangle_with_upper_triangle();
        Some(Evaluation {
            log_likelihood,
            gradient: DVector::from_column_slice(&sums[..n]),
            hessian,
        })
    }

    /// One share's sums (see [`Self::evaluate`]): the entries `i` with `i mod shares == share`,
    /// and the log-likelihood in the first share only (0 in the others, which skip it). The cells' additions
    /// to these entries are laid out one after another (cell `c`'s from `start[c]` to
    /// `start[c + 1]`), so the walk over the observations reads them without a pointer chase.
    fn share_sums(&self, parts: &[CellPart], share: usize, shares: usize) -> (f64, Vec<f64>) {
        let n = self.parameters();
        let mut start = Vec::with_capacity(parts.len() + 1);
        let mut adds: Vec<(usize, f64)> = Vec::new();
        start.push(0);
        for part in parts {
            adds.extend(part.adds.iter().filter(|(i, _)| i % shares == share));
            start.push(adds.len());
        }
        let mut sums = vec![0.0f64; n + n * n];
        let first = share == 0;
        let log_likelihood = match &self.rows.cell_of {
            CellOf::Narrow(cells) => add_up(cells, parts, (&adds, &start), first, &mut sums),
            CellOf::Wide(cells) => add_up(cells, parts, (&adds, &start), first, &mut sums),
        };
        (log_likelihood, sums)
    }

    /// A cell's log-likelihood and its additions to the gradient, then to the Hessian, in
    /// the order one observation of the cell adds them.
    fn part(&self, params: &[f64], cell: usize) -> Option<CellPart> {
        let c = self.score(params, cell)?;
        let n = self.parameters();
        let mut adds = c.score;
        self.add_hessian(&mut adds, cell, c.terms, n);
        // The lower triangle is the mirror of the upper (see `evaluate`): it is not summed.
        adds.retain(|&(i, _)| i < n || (i - n) % n <= (i - n) / n);
        Some(CellPart {
            log_likelihood: c.log_likelihood,
            adds,
        })
    }

    /// A cell's second derivatives (see the module docs for the model), as additions to the
    /// Hessian entry `(r, c)` at index `n + c·n + r` (after the gradient's `n`).
    fn add_hessian(&self, adds: &mut Vec<(usize, f64)>, cell: usize, t: Terms, n: usize) {
        let Terms {
            p,
            fu,
            fl,
            dfu,
            dfl,
            d_eta,
        } = t;
        let (y, columns) = self.cell(cell);
        let mut h = |r: usize, c: usize, v: f64| adds.push((n + c * n + r, v));
        let (has_upper, has_lower) = (y < self.k, y > 1);
        let (ju, jl) = (y.wrapping_sub(1), y.wrapping_sub(2));
        // ∂²ℓ/∂θ∂θ, ∂²ℓ/∂θ∂η and ∂²ℓ/∂η².
        let uu = dfu / p - (fu / p).powi(2);
        let ll = -dfl / p - (fl / p).powi(2);
        let ul = fu * fl / (p * p);
        let ue = -dfu / p - (fu / p) * d_eta;
        let le = dfl / p + (fl / p) * d_eta;
        let ee = (dfu - dfl) / p - d_eta * d_eta;
        if has_upper {
            h(ju, ju, uu);
        }
        if has_lower {
            h(jl, jl, ll);
        }
        if has_upper && has_lower {
            h(ju, jl, ul);
            h(jl, ju, ul);
        }
        let offset = self.k - 1;
        for &a in columns {
            let ia = offset + a as usize;
            if has_upper {
                h(ju, ia, ue);
                h(ia, ju, ue);
            }
            if has_lower {
                h(jl, ia, le);
                h(ia, jl, le);
            }
            for &b in columns {
                h(ia, offset + b as usize, ee);
            }
        }
    }

    /// θ at the logits of the cumulative marginal shares, β = 0.
    fn start(&self) -> Vec<f64> {
        let mut counts = vec![0.0; self.k];
        self.rows
            .each_cell(|cell| counts[self.cell(cell).0 - 1] += 1.0);
        let total: f64 = counts.iter().sum();
        let mut cumulative = 0.0;
        let mut params: Vec<f64> = counts[..self.k - 1]
            .iter()
            .map(|c| {
                cumulative += c;
                let share = cumulative / total;
                (share / (1.0 - share)).ln()
            })
            .collect();
        params.resize(self.parameters(), 0.0);
        params
    }
}

/// The walk of [`Problem::share_sums`]: each observation's additions (`adds` of its cell,
/// from `start[cell]` to `start[cell + 1]`) added to `sums` in the observations' order, and
/// their log-likelihoods summed when `first` (else 0). A plain loop for each width of the
/// cell codes, so that it compiles as tight as a loop over one vector.
fn add_up<C: CellCode>(
    cells: &[C],
    parts: &[CellPart],
    (adds, start): (&[(usize, f64)], &[usize]),
    first: bool,
    sums: &mut [f64],
) -> f64 {
    let mut log_likelihood = 0.0;
    for &cell in cells {
        let cell = cell.index();
        if first {
            log_likelihood += parts[cell].log_likelihood;
        }
        for &(i, v) in &adds[start[cell]..start[cell + 1]] {
            sums[i] += v;
        }
    }
    log_likelihood
}

/// Fits the proportional-odds model to `rows` with `categories` ordered categories and
/// `columns` design columns (see the module docs).
///
/// # Errors
/// [`Error::InvalidParameter`] when a category is outside 1…K, a category has no observation
/// (its threshold is not estimable), a column index is out of range, the information matrix
/// is singular (a column with no variation, or collinear columns), or Newton–Raphson does not
/// converge.
pub fn clm(rows: &[OrdinalRow], categories: u8, columns: usize) -> Result<OrdinalFit> {
    let mut compact = OrdinalRows::with_capacity(rows.len());
    for row in rows {
        compact.push(row.category, &row.columns, row.cluster);
    }
    clm_rows(&compact, categories, columns)
}

/// [`clm`] on observations in compact form (the same fit, to the bit).
///
/// # Errors
/// As [`clm`].
pub fn clm_rows(rows: &OrdinalRows, categories: u8, columns: usize) -> Result<OrdinalFit> {
    let problem = Problem {
        rows,
        k: usize::from(categories),
        p: columns,
    };
    check(&problem)?;
    let invalid = |value: String, expected: &'static str| Error::InvalidParameter {
        name: "ordinal model",
        value,
        expected,
    };
    let mut params = problem.start();
    let mut current = problem
        .evaluate(&params)
        .ok_or_else(|| invalid("a zero probability at the start".to_string(), "valid data"))?;
    let mut iterations = 0;
    while current.gradient.amax() > GRADIENT_TOLERANCE {
        iterations += 1;
        if iterations > MAX_ITERATIONS {
            return Err(invalid(
                format!(
                    "largest gradient {} after {MAX_ITERATIONS} iterations",
                    current.gradient.amax()
                ),
                "a model that converges (is one category or design column almost empty?)",
            ));
        }
        let step = (-current.hessian.clone())
            .cholesky()
            .map(|c| c.solve(&current.gradient))
            .ok_or_else(|| {
                invalid(
                    "a singular information matrix".to_string(),
                    "estimable parameters",
                )
            })?;
        let before = current.gradient.amax();
        (params, current) = line_search(&problem, &params, &step, current.log_likelihood)
            .ok_or_else(|| {
                invalid(
                    "no step increases the likelihood".to_string(),
                    "a model that converges",
                )
            })?;
        if before < ROUNDING_FLOOR_TOLERANCE && current.gradient.amax() >= before {
            break;
        }
    }
    finish(&problem, &params, &current, iterations)
}

/// The first of step, step/2, step/4 … that increases the log-likelihood.
fn line_search(
    problem: &Problem<'_>,
    params: &[f64],
    step: &DVector<f64>,
    log_likelihood: f64,
) -> Option<(Vec<f64>, Evaluation)> {
    let mut scale = 1.0;
    for _ in 0..=MAX_HALVINGS {
        let trial: Vec<f64> = params
            .iter()
            .zip(step.iter())
            .map(|(p, s)| p + scale * s)
            .collect();
        if let Some(evaluation) = problem.evaluate(&trial)
            && evaluation.log_likelihood >= log_likelihood - 1e-12 * log_likelihood.abs()
        {
            return Some((trial, evaluation));
        }
        scale /= 2.0;
    }
    None
}

/// The fit at the optimum: both covariances.
fn finish(
    problem: &Problem<'_>,
    params: &[f64],
    at: &Evaluation,
    iterations: usize,
) -> Result<OrdinalFit> {
    let information = (-at.hessian.clone())
        .cholesky()
        .ok_or_else(|| Error::InvalidParameter {
            name: "ordinal model",
            value: "a singular information matrix at the optimum".to_string(),
            expected: "estimable parameters",
        })?;
    let vcov = information.inverse();
    let (meat, g) = cluster_meat(problem, params);
    let factor = if g > 1 {
        g as f64 / (g as f64 - 1.0)
    } else {
        f64::NAN
    };
    let vcov_cluster = &vcov * meat * &vcov * factor;
    let (thresholds, coefficients) = params.split_at(problem.k - 1);
    Ok(OrdinalFit {
        thresholds: thresholds.to_vec(),
        coefficients: coefficients.to_vec(),
        vcov,
        vcov_cluster,
        log_likelihood: at.log_likelihood,
        iterations,
        clusters: g,
    })
}

/// `Σ_g s_g s_gᵀ` over the clusters in ascending order, `s_g` the scores of cluster g's
/// observations summed in their order, and the number of clusters.
fn cluster_meat(problem: &Problem<'_>, params: &[f64]) -> (DMatrix<f64>, usize) {
    let n = problem.parameters();
    let scores: Vec<Option<Vec<(usize, f64)>>> = (0..problem.rows.cells.len())
        .map(|cell| problem.score(params, cell).map(|c| c.score))
        .collect();
    // The observations by cluster, each cluster's in their order: the runs as they are when
    // each cluster's observations come together in cluster order (as the analysis gives
    // them), else the runs stably sorted by cluster, which is the same order as the
    // observations stably sorted by cluster.
    let mut runs = problem.rows.cluster_runs();
    if !runs.is_sorted_by_key(|&(_, _, cluster)| cluster) {
        runs.sort_by_key(|&(_, _, cluster)| cluster);
    }
    let mut meat = DMatrix::<f64>::zeros(n, n);
    let mut clusters = 0;
    let mut current: Option<(u32, Vec<f64>)> = None;
    for (first, end, cluster) in runs {
        problem.rows.cells_in(first..end, |cell| {
            let Some(score) = &scores[cell] else {
                return;
            };
            if current.as_ref().is_none_or(|(c, _)| *c != cluster) {
                if let Some((_, s)) = current.as_mut() {
                    add_outer(&mut meat, s);
                    s.fill(0.0);
                }
                clusters += 1;
                let s = current.take().map_or_else(|| vec![0.0; n], |(_, s)| s);
                current = Some((cluster, s));
            }
            if let Some((_, s)) = current.as_mut() {
                for &(i, g) in score {
                    s[i] += g;
                }
            }
        });
    }
    if let Some((_, s)) = current {
        add_outer(&mut meat, &s);
    }
    meat.fill_lower_triangle_with_upper_triangle();
    (meat, clusters)
}

/// Adds `s sᵀ` to the upper triangle of `meat` in place: entry `(i, j)` gets `s_i · s_j`, the
/// product `meat += &s * s.transpose()` adds there, without the matrix it allocates. The
/// lower triangle's sums are the same (`s_j · s_i` is `s_i · s_j`), so the caller mirrors the
/// upper one once at the end.
fn add_outer(meat: &mut DMatrix<f64>, s: &[f64]) {
    for (j, &sj) in s.iter().enumerate() {
        for (i, &si) in s[..=j].iter().enumerate() {
            meat[(i, j)] += si * sj;
        }
    }
}

/// Categories in range, every category present, columns in range.
fn check(problem: &Problem<'_>) -> Result<()> {
    let invalid = |value: String, expected: &'static str| Error::InvalidParameter {
        name: "ordinal model",
        value,
        expected,
    };
    if problem.k < 2 {
        return Err(invalid(
            format!("{} categories", problem.k),
            "at least 2 categories",
        ));
    }
    let mut seen = vec![false; problem.k];
    // Cells in the order of their first observation: the first bad cell is the first bad row.
    for cell in 0..problem.rows.cells.len() {
        let (y, columns) = problem.cell(cell);
        if !(1..=problem.k).contains(&y) {
            return Err(invalid(format!("category {y}"), "categories 1 … K"));
        }
        seen[y - 1] = true;
        if let Some(&c) = columns.iter().find(|&&c| c as usize >= problem.p) {
            return Err(invalid(
                format!("column {c}"),
                "columns below the design width",
            ));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(invalid(
            format!("no observation in category {}", missing + 1),
            "every category observed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(category: u8, columns: &[u32], cluster: u32) -> OrdinalRow {
        OrdinalRow {
            category,
            columns: columns.to_vec(),
            cluster,
        }
    }

    /// 3000 observations of 5 categories on 4 dummy columns, from a fixed linear congruential
    /// sequence started at `seed`; observation r in cluster `cluster(r)`.
    fn sequence_rows(seed: u64, cluster: impl Fn(u32) -> u32) -> Vec<OrdinalRow> {
        let mut lcg = crate::stats::reference::Lcg::new(seed);
        let mut next = |m: u64| lcg.below(m);
        (0..3000)
            .map(|r| {
                let columns: Vec<u32> = (0..4).filter(|_| next(3) == 0).collect();
                let shift = columns.len() as u64;
                let category = (1 + (next(4) + shift).min(4)) as u8;
                row(category, &columns, cluster(r))
            })
            .collect()
    }

    #[test]
    fn without_covariates_the_thresholds_are_the_cumulative_logits() {
        // With no x the MLE of θⱼ is logit of the cumulative share (by hand: shares 1/4, 2/4,
        // 1/4 give θ = logit(1/4) = −ln 3 and logit(3/4) = ln 3).
        let rows = [
            row(1, &[], 0),
            row(2, &[], 1),
            row(2, &[], 2),
            row(3, &[], 3),
        ];
        let fit = clm(&rows, 3, 0).expect("fits");
        assert!(
            (fit.thresholds[0] + 3f64.ln()).abs() < 1e-12,
            "{:?}",
            fit.thresholds
        );
        assert!((fit.thresholds[1] - 3f64.ln()).abs() < 1e-12);
        assert_eq!(fit.iterations, 0, "the start is the optimum");
    }

    #[test]
    fn a_binary_outcome_is_logistic_regression() {
        // K = 2 with one dummy: logit P(Y = 2) = −θ + β x. Groups x = 0: 1 of 4 high; x = 1:
        // 3 of 4 high, so −θ = logit(1/4) and β = logit(3/4) − logit(1/4) = 2 ln 3 (by hand).
        let mut rows = Vec::new();
        for (x, highs) in [(0u32, 1), (1u32, 3)] {
            for i in 0..4 {
                let columns: &[u32] = if x == 1 { &[0] } else { &[] };
                rows.push(row(if i < highs { 2 } else { 1 }, columns, x * 10 + i));
            }
        }
        let fit = clm(&rows, 2, 1).expect("fits");
        assert!(
            (fit.thresholds[0] - 3f64.ln()).abs() < 1e-10,
            "{:?}",
            fit.thresholds
        );
        assert!((fit.coefficients[0] - 2.0 * 3f64.ln()).abs() < 1e-10);
        // Model-based variance of β: 1/(4·(1/4)(3/4)) + 1/(4·(3/4)(1/4)) = 8/3 (logistic
        // regression with two groups of 4, by hand).
        assert!((fit.vcov[(1, 1)] - 8.0 / 3.0).abs() < 1e-9, "{}", fit.vcov);
    }

    #[test]
    fn the_fit_is_the_same_to_the_bit_for_any_number_of_threads() {
        // 3000 observations of 5 categories on 4 dummy columns in 300 clusters.
        let rows = sequence_rows(12_345, |r| r / 10);
        let fit_with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| clm(&rows, 5, 4).expect("fits"))
        };
        let bits = |fit: &OrdinalFit| -> Vec<u64> {
            fit.thresholds
                .iter()
                .chain(&fit.coefficients)
                .chain(fit.vcov.iter())
                .chain(fit.vcov_cluster.iter())
                .map(|x| x.to_bits())
                .collect()
        };
        let one = fit_with(1);
        for threads in [2, 3, 8] {
            assert_eq!(bits(&fit_with(threads)), bits(&one), "{threads} threads");
        }
    }

    #[test]
    fn a_contrast_of_one_coefficient_has_its_standard_error() {
        let fit = clm(&sequence_rows(777, |r| r / 10), 5, 4).expect("fits");
        let k = fit.thresholds.len() + 2;
        let c = [0.0, 0.0, 1.0];
        assert_eq!(fit.contrast(&c), fit.coefficients[2]);
        assert!((fit.contrast_se(&c, &fit.vcov) - fit.se(k)).abs() < 1e-15);
        assert!((fit.contrast_se(&c, &fit.vcov_cluster) - fit.se_cluster(k)).abs() < 1e-15);
        // A difference of two coefficients: Var(β₁ − β₂) = V₁₁ + V₂₂ − 2V₁₂.
        let (i, j) = (fit.thresholds.len(), fit.thresholds.len() + 1);
        let v = &fit.vcov;
        let want = (v[(i, i)] + v[(j, j)] - 2.0 * v[(i, j)]).sqrt();
        assert!((fit.contrast_se(&[1.0, -1.0], v) - want).abs() < 1e-12 * want);
    }

    #[test]
    fn interleaved_clusters_are_gathered_as_grouped_ones() {
        // 3000 observations of 300 clusters, cluster r % 300 (every visit's ratings spread
        // out), against the same observations grouped by cluster in a stable order: the same
        // clusters and, up to the order of the likelihood's sums, the same covariance.
        let rows = sequence_rows(54_321, |r| r % 300);
        let mut grouped = rows.clone();
        grouped.sort_by_key(|o| o.cluster);
        let (spread, together) = (
            clm(&rows, 5, 4).expect("fits"),
            clm(&grouped, 5, 4).expect("fits"),
        );
        assert_eq!((spread.clusters, together.clusters), (300, 300));
        for (a, b) in spread.vcov_cluster.iter().zip(together.vcov_cluster.iter()) {
            assert!((a - b).abs() <= 1e-8 * b.abs().max(1e-12), "{a} vs {b}");
        }
    }

    /// Each observation's cell and cluster, in order.
    fn observations(rows: &OrdinalRows) -> Vec<(usize, u32)> {
        let mut all = Vec::new();
        for (first, end, cluster) in rows.cluster_runs() {
            rows.cells_in(first..end, |cell| all.push((cell, cluster)));
        }
        all
    }

    #[test]
    fn the_cluster_meat_by_runs_is_that_of_the_observations_sorted_by_cluster() {
        // Clusters spread out (r % 300), in order (r / 10), and in runs out of order (a
        // cluster's observations in two runs): the meat summed run by run against the
        // observations stably sorted by cluster and summed one at a time, to the bit.
        for cluster in [|r: u32| r % 300, |r: u32| r / 10, |r: u32| (r / 7) % 50] {
            let rows = sequence_rows(2024, cluster);
            let mut compact = OrdinalRows::default();
            for row in &rows {
                compact.push(row.category, &row.columns, row.cluster);
            }
            let problem = Problem {
                rows: &compact,
                k: 5,
                p: 4,
            };
            let params = [-1.2, -0.1, 0.6, 1.5, 0.3, -0.2, 0.1, 0.4];
            let n = problem.parameters();
            let mut sorted = observations(&compact);
            sorted.sort_by_key(|&(_, cluster)| cluster);
            let mut meat = DMatrix::<f64>::zeros(n, n);
            let mut clusters = 0;
            for group in sorted.chunk_by(|a, b| a.1 == b.1) {
                let mut s = vec![0.0; n];
                for &(cell, _) in group {
                    for (i, g) in problem.score(&params, cell).expect("positive").score {
                        s[i] += g;
                    }
                }
                meat += DMatrix::from_column_slice(n, 1, &s) * DMatrix::from_row_slice(1, n, &s);
                clusters += 1;
            }
            let (by_runs, counted) = cluster_meat(&problem, &params);
            assert_eq!(counted, clusters);
            for (a, b) in by_runs.iter().zip(meat.iter()) {
                assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn cells_widen_past_two_bytes_and_keep_their_order() {
        // 70,000 distinct cells (one column each) need four-byte codes; the first, the
        // 65,536th and the last keep their cells, and every observation is counted.
        let mut rows = OrdinalRows::default();
        for c in 0..70_000u32 {
            assert_eq!(rows.push(1 + (c % 2) as u8, &[c], c / 3), c);
        }
        assert!(rows.push_cell(65_535, 7));
        let cells = observations(&rows);
        assert_eq!((rows.len(), rows.cells()), (70_001, 70_000));
        assert_eq!(cells[0], (0, 0));
        assert_eq!(cells[65_535], (65_535, 21_845));
        assert_eq!(cells[69_999], (69_999, 23_333));
        assert_eq!(cells[70_000], (65_535, 7));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(
            clm(&[row(1, &[], 0), row(3, &[], 1)], 3, 0).is_err(),
            "category 2 missing"
        );
        assert!(
            clm(&[row(1, &[5], 0), row(2, &[], 1)], 2, 1).is_err(),
            "column out of range"
        );
        assert!(
            clm(&[row(0, &[], 0), row(2, &[], 1)], 2, 0).is_err(),
            "category 0"
        );
    }

    #[test]
    fn an_evaluation_is_the_sum_of_the_observations_one_at_a_time() {
        // 2000 observations of 4 categories on 3 dummy columns (some rows with two), from a
        // fixed linear congruential sequence; the parameters away from the optimum.
        let mut lcg = crate::stats::reference::Lcg::new(99);
        let mut next = |m: u64| lcg.below(m);
        let mut rows = OrdinalRows::default();
        for r in 0..2000 {
            let columns: Vec<u32> = (0..3).filter(|_| next(2) == 0).collect();
            rows.push((1 + next(4)) as u8, &columns, r / 7);
        }
        let problem = Problem {
            rows: &rows,
            k: 4,
            p: 3,
        };
        let params = [-1.1, 0.2, 1.3, 0.4, -0.3, 0.7];
        let n = problem.parameters();
        // Every observation's full score and Hessian, added to the sums one after another.
        let mut sums = vec![0.0f64; n + n * n];
        let mut log_likelihood = 0.0;
        rows.each_cell(|cell| {
            let c = problem.score(&params, cell).expect("positive");
            let mut adds = c.score;
            problem.add_hessian(&mut adds, cell, c.terms, n);
            log_likelihood += c.log_likelihood;
            for (i, v) in adds {
                sums[i] += v;
            }
        });
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("pool");
        let evaluation = pool
            .install(|| problem.evaluate(&params))
            .expect("evaluates");
        let bits = |x: &[f64]| x.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(
            evaluation.log_likelihood.to_bits(),
            log_likelihood.to_bits()
        );
        assert_eq!(bits(evaluation.gradient.as_slice()), bits(&sums[..n]));
        assert_eq!(bits(evaluation.hessian.as_slice()), bits(&sums[n..]));
    }
}
