//! How the filter reads a raw field: the authority's canonical name and the score.
//!
//! Authorities: `Nord`, `socialtilsyn nord`, `Socialtilsyn Øst`, `SOCIALTILSYN OEST` become
//! `Socialtilsyn Nord` / `Socialtilsyn Øst`, and so do the five host municipalities, with or
//! without `Kommune` and a `Socialtilsyn` prefix (LOS, seed 003: "Socialtilsyn Nord – Hjørring
//! Kommune" …): Hjørring → Nord, Silkeborg → Midt, Faaborg-Midtfyn (Fåborg-Midtfyn) → Syd,
//! Holbæk → Øst, Frederiksberg → Hovedstaden. Other names are kept as written (whitespace
//! collapsed), so anonymised names like `Socialtilsyn 3` pass through.
//!
//! Scores (LOS rule 2, DESIGN §2.1): an integer 1–5 written `4`, `4.0` or `4,0`, with optional
//! surrounding whitespace; `3.5`, `0`, `6`, empty, `x`, `NaN` are not scores. The scale's
//! labels (DESIGN §1; research/kvalitetsmodel.md §5) read as their score, in any case and
//! spacing, alone or with a number that agrees: `I høj grad opfyldt`, `4 - I høj grad opfyldt`,
//! `I høj grad opfyldt (4)`, `4: i høj grad opfyldt` are 4; a number that contradicts its label
//! (`5 - I høj grad opfyldt`) and an unknown label are not scores.

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
    let key = key.strip_suffix("kommune").unwrap_or(key);
    let canonical = AUTHORITIES
        .iter()
        .find(|(_, regions, hosts)| {
            regions.contains(&key)
                || hosts.contains(&key)
                || regions.iter().any(|r| {
                    key.strip_prefix(r)
                        .is_some_and(|host| hosts.contains(&host))
                })
        })
        .map(|(name, _, _)| *name);
    Some(canonical.map_or(collapsed, str::to_string))
}

/// Each authority's canonical name, its region's spellings and its host municipality's
/// ([`fold`]ed, `Socialtilsyn` and `Kommune` left off).
const AUTHORITIES: [(&str, &[&str], &[&str]); 5] = [
    ("Socialtilsyn Nord", &["nord"], &["hjorring", "hjoerring"]),
    ("Socialtilsyn Midt", &["midt"], &["silkeborg"]),
    (
        "Socialtilsyn Syd",
        &["syd"],
        &["faaborgmidtfyn", "faborgmidtfyn"],
    ),
    ("Socialtilsyn Øst", &["ost", "oest"], &["holbaek", "holbak"]),
    (
        "Socialtilsyn Hovedstaden",
        &["hovedstaden"],
        &["frederiksberg"],
    ),
];

/// Parses a score: an integer 1–5, written `4`, `4.0`, `4,00`, with optional surrounding
/// whitespace, or the scale's label for it, alone or with an agreeing number (see the module
/// docs). Anything else is `None`.
///
/// ```
/// use losstat::filter::parse_score;
/// assert_eq!(parse_score(" 4,0 "), Some(4));
/// assert_eq!(parse_score("3.5"), None);
/// assert_eq!(parse_score("6"), None);
/// assert_eq!(parse_score("5 - I meget høj grad opfyldt"), Some(5));
/// assert_eq!(parse_score("i høj grad opfyldt (4)"), Some(4));
/// assert_eq!(parse_score("5 - I høj grad opfyldt"), None);
/// ```
pub fn parse_score(raw: &str) -> Option<u8> {
    number(raw).or_else(|| labelled(raw))
}

/// The scale's labels ([`fold`]ed) and their scores (research/kvalitetsmodel.md §5).
const LABELS: [(&str, u8); 5] = [
    ("imegethojgradopfyldt", 5),
    ("ihojgradopfyldt", 4),
    ("imiddelgradopfyldt", 3),
    ("ilavgradopfyldt", 2),
    ("imegetlavgradopfyldt", 1),
];

/// The score a label names, if `raw` holds one and any number beside it agrees.
fn labelled(raw: &str) -> Option<u8> {
    let (score, numbers) = label_parts(raw)?;
    match numbers.as_slice() {
        [] => Some(score),
        [one] => (number(one) == Some(score)).then_some(score),
        _ => None,
    }
}

/// The score of the label `raw` holds (whether or not a number beside it agrees), if any:
/// for saying why a labelled score was not read.
pub(super) fn label_score(raw: &str) -> Option<u8> {
    label_parts(raw).map(|(score, _)| score)
}

/// The label's score and what stands beside it: the text from the first to the last letter
/// of `raw` is the label; before and after it, spaces and the marks `- – : ( ) [ ] = .` are
/// trimmed, and what is left (a number, if all is well) is returned.
fn label_parts(raw: &str) -> Option<(u8, Vec<&str>)> {
    let start = raw.find(char::is_alphabetic)?;
    let end = raw
        .char_indices()
        .rfind(|(_, c)| c.is_alphabetic())
        .map(|(i, c)| i + c.len_utf8())?;
    let label = fold(&raw[start..end]).replace("hoej", "hoj");
    let (_, score) = LABELS.iter().find(|(text, _)| *text == label)?;
    let mark = |c: char| c.is_whitespace() || "-–—:()[]=.".contains(c);
    let beside = [&raw[..start], &raw[end..]]
        .into_iter()
        .map(|part| part.trim_matches(mark))
        .filter(|part| !part.is_empty())
        .collect();
    Some((*score, beside))
}

/// A score written as a number: `4`, `4.0`, `4,00`, surrounding whitespace allowed.
fn number(raw: &str) -> Option<u8> {
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
    fn scale_labels_read_as_their_score() {
        // The scale (research/kvalitetsmodel.md §5): 5 = i meget høj grad opfyldt … 1 = i meget
        // lav grad opfyldt.
        for (raw, expected) in [
            ("I meget høj grad opfyldt", Some(5)),
            ("I høj grad opfyldt", Some(4)),
            ("I middel grad opfyldt", Some(3)),
            ("I lav grad opfyldt", Some(2)),
            ("I meget lav grad opfyldt", Some(1)),
            ("i MEGET  HØJ grad opfyldt", Some(5)),
            ("  i middel grad   opfyldt ", Some(3)),
            ("I hoej grad opfyldt", Some(4)),
            ("5 - I meget høj grad opfyldt", Some(5)),
            ("5 – I meget høj grad opfyldt", Some(5)),
            ("I høj grad opfyldt (4)", Some(4)),
            ("4: I høj grad opfyldt", Some(4)),
            ("4. I høj grad opfyldt", Some(4)),
            ("2,0 - i lav grad opfyldt", Some(2)),
            ("(1) I meget lav grad opfyldt", Some(1)),
            // A number that contradicts the label, two numbers, or an unknown label: no score.
            ("5 - I høj grad opfyldt", None),
            ("I høj grad opfyldt (5)", None),
            ("3 - I høj grad opfyldt (4)", None),
            ("4 - I høj grad opfyldt (4)", None),
            ("I høj grad", None),
            ("I meget høj grad opfyldt!", None),
            ("I særdeleshed opfyldt", None),
            ("6 - I høj grad opfyldt", None),
            ("x4 - I høj grad opfyldt", None),
            ("Score 4: I høj grad opfyldt", None),
            ("I høj grad opfyldt 4.5", None),
        ] {
            assert_eq!(parse_score(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn host_municipalities_name_their_authority() {
        // Seed 003, lines 17-28: the five authorities and their host municipalities.
        for (names, expected) in [
            (
                &[
                    "Hjørring",
                    "Hjørring Kommune",
                    "Socialtilsyn Hjørring",
                    "HJOERRING KOMMUNE",
                    "Socialtilsyn Nord – Hjørring Kommune",
                ][..],
                "Socialtilsyn Nord",
            ),
            (
                &[
                    "Silkeborg",
                    "Silkeborg Kommune",
                    "Socialtilsyn Silkeborg",
                    "socialtilsyn midt - silkeborg kommune",
                ][..],
                "Socialtilsyn Midt",
            ),
            (
                &[
                    "Faaborg-Midtfyn",
                    "Fåborg-Midtfyn Kommune",
                    "Socialtilsyn Faaborg-Midtfyn Kommune",
                    "faaborg midtfyn",
                ][..],
                "Socialtilsyn Syd",
            ),
            (
                &[
                    "Holbæk",
                    "Holbæk Kommune",
                    "Socialtilsynet Holbæk",
                    "Socialtilsyn Øst – Holbæk Kommune",
                ][..],
                "Socialtilsyn Øst",
            ),
            (
                &[
                    "Frederiksberg",
                    "Frederiksberg Kommune",
                    "Socialtilsyn Frederiksberg",
                    "Socialtilsyn Hovedstaden – Frederiksberg Kommune",
                ][..],
                "Socialtilsyn Hovedstaden",
            ),
        ] {
            for raw in names {
                assert_eq!(
                    canonical_authority(raw).as_deref(),
                    Some(expected),
                    "{raw:?}"
                );
            }
        }
        // Another municipality, or a host under the wrong region, stays as written.
        for raw in [
            "Aarhus Kommune",
            "Socialtilsyn Nord – Holbæk Kommune",
            "Kommune",
        ] {
            assert_eq!(canonical_authority(raw).as_deref(), Some(raw), "{raw:?}");
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
