//! The terminal summaries: `compare`, `check` and `model`.
//!
//! Plain text tables (comfy-table, ASCII borders so they survive any terminal and copy
//! cleanly into e-mail); numbers with a fixed number of decimals; no colours.

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use crate::analysis::{Analysis, Screening};
use crate::export_check::ExportCheck;
use crate::filter::{DateOrder, Filtered, Scope};
use crate::load::{Format, Source};
use crate::model::QualityModel;
use crate::profile::VisitProfile;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(ASCII_MARKDOWN);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right(text: impl std::fmt::Display) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}

fn describe_source(s: &Source) -> String {
    let layout = format!("{:?}", s.layout).to_lowercase();
    let mut text = match s.format {
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
    };
    // Said only when the header was not the first row, or the export has its own roll-up.
    if s.header_line > 1 || s.counts.title_rows > 0 {
        text.push_str(&format!(
            "; header on {} {} ({} title rows skipped)",
            if s.format == Format::Workbook {
                "row"
            } else {
                "line"
            },
            s.header_line,
            s.counts.title_rows
        ));
    }
    if s.counts.level_scores > 0 {
        text.push_str(&format!(
            "; {} criterion, theme and overall scores",
            s.counts.level_scores
        ));
    }
    text
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
    if let Some(check) = &analysis.export_check {
        out.push_str(&export_check_lines(check));
    }
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
    out.push_str(&pairs_table(analysis));
    out.push_str(&deviation_table(analysis));
    out.push_str(&dates_line(&analysis.filtered, &analysis.sources));
    out
}

/// What the check of the export's own roll-up found, in a few lines.
pub fn export_check_lines(check: &ExportCheck) -> String {
    let decimals: Vec<String> = check
        .rounding
        .iter()
        .map(|r| format!("{} {}", r.level.name(), r.decimals))
        .collect();
    let mut out = format!(
        "\nExport check: the export states {} criterion, theme and overall scores; {} of {} compared \
         agree with losstat's roll-up within the export's rounding (decimals: {})",
        check.levels_read,
        check.agreeing,
        check.compared,
        decimals.join(", ")
    );
    let skipped = [
        (check.visit_not_kept, "of visits the filters dropped"),
        (check.unreadable, "not numbers"),
        (check.not_in_rollup, "for units without a valid rating"),
    ];
    for (n, why) in skipped.iter().filter(|(n, _)| *n > 0) {
        out.push_str(&format!("; {n} {why}"));
    }
    out.push_str(".\n");
    if let Some(worst) = check.largest_differences.first() {
        let unit = worst.unit.map_or_else(String::new, |u| format!(" {u}"));
        out.push_str(&format!(
            "  {} disagree; the largest: {}{unit} of visit {} is {} in the export, {} recomputed. \
             Every score is in export_check.csv.\n",
            check.disagreeing,
            worst.level.name(),
            worst.visit_id,
            worst.exported,
            worst
                .recomputed
                .map_or("-".to_string(), |r| format!("{r:.3}"))
        ));
        for fit in check
            .definitions
            .iter()
            .filter(|f| !f.los && f.explains > 0)
        {
            out.push_str(&format!(
                "  The {} score as {} explains {} of the export's {} {} scores (losstat uses LOS's \
                 definition).\n",
                fit.level.name(),
                fit.definition.describe(),
                fit.explains,
                fit.of,
                fit.level.name()
            ));
        }
    }
    out
}

/// The notes `losstat simulate` prints: what it wrote to `path`, and what `--dirty` injected.
pub fn simulated(simulation: &crate::simulate::Simulation, path: &std::path::Path) -> Vec<String> {
    let ratings = simulation.records.len() - simulation.level_rows;
    let path = path.display();
    let mut lines = vec![match simulation.level_rows {
        0 => format!("wrote {ratings} ratings to {path}"),
        levels => {
            format!(
                "wrote {ratings} ratings and {levels} criterion, theme and overall scores to {path}"
            )
        }
    }];
    for (rule, n) in &simulation.injected {
        lines.push(format!("  injected {n} x {rule}"));
    }
    lines
}

/// How many deviations the summary lists.
pub const TOP_DEVIATIONS: usize = 10;

fn pairs_table(analysis: &Analysis) -> String {
    let o = &analysis.options.pairwise;
    let mut t = table(&[
        "pair",
        "n",
        "D",
        "p SciPy",
        "p ties-exact",
        "p perm.",
        "p adjusted",
        "signif.",
        "Cliff's delta [95% CI]",
    ]);
    for p in analysis.overall_pairs() {
        let ci = match (p.cliffs_delta_ci_low, p.cliffs_delta_ci_high) {
            (Some(lo), Some(hi)) => format!("{:+.3} [{lo:+.3}, {hi:+.3}]", p.cliffs_delta),
            _ => format!("{:+.3}", p.cliffs_delta),
        };
        t.add_row(vec![
            Cell::new(format!("{} - {}", short(&p.a), short(&p.b))),
            right(format!("{}/{}", p.n_a, p.n_b)),
            right(format!("{:.3}", p.statistic)),
            right(super::format_p(p.p_value)),
            right(super::format_p(p.p_value_ties)),
            right(
                p.p_value_permutation
                    .map_or("-".to_string(), super::format_p),
            ),
            right(super::format_p(p.p_value_adjusted)),
            Cell::new(if p.significant { "yes" } else { "no" }),
            right(ci),
        ]);
    }
    let adjust = format!("{:?}", o.adjustment).to_lowercase();
    format!(
        "\nPairwise comparison of overall scores (two-sample Kolmogorov-Smirnov; p adjusted with {adjust} \
         over the pairs, significant at alpha = {}):\n{t}\n",
        o.alpha
    )
}

fn deviation_table(analysis: &Analysis) -> String {
    let mut rows: Vec<_> = analysis.deviation.iter().collect();
    rows.sort_by(|a, b| {
        b.significant
            .cmp(&a.significant)
            .then(b.cell.deviation.abs().total_cmp(&a.cell.deviation.abs()))
    });
    let mut t = table(&[
        "indicator",
        "authority",
        "n",
        "mean",
        "national",
        "deviation [95% CI]",
        "q",
        "signif.",
    ]);
    for r in rows.iter().take(TOP_DEVIATIONS) {
        let c = &r.cell;
        let ci = match (c.ci_low, c.ci_high) {
            (Some(lo), Some(hi)) => format!("{:+.3} [{lo:+.3}, {hi:+.3}]", c.deviation),
            _ => format!("{:+.3}", c.deviation),
        };
        t.add_row(vec![
            Cell::new(&r.indicator),
            Cell::new(short(&c.authority)),
            right(c.n),
            right(format!("{:.3}", c.mean)),
            right(format!("{:.3}", c.national_mean)),
            right(ci),
            right(r.q_value.map_or("-".to_string(), super::format_p)),
            Cell::new(if r.significant { "yes" } else { "no" }),
        ]);
    }
    let significant = analysis.deviation.iter().filter(|r| r.significant).count();
    format!(
        "\nLargest deviations from the national mean per indicator ({significant} of {} cells significant \
         after Benjamini-Hochberg; all in deviation.csv):\n{t}\n",
        analysis.deviation.len()
    )
}

/// `Socialtilsyn Nord` → `Nord` for narrow tables.
fn short(name: &str) -> &str {
    name.strip_prefix("Socialtilsyn ").unwrap_or(name)
}

/// How many exclusions `check` lists on the terminal.
pub const CHECK_LISTED: usize = 25;

/// How many exclusions the `--strict` listing shows.
pub const STRICT_LISTED: usize = 20;

/// What `--strict` prints on standard error when ratings were excluded: a count, then the
/// first exclusions as `FILE:LINE: rule: detail`, one line per rating-level exclusion and one
/// per visit for visit-level rules. Empty when nothing was excluded.
pub fn strict_listing(filtered: &Filtered, sources: &[Source]) -> String {
    let excluded = filtered.summary.ratings_excluded();
    if excluded == 0 {
        return String::new();
    }
    // (line, ratings it stands for)
    let mut lines: Vec<(String, u64)> = Vec::new();
    let mut last_visit: Option<(crate::filter::Rule, &str)> = None;
    for e in filtered
        .exclusions
        .iter()
        .filter(|e| e.rule.scope() != Scope::Flag)
    {
        let key = (e.rule, e.visit_id.as_str());
        if e.rule.scope() == Scope::Visit && last_visit == Some(key) {
            if let Some(line) = lines.last_mut() {
                line.1 += 1;
            }
            continue;
        }
        last_visit = (e.rule.scope() == Scope::Visit).then_some(key);
        let file = sources
            .get(e.file as usize)
            .map_or_else(String::new, |s| s.path.display().to_string());
        let detail: String = e
            .detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        lines.push((format!("{file}:{}: {}: {detail}", e.line, e.rule), 1));
    }
    let mut out = format!("losstat: --strict: {excluded} ratings were excluded:\n");
    for (text, ratings) in lines.iter().take(STRICT_LISTED) {
        out.push_str(text);
        if *ratings > 1 {
            out.push_str(&format!(" ({ratings} ratings)"));
        }
        out.push('\n');
    }
    let more = lines.len().saturating_sub(STRICT_LISTED);
    if more > 0 {
        out.push_str(&format!(
            "… and {more} more (losstat check --format csv lists them all)\n"
        ));
    }
    out
}

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
        header.extend(authorities.iter().map(|a| (*a).clone()));
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
    out.push_str(&dates_line(filtered, &screening.sources));
    out
}

/// One line on the visit dates, when something is worth saying
/// ([`crate::filter::DateReport::worth_saying`]): a file read month first, a file with dates in
/// both orders, dates that are not dates. Files are separated by ` | `. Empty otherwise.
pub fn dates_line(filtered: &Filtered, sources: &[Source]) -> String {
    let parts: Vec<String> = filtered
        .dates
        .iter()
        .filter(|r| r.worth_saying())
        .map(|r| {
            let file = sources
                .get(r.file as usize)
                .map_or_else(|| format!("file {}", r.file), |s| s.path.display().to_string());
            let example = |e: &Option<String>| shorten(e.as_deref().unwrap_or(""), 20);
            let mut said = Vec::new();
            if r.ambiguous {
                said.push(format!(
                    "dates in both orders ({} only day-first such as {}, {} only month-first such as {}): \
                     read day-month-year, the month-first ones not read",
                    r.day_first,
                    example(&r.day_first_example),
                    r.month_first,
                    example(&r.month_first_example)
                ));
            } else if r.order == DateOrder::MonthFirst {
                said.push(format!(
                    "read month-day-year ({} dates such as {} can only be read so)",
                    r.month_first,
                    example(&r.month_first_example)
                ));
            }
            if r.unreadable > 0 {
                said.push(format!(
                    "{} distinct dates not readable (such as {})",
                    r.unreadable,
                    example(&r.unreadable_example)
                ));
            }
            format!("{file}: {}", said.join("; "))
        })
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    let flagged = if filtered.dates.iter().any(|r| r.not_read() > 0) {
        " (ratings whose date was not read are kept, flagged invalid_date)"
    } else {
        ""
    };
    format!("\nDates: {}{flagged}.\n", parts.join(" | "))
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

/// The `spider` summary of one visit.
pub fn visit_profile(p: &VisitProfile, model: &QualityModel) -> String {
    let mut out = format!("Visit {} ({})", p.visit_id, p.authority);
    for (label, value) in [
        ("offer", &p.offer_id),
        ("type", &p.offer_type),
        ("date", &p.visit_date),
    ] {
        if let Some(v) = value {
            out.push_str(&format!(", {label} {v}"));
        }
    }
    out.push('\n');
    let mean_of = |list: &[crate::analysis::ThemeMean], theme: u32| {
        list.iter()
            .find(|m| m.theme == theme)
            .map_or("-".to_string(), |m| format!("{:.2}", m.mean))
    };
    let mut t = table(&[
        "theme",
        "indicators",
        "theme score",
        "authority mean",
        "national mean",
    ]);
    for (theme, score) in &p.themes {
        let indicators: Vec<String> = p
            .indicators
            .iter()
            .filter(|(id, _)| {
                crate::model::IndicatorId::parse(id)
                    .and_then(|id| model.theme_of_criterion(id.criterion))
                    == Some(*theme)
            })
            .map(|(id, s)| format!("{id}={s}"))
            .collect();
        t.add_row(vec![
            Cell::new(format!("{theme} {}", model.theme_label(*theme))),
            Cell::new(indicators.join(" ")),
            right(format!("{score:.2}")),
            right(mean_of(&p.authority_means, *theme)),
            right(mean_of(&p.national_means, *theme)),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    if let Some(overall) = p.overall {
        out.push_str(&format!(
            "Overall score (mean of the theme scores): {overall:.3}\n"
        ));
    }
    if p.missing_universal.is_empty() {
        out.push_str("Every universal indicator has a valid score.\n");
    } else {
        out.push_str(&format!(
            "Universal indicators without a valid score: {}\n",
            p.missing_universal.join(", ")
        ));
    }
    if !p.excluded_by.is_empty() {
        out.push_str(&format!(
            "This visit is excluded from the comparisons by: {}\n",
            p.excluded_by.join(", ")
        ));
    }
    if !p.other_visits.is_empty() {
        out.push_str(&format!(
            "Earlier visits of this offer: {}\n",
            p.other_visits.join(", ")
        ));
    }
    out
}
