//! What losstat says on standard error while it works: progress bars only on a terminal,
//! `--quiet` silences the notes, `--timings` names every step once, in pipeline order.

use crate::common::{losstat, succeed};

/// A small synthetic export in a fresh directory.
fn export() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("export.csv");
    losstat()
        .args(["simulate", "--scale", "0.05", "--seed", "3", "--out"])
        .arg(&input)
        .assert()
        .success();
    (dir, input)
}

/// Runs `compare INPUT --out DIR/name EXTRA...` and returns (stdout, stderr).
fn run(
    dir: &std::path::Path,
    input: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> (String, String) {
    let mut command = losstat();
    command
        .arg("compare")
        .arg(input)
        .arg("--out")
        .arg(dir.join(name))
        .args(extra);
    let output = succeed(&mut command, &format!("compare {}", input.display()));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn notes_quiet_and_timings() {
    let (dir, input) = export();
    let (plain_out, plain_err) = run(dir.path(), &input, "a", &[]);
    // Standard error is a pipe here: a note, and no bar (no carriage return, no escape codes).
    assert!(plain_err.contains("losstat: wrote "), "{plain_err}");
    assert!(
        !plain_err.contains('\r') && !plain_err.contains('\u{1b}'),
        "{plain_err:?}"
    );

    let (quiet_out, quiet_err) = run(dir.path(), &input, "b", &["--quiet"]);
    assert_eq!(quiet_err, "", "--quiet leaves standard error empty");
    assert_eq!(quiet_out, plain_out, "--quiet does not change the summary");

    let (timed_out, timed_err) = run(dir.path(), &input, "c", &["--quiet", "--timings"]);
    assert_eq!(timed_out, plain_out);
    let mut peaks = Vec::new();
    let steps: Vec<&str> = timed_err
        .lines()
        .map(|l| {
            let rest = l
                .strip_prefix("losstat: timing: ")
                .expect("only timing lines");
            // `NAME  SECONDS s`, and on Linux `  RSS N MB  peak M MB` after it.
            let (timed, memory) = rest.split_once(" s").expect("seconds");
            let (name, seconds) = timed.trim_end().rsplit_once(' ').expect("a step name");
            assert!(seconds.parse::<f64>().is_ok_and(|s| s >= 0.0), "{l}");
            if cfg!(target_os = "linux") {
                let mb: Vec<u64> = memory
                    .split_whitespace()
                    .filter_map(|w| w.parse().ok())
                    .collect();
                assert_eq!(memory.matches(" MB").count(), 2, "{l}");
                assert!(mb.len() == 2 && mb[0] > 0 && mb[0] <= mb[1], "{l}");
                peaks.push(mb[1]);
            }
            name.trim()
        })
        .collect();
    assert!(
        peaks.windows(2).all(|w| w[0] <= w[1]),
        "the peak so far never falls: {peaks:?}"
    );
    assert_eq!(
        steps,
        [
            "loading",
            "filtering",
            "rolling up",
            "comparing",
            "describing",
            "case mix",
            "drawing figures",
            "writing"
        ]
    );
}
