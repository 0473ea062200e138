//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The `losstat` binary under test.
pub fn losstat() -> Command {
    Command::cargo_bin("losstat").expect("the losstat binary is built")
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("test file written");
    path
}

/// Runs `losstat compare INPUT --out OUT EXTRA...` and expects success.
pub fn compare_out(input: &Path, out: &Path, extra: &[&str]) {
    losstat()
        .arg("compare")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// Runs `command`, expects success (`what` names the run in the failure message), and
/// returns its standard output and standard error.
pub fn succeed(command: &mut Command, what: &str) -> std::process::Output {
    let output = command.output().expect("losstat runs");
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The results without the `input` block (which names the file and what was detected).
pub fn without_input(mut results: Value) -> Value {
    results
        .as_object_mut()
        .expect("object")
        .remove("input")
        .expect("input block present");
    results
}

/// `losstat simulate --out DIR/NAME --scale 0.05 --seed SEED EXTRA...` (about 2,700 ratings
/// of 95 visits).
pub fn simulate(dir: &Path, name: &str, seed: u64, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut command = losstat();
    command
        .arg("simulate")
        .arg("--out")
        .arg(&path)
        .args(["--scale", "0.05", "--seed", &seed.to_string(), "--quiet"])
        .args(extra);
    succeed(&mut command, "simulate");
    path
}

/// Runs `losstat compare PATH --format json` and returns the parsed results.
pub fn compare_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut command = losstat();
    command
        .arg("compare")
        .arg(path)
        .args(["--format", "json"])
        .args(extra);
    let output = succeed(&mut command, &format!("compare {}", path.display()));
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

/// The model's universal indicators, as written in research/kvalitetsmodel.md §4
/// (independent of the crate's CSV).
pub const UNIVERSAL: [&str; 22] = [
    "1.a", "1.b", "2.a", "2.c", "3.a", "3.b", "3.c", "4.a", "4.b", "5.a", "5.b", "5.c", "7.a",
    "8.a", "8.b", "9.a", "9.b", "9.c", "10.a", "10.b", "14.a", "14.b",
];

/// The model's conditional indicators (research/kvalitetsmodel.md §4, plus 9.d from LOS).
pub const CONDITIONAL: [&str; 7] = ["2.b", "2.d", "6.a", "6.b", "8.c", "9.d", "14.c"];

/// The five authorities.
pub const AUTHORITIES: [&str; 5] = [
    "Socialtilsyn Hovedstaden",
    "Socialtilsyn Midt",
    "Socialtilsyn Nord",
    "Socialtilsyn Syd",
    "Socialtilsyn Øst",
];
