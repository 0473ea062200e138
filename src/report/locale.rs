//! The words and number formats that `report.html` and the terminal summaries share, in
//! Danish or English (`--lang`). `results.json` and the CSV tables do not use this module:
//! they keep English keys and full-precision numbers with a decimal point whatever `--lang`
//! says.
//!
//! Input: a [`Lang`] and numbers or the library's option values; output: text. Where the
//! words live: the report's headings and fixed sentences in `html.rs` (`Text`), the terminal
//! summaries' words beside their use in `terminal.rs` (through [`pick`]), the rule
//! descriptions in the rule table ([`crate::filter::RULES`], [`crate::filter::Rule::description_in`]),
//! and the words both outputs need (levels, definitions, option values, sentences that carry
//! numbers) here.
//!
//! Number conventions ([`Numbers`]), the same as the figures':
//!
//! * decimals: a decimal comma in Danish (`4,186`), a decimal point in English (`4.186`);
//!   the number of decimals is fixed per column (3 for means and effect sizes, 1 for shares);
//! * shares: `62,7 %` in Danish (a space before the sign), `62.7%` in English;
//! * signed values and intervals: an explicit sign, and a bracketed interval whose bounds are
//!   separated by `; ` in Danish (the comma is the decimal mark) and `, ` in English:
//!   `+0,123 [+0,050; +0,200]`, `+0.123 [+0.050, +0.200]`; a value that rounds to zero has
//!   no sign. `report.html` writes negative numbers with a true minus sign (U+2212, as the
//!   figures do); the terminal with a hyphen-minus, which spreadsheets read as a number;
//! * p- and q-values: three decimals (`0,043`, `1,000`), and `< 0,001` below 0.001 (APA
//!   style); in a sentence or a figure label `p = 0,043` or `p < 0,001`, never `p = < 0,001`
//!   ([`Numbers::p_phrase`]). The full precision is in `ks.csv`, `deviation.csv` and
//!   `results.json`;
//! * integers (counts, n): digits only, no thousands separator, as in the CSV tables (a
//!   Danish thousands point would read as a decimal point to an English reader, and the
//!   reverse); a number written in prose has a no-break space as thousands separator
//!   (`10 000`, SI style, valid in both languages);
//! * a missing number: an en dash `–` in the report, `-` in the terminal.

use crate::analysis::{AdjustScope, Stratify};
use crate::export_check::{Definition, LevelKind};
use crate::load::Layout;
use crate::plot::Lang;
use crate::stats::kde::Bandwidth;
use crate::stats::ks::KsMethod;
use crate::stats::multitest::Adjustment;

/// `da` or `en`, by `lang`.
///
/// ```
/// use losstat::plot::Lang;
/// use losstat::report::locale::pick;
/// assert_eq!(pick(Lang::Da, "besøg", "visits"), "besøg");
/// ```
pub fn pick<'a>(lang: Lang, da: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Da => da,
        Lang::En => en,
    }
}

/// The number formats of one output (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbers {
    lang: Lang,
    minus: &'static str,
    missing: &'static str,
}

impl Numbers {
    /// The formats of `report.html`: true minus sign, en dash for a missing number.
    pub const fn report(lang: Lang) -> Self {
        Self {
            lang,
            minus: "\u{2212}",
            missing: "–",
        }
    }

    /// The formats of the terminal summaries: hyphen-minus, `-` for a missing number.
    pub const fn terminal(lang: Lang) -> Self {
        Self {
            lang,
            minus: "-",
            missing: "-",
        }
    }

    /// The language.
    pub const fn lang(self) -> Lang {
        self.lang
    }

    /// What stands for a missing number.
    pub const fn missing(self) -> &'static str {
        self.missing
    }

    /// Puts the language's decimal mark into Rust's formatting of a number.
    fn mark(self, formatted: &str) -> String {
        match self.lang {
            Lang::Da => formatted.replace('.', ","),
            Lang::En => formatted.to_owned(),
        }
    }

    /// `value` with `decimals` decimals; negative with this output's minus sign (none when the
    /// rounded value is zero).
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// assert_eq!(Numbers::report(Lang::Da).fixed(4.1862, 3), "4,186");
    /// assert_eq!(Numbers::report(Lang::En).fixed(-0.25, 2), "\u{2212}0.25");
    /// assert_eq!(Numbers::terminal(Lang::Da).fixed(-0.0004, 3), "0,000");
    /// ```
    pub fn fixed(self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return self.missing.to_owned();
        }
        let digits = self.mark(&format!("{:.*}", decimals, value.abs()));
        if value < 0.0 && rounds_to_nonzero(&digits) {
            format!("{}{digits}", self.minus)
        } else {
            digits
        }
    }

    /// Like [`Numbers::fixed`] with an explicit `+` on a positive value.
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// assert_eq!(Numbers::terminal(Lang::Da).signed(0.1234, 3), "+0,123");
    /// assert_eq!(Numbers::terminal(Lang::En).signed(-0.1234, 3), "-0.123");
    /// ```
    pub fn signed(self, value: f64, decimals: usize) -> String {
        let s = self.fixed(value, decimals);
        if value > 0.0 && rounds_to_nonzero(&s) {
            format!("+{s}")
        } else {
            s
        }
    }

    /// A share in 0..=1 as a percentage.
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// assert_eq!(Numbers::report(Lang::Da).percent(0.627, 1), "62,7 %");
    /// assert_eq!(Numbers::report(Lang::En).percent(0.627, 1), "62.7%");
    /// ```
    pub fn percent(self, share: f64, decimals: usize) -> String {
        let n = self.fixed(share * 100.0, decimals);
        match self.lang {
            Lang::Da => format!("{n} %"),
            Lang::En => format!("{n}%"),
        }
    }

    /// A parameter as given (the shortest form that reads back as the same number):
    /// `0,05`, `0.3`.
    pub fn plain(self, value: f64) -> String {
        if !value.is_finite() {
            return self.missing.to_owned();
        }
        let s = self.mark(&value.abs().to_string());
        if value < 0.0 {
            format!("{}{s}", self.minus)
        } else {
            s
        }
    }

    /// A p- or q-value: three decimals, `< 0,001` below 0.001.
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// let da = Numbers::report(Lang::Da);
    /// assert_eq!(da.p(0.04321), "0,043");
    /// assert_eq!(da.p(2.5e-7), "< 0,001");
    /// assert_eq!(Numbers::terminal(Lang::En).p(1.0), "1.000");
    /// assert_eq!(da.p(f64::NAN), "–");
    /// ```
    pub fn p(self, p: f64) -> String {
        if !p.is_finite() {
            self.missing.to_owned()
        } else if p < 0.001 {
            format!("< {}", self.fixed(0.001, 3))
        } else {
            self.fixed(p, 3)
        }
    }

    /// A p-value in a sentence or label: `p = 0,043`, `p < 0,001`.
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// assert_eq!(Numbers::report(Lang::Da).p_phrase(0.0001), "p < 0,001");
    /// assert_eq!(Numbers::report(Lang::En).p_phrase(0.25), "p = 0.250");
    /// ```
    pub fn p_phrase(self, p: f64) -> String {
        let value = self.p(p);
        if value.starts_with('<') {
            format!("p {value}")
        } else {
            format!("p = {value}")
        }
    }

    /// An estimate with its confidence interval, `+0,123 [+0,050; +0,200]`; the estimate
    /// alone when a bound is missing.
    pub fn with_interval(
        self,
        estimate: f64,
        low: Option<f64>,
        high: Option<f64>,
        decimals: usize,
    ) -> String {
        let value = self.signed(estimate, decimals);
        match (low, high) {
            (Some(lo), Some(hi)) => format!(
                "{value} [{}{} {}]",
                self.signed(lo, decimals),
                pick(self.lang, ";", ","),
                self.signed(hi, decimals)
            ),
            _ => value,
        }
    }

    /// A number as the input wrote it (an exported score such as `4.25` or `4,25`), with the
    /// language's decimal mark; anything that is not a plain decimal number is left as it is.
    ///
    /// ```
    /// use losstat::plot::Lang;
    /// use losstat::report::locale::Numbers;
    /// assert_eq!(Numbers::report(Lang::Da).as_written("4.25"), "4,25");
    /// assert_eq!(Numbers::report(Lang::En).as_written("4,25"), "4.25");
    /// assert_eq!(Numbers::report(Lang::Da).as_written("1.2.3"), "1.2.3");
    /// ```
    pub fn as_written(self, raw: &str) -> String {
        let body = raw.strip_prefix('-').unwrap_or(raw);
        let marks = body.chars().filter(|c| matches!(c, '.' | ',')).count();
        let plain = marks == 1
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
            && body.starts_with(|c: char| c.is_ascii_digit())
            && body.ends_with(|c: char| c.is_ascii_digit());
        if !plain {
            return raw.to_owned();
        }
        let mark = pick(self.lang, ",", ".");
        raw.replace(['.', ','], mark)
    }
}

/// Whether a formatted number has a digit other than 0 (so it takes a sign).
fn rounds_to_nonzero(digits: &str) -> bool {
    digits.chars().any(|c| c.is_ascii_digit() && c != '0')
}

/// A level of the export's roll-up.
pub fn level_name(level: LevelKind, lang: Lang) -> &'static str {
    match (level, lang) {
        (LevelKind::Criterion, Lang::Da) => "kriterium",
        (LevelKind::Theme, Lang::Da) => "tema",
        (LevelKind::Overall, Lang::Da) => "samlet",
        (level, Lang::En) => level.name(),
    }
}

/// A roll-up definition.
pub fn definition_name(definition: Definition, lang: Lang) -> &'static str {
    match (definition, lang) {
        (Definition::MeanOfIndicators, Lang::Da) => "gennemsnit af indikatorerne",
        (Definition::MeanOfCriteria, Lang::Da) => "gennemsnit af kriterierne",
        (Definition::MeanOfThemes, Lang::Da) => "gennemsnit af temaerne",
        (definition, Lang::En) => definition.describe(),
    }
}

/// `ja`/`nej`, `yes`/`no`.
pub fn yes_no(yes: bool, lang: Lang) -> &'static str {
    match (yes, lang) {
        (true, Lang::Da) => "ja",
        (false, Lang::Da) => "nej",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    }
}

/// The multiple-testing adjustment by name.
pub fn adjustment_name(adjustment: Adjustment, lang: Lang) -> &'static str {
    match adjustment {
        Adjustment::Holm => "Holm",
        Adjustment::BenjaminiHochberg => "Benjamini–Hochberg",
        Adjustment::None => pick(lang, "ingen", "none"),
    }
}

/// What one adjustment spans.
pub fn adjust_scope_name(scope: AdjustScope, lang: Lang) -> &'static str {
    match scope {
        AdjustScope::Family => pick(lang, "familie", "family"),
        AdjustScope::Level => pick(lang, "niveau", "level"),
    }
}

/// How SciPy's KS p is computed.
pub fn ks_method_name(method: KsMethod, lang: Lang) -> &'static str {
    match method {
        KsMethod::Auto => "auto",
        KsMethod::Exact => pick(lang, "eksakt", "exact"),
        KsMethod::Asymptotic => pick(lang, "asymptotisk", "asymptotic"),
    }
}

/// The KDE bandwidth rule, or its factor.
pub fn bandwidth_name(bandwidth: Bandwidth, numbers: Numbers) -> String {
    match bandwidth {
        Bandwidth::Scott => "Scott".to_owned(),
        Bandwidth::Silverman => "Silverman".to_owned(),
        Bandwidth::Factor(f) => format!(
            "{} {}",
            pick(numbers.lang(), "faktor", "factor"),
            numbers.plain(f)
        ),
    }
}

/// Whether permutations respect offer types.
pub fn stratify_name(stratify: Stratify, lang: Lang) -> &'static str {
    match stratify {
        Stratify::None => pick(lang, "ingen", "none"),
        Stratify::OfferType => pick(lang, "tilbudstype", "offer type"),
    }
}

/// An input's layout.
pub fn layout_name(layout: Layout, lang: Lang) -> &'static str {
    match layout {
        Layout::Long => pick(lang, "langt format", "long layout"),
        Layout::Wide => pick(lang, "bredt format", "wide layout"),
    }
}

/// The quality model's origin: `indbygget` for the embedded model, else its path.
pub fn model_origin(origin: &str, lang: Lang) -> &str {
    if origin == "embedded" {
        pick(lang, "indbygget", "embedded")
    } else {
        origin
    }
}

/// An authority key of the per-authority counts: `(none)` and `(conflicting)` in `lang`,
/// names as they are.
pub fn authority_key(key: &str, lang: Lang) -> &str {
    match key {
        "(none)" => pick(lang, "(intet)", "(none)"),
        "(conflicting)" => pick(lang, "(modstridende)", "(conflicting)"),
        name => name,
    }
}

/// Why no figure was drawn (`compare` with more authorities than a figure can show), in
/// `lang`; the same condition as [`crate::plot::compare::figures_skipped`].
pub fn figures_skipped(count: usize, limit: usize, lang: Lang) -> String {
    match lang {
        Lang::Da => format!(
            "ingen figurer tegnet: {count} socialtilsyn er flere end de {limit}, en figur kan vise \
             læseligt; tabellerne rummer alle tal"
        ),
        Lang::En => format!(
            "no figures drawn: {count} authorities are more than the {limit} a figure can show \
             legibly; the tables hold every number"
        ),
    }
}

/// The confidence level as a percentage: `95 %`, `95%`.
pub fn confidence_percent(confidence: f64, numbers: Numbers) -> String {
    // 0.95 * 100 is not always exactly 95 in binary: round away the representation error.
    let percent = numbers.plain((confidence * 100.0 * 1e6).round() / 1e6);
    match numbers.lang() {
        Lang::Da => format!("{percent} %"),
        Lang::En => format!("{percent}%"),
    }
}

/// The confidence level as the label of an interval column: `95 % KI`, `95% CI`.
pub fn confidence_label(confidence: f64, numbers: Numbers) -> String {
    let percent = confidence_percent(confidence, numbers);
    format!("{percent} {}", pick(numbers.lang(), "KI", "CI"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_numbers_have_a_comma_english_a_point() {
        for (lang, mark, other) in [(Lang::Da, ',', '.'), (Lang::En, '.', ',')] {
            let n = Numbers::report(lang);
            for text in [
                n.fixed(4.186, 3),
                n.percent(0.627, 1),
                n.with_interval(0.2, Some(0.12), Some(0.34), 2),
                n.p(0.0432),
                n.plain(0.05),
                n.as_written("4.25"),
                bandwidth_name(Bandwidth::Factor(0.3), n),
            ] {
                assert!(text.contains(mark), "{text}");
                let numeric = text.replace("; ", " ").replace(", ", " ");
                assert!(!numeric.contains(other), "{text}");
            }
        }
    }

    #[test]
    fn intervals_p_values_and_signs_follow_the_conventions() {
        let da = Numbers::report(Lang::Da);
        let en = Numbers::terminal(Lang::En);
        assert_eq!(
            da.with_interval(0.2, Some(0.12), Some(0.34), 2),
            "+0,20 [+0,12; +0,34]"
        );
        assert_eq!(
            en.with_interval(-0.2, Some(-0.34), Some(0.0001), 2),
            "-0.20 [-0.34, 0.00]"
        );
        assert_eq!(da.with_interval(-0.2, None, Some(1.0), 3), "\u{2212}0,200");
        assert_eq!(da.p(0.000_999), "< 0,001");
        assert_eq!(da.p(0.001), "0,001");
        assert_eq!(da.p(0.0), "< 0,001");
        assert_eq!(en.p_phrase(0.0), "p < 0.001");
        assert_eq!(en.p_phrase(f64::NAN), "p = -");
        assert_eq!(da.percent(1.0, 1), "100,0 %");
        assert_eq!(confidence_label(0.95, da), "95 % KI");
        assert_eq!(confidence_label(0.9, en), "90% CI");
        assert_eq!(confidence_percent(0.975, da), "97,5 %");
        assert_eq!(confidence_percent(0.07 * 10.0, en), "70%");
        assert_eq!(en.fixed(f64::INFINITY, 3), "-");
    }

    #[test]
    fn numbers_as_written_change_only_the_mark_of_plain_decimals() {
        let da = Numbers::report(Lang::Da);
        assert_eq!(da.as_written("-4.5"), "-4,5");
        for raw in ["4", "x.5", "4.", ".5", "4.5.6", "4,5e3", ""] {
            assert_eq!(da.as_written(raw), raw);
        }
    }
}
