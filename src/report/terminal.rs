//! The terminal summaries: `compare`, `check`, `spider` and `model`, in the language of
//! `--lang` (Danish by default, like `report.html`).
//!
//! Plain text tables (comfy-table, ASCII borders so they survive any terminal and copy
//! cleanly into e-mail); numbers with a fixed number of decimals in the language's style
//! ([`Numbers::terminal`]: decimal comma in Danish, hyphen-minus for negative numbers, p-values
//! as `0,043` or `< 0,001`); no colours. The Danish and English words stand side by side
//! where they are used ([`pick`]). Rule names (`missing_authority` …), file names, ids and the
//! per-exclusion details of `check` (the text of `exclusions.csv`) are the same in both
//! languages. The notes of `simulate` and the `--strict` listing go to standard error with the
//! other messages, in English.

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use super::locale::{self, Numbers, pick};
use crate::analysis::{Analysis, Screening};
use crate::export_check::ExportCheck;
use crate::filter::{DateOrder, Filtered, Scope};
use crate::load::{Format, Source};
use crate::model::QualityModel;
use crate::plot::Lang;
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

fn describe_source(s: &Source, lang: Lang) -> String {
    let layout = locale::layout_name(s.layout, lang);
    let ratings = pick(lang, "bedømmelser", "ratings");
    let mut text = match s.format {
        Format::Csv => format!(
            "{}: {layout}, {}, {} '{}', {} {ratings}",
            s.path.display(),
            s.encoding.as_deref().unwrap_or("?"),
            pick(lang, "skilletegn", "separator"),
            s.separator.as_deref().unwrap_or("?"),
            s.counts.ratings_read
        ),
        Format::Workbook => format!(
            "{}: {layout}, {} \"{}\", {} {ratings}",
            s.path.display(),
            pick(lang, "regneark, ark", "workbook sheet"),
            s.sheet.as_deref().unwrap_or("?"),
            s.counts.ratings_read
        ),
    };
    // Said only when the header was not the first row, or the export has its own roll-up.
    if s.header_line > 1 || s.counts.title_rows > 0 {
        let row = match s.format {
            Format::Workbook => pick(lang, "række", "row"),
            Format::Csv => pick(lang, "linje", "line"),
        };
        text.push_str(&match lang {
            Lang::Da => format!(
                "; overskrift i {row} {} ({} titelrækker sprunget over)",
                s.header_line, s.counts.title_rows
            ),
            Lang::En => format!(
                "; header on {row} {} ({} title rows skipped)",
                s.header_line, s.counts.title_rows
            ),
        });
    }
    if s.counts.level_scores > 0 {
        text.push_str(&format!(
            "; {} {}",
            s.counts.level_scores,
            pick(
                lang,
                "kriterie-, tema- og samlede scorer",
                "criterion, theme and overall scores"
            )
        ));
    }
    text
}

/// The filter counts, one row per rule that did something.
fn filter_table(filtered: &Filtered, lang: Lang) -> String {
    let s = &filtered.summary;
    let mut t = table(&[
        pick(lang, "regel", "rule"),
        pick(lang, "besøg frasorteret", "visits dropped"),
        pick(lang, "bedømmelser frasorteret", "ratings dropped"),
        pick(lang, "bedømmelser markeret", "ratings flagged"),
        pick(lang, "betydning", "what it means"),
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
            Cell::new(r.rule.description_in(lang)),
        ]);
    }
    let line = match lang {
        Lang::Da => format!(
            "Frasortering: {} bedømmelser i {} tilsynsbesøg læst; {} bedømmelser i {} tilsynsbesøg beholdt.",
            s.rows_read, s.visits_read, s.rows_kept, s.visits_kept
        ),
        Lang::En => format!(
            "Filter: {} ratings in {} visits read; {} ratings in {} visits kept.",
            s.rows_read, s.visits_read, s.rows_kept, s.visits_kept
        ),
    };
    format!("{line}\n{t}\n")
}

/// The `compare` summary in `lang`.
pub fn compare_summary(analysis: &Analysis, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let mut out = String::new();
    out.push_str(&format!("losstat {}\n", env!("CARGO_PKG_VERSION")));
    for s in &analysis.sources {
        out.push_str(&format!(
            "{}: {}\n",
            pick(lang, "Data", "Input"),
            describe_source(s, lang)
        ));
    }
    let model = &analysis.model;
    out.push_str(&format!(
        "{}: {} ({} {}, {} {})\n\n",
        pick(lang, "Kvalitetsmodel", "Model"),
        locale::model_origin(&model.origin, lang),
        model.indicators.len(),
        pick(lang, "indikatorer", "indicators"),
        model.universal().count(),
        pick(lang, "universelle", "universal")
    ));
    out.push_str(&filter_table(&analysis.filtered, lang));
    if let Some(check) = &analysis.export_check {
        out.push_str(&export_check_lines(check, lang));
    }
    let mut t = table(&[
        pick(lang, "socialtilsyn", "authority"),
        pick(lang, "besøg", "visits"),
        pick(lang, "bedømmelser", "ratings"),
        "% 1",
        "% 2",
        "% 3",
        "% 4",
        "% 5",
        pick(lang, "gns.", "mean"),
        "median",
        "sd",
        "q1",
        "q3",
    ]);
    for a in &analysis.authorities {
        let o = &a.overall;
        let mut row = vec![Cell::new(&a.name), right(a.visits), right(a.ratings)];
        row.extend(a.score_share.iter().map(|s| right(n.fixed(s * 100.0, 1))));
        row.extend([
            right(n.fixed(o.mean, 3)),
            right(n.fixed(o.median, 3)),
            right(o.sd.map_or(n.missing().to_owned(), |s| n.fixed(s, 3))),
            right(n.fixed(o.q1, 3)),
            right(n.fixed(o.q3, 3)),
        ]);
        t.add_row(row);
    }
    out.push_str(&format!(
        "\n{}:\n{t}\n",
        pick(
            lang,
            "Scorer pr. socialtilsyn (andel af bedømmelserne med hver score; samlet score pr. besøg = gennemsnit af temascorerne)",
            "Scores per authority (share of ratings with each score; overall score per visit = mean of theme scores)"
        )
    ));
    out.push_str(&pairs_table(analysis, lang));
    out.push_str(&deviation_table(analysis, lang));
    if let Some(mix) = &analysis.case_mix {
        out.push_str(&super::casemix::terminal_lines(mix, lang));
    }
    if let Some(periods) = analysis.compared_periods() {
        out.push_str(&super::periods::terminal_lines(periods, lang));
    }
    out.push_str(&dates_line(&analysis.filtered, &analysis.sources, lang));
    out
}

/// What the check of the export's own roll-up found, in a few lines, in `lang`.
pub fn export_check_lines(check: &ExportCheck, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let decimals: Vec<String> = check
        .rounding
        .iter()
        .map(|r| format!("{} {}", locale::level_name(r.level, lang), r.decimals))
        .collect();
    let mut out = match lang {
        Lang::Da => format!(
            "\nEksportens egne scorer: udtrækket angiver {} kriterie-, tema- og samlede scorer; {} af {} \
             sammenlignede stemmer med losstats beregning inden for udtrækkets afrunding (decimaler: {})",
            check.levels_read,
            check.agreeing,
            check.compared,
            decimals.join(", ")
        ),
        Lang::En => format!(
            "\nExport check: the export states {} criterion, theme and overall scores; {} of {} compared \
             agree with losstat's roll-up within the export's rounding (decimals: {})",
            check.levels_read,
            check.agreeing,
            check.compared,
            decimals.join(", ")
        ),
    };
    let skipped = [
        (
            check.visit_not_kept,
            pick(
                lang,
                "fra besøg, som filtrene frasorterede",
                "of visits the filters dropped",
            ),
        ),
        (check.unreadable, pick(lang, "er ikke tal", "not numbers")),
        (
            check.not_in_rollup,
            pick(
                lang,
                "for enheder uden gyldig bedømmelse",
                "for units without a valid rating",
            ),
        ),
    ];
    for (count, why) in skipped.iter().filter(|(count, _)| *count > 0) {
        out.push_str(&format!("; {count} {why}"));
    }
    out.push_str(".\n");
    if let Some(worst) = check.largest_differences.first() {
        let unit = worst.unit.map_or_else(String::new, |u| format!(" {u}"));
        let level = locale::level_name(worst.level, lang);
        let exported = n.as_written(&worst.exported);
        let recomputed = worst
            .recomputed
            .map_or(n.missing().to_owned(), |r| n.fixed(r, 3));
        out.push_str(&match lang {
            Lang::Da => format!(
                "  {} stemmer ikke; den største: {level}{unit} i besøg {} er {exported} i udtrækket, \
                 {recomputed} genberegnet. Alle scorer står i export_check.csv.\n",
                check.disagreeing, worst.visit_id
            ),
            Lang::En => format!(
                "  {} disagree; the largest: {level}{unit} of visit {} is {exported} in the export, \
                 {recomputed} recomputed. Every score is in export_check.csv.\n",
                check.disagreeing, worst.visit_id
            ),
        });
        for fit in check
            .definitions
            .iter()
            .filter(|f| !f.los && f.explains > 0)
        {
            let level = locale::level_name(fit.level, lang);
            let definition = locale::definition_name(fit.definition, lang);
            out.push_str(&match lang {
                Lang::Da => format!(
                    "  På niveauet {level} forklarer {definition} {} af udtrækkets {} scorer (losstat \
                     bruger LOS' definition).\n",
                    fit.explains, fit.of
                ),
                Lang::En => format!(
                    "  The {level} score as {definition} explains {} of the export's {} {level} scores \
                     (losstat uses LOS's definition).\n",
                    fit.explains, fit.of
                ),
            });
        }
    }
    out
}

/// The notes `losstat simulate` prints: what it wrote to `path`, and what `--dirty` injected.
pub fn simulated(simulation: &crate::simulate::Simulation, path: &std::path::Path) -> Vec<String> {
    let ratings = simulation.rows - simulation.level_rows;
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

/// How the overall pairs' p-values were adjusted, for the heading of the pairs table.
fn adjusted_with(analysis: &Analysis, lang: Lang) -> String {
    let adjustment = analysis.options.pairwise.adjustment;
    let name = locale::adjustment_name(adjustment, lang);
    match (adjustment, lang) {
        (crate::stats::multitest::Adjustment::None, Lang::Da) => "p ikke justeret".to_owned(),
        (crate::stats::multitest::Adjustment::None, Lang::En) => "p not adjusted".to_owned(),
        (_, Lang::Da) => format!("p justeret med {name} over parrene"),
        (_, Lang::En) => format!("p adjusted with {name} over the pairs"),
    }
}

fn pairs_table(analysis: &Analysis, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let o = &analysis.options;
    let delta = format!(
        "{} [{}]",
        pick(lang, "Cliffs delta", "Cliff's delta"),
        locale::confidence_label(o.confidence, n)
    );
    let mut t = table(&[
        pick(lang, "par", "pair"),
        "n",
        "D",
        "p SciPy",
        pick(lang, "p eksakt (ties)", "p ties-exact"),
        "p perm.",
        pick(lang, "p justeret", "p adjusted"),
        "signif.",
        &delta,
    ]);
    for p in analysis.overall_pairs() {
        t.add_row(vec![
            Cell::new(format!("{} - {}", short(&p.a), short(&p.b))),
            right(format!("{}/{}", p.n_a, p.n_b)),
            right(n.fixed(p.statistic, 3)),
            right(n.p(p.p_value)),
            right(n.p(p.p_value_ties)),
            right(
                p.p_value_permutation
                    .map_or(n.missing().to_owned(), |v| n.p(v)),
            ),
            right(n.p(p.p_value_adjusted)),
            Cell::new(locale::yes_no(p.significant, lang)),
            right(n.with_interval(
                p.cliffs_delta,
                p.cliffs_delta_ci_low,
                p.cliffs_delta_ci_high,
                3,
            )),
        ]);
    }
    let heading = match lang {
        Lang::Da => format!(
            "Parvis sammenligning af de samlede scorer (to-stikprøve Kolmogorov–Smirnov; {}, \
             signifikant ved alpha = {}; fuld præcision i ks.csv)",
            adjusted_with(analysis, lang),
            n.plain(o.pairwise.alpha)
        ),
        Lang::En => format!(
            "Pairwise comparison of overall scores (two-sample Kolmogorov-Smirnov; {}, \
             significant at alpha = {}; full precision in ks.csv)",
            adjusted_with(analysis, lang),
            n.plain(o.pairwise.alpha)
        ),
    };
    format!("\n{heading}:\n{t}\n")
}

fn deviation_table(analysis: &Analysis, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let mut rows: Vec<_> = analysis.deviation.iter().collect();
    rows.sort_by(|a, b| {
        b.significant
            .cmp(&a.significant)
            .then(b.cell.deviation.abs().total_cmp(&a.cell.deviation.abs()))
    });
    let deviation = format!(
        "{} [{}]",
        pick(lang, "afvigelse", "deviation"),
        locale::confidence_label(analysis.options.confidence, n)
    );
    let mut t = table(&[
        pick(lang, "indikator", "indicator"),
        pick(lang, "socialtilsyn", "authority"),
        "n",
        pick(lang, "gns.", "mean"),
        pick(lang, "landsgns.", "national"),
        &deviation,
        "q",
        "signif.",
    ]);
    for r in rows.iter().take(TOP_DEVIATIONS) {
        let c = &r.cell;
        t.add_row(vec![
            Cell::new(&r.indicator),
            Cell::new(short(&c.authority)),
            right(c.n),
            right(n.fixed(c.mean, 3)),
            right(n.fixed(c.national_mean, 3)),
            right(n.with_interval(c.deviation, c.ci_low, c.ci_high, 3)),
            right(r.q_value.map_or(n.missing().to_owned(), |q| n.p(q))),
            Cell::new(locale::yes_no(r.significant, lang)),
        ]);
    }
    let significant = analysis.deviation.iter().filter(|r| r.significant).count();
    let cells = analysis.deviation.len();
    let heading = match lang {
        Lang::Da => format!(
            "Største afvigelser fra landsgennemsnittet pr. indikator ({significant} af {cells} celler \
             signifikante efter Benjamini–Hochberg; alle i deviation.csv)"
        ),
        Lang::En => format!(
            "Largest deviations from the national mean per indicator ({significant} of {cells} cells \
             significant after Benjamini-Hochberg; all in deviation.csv)"
        ),
    };
    format!("\n{heading}:\n{t}\n")
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

/// The `check` report in `lang`: what would be excluded, why, where, per authority.
pub fn check_report(screening: &Screening, lang: Lang) -> String {
    let filtered = &screening.filtered;
    let mut out = String::new();
    for s in &screening.sources {
        out.push_str(&format!(
            "{}: {}\n",
            pick(lang, "Data", "Input"),
            describe_source(s, lang)
        ));
    }
    out.push('\n');
    out.push_str(&filter_table(filtered, lang));
    out.push_str(&per_authority_table(filtered, lang));
    if !filtered.exclusions.is_empty() {
        let mut t = table(&[
            pick(lang, "hvor", "where"),
            pick(lang, "regel", "rule"),
            pick(lang, "besøg", "visit"),
            pick(lang, "indikator", "indicator"),
            pick(lang, "værdi", "value"),
            pick(lang, "detalje", "detail"),
        ]);
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
        let all = filtered.exclusions.len();
        let more = all.saturating_sub(CHECK_LISTED);
        let heading = match (lang, more > 0) {
            (Lang::Da, false) => format!("Frasorteringer og markeringer ({all} i alt)"),
            (Lang::Da, true) => format!(
                "Frasorteringer og markeringer ({all} i alt; de første {CHECK_LISTED} vist, alle med --format csv)"
            ),
            (Lang::En, false) => format!("Exclusions and flags ({all} in all)"),
            (Lang::En, true) => format!(
                "Exclusions and flags ({all} in all; the first {CHECK_LISTED} shown, all with --format csv)"
            ),
        };
        out.push_str(&format!("\n{heading}:\n{t}\n"));
    }
    out.push_str(&dates_line(filtered, &screening.sources, lang));
    out
}

/// What each rule removed per authority (empty when no rule counted an authority).
fn per_authority_table(filtered: &Filtered, lang: Lang) -> String {
    let authorities: std::collections::BTreeSet<&String> = filtered
        .summary
        .rules
        .iter()
        .flat_map(|r| r.by_authority.keys())
        .collect();
    if authorities.is_empty() {
        return String::new();
    }
    let (visits, ratings) = (pick(lang, "t", "v"), pick(lang, "b", "r"));
    let mut header = vec![pick(lang, "regel", "rule").to_owned()];
    header.extend(
        authorities
            .iter()
            .map(|a| locale::authority_key(a, lang).to_owned()),
    );
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
                Scope::Visit => format!("{} {visits} / {} {ratings}", d.visits, d.ratings),
                Scope::Rating | Scope::Flag => format!("{} {ratings}", d.ratings),
            }));
        }
        t.add_row(row);
    }
    let legend = pick(
        lang,
        "Pr. socialtilsyn (t = tilsynsbesøg, b = bedømmelser)",
        "Per authority (v = visits, r = ratings)",
    );
    format!("\n{legend}:\n{t}\n")
}

/// One line on the visit dates in `lang`, when something is worth saying
/// ([`crate::filter::DateReport::worth_saying`]): a file read month first, a file with dates in
/// both orders, dates that are not dates. Files are separated by ` | `. Empty otherwise. The
/// example dates are quoted as the input wrote them.
pub fn dates_line(filtered: &Filtered, sources: &[Source], lang: Lang) -> String {
    let parts: Vec<String> = filtered
        .dates
        .iter()
        .filter(|r| r.worth_saying())
        .map(|r| {
            let file = sources.get(r.file as usize).map_or_else(
                || format!("{} {}", pick(lang, "fil", "file"), r.file),
                |s| s.path.display().to_string(),
            );
            let example = |e: &Option<String>| shorten(e.as_deref().unwrap_or(""), 20);
            let mut said = Vec::new();
            if r.ambiguous {
                let (day, month) = (
                    example(&r.day_first_example),
                    example(&r.month_first_example),
                );
                said.push(match lang {
                    Lang::Da => format!(
                        "datoer i begge rækkefølger ({} kun dag først, fx {day}; {} kun måned først, \
                         fx {month}): læst som dag-måned-år, dem med måneden først er ikke læst",
                        r.day_first, r.month_first
                    ),
                    Lang::En => format!(
                        "dates in both orders ({} only day-first such as {day}, {} only month-first \
                         such as {month}): read day-month-year, the month-first ones not read",
                        r.day_first, r.month_first
                    ),
                });
            } else if r.order == DateOrder::MonthFirst {
                let month = example(&r.month_first_example);
                said.push(match lang {
                    Lang::Da => format!(
                        "læst som måned-dag-år ({} datoer, fx {month}, kan kun læses sådan)",
                        r.month_first
                    ),
                    Lang::En => format!(
                        "read month-day-year ({} dates such as {month} can only be read so)",
                        r.month_first
                    ),
                });
            }
            if r.unreadable > 0 {
                let bad = example(&r.unreadable_example);
                said.push(match lang {
                    Lang::Da => format!(
                        "{} forskellige datoer kan ikke læses (fx {bad})",
                        r.unreadable
                    ),
                    Lang::En => format!(
                        "{} distinct dates not readable (such as {bad})",
                        r.unreadable
                    ),
                });
            }
            format!("{file}: {}", said.join("; "))
        })
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    let flagged = if filtered.dates.iter().any(|r| r.not_read() > 0) {
        pick(
            lang,
            " (bedømmelser, hvis dato ikke blev læst, er beholdt og markeret invalid_date)",
            " (ratings whose date was not read are kept, flagged invalid_date)",
        )
    } else {
        ""
    };
    format!(
        "\n{}: {}{flagged}.\n",
        pick(lang, "Datoer", "Dates"),
        parts.join(" | ")
    )
}

/// The model listing for `losstat model`, in `lang` (the indicator texts and `applies to`
/// are the model file's own).
pub fn model_listing(model: &QualityModel, lang: Lang) -> String {
    let mut t = table(&[
        pick(lang, "tema", "theme"),
        pick(lang, "kriterium", "criterion"),
        pick(lang, "indikator", "indicator"),
        pick(lang, "universel", "universal"),
        "status",
        pick(lang, "gælder for", "applies to"),
        pick(lang, "indikator (parafrase)", "indicator (paraphrase)"),
    ]);
    for i in &model.indicators {
        t.add_row(vec![
            Cell::new(format!("{} {}", i.theme, model.theme_label(i.theme))),
            right(i.id.criterion),
            Cell::new(i.id.to_string()),
            Cell::new(locale::yes_no(i.universal, lang)),
            Cell::new(i.status.as_deref().unwrap_or("")),
            Cell::new(shorten(i.applies_to.as_deref().unwrap_or(""), 40)),
            Cell::new(shorten(i.name.as_deref().unwrap_or(""), 60)),
        ]);
    }
    let origin = locale::model_origin(&model.origin, lang);
    let (themes, criteria, indicators, universal) = (
        model.themes.len(),
        model.criteria.len(),
        model.indicators.len(),
        model.universal().count(),
    );
    let line = match lang {
        Lang::Da => format!(
            "Kvalitetsmodel: {origin} ({themes} temaer, {criteria} kriterier, {indicators} indikatorer, \
             {universal} universelle)"
        ),
        Lang::En => format!(
            "Quality model: {origin} ({themes} themes, {criteria} criteria, {indicators} indicators, \
             {universal} universal)"
        ),
    };
    format!("{line}\n{t}\n")
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

/// The `spider` summary of one visit, in `lang`.
pub fn visit_profile(p: &VisitProfile, model: &QualityModel, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let mut out = format!(
        "{} {} ({})",
        pick(lang, "Tilsynsbesøg", "Visit"),
        p.visit_id,
        p.authority
    );
    for (label, value) in [
        (pick(lang, "tilbud", "offer"), &p.offer_id),
        (pick(lang, "tilbudstype", "type"), &p.offer_type),
        (pick(lang, "dato", "date"), &p.visit_date),
    ] {
        if let Some(v) = value {
            out.push_str(&format!(", {label} {v}"));
        }
    }
    out.push('\n');
    let mean_of = |list: &[crate::analysis::ThemeMean], theme: u32| {
        list.iter()
            .find(|m| m.theme == theme)
            .map_or(n.missing().to_owned(), |m| n.fixed(m.mean, 2))
    };
    let mut t = table(&[
        pick(lang, "tema", "theme"),
        pick(lang, "indikatorer", "indicators"),
        pick(lang, "temascore", "theme score"),
        pick(lang, "socialtilsynets gns.", "authority mean"),
        pick(lang, "landsgns.", "national mean"),
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
            .map(|(id, s)| format!("{id}={}", n.plain(*s)))
            .collect();
        t.add_row(vec![
            Cell::new(format!("{theme} {}", model.theme_label(*theme))),
            Cell::new(indicators.join(" ")),
            right(n.fixed(*score, 2)),
            right(mean_of(&p.authority_means, *theme)),
            right(mean_of(&p.national_means, *theme)),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    out.push_str(&visit_notes(p, n));
    out
}

/// The lines under the `spider` table: overall score, missing universal indicators, the rules
/// that drop the visit, the offer's other visits.
fn visit_notes(p: &VisitProfile, n: Numbers) -> String {
    let lang = n.lang();
    let mut out = String::new();
    if let Some(overall) = p.overall {
        out.push_str(&format!(
            "{}: {}\n",
            pick(
                lang,
                "Samlet score (gennemsnit af temascorerne)",
                "Overall score (mean of the theme scores)"
            ),
            n.fixed(overall, 3)
        ));
    }
    if p.missing_universal.is_empty() {
        out.push_str(pick(
            lang,
            "Alle universelle indikatorer har en gyldig score.\n",
            "Every universal indicator has a valid score.\n",
        ));
    } else {
        out.push_str(&format!(
            "{}: {}\n",
            pick(
                lang,
                "Universelle indikatorer uden gyldig score",
                "Universal indicators without a valid score"
            ),
            p.missing_universal.join(", ")
        ));
    }
    for (list, da, en) in [
        (
            &p.excluded_by,
            "Besøget er frasorteret i sammenligningerne af",
            "This visit is excluded from the comparisons by",
        ),
        (
            &p.other_visits,
            "Tidligere besøg i tilbuddet",
            "Earlier visits of this offer",
        ),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("{}: {}\n", pick(lang, da, en), list.join(", ")));
        }
    }
    out
}
