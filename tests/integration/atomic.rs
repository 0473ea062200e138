//! Outputs are written whole: a `kill -9` at any moment of a run that replaces earlier
//! outputs leaves either the previous complete set or the new complete set.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{compare_out, losstat};

/// How many runs are killed, at evenly spread moments.
const KILLS: u32 = 10;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let key = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                out.insert(key, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn simulate(dir: &Path, seed: &str) -> std::path::PathBuf {
    let path = dir.join(format!("sample-{seed}.csv"));
    losstat()
        .args(["simulate", "--scale", "0.1", "--seed", seed, "--out"])
        .arg(&path)
        .assert()
        .success();
    path
}

#[test]
fn kill_minus_nine_leaves_the_old_or_the_new_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_input, new_input) = (simulate(dir.path(), "1"), simulate(dir.path(), "2"));
    let (old_ref, new_ref) = (dir.path().join("old-ref"), dir.path().join("new-ref"));
    compare_out(&old_input, &old_ref, &[]);
    let started = Instant::now();
    compare_out(&new_input, &new_ref, &[]);
    let run_time = started.elapsed();
    let (old, new) = (snapshot(&old_ref), snapshot(&new_ref));
    assert_ne!(old, new);

    let out = dir.path().join("out");
    let (mut saw_old, mut saw_new) = (0, 0);
    for i in 0..KILLS {
        compare_out(&old_input, &out, &[]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_losstat"))
            .arg("compare")
            .arg(&new_input)
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Spread the kills over the whole run (and a little past its end).
        std::thread::sleep(run_time.mul_f64(f64::from(i) / f64::from(KILLS - 2)));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let now = snapshot(&out);
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            let keys: Vec<&String> = now.keys().collect();
            panic!(
                "kill {i} after {:?} left a mixed or partial set: {keys:?}",
                run_time.mul_f64(f64::from(i) / f64::from(KILLS - 2))
            );
        }
    }
    eprintln!("killed runs left the old outputs {saw_old} times, the new ones {saw_new} times");
    assert_eq!(saw_old + saw_new, KILLS);
    // The next run cleans up what killed runs left beside the output.
    compare_out(&new_input, &out, &[]);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".losstat-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(run_time > Duration::ZERO);
}

#[test]
fn render_in_memory_gives_the_files_of_compare_out() {
    use losstat::analysis::{self, AnalysisOptions};
    use losstat::model::QualityModel;
    use losstat::plot::{PlotOptions, compare::compare_figures};
    use losstat::report::{self, MARKER, RenderOptions};
    let dir = tempfile::tempdir().expect("tempdir");
    let input = simulate(dir.path(), "3");
    let out = dir.path().join("out");
    compare_out(&input, &out, &[]);
    let mut on_disk = snapshot(&out);
    assert!(on_disk.remove(MARKER).is_some());
    let analysis = analysis::analyze(
        std::slice::from_ref(&input),
        QualityModel::embedded().expect("model"),
        &AnalysisOptions::default(),
    )
    .expect("analysis");
    let figures = compare_figures(&analysis, &PlotOptions::default()).expect("figures");
    let files = report::render(&analysis, &figures, &RenderOptions::default()).expect("render");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "render lists the files by name");
    let in_memory: BTreeMap<String, Vec<u8>> =
        files.into_iter().map(|f| (f.name, f.bytes)).collect();
    assert_eq!(
        in_memory.keys().collect::<Vec<_>>(),
        on_disk.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &on_disk {
        assert!(in_memory[name] == *bytes, "{name} differs");
    }
}
