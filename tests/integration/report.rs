//! `compare --out` writes the complete set of outputs, and `report.html` opens offline in a
//! real browser (headless Chromium) with no console errors, and prints to PDF on A4 pages. Locally the browser check skips
//! with a message when Chromium is absent; under CI (`CI` set) it must run.

use std::path::Path;
use std::process::Command;

use crate::common::{compare_out, losstat};

fn sample(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("sample.csv");
    losstat()
        .args([
            "simulate", "--scale", "0.1", "--seed", "3", "--dirty", "--out",
        ])
        .arg(&path)
        .assert()
        .success();
    path
}

/// The figures every `compare --out` writes, each as SVG and PNG (plus one spider chart per
/// authority, `fig5_spider_1` …).
const FIGURES: [&str; 6] = [
    "fig1_score_shares",
    "fig2_overall_distribution",
    "fig2_overall_distribution_overlay",
    "fig3_deviation_heatmap",
    "fig4_ks_matrix",
    "fig6_completeness",
];

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (be(16), be(20))
}

/// Width and height of an SVG's root element.
fn svg_size(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).expect("SVG parses as XML");
    let root = doc.root_element();
    let number = |name: &str| {
        root.attribute(name)
            .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
            .unwrap_or_else(|| panic!("svg {name}"))
    };
    (number("width"), number("height"))
}

#[test]
fn compare_out_writes_every_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample(dir.path());
    let out = dir.path().join("results");
    compare_out(&input, &out, &["--dpi", "300", "--lang", "en"]);
    for name in [
        "results.json",
        "report.html",
        "exclusions.csv",
        "filter.csv",
        "authorities.csv",
        "visits.csv",
        "themes.csv",
        "criteria.csv",
        "ks.csv",
        "deviation.csv",
        "kde.csv",
        "histogram.csv",
        "completeness.csv",
    ] {
        let meta = std::fs::metadata(out.join(name)).unwrap_or_else(|_| panic!("{name} written"));
        assert!(meta.len() > 0, "{name} is empty");
    }
    let spiders: Vec<String> = (1..=5).map(|k| format!("fig5_spider_{k}")).collect();
    let all: Vec<&str> = FIGURES
        .iter()
        .copied()
        .chain(spiders.iter().map(String::as_str))
        .collect();
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    // Self-contained: no script, nothing fetched (the SVG namespace URI is not a fetch).
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("url(http")
    );
    for figure in &all {
        let svg = std::fs::read_to_string(out.join("figures").join(format!("{figure}.svg")))
            .unwrap_or_else(|_| panic!("{figure}.svg written"));
        let (w, h) = svg_size(&svg);
        let png = std::fs::read(out.join("figures").join(format!("{figure}.png"))).expect("png");
        // The PNG at 300 dpi is the SVG's 96-dpi size times 300/96.
        let want = (
            (w * 300.0 / 96.0).round() as u32,
            (h * 300.0 / 96.0).round() as u32,
        );
        assert_eq!(png_size(&png), want, "{figure}");
        assert!(png.len() > 10_000, "{figure}.png is not blank");
        assert!(svg.contains("@font-face"), "{figure}: font embedded");
        assert!(
            html.contains(&format!("id=\"{figure}\"")),
            "{figure} in the report"
        );
    }
    let fig1 = std::fs::read_to_string(out.join("figures/fig1_score_shares.svg")).expect("svg");
    for text in [
        "Share of ratings",
        "Socialtilsyn Hovedstaden",
        "Socialtilsyn Øst",
    ] {
        assert!(fig1.contains(text), "fig1 holds {text}");
    }
}

#[test]
fn danish_labels_anonymisation_and_identical_reruns_on_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let key = dir.path().join("key.csv");
    let key_arg = key.to_str().expect("utf-8 path");
    // Two runs, one and two worker threads, with permutations so that rayon is used.
    for (out, threads, extra) in [
        (&a, "2", vec!["--anonymize-key", key_arg]),
        (&b, "1", vec![]),
    ] {
        losstat()
            .env("RAYON_NUM_THREADS", threads)
            .arg("compare")
            .arg(&input)
            .arg("--out")
            .arg(out)
            .args(["--anonymize", "--permutations", "300", "--level", "theme"])
            .args(extra)
            .assert()
            .success();
    }
    let names = ["Hovedstaden", "Midt", "Nord", "Syd", "Øst"];
    let files = walk(&a);
    assert!(files.len() > 30, "{} files", files.len());
    for entry in &files {
        let bytes = std::fs::read(entry).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for name in names {
            assert!(!text.contains(name), "{} mentions {name}", entry.display());
        }
        let twin = b.join(entry.strip_prefix(&a).expect("inside a"));
        let same = bytes == std::fs::read(&twin).expect("twin");
        assert!(same, "{} differs between runs", entry.display());
    }
    let key = std::fs::read_to_string(&key).expect("key written");
    assert!(names.iter().all(|n| key.contains(n)) && key.contains("Socialtilsyn 1"));
    let fig1 = std::fs::read_to_string(a.join("figures/fig1_score_shares.svg")).expect("svg");
    assert!(fig1.contains("Andel af bedømmelser") && fig1.contains("Socialtilsyn 3"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn spider_profiles_a_visit_even_when_the_los_rules_drop_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("authority,visit_id,offer_id,indicator,score\n");
    // V1 lacks universal 3.b (missing_universal drops it); V2 (all 4) and V3 (all 3) are kept.
    for (visit, skip, score) in [
        ("V1", Some("3.b"), "4"),
        ("V2", None, "4"),
        ("V3", None, "3"),
    ] {
        for id in crate::common::UNIVERSAL
            .iter()
            .filter(|id| Some(**id) != skip)
        {
            csv.push_str(&format!("Socialtilsyn Nord,{visit},T1,{id},{score}\n"));
        }
    }
    let input = crate::common::write(dir.path(), "visits.csv", csv);
    let output = losstat()
        .args(["spider", "--visit", "V1", "--format", "json"])
        .arg(&input)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let profile: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(profile["missing_universal"], serde_json::json!(["3.b"]));
    assert_eq!(
        profile["excluded_by"],
        serde_json::json!(["missing_universal"])
    );
    assert_eq!(profile["overall"], 4.0);
    // The reference means come from the kept visits only: (4 + 3) / 2 per theme.
    let national = profile["national_means"].as_array().expect("means");
    assert_eq!(national.len(), 7);
    assert!(
        national
            .iter()
            .all(|m| m["mean"] == 3.5 && m["visits"] == 2)
    );
    // --offer picks the offer's latest visit (no dates: the largest id); --out writes the chart.
    let out = dir.path().join("spider");
    losstat()
        .args(["spider", "--offer", "T1", "--lang", "en", "--out"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let svg = std::fs::read_to_string(out.join("spider_V3.svg")).expect("spider svg");
    assert!(svg.contains("National mean") && svg.contains("V3"));
    assert!(out.join("spider_V3.png").is_file() && out.join("profile.json").is_file());
}

#[test]
fn report_opens_in_headless_chromium_without_console_errors() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must check the report in Chromium, but no chromium is installed"
        );
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install chromium to run this check)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample(dir.path());
    let out = dir.path().join("results");
    compare_out(&input, &out, &["--lang", "da"]);
    let report = out.join("report.html").canonicalize().expect("report path");
    let shot = dir.path().join("report.png");
    let profile = dir.path().join("chromium-profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let log = String::from_utf8_lossy(&output.stderr);
    let page_errors: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Failed to load resource")
                || l.contains("net::ERR_")
        })
        .collect();
    assert!(page_errors.is_empty(), "console messages: {page_errors:#?}");
    let png = std::fs::read(&shot).expect("screenshot taken");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    print_to_pdf(chromium, &report, dir.path());
}

/// Chromium prints the report to PDF on A4 pages (its print stylesheet's `@page`).
fn print_to_pdf(chromium: &str, report: &Path, dir: &Path) {
    let pdf = dir.join("report.pdf");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            dir.join("print-profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "{pages} pages");
    // A4 is 595.3 × 841.9 pt; Chromium writes 594.96 × 841.92.
    let boxes: Vec<&str> = text.split("/MediaBox [").skip(1).collect();
    assert!(!boxes.is_empty(), "no page size");
    for b in boxes {
        let size: Vec<f64> = b
            .split(']')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let a4 = size.len() == 4
            && (size[2] - size[0] - 595.3).abs() < 1.0
            && (size[3] - size[1] - 841.9).abs() < 1.0;
        assert!(a4, "page size {size:?} is not A4");
    }
}

#[test]
fn outputs_name_los_rules_units_and_untested_cells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample(dir.path());
    let out = dir.path().join("results");
    compare_out(&input, &out, &["--level", "all", "--lang", "en"]);
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("valid JSON");

    // The paper's four filters, in the order of its methods box; every other rule is losstat's.
    let los = [
        ("missing_authority", 1),
        ("invalid_score", 2),
        ("all_ones", 3),
        ("missing_universal", 4),
    ];
    let rules = results["filter"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 12);
    for rule in rules {
        let name = rule["rule"].as_str().expect("name");
        let expected = los.iter().find(|(n, _)| *n == name).map(|(_, k)| *k);
        assert_eq!(rule["los_rule"].as_u64(), expected, "{name}");
    }
    let filter_csv = std::fs::read_to_string(out.join("filter.csv")).expect("filter.csv");
    assert!(filter_csv.starts_with("rule,scope,los_rule,authority,"));
    assert!(filter_csv.contains("\nall_ones,visit,3,(all),"));

    // Theme and criterion families carry the model's names for their unit.
    let model = losstat()
        .args(["model", "--format", "csv"])
        .output()
        .expect("model");
    let model = String::from_utf8(model.stdout).expect("utf-8");
    let mut reader = csv::Reader::from_reader(model.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (theme, theme_name) = (column("theme"), column("theme_name_en"));
    let theme_names: std::collections::BTreeMap<u64, String> = reader
        .records()
        .map(|r| r.expect("record"))
        .map(|r| (r[theme].parse().expect("number"), r[theme_name].to_string()))
        .collect();
    let families = results["ks_by_level"].as_array().expect("families");
    let themes: Vec<&serde_json::Value> =
        families.iter().filter(|f| f["level"] == "theme").collect();
    assert_eq!(themes.len(), theme_names.len());
    for family in themes {
        let unit = family["unit"].as_u64().expect("unit");
        assert_eq!(
            family["unit_name_en"].as_str(),
            Some(theme_names[&unit].as_str())
        );
        assert!(family["unit_name"].as_str().is_some_and(|n| !n.is_empty()));
    }
    assert!(families.iter().any(|f| f["level"] == "criterion"));

    // deviation.csv carries Welch's t and df and the confidence level.
    let deviation = std::fs::read_to_string(out.join("deviation.csv")).expect("deviation.csv");
    let header = deviation.lines().next().expect("header");
    assert!(
        header.ends_with(",inference,welch_t,welch_df,confidence"),
        "{header}"
    );
    assert!(deviation.lines().skip(1).all(|l| l.ends_with(",0.95")));

    // A cell with no test (the dirty export's unmodelled indicator has a single rating per
    // authority) is blank in figure 3, and the figure says what blank means.
    let untested: Vec<&serde_json::Value> = results["deviation"]
        .as_array()
        .expect("deviation")
        .iter()
        .filter(|d| d["inference"] == "too_few_ratings" || d["inference"] == "no_rest")
        .collect();
    assert!(
        !untested.is_empty(),
        "the dirty export has an untested cell"
    );
    let fig3 =
        std::fs::read_to_string(out.join("figures/fig3_deviation_heatmap.svg")).expect("fig3");
    assert!(fig3.contains("too few to test"));
    let doc = roxmltree::Document::parse(&fig3).expect("SVG parses");
    let texts: Vec<(&str, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let y = n.attribute("y").unwrap_or("");
            (y, n.text().unwrap_or("").trim().to_string())
        })
        .collect();
    let all_untested = |indicator: &str| {
        results["deviation"]
            .as_array()
            .expect("deviation")
            .iter()
            .filter(|d| d["indicator"] == indicator)
            .all(|d| d["inference"] == "too_few_ratings" || d["inference"] == "no_rest")
    };
    let mut checked = 0;
    for cell in &untested {
        let indicator = cell["indicator"].as_str().expect("indicator");
        if !all_untested(indicator) {
            continue;
        }
        // The row's label is drawn; nothing else is drawn on its line.
        let (y, _) = texts
            .iter()
            .find(|(_, t)| t == indicator)
            .unwrap_or_else(|| panic!("row {indicator} in figure 3"));
        let on_row = texts.iter().filter(|(ty, _)| ty == y).count();
        assert_eq!(on_row, 1, "row {indicator} has only its label");
        checked += 1;
    }
    assert!(
        checked > 0,
        "an indicator with no testable cell was checked"
    );
}
