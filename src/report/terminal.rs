//! The terminal summaries: `compare`, `check` and `model`.
//!
//! Plain text tables (comfy-table, ASCII borders so they survive any terminal and copy
//! cleanly into e-mail); numbers with a fixed number of decimals; no colours.

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use crate::analysis::{Analysis, Screening};
use crate::filter::{Filtered, Scope};
use crate::load::{Format, Source};
use crate::model::QualityModel;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(ASCII_MARKDOWN);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

fn describe_source(s: &Source) -> String {
    let layout = format!("{:?}", s.layout).to_lowercase();
    match s.format {
        Format::Csv => format!(
            "{}: {layout} layout, {}, separator '{}', {} ratings",
            s.path.display(),
            s.encoding.as_deref().unwrap_or("?"),
            s.separator.as_deref().unwrap_or("?"),
            s.counts.ratings_read
        ),
        Format::Workbook => format!(
            "{}: {layout} layout, workbook sheet \"{}\", {} ratings",
            s.path.display(),
            s.sheet.as_deref().unwrap_or("?"),
            s.counts.ratings_read
        ),
    }
}

/// The filter counts, one row per rule that did something.
fn filter_table(filtered: &Filtered) -> String {
    let s = &filtered.summary;
    let mut t = table(&[
        "rule",
        "visits dropped",
        "ratings dropped",
        "ratings flagged",
        "what it means",
    ]);
    for r in s
        .rules
        .iter()
        .filter(|r| r.visits_dropped + r.ratings_dropped + r.ratings_flagged > 0)
    {
        t.add_row(vec![
            Cell::new(r.rule.name()),
            right(r.visits_dropped),
            right(r.ratings_dropped),
            right(r.ratings_flagged),
            Cell::new(r.rule.description()),
        ]);
    }
    format!(
        "Filter: {} ratings in {} visits read; {} ratings in {} visits kept.\n{t}\n",
        s.rows_read, s.visits_read, s.rows_kept, s.visits_kept
    )
}

/// The `compare` summary.
pub fn compare_summary(analysis: &Analysis) -> String {
    let mut out = String::new();
    out.push_str(&format!("losstat {}\n", env!("CARGO_PKG_VERSION")));
    for s in &analysis.sources {
        out.push_str(&format!("Input: {}\n", describe_source(s)));
    }
    out.push_str(&format!(
        "Model: {} ({} indicators, {} universal)\n\n",
        analysis.model.origin,
        analysis.model.indicators.len(),
        analysis.model.universal().count()
    ));
    out.push_str(&filter_table(&analysis.filtered));
    let mut t = table(&[
        "authority",
        "visits",
        "ratings",
        "% 1",
        "% 2",
        "% 3",
        "% 4",
        "% 5",
        "mean",
        "median",
        "sd",
        "q1",
        "q3",
    ]);
    for a in &analysis.authorities {
        let o = &a.overall;
        let mut row = vec![Cell::new(&a.name), right(a.visits), right(a.ratings)];
        row.extend(
            a.score_share
                .iter()
                .map(|s| right(format!("{:.1}", s * 100.0))),
        );
        row.extend([
            right(format!("{:.3}", o.mean)),
            right(format!("{:.3}", o.median)),
            right(o.sd.map_or("-".to_string(), |s| format!("{s:.3}"))),
            right(format!("{:.3}", o.q1)),
            right(format!("{:.3}", o.q3)),
        ]);
        t.add_row(row);
    }
    out.push_str(&format!(
        "\nScores per authority (share of ratings with each score; overall score per visit = mean of theme scores):\n{t}\n"
    ));
    out
}

/// How many exclusions `check` lists on the terminal.
pub const CHECK_LISTED: usize = 25;

/// The `check` report: what would be excluded, why, where, per authority.
pub fn check_report(screening: &Screening) -> String {
    let filtered = &screening.filtered;
    let mut out = String::new();
    for s in &screening.sources {
        out.push_str(&format!("Input: {}\n", describe_source(s)));
    }
    out.push('\n');
    out.push_str(&filter_table(filtered));
    let authorities: std::collections::BTreeSet<&String> = filtered
        .summary
        .rules
        .iter()
        .flat_map(|r| r.by_authority.keys())
        .collect();
    if !authorities.is_empty() {
        let mut header = vec!["rule".to_string()];
        header.extend(authorities.iter().map(|a| a.to_string()));
        let mut t = Table::new();
        t.load_preset(ASCII_MARKDOWN);
        t.set_header(header);
        for r in filtered
            .summary
            .rules
            .iter()
            .filter(|r| !r.by_authority.is_empty())
        {
            let mut row = vec![Cell::new(r.rule.name())];
            for a in &authorities {
                let d = r.by_authority.get(*a).copied().unwrap_or_default();
                row.push(right(match r.scope {
                    Scope::Visit => format!("{} v / {} r", d.visits, d.ratings),
                    Scope::Rating | Scope::Flag => format!("{} r", d.ratings),
                }));
            }
            t.add_row(row);
        }
        out.push_str(&format!(
            "\nPer authority (v = visits, r = ratings):\n{t}\n"
        ));
    }
    if !filtered.exclusions.is_empty() {
        let mut t = table(&["where", "rule", "visit", "indicator", "value", "detail"]);
        for e in filtered.exclusions.iter().take(CHECK_LISTED) {
            let file = screening
                .sources
                .get(e.file as usize)
                .map(|s| s.path.display().to_string())
                .unwrap_or_default();
            t.add_row(vec![
                Cell::new(format!("{file}:{}", e.line)),
                Cell::new(e.rule.name()),
                Cell::new(shorten(&e.visit_id, 20)),
                Cell::new(shorten(&e.indicator, 12)),
                Cell::new(shorten(&e.raw_value, 16)),
                Cell::new(shorten(&e.detail, 70)),
            ]);
        }
        let more = filtered.exclusions.len().saturating_sub(CHECK_LISTED);
        out.push_str(&format!(
            "\nExclusions and flags ({} in all",
            filtered.exclusions.len()
        ));
        if more > 0 {
            out.push_str(&format!(
                "; the first {CHECK_LISTED} shown, all with --format csv"
            ));
        }
        out.push_str(&format!("):\n{t}\n"));
    }
    out
}

/// The model listing for `losstat model`.
pub fn model_listing(model: &QualityModel) -> String {
    let mut t = table(&[
        "theme",
        "criterion",
        "indicator",
        "universal",
        "status",
        "applies to",
        "indicator (paraphrase)",
    ]);
    for i in &model.indicators {
        t.add_row(vec![
            Cell::new(format!("{} {}", i.theme, model.theme_label(i.theme))),
            right(i.id.criterion),
            Cell::new(i.id.to_string()),
            Cell::new(if i.universal { "yes" } else { "no" }),
            Cell::new(i.status.as_deref().unwrap_or("")),
            Cell::new(shorten(i.applies_to.as_deref().unwrap_or(""), 40)),
            Cell::new(shorten(i.name.as_deref().unwrap_or(""), 60)),
        ]);
    }
    format!(
        "Quality model: {} ({} themes, {} criteria, {} indicators, {} universal)\n{t}\n",
        model.origin,
        model.themes.len(),
        model.criteria.len(),
        model.indicators.len(),
        model.universal().count()
    )
}

/// Cuts `text` to `max` characters, marking the cut; control characters become spaces.
fn shorten(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
