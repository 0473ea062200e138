//! Issue 13, items 3 and 5: `report.html` and the terminal summary are in ONE language, the
//! one `--lang` names (Danish by default), with that language's numbers; p-values are never
//! written `p = < 0,001`; the page prints on A4 without splitting a figure, and every inline
//! figure is an image named by its caption.
//!
//! The checks read what a reader sees: the text nodes of `report.html` outside `<style>` and
//! `<svg>` (the figures' own text is checked by the plot tests), entities decoded, and the
//! summary on standard output. The rule descriptions come from the library's rule table
//! ([`losstat::filter::RULES`]), so a new rule is checked without touching this file.
//!
//! What may legitimately hold a dot between digits, and is taken out before a Danish text is
//! searched for a decimal point (`\d\.\d`):
//! * losstat's version (`losstat 0.1.0`) and R's (`R ≥ 4.4` in the method notes): versions
//!   are written with points in Danish too;
//! * nothing else in these runs: the input is named `dirty.csv` and given relative to the
//!   working directory (no temporary path with digits), hashes are hexadecimal, indicator ids
//!   have a letter after the point (`8.c`), dates are ISO (`2023-05-12`) and the dates line is
//!   not written for them, integers have no thousands separator, and the one number the method
//!   notes write with a thousands separator uses a no-break space (`10 000`).
//!
//! In English a decimal comma (`\d,\d`) must not appear: English lists and intervals put a
//! space after their commas (`[+0.12, +0.34]`), and integers have no thousands separator.

use std::path::Path;

use losstat::filter::{RULES, Rule};
use losstat::plot::Lang;

use crate::common::{losstat, simulate, succeed};

/// The simulated export's file name, as the outputs record it.
const INPUT: &str = "dirty.csv";

/// A seed whose export (`--scale 0.05 --dirty`) has pairs with adjusted p below 0.001, so the
/// `< 0,001` convention is exercised in the table, the summary and the KS matrix.
const SEED: u64 = 3;

/// Runs `losstat ARGS` in `dir` and returns standard output.
fn run(dir: &Path, args: &[&str]) -> String {
    let mut command = losstat();
    command.current_dir(dir).args(args);
    let output = succeed(&mut command, &format!("losstat {}", args.join(" ")));
    String::from_utf8(output.stdout).expect("standard output is UTF-8")
}

/// Decodes the entities `report::html::escape` writes (and `&nbsp;`).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The text a reader of the page sees outside the figures: `<style>` and `<svg>` elements are
/// dropped whole, other tags become a space, entities are decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let tag = &rest[open..];
        let skip_to = ["style", "svg", "script"].iter().find_map(|name| {
            let starts =
                tag.starts_with(&format!("<{name}>")) || tag.starts_with(&format!("<{name} "));
            starts.then(|| {
                let close = format!("</{name}>");
                tag.find(&close).map(|at| at + close.len())
            })?
        });
        let end = match skip_to {
            Some(end) => end,
            None => tag.find('>').map_or(tag.len(), |at| at + 1),
        };
        rest = &tag[end..];
    }
    out.push_str(rest);
    unescape(&out)
}

/// Each place in `text` where `mark` stands between two ASCII digits, with some context.
fn digit_mark_digit(text: &str, mark: char) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for i in 1..chars.len().saturating_sub(1) {
        if chars[i] == mark && chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit() {
            let from = i.saturating_sub(30);
            let to = (i + 30).min(chars.len());
            found.push(chars[from..to].iter().collect());
        }
    }
    found
}

/// `text` without the strings that may hold a point between digits (see the module docs).
fn without_versions(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "VERSION")
        .replace("R ≥ 4.4", "R VERSION")
}

/// The English and Danish rule descriptions that must not, and must, appear in `lang`.
fn descriptions(lang: Lang) -> (Vec<&'static str>, Vec<(Rule, &'static str)>) {
    let other = match lang {
        Lang::Da => Lang::En,
        Lang::En => Lang::Da,
    };
    (
        RULES.iter().map(|r| r.rule.description_in(other)).collect(),
        RULES
            .iter()
            .map(|r| (r.rule, r.rule.description_in(lang)))
            .collect(),
    )
}

/// Asserts that `text` (a report's visible text or a summary) is in `lang` only: no rule
/// description of the other language, every rule the dirty export triggers described in
/// `lang`, and no number with the other language's decimal mark.
fn assert_one_language(text: &str, lang: Lang, what: &str) {
    let (foreign, own) = descriptions(lang);
    for description in foreign {
        assert!(
            !text.contains(description),
            "{what}: {description:?} is the other language's rule description"
        );
    }
    // The dirty export triggers these rules (among others): their descriptions are there.
    for (rule, description) in own {
        if matches!(
            rule,
            Rule::MissingAuthority | Rule::InvalidScore | Rule::AllOnes | Rule::MissingUniversal
        ) {
            assert!(
                text.contains(description),
                "{what}: {description:?} missing"
            );
        }
    }
    let (mark, name) = match lang {
        Lang::Da => ('.', "decimal point"),
        Lang::En => (',', "decimal comma"),
    };
    let hits = digit_mark_digit(&without_versions(text), mark);
    assert!(hits.is_empty(), "{what}: a {name} in {hits:#?}");
    assert!(
        !text.contains("p = <") && !text.contains("p = &lt;"),
        "{what}: p = <"
    );
}

#[test]
fn report_and_summary_speak_the_language_of_lang_with_its_numbers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    simulate(dir, INPUT, SEED, &["--dirty"]);
    for (lang, flag, tiny_p) in [(Lang::Da, "da", "< 0,001"), (Lang::En, "en", "< 0.001")] {
        let out = format!("out-{flag}");
        let summary = run(dir, &["compare", INPUT, "--out", &out, "--lang", flag]);
        let html = std::fs::read_to_string(dir.join(&out).join("report.html")).expect("report");
        let text = visible_text(&html);
        assert_one_language(&text, lang, &format!("report.html --lang {flag}"));
        assert_one_language(&summary, lang, &format!("summary --lang {flag}"));
        // The convention is exercised: this export has pairs with p below 0.001.
        assert!(text.contains(tiny_p), "report --lang {flag}: no {tiny_p}");
        assert!(
            summary.contains(tiny_p),
            "summary --lang {flag}: no {tiny_p}"
        );
        let ks = std::fs::read_to_string(dir.join(&out).join("figures/fig4_ks_matrix.svg"))
            .expect("KS matrix");
        assert!(
            ks.contains(&format!(
                "p &lt; 0{}001",
                if flag == "da" { ',' } else { '.' }
            )),
            "the KS matrix labels a tiny p as p < 0,001"
        );
        assert!(
            !ks.contains("p = &lt;") && !ks.contains("p = <"),
            "KS matrix: p = <"
        );
    }
}

#[test]
fn the_summary_is_danish_by_default_and_check_spider_and_model_follow_lang() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    simulate(dir, INPUT, SEED, &["--dirty"]);
    let default = run(dir, &["compare", INPUT]);
    assert_eq!(default, run(dir, &["compare", INPUT, "--lang", "da"]));
    assert!(default.contains("Frasortering:") && default.contains("gns."));
    // `check` names the rules in its language (the per-exclusion details are the English
    // text of exclusions.csv, and the raw values are the input's, so only the descriptions
    // are checked here).
    for (lang, flag) in [(Lang::Da, "da"), (Lang::En, "en")] {
        let check = run(dir, &["check", INPUT, "--lang", flag]);
        let (foreign, _) = descriptions(lang);
        for description in foreign {
            assert!(
                !check.contains(description),
                "check --lang {flag}: {description:?}"
            );
        }
        let model = run(dir, &["model", "--lang", flag]);
        let heading = if flag == "da" {
            "Kvalitetsmodel: indbygget"
        } else {
            "Quality model: embedded"
        };
        assert!(model.starts_with(heading), "model --lang {flag}: {model}");
    }
    let visit = std::fs::read_to_string(dir.join(INPUT))
        .expect("export")
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').nth(1).map(str::to_owned))
        .expect("a visit id");
    let spider = run(dir, &["spider", INPUT, "--visit", &visit]);
    assert!(
        spider.starts_with(&format!("Tilsynsbesøg {visit}")),
        "{spider}"
    );
    let hits = digit_mark_digit(&spider, '.');
    assert!(hits.is_empty(), "spider: a decimal point in {hits:#?}");
    let spider_en = run(dir, &["spider", INPUT, "--visit", &visit, "--lang", "en"]);
    assert!(
        spider_en.starts_with(&format!("Visit {visit}")),
        "{spider_en}"
    );
}

/// Every `<figure>` of the page: its `<svg>` start tag and its `<figcaption>`'s id and text.
fn figures(html: &str) -> Vec<(String, Option<String>, String)> {
    html.split("<figure")
        .skip(1)
        .map(|block| {
            let block = &block[..block.find("</figure>").expect("figure closed")];
            let svg_at = block.find("<svg").expect("an inline SVG in the figure");
            let svg_tag = &block[svg_at..svg_at + block[svg_at..].find('>').expect("svg tag")];
            let caption_at = block.find("<figcaption").expect("a caption");
            let caption_tag = &block[caption_at..];
            let open_end = caption_tag.find('>').expect("figcaption tag");
            let id = caption_tag[..open_end]
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned);
            let text_end = caption_tag.find("</figcaption>").expect("caption closed");
            let text = unescape(&caption_tag[open_end + 1..text_end]);
            (svg_tag.to_owned(), id, text)
        })
        .collect()
}

#[test]
fn the_page_prints_on_a4_and_every_figure_is_an_image_named_by_its_caption() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    simulate(dir, INPUT, SEED, &["--dirty"]);
    run(dir, &["compare", INPUT, "--out", "out"]);
    let html = std::fs::read_to_string(dir.join("out/report.html")).expect("report");
    let style = &html[html.find("<style>").expect("style")..html.find("</style>").expect("style")];
    for rule in [
        "@media print",
        "@page{size:A4",
        "break-inside:avoid",
        "page-break-inside:avoid",
        "figcaption{color:#000;break-before:avoid",
    ] {
        assert!(style.contains(rule), "no {rule:?} in the page's style");
    }
    let figures = figures(&html);
    // 6 figures, 5 spider charts and the case-mix forest plot, each an inline SVG inside a
    // <figure>.
    assert_eq!(figures.len(), 12);
    assert_eq!(
        html.matches("<svg").count(),
        figures.len(),
        "every SVG is in a figure"
    );
    let mut names = Vec::new();
    for (svg, id, caption) in &figures {
        assert!(svg.contains(" role=\"img\""), "{svg}");
        let id = id.as_deref().expect("the caption has an id");
        assert!(
            svg.contains(&format!(" aria-labelledby=\"{id}\"")),
            "{svg} is not named by its caption {id}"
        );
        assert_eq!(
            html.matches(&format!("id=\"{id}\"")).count(),
            1,
            "{id} is unique"
        );
        assert!(caption.starts_with("Figur "), "{caption}");
        names.push(caption.clone());
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), figures.len(), "every figure has its own name");
}
