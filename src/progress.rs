//! Progress of the long steps, told to whoever wants to show it.
//!
//! The library draws nothing: each stage reports what it starts, how far it got, and when it
//! is done, to a [`Progress`] the caller passes in. The CLI turns that into bars on a
//! terminal (and shows nothing when standard error is not one, or with `--quiet`); a
//! library user passes [`Silent`], which is what the plain entry points such as
//! [`crate::analysis::analyze`] do.

/// A step of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading and parsing the inputs; measured in bytes.
    Load,
    /// Applying the filter rules.
    Filter,
    /// Rolling the ratings up to criterion, theme and overall scores.
    Rollup,
    /// Checking the export's own criterion, theme and overall scores against the roll-up
    /// (only when the export has them).
    ExportCheck,
    /// The pairwise comparisons; measured in pairs (permutations make each one long).
    Compare,
    /// Descriptives, densities and the deviation table.
    Describe,
    /// The case-mix analysis: standardisation, bootstrap, the linear and ordinal models.
    CaseMix,
    /// The comparison across periods (`--period`): bootstrap and permutations.
    Periods,
    /// Drawing the figures (reported by the caller that draws them; `compare --out` writes
    /// the workbook and the CSV tables at the same time, and counts them here).
    Figures,
    /// Rendering and writing the rest of the output files (reported by the caller that writes
    /// them).
    Write,
}

impl Step {
    /// What the step is doing, for a progress line.
    pub fn label(self) -> &'static str {
        match self {
            Step::Load => "loading",
            Step::Filter => "filtering",
            Step::Rollup => "rolling up",
            Step::ExportCheck => "export check",
            Step::Compare => "comparing",
            Step::Describe => "describing",
            Step::CaseMix => "case mix",
            Step::Periods => "periods",
            Step::Figures => "drawing figures",
            Step::Write => "writing",
        }
    }
}

/// Receives progress reports. Implementations must be cheap: `advance` may be called from
/// several threads at once.
pub trait Progress: Sync {
    /// `step` starts; `total` units of work, or 0 if unknown.
    fn start(&self, step: Step, total: u64);
    /// `units` more units of the current step are done.
    fn advance(&self, units: u64);
    /// The current step is done.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Step, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Runs `work` as step `step` of `progress` (started before, finished after, even if `work`
/// fails).
pub fn run<T>(progress: &dyn Progress, step: Step, work: impl FnOnce() -> T) -> T {
    progress.start(step, 0);
    let out = work();
    progress.finish();
    out
}
