//! `report.html`: one self-contained page for a policy paper's annex.
//!
//! Input: the [`Analysis`] and the figures already drawn from it. Output: HTML bytes with
//! inline CSS and inline SVG, the font embedded once as a data URL, no script and no network
//! access, so the file opens offline anywhere. Every string that comes from the input (names,
//! paths, ids) is HTML-escaped.
//!
//! Content: input (paths, SHA-256, detected format), parameters and version; the filter log;
//! the per-authority summary (LOS figure 1 and 2's numbers); figures 1–3, the KS matrix, the
//! completeness figure and one spider chart per authority, each with a caption; the pairwise
//! comparison table; the largest deviations; method notes with references.
//!
//! Language: every word, rule description, caption and note is in `--lang`, and every number
//! in its style ([`Numbers::report`]: decimal comma in Danish, `62,7 %`, `[+0,12; +0,34]`,
//! p-values as `0,043` or `< 0,001`); see [`locale`]. What stays the same in both languages:
//! rule names (`missing_authority`), file names, hashes, ids, the version.
//!
//! Print: an A4 page (`@page`), no figure or table split across pages, captions kept with
//! their figures, black text, significance shown by a word, bold type and a rule as well as by
//! colour (so it survives grey-scale printing). Each inline figure is an image for assistive
//! technology (`role="img"`) named by its caption (`aria-labelledby`).

use std::fmt::Write;

use super::locale::{self, Numbers, pick};
use crate::analysis::Analysis;
use crate::export_check::ExportCheck;
use crate::plot::{Figure, Lang};

/// Escapes text for HTML element content and attribute values.
///
/// ```
/// use losstat::report::html::escape;
/// assert_eq!(escape("<b>\"Ø\" & 'x'</b>"), "&lt;b&gt;&quot;Ø&quot; &amp; &#39;x&#39;&lt;/b&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report's own words in both languages (headings, column heads, fixed sentences).
/// Sentences that carry numbers or option values are built where they are used, with
/// [`locale`]'s words and [`Numbers`].
#[derive(Clone, Copy)]
enum Text {
    Title,
    Input,
    Parameters,
    Filter,
    FilterIntro,
    Rule,
    VisitsDropped,
    RatingsDropped,
    Meaning,
    Authorities,
    Authority,
    Visits,
    Ratings,
    Mean,
    Median,
    Figures,
    Pairwise,
    Pair,
    PScipy,
    PTies,
    PAdjusted,
    Significant,
    CliffsDelta,
    Deviations,
    Indicator,
    Deviation,
    Method,
    Kept,
    ExportCheck,
    ExportCheckIntro,
    Level,
    Compared,
    Agreeing,
    LargestDifference,
    Visit,
    Exported,
    Recomputed,
    Definitions,
}

fn t(key: Text, lang: Lang) -> &'static str {
    use Text::*;
    let (da, en) = match key {
        Title => (
            "Socialtilsynenes kvalitetsvurderinger",
            "Quality ratings by the social supervisory authorities",
        ),
        Input => ("Data", "Input"),
        Parameters => ("Parametre", "Parameters"),
        Filter => ("Frasortering", "Exclusions"),
        FilterIntro => (
            "Reglerne anvendes i denne rækkefølge; LOS' fire regler er markeret med LOS. Hver frasorteret bedømmelse er listet i exclusions.csv.",
            "The rules apply in this order; LOS' four rules are marked LOS. Every excluded rating is listed in exclusions.csv.",
        ),
        Rule => ("Regel", "Rule"),
        VisitsDropped => ("Besøg frasorteret", "Visits dropped"),
        RatingsDropped => ("Bedømmelser frasorteret", "Ratings dropped"),
        Meaning => ("Betydning", "Meaning"),
        Authorities => ("Scorer pr. socialtilsyn", "Scores per authority"),
        Authority => ("Socialtilsyn", "Authority"),
        Visits => ("Besøg", "Visits"),
        Ratings => ("Bedømmelser", "Ratings"),
        Mean => ("Gns. samlet score", "Mean overall score"),
        Median => ("Median", "Median"),
        Figures => ("Figurer", "Figures"),
        Pairwise => ("Parvise sammenligninger", "Pairwise comparisons"),
        Pair => ("Par", "Pair"),
        PScipy => ("p (SciPy)", "p (SciPy)"),
        PTies => ("p (eksakt med ties)", "p (tie-exact)"),
        PAdjusted => ("p justeret", "p adjusted"),
        Significant => ("Signifikant", "Significant"),
        CliffsDelta => ("Cliffs delta", "Cliff's delta"),
        Deviations => (
            "Største afvigelser fra landsgennemsnittet",
            "Largest deviations from the national mean",
        ),
        Indicator => ("Indikator", "Indicator"),
        Deviation => ("Afvigelse", "Deviation"),
        Method => ("Metode", "Method"),
        Kept => ("beholdt", "kept"),
        ExportCheck => ("Eksportens egne scorer", "The export's own scores"),
        ExportCheckIntro => (
            "Udtrækket indeholder også kriterie-, tema- og samlede scorer. De indgår ikke i nogen regel; her sammenlignes de med losstats egne beregninger (kriterium = gennemsnit af indikatorer, tema = gennemsnit af kriterier, samlet = gennemsnit af temaer). En score stemmer, når forskellen er inden for udtrækkets afrunding. Alle scorer står i export_check.csv.",
            "The export also states criterion, theme and overall scores. They enter no rule; here they are compared with losstat's own (criterion = mean of indicators, theme = mean of criteria, overall = mean of themes). A score agrees when the difference is within the export's rounding. Every score is in export_check.csv.",
        ),
        Level => ("Niveau", "Level"),
        Compared => ("Sammenlignet", "Compared"),
        Agreeing => ("Stemmer", "Agree"),
        LargestDifference => ("Største forskel", "Largest difference"),
        Visit => ("Besøg", "Visit"),
        Exported => ("I udtrækket", "In the export"),
        Recomputed => ("Genberegnet", "Recomputed"),
        Definitions => (
            "Hvilken definition forklarer udtrækkets scorer?",
            "Which definition explains the export's scores?",
        ),
    };
    pick(lang, da, en)
}

/// The caption of a figure (by its file stem) in `lang`.
pub fn caption(name: &str, lang: Lang) -> String {
    let da_en = |da: &str, en: &str| match lang {
        Lang::Da => da.to_string(),
        Lang::En => en.to_string(),
    };
    match name {
        "fig1_score_shares" => da_en(
            "Figur 1. Andel af indikatorbedømmelser med hver score 1–5 pr. socialtilsyn (LOS figur 1).",
            "Figure 1. Share of indicator ratings with each score 1–5 per authority (LOS figure 1).",
        ),
        "fig2_overall_distribution" => da_en(
            "Figur 2. Histogram og tæthed (Gaussisk KDE, Scotts faktor) af de samlede scorer pr. socialtilsyn; stiplet linje: gennemsnit (LOS figur 2).",
            "Figure 2. Histogram and density (Gaussian KDE, Scott's factor) of the overall scores per authority; dashed line: mean (LOS figure 2).",
        ),
        "fig2_overall_distribution_overlay" => da_en(
            "Figur 2b. Tæthederne fra figur 2 i ét panel.",
            "Figure 2b. The densities of figure 2 in one panel.",
        ),
        "fig3_deviation_heatmap" => da_en(
            "Figur 3. Afvigelse fra landsgennemsnittet pr. indikator og socialtilsyn; afdæmpede felter er ikke signifikante efter Benjamini–Hochberg (LOS figur 3).",
            "Figure 3. Deviation from the national mean per indicator and authority; muted cells are not significant after Benjamini–Hochberg (LOS figure 3).",
        ),
        "fig4_ks_matrix" => da_en(
            "Figur 4. Parvise Kolmogorov–Smirnov-tests af de samlede scorer: justeret p og D; signifikante par er markeret.",
            "Figure 4. Pairwise Kolmogorov–Smirnov tests of the overall scores: adjusted p and D; significant pairs are marked.",
        ),
        "fig6_completeness" => da_en(
            "Figur 6. Andel af besøg med gyldig score for alle universelle indikatorer, pr. tema (før LOS' besøgsregler).",
            "Figure 6. Share of visits with a valid score for every universal indicator, per theme (before the LOS visit rules).",
        ),
        "fig7_case_mix" => da_en(
            "Figur 7. Socialtilsynenes gennemsnitlige samlede score, rå og standardiseret til landets fordeling af tilbudstyper, og den justerede odds ratio for en højere bedømmelse mod det gennemsnitlige socialtilsyn, med konfidensintervaller.",
            "Figure 7. Each authority's mean overall score, raw and standardised to the national mix of offer types, and the adjusted odds ratio of a higher rating against the average authority, with confidence intervals.",
        ),
        "fig8_periods" => da_en(
            "Figur 8. Socialtilsynenes gennemsnitlige samlede score pr. periode med konfidensintervaller (venstre), og spredningen mellem dem — standardafvigelsen af de gennemsnitlige scorer — pr. periode med bootstrap-interval (højre).",
            "Figure 8. Each authority's mean overall score per period with confidence intervals (left), and the spread between them — the standard deviation of the mean scores — per period with a bootstrap interval (right).",
        ),
        other if other.starts_with("fig5_spider_") => da_en(
            "Figur 5. Gennemsnitlige temascorer (skala 1–5) mod landsgennemsnittet.",
            "Figure 5. Mean theme scores (scale 1–5) against the national mean.",
        ),
        other => other.to_string(),
    }
}

/// The caption of a figure of `analysis` in `lang`: [`caption`], with the authority's name in
/// the caption of its spider chart (`fig5_spider_K` is the K-th authority), so that the five
/// spider charts have different captions and accessible names.
pub fn caption_in(name: &str, analysis: &Analysis, lang: Lang) -> String {
    let authority = name
        .strip_prefix("fig5_spider_")
        .and_then(|k| k.parse::<usize>().ok())
        .and_then(|k| analysis.authorities.get(k.checked_sub(1)?));
    match authority {
        Some(a) => match lang {
            Lang::Da => format!(
                "Figur 5. Gennemsnitlige temascorer (skala 1–5) for {} mod landsgennemsnittet.",
                a.name
            ),
            Lang::En => format!(
                "Figure 5. Mean theme scores (scale 1–5) of {} against the national mean.",
                a.name
            ),
        },
        None => caption(name, lang),
    }
}

fn method_notes(lang: Lang) -> &'static str {
    match lang {
        Lang::Da => {
            "<p>Metoden følger LOS (2024), <i>Fem socialtilsyn medfører forskelligartede kvalitetsvurderinger af sociale tilbud</i>: \
             frasortering af besøg uden socialtilsyn, bedømmelser der ikke er heltal 1–5, besøg hvor alle scorer er 1, og besøg uden gyldig score \
             for en indikator der gælder alle tilbudstyper. Kriteriescore = gennemsnit af kriteriets indikatorer; temascore = gennemsnit af temaets kriterier; \
             samlet score = gennemsnit af temascorerne.</p>\
             <p>Kolmogorov–Smirnov: p som <code>scipy.stats.ks_2samp</code> (eksakt når begge stikprøver har højst 10\u{a0}000 værdier) og den eksakte p givet ties \
             (Schröer &amp; Trenkler 1995; Viehmann 2021; som R ≥ 4.4 <code>psmirnov</code>). Justering: Holm (1979) eller Benjamini &amp; Hochberg (1995). \
             Effektstørrelse: Cliffs delta (Cliff 1993) med konfidensinterval fra Brunner &amp; Munzel (2000). \
             Tæthed: Gaussisk kerne med Scotts faktor (Scott 1992), som <code>scipy.stats.gaussian_kde</code>. \
             Afvigelser: Welchs t (Welch 1947), q-værdier efter Benjamini &amp; Hochberg (1995).</p>\
             <p>Tal: decimalkomma; andele i procent med én decimal; p- og q-værdier med tre decimaler, under 0,001 som \
             „&lt; 0,001“; intervaller som [nedre; øvre]. CSV-tabellerne og results.json rummer alle decimaler.</p>"
        }
        Lang::En => {
            "<p>The method follows LOS (2024), <i>Fem socialtilsyn medfører forskelligartede kvalitetsvurderinger af sociale tilbud</i>: \
             visits without an authority, ratings that are not integers 1–5, visits whose every score is 1, and visits without a valid score for an \
             indicator that applies to all offer types are excluded. Criterion score = mean of its indicators; theme score = mean of its criteria; \
             overall score = mean of the theme scores.</p>\
             <p>Kolmogorov–Smirnov: p as <code>scipy.stats.ks_2samp</code> (exact when both samples have at most 10\u{a0}000 values) and the exact p given \
             the ties (Schröer &amp; Trenkler 1995; Viehmann 2021; as R ≥ 4.4 <code>psmirnov</code>). Adjustment: Holm (1979) or Benjamini &amp; Hochberg (1995). \
             Effect size: Cliff's delta (Cliff 1993) with a confidence interval from Brunner &amp; Munzel (2000). \
             Density: Gaussian kernel with Scott's factor (Scott 1992), as <code>scipy.stats.gaussian_kde</code>. \
             Deviations: Welch's t (Welch 1947), q-values by Benjamini &amp; Hochberg (1995).</p>\
             <p>Numbers: decimal point; shares in per cent with one decimal; p- and q-values with three decimals, below 0.001 as \
             “&lt; 0.001”; intervals as [lower, upper]. The CSV tables and results.json hold every decimal.</p>"
        }
    }
}

/// The page's style: screen first, then the print rules (A4; nothing split; black text).
const CSS: &str = "body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th{background:#f3f3f3}tr.sig td{font-weight:bold}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}\
code{font-size:.9em}.meta{font-size:.85em;color:#555}\
@page{size:A4;margin:16mm 14mm 18mm 14mm}\
@media print{body{max-width:none;margin:0;padding:0;color:#000;background:#fff;font-size:9.5pt;line-height:1.35}\
h1,h2,h3,h2+p{color:#000;break-after:avoid;page-break-after:avoid}h2{border-bottom:1px solid #000;margin-top:1.2em}\
table,figure,tr{break-inside:avoid;page-break-inside:avoid}\
th,td{border-color:#555}th{background:none;border-bottom:2px solid #000}tr.sig td:first-child{border-left:3px solid #000}\
figure{margin:.8em 0}figure svg{width:auto;height:auto;max-width:100%;max-height:225mm}\
figcaption{color:#000;break-before:avoid;page-break-before:avoid}.meta{color:#000}\
a{color:#000;text-decoration:underline}a[href^=\"http\"]::after{content:\" (\" attr(href) \")\";font-size:.85em}}";

/// Renders the report. `figures` are shown in the order given with their captions;
/// `font_css` is an `@font-face` rule (or empty) placed once in the page's style.
pub fn render(
    analysis: &Analysis,
    figures: &[(Figure, String)],
    font_css: &str,
    lang: Lang,
) -> Vec<u8> {
    let n = Numbers::report(lang);
    let mut h = String::new();
    page_head(&mut h, font_css, lang);
    input_section(&mut h, analysis, n);
    filter_section(&mut h, analysis, lang);
    if let Some(check) = &analysis.export_check {
        export_check_section(&mut h, check, n);
    }
    authorities_section(&mut h, analysis, n);
    // The same condition as plot::compare::figures_skipped, said in `lang`.
    let skipped = crate::plot::compare::figures_skipped(analysis).map(|_| {
        locale::figures_skipped(
            analysis.authorities.len(),
            crate::analysis::guard::MAX_AUTHORITIES,
            lang,
        )
    });
    figures_section(&mut h, figures, skipped.as_deref(), lang);
    pairs_section(&mut h, analysis, n);
    deviations_section(&mut h, analysis, n);
    if let Some(mix) = &analysis.case_mix {
        super::casemix::html_section(&mut h, mix, n);
    }
    if let Some(periods) = analysis.compared_periods() {
        super::periods::html_section(&mut h, periods, n);
    }
    page_tail(&mut h, lang);
    h.into_bytes()
}

/// The page up to its title, with the style and the version.
fn page_head(h: &mut String, font_css: &str, lang: Lang) {
    let lang_code = pick(lang, "da", "en");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang_code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{font_css}{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(t(Text::Title, lang)),
        escape(t(Text::Title, lang))
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">losstat {}</p>",
        env!("CARGO_PKG_VERSION")
    );
}

/// The inputs with their hashes, and the parameters of the run.
fn input_section(h: &mut String, analysis: &Analysis, n: Numbers) {
    let lang = n.lang();
    let _ = write!(h, "<h2>{}</h2>\n<table>\n", t(Text::Input, lang));
    for s in &analysis.sources {
        let detected = match (&s.encoding, &s.separator, &s.sheet) {
            (Some(e), Some(sep), _) => format!(", {e}, '{sep}'"),
            (_, _, Some(sheet)) => format!(", {} \"{sheet}\"", pick(lang, "ark", "sheet")),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}{}</td><td class=\"n\">{}</td></tr>",
            escape(&s.path.display().to_string()),
            escape(&s.sha256),
            locale::layout_name(s.layout, lang),
            escape(&detected),
            s.counts.ratings_read
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<p class=\"meta\">{}: {}</p>",
        t(Text::Parameters, lang),
        escape(&parameters(analysis, n))
    );
    // Dates read month first, in both orders, or not at all (said only then).
    let dates = super::terminal::dates_line(&analysis.filtered, &analysis.sources, lang);
    if !dates.trim().is_empty() {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", escape(dates.trim()));
    }
}

/// The run's parameters in one line (not escaped).
fn parameters(analysis: &Analysis, n: Numbers) -> String {
    let lang = n.lang();
    let o = &analysis.options;
    let p = &o.pairwise;
    let words = match lang {
        Lang::Da => [
            "justering",
            "over hver",
            "permutationer",
            "strata",
            "kvalitetsmodel",
            "konfidensniveau",
        ],
        Lang::En => [
            "adjustment",
            "over each",
            "permutations",
            "strata",
            "model",
            "confidence",
        ],
    };
    format!(
        "α = {}; {} {} {} {}; KS {}; KDE {}; {} {}; {} {}; seed {}; {} {}; {} {}",
        n.plain(p.alpha),
        words[0],
        locale::adjustment_name(p.adjustment, lang),
        words[1],
        locale::adjust_scope_name(o.adjust_scope, lang),
        locale::ks_method_name(p.ks_method, lang),
        locale::bandwidth_name(o.bandwidth, n),
        words[2],
        p.permutations,
        words[3],
        locale::stratify_name(o.stratify, lang),
        p.seed,
        words[4],
        locale::model_origin(&analysis.model.origin, lang),
        words[5],
        locale::confidence_percent(o.confidence, n)
    )
}

/// The filter log: what each rule removed or flagged.
fn filter_section(h: &mut String, analysis: &Analysis, lang: Lang) {
    let s = &analysis.filtered.summary;
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{} {} / {} {} → {} / {}. {}</p>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        t(Text::Filter, lang),
        t(Text::Ratings, lang),
        s.rows_read,
        t(Text::Visits, lang).to_lowercase(),
        s.visits_read,
        s.rows_kept,
        s.visits_kept,
        t(Text::FilterIntro, lang),
        t(Text::Rule, lang),
        t(Text::VisitsDropped, lang),
        t(Text::RatingsDropped, lang),
        t(Text::Meaning, lang)
    );
    for r in s
        .rules
        .iter()
        .filter(|r| r.visits_dropped + r.ratings_dropped + r.ratings_flagged > 0)
    {
        let ratings = if r.ratings_flagged > 0 {
            format!("{} ({})", r.ratings_flagged, t(Text::Kept, lang))
        } else {
            r.ratings_dropped.to_string()
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            r.rule.name(),
            r.visits_dropped,
            ratings,
            escape(r.rule.description_in(lang))
        );
    }
    let _ = writeln!(h, "</table>");
}

/// The per-authority summary.
fn authorities_section(h: &mut String, analysis: &Analysis, n: Numbers) {
    let lang = n.lang();
    let _ = write!(
        h,
        "<h2>{}</h2>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>1</th><th>2</th><th>3</th><th>4</th><th>5</th><th>{}</th><th>{}</th><th>sd</th></tr>\n",
        t(Text::Authorities, lang),
        t(Text::Authority, lang),
        t(Text::Visits, lang),
        t(Text::Ratings, lang),
        t(Text::Mean, lang),
        t(Text::Median, lang)
    );
    for a in &analysis.authorities {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            escape(&a.name),
            a.visits,
            a.ratings
        );
        for share in a.score_share {
            let _ = write!(h, "<td class=\"n\">{}</td>", n.percent(share, 1));
        }
        let _ = writeln!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            n.fixed(a.overall.mean, 3),
            n.fixed(a.overall.median, 3),
            a.overall
                .sd
                .map_or(n.missing().to_owned(), |s| n.fixed(s, 3))
        );
    }
    let _ = writeln!(h, "</table>");
}

/// `svg` with `role="img"` and `aria-labelledby` on its root element, so assistive technology
/// reads the figure as one image named by its caption (`caption_id`).
fn labelled_svg(svg: &str, caption_id: &str) -> String {
    match svg.find("<svg") {
        Some(at) => {
            let (before, after) = svg.split_at(at + "<svg".len());
            format!("{before} role=\"img\" aria-labelledby=\"{caption_id}\"{after}")
        }
        None => svg.to_owned(),
    }
}

/// The figures with their captions.
fn figures_section(
    h: &mut String,
    figures: &[(Figure, String)],
    skipped: Option<&str>,
    lang: Lang,
) {
    let _ = writeln!(h, "<h2>{}</h2>", t(Text::Figures, lang));
    if let Some(note) = skipped {
        let _ = writeln!(h, "<p>{}</p>", escape(note));
    }
    for (figure, caption) in figures {
        let id = escape(&figure.name);
        let caption_id = format!("{id}-caption");
        let _ = write!(
            h,
            "<figure id=\"{id}\">\n{}\n<figcaption id=\"{caption_id}\">{}</figcaption>\n</figure>\n",
            labelled_svg(&figure.svg, &caption_id),
            escape(caption)
        );
    }
}

/// `<tr>`, or `<tr class="sig">` for a significant row (bold, and ruled in print).
fn row_start(significant: bool) -> &'static str {
    if significant {
        "<tr class=\"sig\">"
    } else {
        "<tr>"
    }
}

/// The sentence above the pairwise table: the tests, the adjustment, the level, the p style.
fn pairs_intro(analysis: &Analysis, n: Numbers) -> String {
    let p = &analysis.options.pairwise;
    let pairs = analysis.overall_pairs().len();
    let alpha = n.plain(p.alpha);
    let name = locale::adjustment_name(p.adjustment, n.lang());
    let none = p.adjustment == crate::stats::multitest::Adjustment::None;
    match n.lang() {
        Lang::Da => format!(
            "To-stikprøve Kolmogorov–Smirnov-test af de samlede scorer. p (SciPy) genskaber LOS' beregning; \
             p (eksakt med ties) tager højde for, at scorerne er gennemsnit af få heltal. {}; signifikant ved α = {alpha}. \
             p-værdier under 0,001 står som < 0,001; alle decimaler er i ks.csv.",
            if none {
                "p er ikke justeret".to_owned()
            } else {
                format!("p justeret med {name} over de {pairs} par")
            }
        ),
        Lang::En => format!(
            "Two-sample Kolmogorov–Smirnov tests of the overall scores. p (SciPy) replicates LOS; p (tie-exact) \
             accounts for the scores being means of a few integers. {}; significant at α = {alpha}. \
             p-values below 0.001 are shown as < 0.001; ks.csv holds every decimal.",
            if none {
                "p not adjusted".to_owned()
            } else {
                format!("p adjusted with {name} over the {pairs} pairs")
            }
        ),
    }
}

/// The pairwise comparisons of the overall scores.
fn pairs_section(h: &mut String, analysis: &Analysis, n: Numbers) {
    let lang = n.lang();
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr><th>{}</th><th>n</th><th>D</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} [{}]</th></tr>\n",
        t(Text::Pairwise, lang),
        escape(&pairs_intro(analysis, n)),
        t(Text::Pair, lang),
        t(Text::PScipy, lang),
        t(Text::PTies, lang),
        t(Text::PAdjusted, lang),
        t(Text::Significant, lang),
        t(Text::CliffsDelta, lang),
        locale::confidence_label(analysis.options.confidence, n)
    );
    for p in analysis.overall_pairs() {
        let _ = writeln!(
            h,
            "{}<td>{} – {}</td><td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            row_start(p.significant),
            escape(&p.a),
            escape(&p.b),
            p.n_a,
            p.n_b,
            n.fixed(p.statistic, 3),
            escape(&n.p(p.p_value)),
            escape(&n.p(p.p_value_ties)),
            escape(&n.p(p.p_value_adjusted)),
            locale::yes_no(p.significant, lang),
            n.with_interval(
                p.cliffs_delta,
                p.cliffs_delta_ci_low,
                p.cliffs_delta_ci_high,
                3
            )
        );
    }
    let _ = writeln!(h, "</table>");
}

/// The sentence above the deviations table.
fn deviations_intro(analysis: &Analysis, n: Numbers) -> String {
    let level = locale::confidence_percent(analysis.options.confidence, n);
    let alpha = n.plain(analysis.options.pairwise.alpha);
    match n.lang() {
        Lang::Da => format!(
            "Socialtilsynets gennemsnit minus landsgennemsnittet (alle bedømmelser af indikatoren), med \
             {level}-konfidensinterval (Welch) og q-værdi (Benjamini–Hochberg over alle celler); signifikant ved \
             α = {alpha}. De signifikante står først; alle celler er i deviation.csv."
        ),
        Lang::En => format!(
            "The authority's mean minus the national mean (all ratings of the indicator), with a {level} \
             confidence interval (Welch) and q-value (Benjamini–Hochberg over all cells); significant at \
             α = {alpha}. The significant cells come first; deviation.csv holds them all."
        ),
    }
}

/// The 15 largest per-indicator deviations, significant ones first.
fn deviations_section(h: &mut String, analysis: &Analysis, n: Numbers) {
    let lang = n.lang();
    let mut rows: Vec<_> = analysis.deviation.iter().collect();
    rows.sort_by(|a, b| {
        b.significant
            .cmp(&a.significant)
            .then(b.cell.deviation.abs().total_cmp(&a.cell.deviation.abs()))
    });
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr><th>{}</th><th>{}</th><th>n</th><th>{} [{}]</th><th>q</th><th>{}</th></tr>\n",
        t(Text::Deviations, lang),
        escape(&deviations_intro(analysis, n)),
        t(Text::Indicator, lang),
        t(Text::Authority, lang),
        t(Text::Deviation, lang),
        locale::confidence_label(analysis.options.confidence, n),
        t(Text::Significant, lang)
    );
    for r in rows.iter().take(15) {
        let c = &r.cell;
        let _ = writeln!(
            h,
            "{}<td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            row_start(r.significant),
            escape(&r.indicator),
            escape(&c.authority),
            c.n,
            n.with_interval(c.deviation, c.ci_low, c.ci_high, 3),
            escape(&r.q_value.map_or(n.missing().to_owned(), |q| n.p(q))),
            locale::yes_no(r.significant, lang)
        );
    }
    let _ = writeln!(h, "</table>");
}

/// The method notes, and the end of the page.
fn page_tail(h: &mut String, lang: Lang) {
    let _ = write!(
        h,
        "<h2>{}</h2>\n{}\n</body>\n</html>\n",
        t(Text::Method, lang),
        method_notes(lang)
    );
}

/// The check of the export's own roll-up: counts per authority and level, the largest
/// differences, and which definition explains the exported scores.
fn export_check_section(h: &mut String, check: &ExportCheck, n: Numbers) {
    let lang = n.lang();
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<p>{} / {} ({})</p>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        t(Text::ExportCheck, lang),
        t(Text::ExportCheckIntro, lang),
        check.agreeing,
        check.compared,
        t(Text::Agreeing, lang).to_lowercase(),
        t(Text::Authority, lang),
        t(Text::Level, lang),
        t(Text::Compared, lang),
        t(Text::Agreeing, lang),
        t(Text::LargestDifference, lang)
    );
    for c in &check.by_authority {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&c.authority),
            locale::level_name(c.level, lang),
            c.compared,
            c.agreeing,
            n.fixed(c.max_abs_difference, 3)
        );
    }
    let _ = writeln!(h, "</table>");
    if !check.largest_differences.is_empty() {
        let _ = writeln!(
            h,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Text::Visit, lang),
            t(Text::Level, lang),
            t(Text::Exported, lang),
            t(Text::Recomputed, lang)
        );
        for r in &check.largest_differences {
            let unit = r.unit.map_or_else(String::new, |u| format!(" {u}"));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}{unit}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&r.visit_id),
                locale::level_name(r.level, lang),
                escape(&n.as_written(&r.exported)),
                r.recomputed
                    .map_or(n.missing().to_owned(), |x| n.fixed(x, 3))
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<table>\n<tr><th>{}</th><th></th><th>{}</th></tr>",
        t(Text::Definitions, lang),
        t(Text::Level, lang),
        t(Text::Agreeing, lang)
    );
    for f in &check.definitions {
        let los = if f.los { " (LOS)" } else { "" };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}{los}</td><td class=\"n\">{} / {}</td></tr>",
            locale::level_name(f.level, lang),
            locale::definition_name(f.definition, lang),
            f.explains,
            f.of
        );
    }
    let _ = writeln!(h, "</table>");
}
