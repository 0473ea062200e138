//! The case-mix analysis ([`crate::analysis::casemix`]) in words and tables, in `--lang`: the
//! terminal lines and the report section. Both say, in plain words, whether the authorities
//! supervise different mixes of offer types, how large each authority's difference is once
//! offer type is accounted for (three ways), and the limit of any such adjustment.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use crate::analysis::casemix::CaseMix;
use crate::plot::Lang;

use super::html::escape;
use super::locale::{Numbers, pick};

/// The limit of adjustment, said wherever adjusted numbers are shown.
fn limit(lang: Lang) -> &'static str {
    pick(
        lang,
        "Hvert tilbud har ét socialtilsyn, så socialtilsyn og region følges ad: justeringen fjerner kun det, tilbudstypen forklarer, og kan ikke skelne et strengere socialtilsyn fra bedre tilbud.",
        "Each offer is supervised by one authority, so authority and region are confounded: adjustment removes only what offer type explains, and cannot tell a stricter authority from better offers.",
    )
}

/// Whether the mix differs, with the test, in one sentence.
fn diagnostic(mix: &CaseMix, n: Numbers) -> String {
    let lang = n.lang();
    let Some(d) = mix.diagnostic else {
        return pick(
            lang,
            "Tilbudstyperne kunne ikke testes.",
            "The offer types could not be tested.",
        )
        .to_string();
    };
    let test = format!(
        "χ² = {}, df = {}, {}; Cramér's V = {}",
        n.fixed(d.statistic, 1),
        d.df,
        n.p_phrase(d.p_value),
        n.fixed(d.cramers_v, 2)
    );
    match (mix.mix_differs, lang) {
        (true, Lang::Da) => format!(
            "Socialtilsynene fører tilsyn med forskellige blandinger af tilbudstyper ({test}). De rå forskelle blander altså bedømmelse og tilbudsblanding; de justerede effekter nedenfor tager højde for tilbudstypen."
        ),
        (true, Lang::En) => format!(
            "The authorities supervise different mixes of offer types ({test}). Raw differences therefore mix scoring with case mix; the adjusted effects below account for offer type."
        ),
        (false, Lang::Da) => format!(
            "Blandingen af tilbudstyper adskiller sig ikke signifikant mellem socialtilsynene ({test})."
        ),
        (false, Lang::En) => format!(
            "The mix of offer types does not differ significantly between the authorities ({test})."
        ),
    }
}

/// `4,278 [4,241; 4,313]`: an unsigned estimate with its interval.
fn with_interval(n: Numbers, value: Option<f64>, ci: Option<[f64; 2]>) -> String {
    let Some(value) = value else {
        return n.missing().to_string();
    };
    let separator = pick(n.lang(), ";", ",");
    match ci {
        Some([lo, hi]) => format!(
            "{} [{}{separator} {}]",
            n.fixed(value, 3),
            n.fixed(lo, 3),
            n.fixed(hi, 3)
        ),
        None => n.fixed(value, 3),
    }
}

/// The column headings of the adjusted table.
fn headings(mix: &CaseMix, lang: Lang) -> [String; 6] {
    let level = Numbers::terminal(lang).percent(mix.confidence, 0);
    [
        pick(lang, "socialtilsyn", "authority").to_string(),
        pick(lang, "besøg", "visits").to_string(),
        pick(lang, "rå gns.", "raw mean").to_string(),
        format!(
            "{} [{level}]",
            pick(lang, "standardiseret gns.", "standardised mean")
        ),
        format!(
            "{} [{level}]",
            pick(
                lang,
                "forskel fra landsgns. (lineær)",
                "difference from national (linear)"
            )
        ),
        format!(
            "{} [{level}]",
            pick(
                lang,
                "odds ratio mod gns. socialtilsyn",
                "odds ratio vs average authority"
            )
        ),
    ]
}

/// One row of the adjusted table per authority.
fn rows(mix: &CaseMix, n: Numbers) -> Vec<[String; 6]> {
    mix.authorities
        .iter()
        .map(|a| {
            let difference = a.difference.map_or(n.missing().to_string(), |d| {
                n.with_interval(
                    d,
                    a.difference_ci.map(|c| c[0]),
                    a.difference_ci.map(|c| c[1]),
                    3,
                )
            });
            [
                a.authority.clone(),
                a.visits.to_string(),
                n.fixed(a.raw_mean, 3),
                with_interval(n, Some(a.standardised_mean), a.standardised_ci),
                difference,
                with_interval(n, a.odds_ratio, a.odds_ratio_ci),
            ]
        })
        .collect()
}

/// What was pooled or assumed about the offer types, if anything.
fn strata_note(mix: &CaseMix, lang: Lang) -> Option<String> {
    let s = &mix.strata;
    let pooled: Vec<&str> = s.pooled.iter().map(|p| p.offer_type.as_str()).collect();
    let mut parts = Vec::new();
    if !pooled.is_empty() {
        parts.push(match lang {
            Lang::Da => format!("sjældne tilbudstyper slået sammen: {}", pooled.join("; ")),
            Lang::En => format!("rare offer types pooled: {}", pooled.join("; ")),
        });
    }
    if s.several_types > 0 {
        parts.push(match lang {
            Lang::Da => format!(
                "{} besøg med flere tilbudstyper regnet under den første",
                s.several_types
            ),
            Lang::En => format!(
                "{} visits with several offer types counted under the first",
                s.several_types
            ),
        });
    }
    if s.unknown > 0 {
        parts.push(match lang {
            Lang::Da => format!("{} besøg uden tilbudstype som egen gruppe", s.unknown),
            Lang::En => format!(
                "{} visits without an offer type as a group of their own",
                s.unknown
            ),
        });
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The case-mix lines of the terminal summary.
pub fn terminal_lines(mix: &CaseMix, lang: Lang) -> String {
    let n = Numbers::terminal(lang);
    let mut t = Table::new();
    t.load_preset(ASCII_MARKDOWN);
    t.set_header(headings(mix, lang).iter().map(Cell::new));
    for row in rows(mix, n) {
        t.add_row(row.iter().enumerate().map(|(i, v)| {
            let cell = Cell::new(v);
            if i == 0 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    let mut out = format!(
        "\n{}: {}\n{t}\n",
        pick(lang, "Tilbudsblanding", "Case mix"),
        diagnostic(mix, n)
    );
    if let Some(note) = strata_note(mix, lang) {
        let _ = writeln!(out, "{}.", capitalised(&note));
    }
    for note in &mix.notes {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(out, "{}", limit(lang));
    out
}

/// The case-mix section of `report.html`.
pub fn html_section(h: &mut String, mix: &CaseMix, n: Numbers) {
    let lang = n.lang();
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr>",
        pick(
            lang,
            "Tilbudsblanding: justerede forskelle",
            "Case mix: adjusted differences"
        ),
        escape(&diagnostic(mix, n))
    );
    for heading in headings(mix, lang) {
        let _ = write!(h, "<th>{}</th>", escape(&heading));
    }
    let _ = writeln!(h, "</tr>");
    for row in rows(mix, n) {
        let _ = write!(h, "<tr><td>{}</td>", escape(&row[0]));
        for value in &row[1..] {
            let _ = write!(h, "<td class=\"n\">{}</td>", escape(value));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table>");
    let explanation = pick(
        lang,
        "Standardiseret: gennemsnittet vægtet til landets fordeling af tilbudstyper (bootstrap-interval). Lineær: samlet score ~ socialtilsyn + tilbudstype, forskel mellem socialtilsynets marginale gennemsnit og landsgennemsnittet (HC3-interval). Odds ratio: proportional odds-model af indikatorbedømmelserne med socialtilsyn, tilbudstype og indikator; over 1 betyder højere bedømmelser end det gennemsnitlige socialtilsyn (interval robust over for, at bedømmelser fra samme besøg hænger sammen).",
        "Standardised: the mean re-weighted to the national mix of offer types (bootstrap interval). Linear: overall score ~ authority + offer type, the authority's marginal mean minus the national mean (HC3 interval). Odds ratio: proportional-odds model of the indicator ratings on authority, offer type and indicator; above 1 means higher ratings than the average authority (interval robust to ratings of one visit being related).",
    );
    let _ = writeln!(h, "<p class=\"meta\">{}</p>", escape(explanation));
    if let Some(note) = strata_note(mix, lang) {
        let _ = writeln!(h, "<p class=\"meta\">{}.</p>", escape(&capitalised(&note)));
    }
    let _ = writeln!(h, "<p><strong>{}</strong></p>", escape(limit(lang)));
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
