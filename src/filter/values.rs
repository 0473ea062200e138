//! How the filter reads a raw field: the authority's canonical name and the score.
//!
//! Authorities: `Nord`, `socialtilsyn nord`, `Socialtilsyn Øst`, `SOCIALTILSYN OEST` become
//! `Socialtilsyn Nord` / `Socialtilsyn Øst`; other names are kept as written (whitespace
//! collapsed), so anonymised names like `Socialtilsyn 3` pass through.
//!
//! Scores (LOS rule 2, DESIGN §2.1): an integer 1–5 written `4`, `4.0` or `4,0`, with optional
//! surrounding whitespace; `3.5`, `0`, `6`, empty, `x`, `NaN` are not scores.

use crate::load::fold;

/// Canonical authority name (see the module docs); `None` for a blank.
///
/// ```
/// use losstat::filter::canonical_authority;
/// assert_eq!(canonical_authority(" socialtilsyn  OEST").as_deref(), Some("Socialtilsyn Øst"));
/// assert_eq!(canonical_authority("Nord").as_deref(), Some("Socialtilsyn Nord"));
/// assert_eq!(canonical_authority("Socialtilsyn  3").as_deref(), Some("Socialtilsyn 3"));
/// assert_eq!(canonical_authority("  "), None);
/// ```
pub fn canonical_authority(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    let folded = fold(&collapsed);
    let key = ["socialtilsynet", "socialtilsyn"]
        .iter()
        .find_map(|p| folded.strip_prefix(p))
        .unwrap_or(&folded);
    let canonical = match key {
        "nord" => "Socialtilsyn Nord",
        "midt" => "Socialtilsyn Midt",
        "syd" => "Socialtilsyn Syd",
        "ost" | "oest" => "Socialtilsyn Øst",
        "hovedstaden" => "Socialtilsyn Hovedstaden",
        _ => return Some(collapsed),
    };
    Some(canonical.to_string())
}

/// Parses a score: an integer 1–5, written `4`, `4.0`, `4,00`, with optional surrounding
/// whitespace. Anything else is `None`.
///
/// ```
/// use losstat::filter::parse_score;
/// assert_eq!(parse_score(" 4,0 "), Some(4));
/// assert_eq!(parse_score("3.5"), None);
/// assert_eq!(parse_score("6"), None);
/// ```
pub fn parse_score(raw: &str) -> Option<u8> {
    let s = raw.trim();
    let mut chars = s.chars();
    let digit = chars.next()?;
    if !('1'..='5').contains(&digit) {
        return None;
    }
    let rest = chars.as_str();
    let valid_tail = rest.is_empty()
        || (rest.len() > 1
            && (rest.starts_with('.') || rest.starts_with(','))
            && rest[1..].bytes().all(|b| b == b'0'));
    valid_tail.then_some(digit as u8 - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scores_follow_the_los_integer_rule() {
        for (raw, expected) in [
            ("4", Some(4)),
            ("4.0", Some(4)),
            ("4,0", Some(4)),
            (" 5 ", Some(5)),
            ("1,000", Some(1)),
            ("3.5", None),
            ("3,5", None),
            ("0", None),
            ("6", None),
            ("", None),
            ("x", None),
            ("NaN", None),
            ("inf", None),
            ("-0", None),
            ("4.0000001", None),
            ("4 point", None),
            ("1e308", None),
            ("4.", None),
            ("+4", None),
        ] {
            assert_eq!(parse_score(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn authorities_are_canonicalised() {
        for raw in [
            "Nord",
            "socialtilsyn nord",
            " SOCIALTILSYN  NORD ",
            "Socialtilsynet Nord",
        ] {
            assert_eq!(
                canonical_authority(raw).as_deref(),
                Some("Socialtilsyn Nord")
            );
        }
        for raw in ["Øst", "Socialtilsyn Oest", "socialtilsyn øst"] {
            assert_eq!(
                canonical_authority(raw).as_deref(),
                Some("Socialtilsyn Øst")
            );
        }
        assert_eq!(canonical_authority("Tilsyn X").as_deref(), Some("Tilsyn X"));
    }
}
