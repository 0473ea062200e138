//! The comparison across periods ([`crate::analysis::periods`]) in words and tables, in
//! `--lang`: the terminal lines and the report section. Both say, in plain words, what made
//! the periods, which visits were left out, each authority's mean overall score per period,
//! how far apart the authorities were in each period, and whether that spread changed from
//! the first period to the last — the audit function's question whether practice has
//! converged. Shown only with two periods or more ([`Analysis::compared_periods`]).

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use crate::analysis::Analysis;
use crate::analysis::periods::{
    AdjustedSpread, Change, LeftOutReason, PeriodBy, Periods, Spread, SpreadChange,
};
use crate::plot::Lang;
use crate::simulate::{CONVERGENCE_SHIFTS, SimulationOptions};
use crate::stats::spread::SdChange;

use super::html::escape;
use super::locale::{self, Numbers, pick};

/// How many changes the terminal lists.
const LISTED_CHANGES: usize = 10;

/// `4,278 [4,241; 4,313]`: an unsigned estimate with its interval.
fn with_ci(n: Numbers, value: f64, ci: Option<[f64; 2]>) -> String {
    match ci {
        Some([lo, hi]) => format!(
            "{} [{}{} {}]",
            n.fixed(value, 3),
            n.fixed(lo, 3),
            pick(n.lang(), ";", ","),
            n.fixed(hi, 3)
        ),
        None => n.fixed(value, 3),
    }
}

/// What made the periods, and which visits were left out, in one sentence.
fn intro(p: &Periods, lang: Lang) -> String {
    let labels: Vec<&str> = p.periods.iter().map(|x| x.label.as_str()).collect();
    let mut text = match (p.by, lang) {
        (PeriodBy::Year, Lang::Da) => {
            format!("Perioder efter besøgsdatoens år: {}.", labels.join(", "))
        }
        (PeriodBy::Year, Lang::En) => format!(
            "Periods by the year of the visit date: {}.",
            labels.join(", ")
        ),
        (PeriodBy::File, Lang::Da) => format!("Én periode pr. inputfil: {}.", labels.join(", ")),
        (PeriodBy::File, Lang::En) => format!("One period per input file: {}.", labels.join(", ")),
    };
    let undated = p.left_out_for(LeftOutReason::NoDate);
    let several = p.left_out_for(LeftOutReason::SeveralFiles);
    if undated > 0 {
        text.push(' ');
        text.push_str(&match lang {
            Lang::Da => format!("{undated} besøg uden læsbar dato indgår ikke i nogen periode (listet i results.json, periods.left_out)."),
            Lang::En => format!("{undated} visits without a readable date are in no period (listed in results.json, periods.left_out)."),
        });
    }
    if several > 0 {
        text.push(' ');
        text.push_str(&match lang {
            Lang::Da => format!("{several} besøg med bedømmelser i flere filer indgår ikke i nogen periode (listet i results.json, periods.left_out)."),
            Lang::En => format!("{several} visits with ratings in several files are in no period (listed in results.json, periods.left_out)."),
        });
    }
    text
}

/// Whether the spread changed from the first period to the last, in plain words.
fn verdict(p: &Periods, n: Numbers) -> String {
    let lang = n.lang();
    let Some(c) = &p.spread_change else {
        return pick(
            lang,
            "Spredningens ændring kunne ikke testes (færre end to socialtilsyn i både første og sidste periode).",
            "The change in spread could not be tested (fewer than two authorities in both the first and the last period).",
        )
        .to_string();
    };
    let SpreadChange {
        from,
        to,
        sd_from,
        sd_to,
        ..
    } = c;
    let (sd_from, sd_to) = (n.fixed(*sd_from, 3), n.fixed(*sd_to, 3));
    let test = test_phrase(c.p_value, n);
    let significant = c.p_value.is_some_and(|pv| pv <= p.alpha);
    let words = match (significant, c.difference < 0.0, lang) {
        (true, true, Lang::Da) => {
            "Socialtilsynene er kommet tættere på hinanden: praksis er blevet mere ens."
        }
        (true, true, Lang::En) => {
            "The authorities have moved closer together: practice has converged."
        }
        (true, false, Lang::Da) => {
            "Socialtilsynene er kommet længere fra hinanden: praksis er blevet mere forskellig."
        }
        (true, false, Lang::En) => {
            "The authorities have moved further apart: practice has diverged."
        }
        (false, _, Lang::Da) => {
            "Ændringen er ikke større, end tilfældigheder kan forklare: der er ikke påvist, at praksis er blevet mere ens."
        }
        (false, _, Lang::En) => {
            "The change is no larger than chance explains: no convergence of practice is shown."
        }
    };
    let adjusted = c
        .adjusted
        .as_ref()
        .map(|a| adjusted_verdict(a, p.alpha, n))
        .unwrap_or_default();
    match lang {
        Lang::Da => format!(
            "Spredningen mellem socialtilsynene (standardafvigelsen af deres gennemsnitlige samlede score) gik fra {sd_from} i {from} til {sd_to} i {to} ({test}). {words}{adjusted}"
        ),
        Lang::En => format!(
            "The spread between the authorities (the standard deviation of their mean overall scores) went from {sd_from} in {from} to {sd_to} in {to} ({test}). {words}{adjusted}"
        ),
    }
}

/// "permutation test: p = …", or that there was no test.
fn test_phrase(p_value: Option<f64>, n: Numbers) -> String {
    let lang = n.lang();
    match p_value {
        Some(pv) => format!(
            "{}: {}",
            pick(lang, "permutationstest", "permutation test"),
            n.p_phrase(pv)
        ),
        None => pick(lang, "ikke testet", "not tested").to_string(),
    }
}

/// The change of the spread of the standardised means, as a sentence after the plain one
/// (with its leading space).
fn adjusted_verdict(a: &SdChange, alpha: f64, n: Numbers) -> String {
    let (from, to) = (n.fixed(a.sd_from, 3), n.fixed(a.sd_to, 3));
    let test = test_phrase(a.p_value, n);
    let significant = a.p_value.is_some_and(|pv| pv <= alpha);
    match (n.lang(), significant) {
        (Lang::Da, true) => format!(
            " Med gennemsnit standardiseret til landets blanding af tilbudstyper gik den fra {from} til {to} ({test}): en ændring, som en ændret blanding af tilbudstyper ikke forklarer."
        ),
        (Lang::Da, false) => format!(
            " Med gennemsnit standardiseret til landets blanding af tilbudstyper gik den fra {from} til {to} ({test}): ikke større, end tilfældigheder kan forklare."
        ),
        (Lang::En, true) => format!(
            " With the means standardised to the national mix of offer types it went from {from} to {to} ({test}): a change that a changed mix of offer types does not explain."
        ),
        (Lang::En, false) => format!(
            " With the means standardised to the national mix of offer types it went from {from} to {to} ({test}): no larger than chance explains."
        ),
    }
}

/// The significant changes of authority means, in words; or that there were none.
fn changes_in_words(p: &Periods, n: Numbers) -> Vec<String> {
    let lang = n.lang();
    let significant: Vec<&Change> = p.changes.iter().filter(|c| c.significant).collect();
    if significant.is_empty() {
        return vec![
            pick(
                lang,
                "Intet socialtilsyns gennemsnit ændrede sig signifikant fra en periode til den næste (Welch).",
                "No authority's mean changed significantly from one period to the next (Welch).",
            )
            .to_string(),
        ];
    }
    let mut lines = vec![format!(
        "{} ({}):",
        pick(
            lang,
            "Signifikante ændringer af et socialtilsyns gennemsnit fra en periode til den næste",
            "Significant changes of an authority's mean from one period to the next"
        ),
        adjusted_with(p, lang)
    )];
    for c in significant.iter().take(LISTED_CHANGES) {
        lines.push(format!(
            "  {} {} → {}: {} ({})",
            c.authority,
            c.from,
            c.to,
            n.with_interval(
                c.difference,
                c.difference_ci.map(|x| x[0]),
                c.difference_ci.map(|x| x[1]),
                3
            ),
            n.p_phrase(c.p_value_adjusted.unwrap_or(f64::NAN))
        ));
    }
    if significant.len() > LISTED_CHANGES {
        lines.push(format!(
            "  … {} {}",
            significant.len() - LISTED_CHANGES,
            pick(lang, "flere i periods.csv", "more in periods.csv")
        ));
    }
    lines
}

/// How the change p-values were adjusted.
fn adjusted_with(p: &Periods, lang: Lang) -> String {
    let name = locale::adjustment_name(p.adjustment, lang);
    match lang {
        Lang::Da => format!("Welch, p justeret med {name} over socialtilsynene"),
        Lang::En => format!("Welch, p adjusted with {name} over the authorities"),
    }
}

/// The rows of the per-period table: each authority's mean per period, then the spread.
fn period_rows(p: &Periods, n: Numbers) -> Vec<Vec<String>> {
    let lang = n.lang();
    let names = p.authority_names();
    let mut rows: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let mut row = vec![(*name).to_string()];
            row.extend(p.periods.iter().map(|x| {
                x.authorities
                    .iter()
                    .find(|a| a.authority == *name)
                    .map_or(n.missing().to_string(), |a| with_ci(n, a.mean, a.ci))
            }));
            row
        })
        .collect();
    let visits = pick(lang, "besøg", "visits").to_string();
    let mut counts = vec![visits];
    counts.extend(p.periods.iter().map(|x| x.visits.to_string()));
    rows.push(counts);
    let spread_row = |label: &str, pick_spread: fn(&Spread) -> (f64, Option<[f64; 2]>)| {
        let mut row = vec![label.to_string()];
        row.extend(p.periods.iter().map(|x| {
            x.spread.as_ref().map_or(n.missing().to_string(), |s| {
                let (value, ci) = pick_spread(s);
                with_ci(n, value, ci)
            })
        }));
        row
    };
    rows.push(spread_row(pick(lang, "spredning: SD", "spread: SD"), |s| {
        (s.sd, s.sd_ci)
    }));
    rows.push(spread_row(
        pick(lang, "spredning: spændvidde", "spread: range"),
        |s| (s.range, s.range_ci),
    ));
    rows.push(spread_row(
        pick(
            lang,
            "gns. |afvigelse| pr. indikator",
            "mean |deviation| per indicator",
        ),
        |s| (s.mean_abs_deviation, s.mean_abs_deviation_ci),
    ));
    if p.periods
        .iter()
        .any(|x| x.spread.as_ref().is_some_and(|s| s.adjusted.is_some()))
    {
        adjusted_rows(p, n, &mut rows);
    }
    rows
}

/// The spread of the means standardised to the national offer-type mix, per period.
fn adjusted_rows(p: &Periods, n: Numbers, rows: &mut Vec<Vec<String>>) {
    type Pick = fn(&AdjustedSpread) -> (f64, Option<[f64; 2]>);
    let lang = n.lang();
    let statistics: [(&str, Pick); 2] = [
        (
            pick(
                lang,
                "spredning justeret for tilbudstype: SD",
                "spread adjusted for offer type: SD",
            ),
            |a| (a.sd, a.sd_ci),
        ),
        (
            pick(
                lang,
                "spredning justeret for tilbudstype: spændvidde",
                "spread adjusted for offer type: range",
            ),
            |a| (a.range, a.range_ci),
        ),
    ];
    for (label, pick_adjusted) in statistics {
        let mut row = vec![label.to_string()];
        row.extend(p.periods.iter().map(|x| {
            x.spread.as_ref().and_then(|s| s.adjusted.as_ref()).map_or(
                n.missing().to_string(),
                |a| {
                    let (value, ci) = pick_adjusted(a);
                    with_ci(n, value, ci)
                },
            )
        }));
        rows.push(row);
    }
}

/// The heading of the per-period table's first column, with the interval level.
fn first_heading(p: &Periods, n: Numbers) -> String {
    format!(
        "{} [{}]",
        pick(n.lang(), "gns. samlet score", "mean overall score"),
        locale::confidence_label(p.confidence, n)
    )
}

/// The period lines of the terminal summary.
pub fn terminal_lines(p: &Periods, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let mut t = Table::new();
    t.load_preset(ASCII_MARKDOWN);
    let mut header = vec![first_heading(p, n)];
    header.extend(p.periods.iter().map(|x| x.label.clone()));
    t.set_header(header.iter().map(Cell::new));
    for row in period_rows(p, n) {
        t.add_row(row.iter().enumerate().map(|(i, v)| {
            let cell = Cell::new(v);
            if i == 0 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    let mut out = format!("\n{}\n{t}\n{}\n", intro(p, lang), verdict(p, n));
    for line in changes_in_words(p, n) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The period section of `report.html`.
pub fn html_section(h: &mut String, p: &Periods, n: Numbers) {
    let lang = n.lang();
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<p><strong>{}</strong></p>",
        pick(
            lang,
            "Perioder: er praksis blevet mere ens?",
            "Periods: has practice converged?"
        ),
        escape(&intro(p, lang)),
        escape(&verdict(p, n))
    );
    let mut header = vec![first_heading(p, n)];
    header.extend(p.periods.iter().map(|x| x.label.clone()));
    html_table(h, &header, &period_rows(p, n));
    let _ = writeln!(
        h,
        "<p>{}</p>",
        escape(
            &changes_in_words(p, n)
                .iter()
                .map(|line| line.trim())
                .collect::<Vec<_>>()
                .join(" ")
        )
    );
    let _ = writeln!(
        h,
        "<h3>{}</h3>",
        pick(
            lang,
            "Ændringer fra periode til periode",
            "Changes from period to period"
        )
    );
    html_table(h, &change_headings(p, n), &change_rows(p, n));
    let note = match lang {
        Lang::Da => format!(
            "Interval for gennemsnit: t-fordelingen; for spredningen: percentil-bootstrap ({} gentagelser, besøg trukket inden for hvert socialtilsyn). Spredningen af estimerede gennemsnit rummer også deres usikkerhed og er derfor størst, hvor socialtilsynene har få besøg; er den sande spredning lille, kan intervallet ligge helt over estimatet. Ændring: senere minus tidligere periode, Welchs interval og test ({}); KS: Kolmogorov–Smirnov, p som SciPy og eksakt givet ties. Spredningens ændring fra første til sidste periode testes ved at permutere periodemærkerne blandt hvert socialtilsyns besøg. Justeret for tilbudstype: gennemsnit standardiseret direkte til landets fordeling af tilbudstyper over alle perioder. Alle tal står i periods.csv og results.json.",
            p.bootstrap,
            adjusted_with(p, lang)
        ),
        Lang::En => format!(
            "Interval of a mean: the t distribution; of the spread: percentile bootstrap ({} replicates, visits resampled within each authority). The spread of estimated means also holds their uncertainty, so it is largest where authorities have few visits; where the true spread is small, the interval can lie wholly above the estimate. Change: later minus earlier period, Welch's interval and test ({}); KS: Kolmogorov–Smirnov, p as SciPy and exact given the ties. The change in spread from the first period to the last is tested by permuting the period labels among each authority's visits. Adjusted for offer type: means standardised directly to the national mix of offer types over all periods. Every number is in periods.csv and results.json.",
            p.bootstrap,
            adjusted_with(p, lang)
        ),
    };
    let _ = writeln!(h, "<p class=\"meta\">{}</p>", escape(&note));
}

/// The headings of the changes table.
fn change_headings(p: &Periods, n: Numbers) -> Vec<String> {
    let lang = n.lang();
    vec![
        pick(lang, "Socialtilsyn", "Authority").to_string(),
        pick(lang, "Perioder", "Periods").to_string(),
        format!(
            "{} [{}]",
            pick(lang, "Ændring af gns.", "Change of mean"),
            locale::confidence_label(p.confidence, n)
        ),
        pick(lang, "p justeret (Welch)", "p adjusted (Welch)").to_string(),
        "KS D".to_string(),
        "p (SciPy)".to_string(),
        pick(lang, "p (eksakt med ties)", "p (tie-exact)").to_string(),
    ]
}

/// One row per authority and pair of consecutive periods.
fn change_rows(p: &Periods, n: Numbers) -> Vec<Vec<String>> {
    let p_or_missing = |x: Option<f64>| x.map_or(n.missing().to_string(), |x| n.p(x));
    p.changes
        .iter()
        .map(|c| {
            vec![
                c.authority.clone(),
                format!("{} → {}", c.from, c.to),
                n.with_interval(
                    c.difference,
                    c.difference_ci.map(|x| x[0]),
                    c.difference_ci.map(|x| x[1]),
                    3,
                ),
                p_or_missing(c.p_value_adjusted),
                n.fixed(c.ks_statistic, 3),
                n.p(c.ks_p_value),
                p_or_missing(c.ks_p_value_ties),
            ]
        })
        .collect()
}

/// A table of text cells, the first column left-aligned and the rest as numbers.
fn html_table(h: &mut String, header: &[String], rows: &[Vec<String>]) {
    let _ = write!(h, "<table>\n<tr>");
    for heading in header {
        let _ = write!(h, "<th>{}</th>", escape(heading));
    }
    let _ = writeln!(h, "</tr>");
    for row in rows {
        let _ = write!(h, "<tr>");
        for (i, value) in row.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(h, "<td{class}>{}</td>", escape(value));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table>");
}

/// Why `--period` compared nothing, if it was given and found fewer than two periods (a
/// warning for standard error, in English as the others are).
pub fn not_compared(analysis: &Analysis) -> Option<String> {
    let p = analysis.periods.as_ref()?;
    if p.compared() {
        return None;
    }
    let by = match p.by {
        PeriodBy::Year => "year",
        PeriodBy::File => "file",
    };
    Some(match p.periods.first() {
        None => format!(
            "--period {by}: no kept visit falls in a period (no readable visit dates?); nothing compared across periods"
        ),
        Some(only) => format!(
            "--period {by}: every kept visit falls in one period ({}); nothing compared across periods",
            only.label
        ),
    })
}

/// The note `simulate` prints for a multi-year export (`None` for one export).
pub fn simulated_years(options: &SimulationOptions) -> Option<String> {
    let years = options.years?;
    let span = format!(
        "{} years, {}–{}",
        years.last - years.first + 1,
        years.first,
        years.last
    );
    Some(match years.convergence {
        None => format!("simulated {span}, the same practice every year"),
        Some(x) => {
            let shifts = options.truth.map_or(CONVERGENCE_SHIFTS, |t| t.severity);
            let shifts: Vec<String> = shifts.iter().map(f64::to_string).collect();
            format!(
                "simulated {span}; known truth: each authority's latent shift ({}) times {x} per year",
                shifts.join(", ")
            )
        }
    })
}
