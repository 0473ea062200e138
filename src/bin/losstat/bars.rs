//! Progress bars on standard error (indicatif) for the library's progress reports
//! ([`losstat::progress`]), and each step's wall time with `--timings`.
//!
//! With `--timings`, on Linux, each line also gives the resident memory when the step ended
//! and the peak so far (`VmRSS` and `VmHWM` of `/proc/self/status`): the step where the peak
//! rises is the one that needs the memory. The peak is never reset (resetting it through
//! `/proc/self/clear_refs` would also reset what `time -v` reports for the whole run).

#![allow(
    clippy::print_stderr,
    reason = "the command line reports timings on standard error"
)]

use losstat::progress::{Progress, Step};

/// Progress bars on standard error for the long steps ([`losstat::progress`]).
/// With `timings`, each step's wall time is printed when it finishes.
pub struct Bars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    visible: bool,
    timings: Option<std::sync::Mutex<Option<(Step, std::time::Instant)>>>,
}

impl Bars {
    pub fn new(quiet: bool, timings: bool) -> Self {
        use std::io::IsTerminal;
        Self {
            current: std::sync::Mutex::new(None),
            visible: !quiet && std::io::stderr().is_terminal(),
            timings: timings.then(|| std::sync::Mutex::new(None)),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&mut Option<indicatif::ProgressBar>)) {
        if let Ok(mut bar) = self.current.lock() {
            f(&mut bar);
        }
    }
}

impl Progress for Bars {
    fn start(&self, step: Step, total: u64) {
        if let Some(Ok(mut started)) = self.timings.as_ref().map(|t| t.lock()) {
            *started = Some((step, std::time::Instant::now()));
        }
        if !self.visible {
            return;
        }
        let template = match (step, total) {
            (_, 0) => "{spinner} {msg} {elapsed}",
            (Step::Load, _) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
            _ => "{msg} [{bar:30}] {pos}/{len} ({eta})",
        };
        let bar = indicatif::ProgressBar::with_draw_target(
            (total > 0).then_some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("losstat: {}", step.label()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.with_bar(|slot| *slot = Some(bar));
    }

    fn advance(&self, units: u64) {
        self.with_bar(|slot| {
            if let Some(bar) = slot {
                bar.inc(units);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|slot| {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        });
        if let Some(Ok(mut started)) = self.timings.as_ref().map(|t| t.lock())
            && let Some((step, at)) = started.take()
        {
            let seconds = at.elapsed().as_secs_f64();
            match memory() {
                Some((now, peak)) => eprintln!(
                    "losstat: timing: {:<16} {seconds:>8.3} s  RSS {now:>6} MB  peak {peak:>6} MB",
                    step.label()
                ),
                None => eprintln!("losstat: timing: {:<16} {seconds:>8.3} s", step.label()),
            }
        }
    }
}

/// The resident memory now and its peak so far, in MB (10⁶ bytes), where the system tells
/// them (Linux: `VmRSS` and `VmHWM` of `/proc/self/status`, in kB).
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find_map(|l| l.strip_prefix(key))?;
        line.trim().strip_suffix("kB")?.trim().parse().ok()
    };
    Some((
        kb("VmRSS:")? * 1024 / 1_000_000,
        kb("VmHWM:")? * 1024 / 1_000_000,
    ))
}
