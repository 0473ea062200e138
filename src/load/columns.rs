//! Header matching and layout detection.
//!
//! Each [`Field`] losstat needs has a list of accepted header names, English and Danish.
//! Names are compared after [`fold`]: lower case, Danish letters and accents folded
//! (`æ`→`ae`, `ø`→`o`, `å`→`a`, `é`→`e` …), and everything but letters and digits dropped, so
//! `Tilsynsbesøg`, `tilsynsbesog` and `Tilsyns-besøg` are one name. `--column FIELD=NAME`
//! overrides the match for one field.
//!
//! Layout: if the header has `indicator` and `score` columns the file is *long* (one rating
//! per row). If it has neither, but some header names are indicator ids (`1.a`, `14.b`), it is
//! *wide* (one visit per row, one column per indicator). A wide column may carry the
//! indicator's text after its id (`Indikator 1.a: Tilbuddet understøtter …`, `1.a Tilbuddet …`,
//! `1.a) …`): the id at its start counts if whitespace, `:` `-` `.` `)` or the end follows it
//! ([`indicator_prefix`]), and the table holds that id part (`1.a`), as a short header would.
//!
//! Columns of the export's own roll-up (criterion, theme and overall scores, [`super::levels`])
//! are found here too: a level column in the long layout, level-named columns in the wide one.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::IndicatorId;

use super::levels::{ExportLevel, LEVEL_COLUMN_NAMES};

/// A column losstat reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The supervising authority (socialtilsyn).
    Authority,
    /// The visit (tilsynsbesøg) id.
    VisitId,
    /// The indicator id (long layout).
    Indicator,
    /// The score 1–5 (long layout).
    Score,
    /// The offer (tilbud) id; optional.
    OfferId,
    /// The offer type (tilbudstype); optional.
    OfferType,
    /// The visit date; optional.
    VisitDate,
}

impl Field {
    /// All fields, in output column order.
    pub const ALL: [Field; 7] = [
        Field::Authority,
        Field::VisitId,
        Field::Indicator,
        Field::Score,
        Field::OfferId,
        Field::OfferType,
        Field::VisitDate,
    ];

    /// The canonical (English) name, also the column name in losstat's tables.
    pub fn name(self) -> &'static str {
        match self {
            Field::Authority => "authority",
            Field::VisitId => "visit_id",
            Field::Indicator => "indicator",
            Field::Score => "score",
            Field::OfferId => "offer_id",
            Field::OfferType => "offer_type",
            Field::VisitDate => "visit_date",
        }
    }

    /// Header names accepted for this field (compared after [`fold`]).
    pub fn accepted_names(self) -> &'static [&'static str] {
        match self {
            Field::Authority => &[
                "authority",
                "Socialtilsyn",
                "Socialtilsynet",
                "Tilsyn",
                "Myndighed",
                "Tilsynsmyndighed",
                "Tilsynsførende myndighed",
                "Tilsynsførende socialtilsyn",
            ],
            Field::VisitId => &[
                "visit_id",
                "visit",
                "Tilsynsbesøg",
                "Tilsynsbesøg id",
                "Tilsynsbesøgs id",
                "Tilsynsbesøgsnummer",
                "Tilsynsbesoeg",
                "Tilsynsbesoeg id",
                "Besøg",
                "Besøg id",
                "Besøgs id",
                "Besoeg",
                "Besoeg id",
                "Tilsyn id",
            ],
            Field::Indicator => &[
                "indicator",
                "indicator_id",
                "Indikator",
                "Indikator id",
                "Indikatornr",
                "Indikatornummer",
            ],
            Field::Score => &[
                "score",
                "Indikatorscore",
                "Bedømmelse",
                "Bedoemmelse",
                "Indikatorbedømmelse",
                "Indikatorbedoemmelse",
                "Karakter",
                "Værdi",
            ],
            Field::OfferId => &[
                "offer_id",
                "offer",
                "Tilbud",
                "Tilbud id",
                "Tilbuds id",
                "Tilbudsnummer",
                "Tilbudsnr",
            ],
            Field::OfferType => &["offer_type", "Tilbudstype", "Tilbudstyper", "Type"],
            Field::VisitDate => &[
                "visit_date",
                "date",
                "Dato",
                "Besøgsdato",
                "Besoegsdato",
                "Tilsynsdato",
            ],
        }
    }

    /// Finds a field by its canonical or any accepted name.
    pub fn from_name(name: &str) -> Option<Field> {
        let folded = fold(name);
        Field::ALL.into_iter().find(|field| {
            fold(field.name()) == folded || field.accepted_names().iter().any(|a| fold(a) == folded)
        })
    }
}

/// Folds a header (or authority) name for comparison: lower case, Danish letters and common
/// accents replaced by ASCII, everything but letters and digits dropped.
///
/// ```
/// use losstat::load::fold;
/// assert_eq!(fold("Tilsyns-besøg ID"), "tilsynsbesogid");
/// assert_eq!(fold("Socialtilsyn Øst"), "socialtilsynost");
/// ```
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'æ' | 'ä' => out.push_str("ae"),
            'ø' | 'ö' | 'ó' | 'ò' | 'ô' => out.push('o'),
            'å' | 'á' | 'à' | 'â' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ü' | 'ú' | 'ù' | 'û' => out.push('u'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// An explicit `FIELD=NAME` mapping from the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    /// The field.
    pub field: Field,
    /// The header name in the user's file.
    pub column: String,
}

impl ColumnMapping {
    /// Parses `FIELD=NAME`, e.g. `score=Vurdering` or `visit_id=BesøgsNr`.
    pub fn parse(spec: &str) -> Result<Self> {
        let (field, column) = spec.split_once('=').ok_or_else(|| Error::Mapping {
            spec: spec.to_string(),
            reason: "expected FIELD=NAME, e.g. score=Vurdering".to_string(),
        })?;
        let field = Field::from_name(field).ok_or_else(|| Error::Mapping {
            spec: spec.to_string(),
            reason: format!(
                "unknown field `{}`; the fields are {}",
                field.trim(),
                Field::ALL.map(Field::name).join(", ")
            ),
        })?;
        let column = column.trim();
        if column.is_empty() {
            return Err(Error::Mapping {
                spec: spec.to_string(),
                reason: "the column name is empty".to_string(),
            });
        }
        Ok(Self {
            field,
            column: column.to_string(),
        })
    }
}

/// Whether a file holds one rating per row or one visit per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One rating per row: `authority, visit_id, indicator, score, …`.
    Long,
    /// One visit per row, one column per indicator id.
    Wide,
}

/// Where each field sits in a header, and the layout it implies.
#[derive(Debug, Clone)]
pub struct ResolvedColumns {
    /// The detected layout.
    pub layout: Layout,
    /// Column index of each field in [`Field::ALL`] order (`None` when absent).
    pub index: [Option<usize>; 7],
    /// Wide layout: the indicator columns (index, indicator id as the header writes it).
    pub indicator_columns: Vec<(usize, String)>,
    /// Long layout: the level column (`Niveau`, [`LEVEL_COLUMN_NAMES`]), if any.
    pub level_column: Option<usize>,
    /// Wide layout: the columns of criterion, theme and overall scores (index, level, header as
    /// written).
    pub level_columns: Vec<(usize, ExportLevel, String)>,
}

impl ResolvedColumns {
    /// Column index of a field.
    pub fn of(&self, field: Field) -> Option<usize> {
        self.index[field as usize]
    }

    /// Each field found, with the header name it is read from (as written, trimmed).
    pub fn named(&self, header: &[String]) -> Vec<(Field, String)> {
        Field::ALL
            .into_iter()
            .filter_map(|field| {
                let name = header.get(self.of(field)?)?;
                Some((field, name.trim().to_string()))
            })
            .collect()
    }
}

/// The indicator id a wide column header starts with, as written (`1.a` of `Indikator 1.a:
/// Tilbuddet …`): digits, an optional `.`, one letter, then the end, whitespace, `:` `-` `.`
/// or `)`; a leading `Indikator` / `Indicator` / `Ind.` is skipped. `None` when the header
/// does not start so, or the id is not one [`IndicatorId::parse`] reads.
///
/// ```
/// use losstat::load::indicator_prefix;
/// assert_eq!(indicator_prefix("Indikator 1.a: Tilbuddet understøtter …"), Some("1.a"));
/// assert_eq!(indicator_prefix("14.B) Ledelsen"), Some("14.B"));
/// assert_eq!(indicator_prefix("11.a Tilbuddet"), Some("11.a"));
/// assert_eq!(indicator_prefix("1.ab"), None);
/// assert_eq!(indicator_prefix("Tema 4"), None);
/// ```
pub fn indicator_prefix(header: &str) -> Option<&str> {
    let text = header.trim_start();
    let rest = ["indikator", "indicator", "ind."]
        .iter()
        .find_map(|word| {
            let head = text.get(..word.len())?;
            head.eq_ignore_ascii_case(word)
                .then(|| text[word.len()..].trim_start())
        })
        .unwrap_or(text);
    let bytes = rest.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let mut end = digits + usize::from(bytes.get(digits) == Some(&b'.'));
    if !bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    end += 1;
    let boundary = rest[end..]
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || [':', '-', '.', ')'].contains(&c));
    let id = &rest[..end];
    (boundary && IndicatorId::parse(id).is_some()).then_some(id)
}

/// The indicator id a wide column stands for: the whole header if it is one (kept as
/// written), else its [`indicator_prefix`].
fn indicator_column(header: &str) -> Option<String> {
    if IndicatorId::parse(header).is_some() {
        Some(header.trim().to_string())
    } else {
        indicator_prefix(header).map(str::to_string)
    }
}

/// Matches a header against the fields and detects the layout.
pub fn resolve(
    header: &[String],
    mappings: &[ColumnMapping],
    path: &Path,
    line: u64,
) -> Result<ResolvedColumns> {
    let folded: Vec<String> = header.iter().map(|h| fold(h)).collect();
    let mut index = [None; 7];
    for field in Field::ALL {
        index[field as usize] = field_column(field, header, &folded, mappings, path, line)?;
    }
    let has = |field: Field| index[field as usize].is_some();
    let unclaimed = || {
        header
            .iter()
            .enumerate()
            .filter(|(i, _)| !index.contains(&Some(*i)))
    };
    let indicator_columns: Vec<(usize, String)> = unclaimed()
        .filter_map(|(i, h)| Some((i, indicator_column(h)?)))
        .collect();
    let layout = if !has(Field::Indicator) && !has(Field::Score) && !indicator_columns.is_empty() {
        Layout::Wide
    } else {
        Layout::Long
    };
    let required: &[Field] = match layout {
        Layout::Long => &[
            Field::Authority,
            Field::VisitId,
            Field::Indicator,
            Field::Score,
        ],
        Layout::Wide => &[Field::Authority, Field::VisitId],
    };
    let missing: Vec<Field> = required.iter().copied().filter(|f| !has(*f)).collect();
    if !missing.is_empty() {
        return Err(missing_columns(&missing, header, path, line));
    }
    let wide = layout == Layout::Wide;
    Ok(ResolvedColumns {
        layout,
        index,
        indicator_columns: if wide { indicator_columns } else { Vec::new() },
        level_column: if wide { None } else { level_column(&folded) },
        level_columns: if wide {
            unclaimed()
                .filter_map(|(i, h)| Some((i, ExportLevel::parse(h)?, h.trim().to_string())))
                .collect()
        } else {
            Vec::new()
        },
    })
}

/// The column of `field`: the one its `--column` mapping names (exactly, else after
/// [`fold`]), or the one whose folded name is among the field's accepted names; `None` when
/// an unmapped field has none.
///
/// # Errors
/// [`Error::Mapping`] when a mapping names no column; [`Error::AmbiguousColumn`] when
/// several columns match.
fn field_column(
    field: Field,
    header: &[String],
    folded: &[String],
    mappings: &[ColumnMapping],
    path: &Path,
    line: u64,
) -> Result<Option<usize>> {
    let mapped = mappings.iter().find(|m| m.field == field);
    let candidates: Vec<usize> = match mapped {
        Some(mapping) => {
            let exact: Vec<usize> = (0..header.len())
                .filter(|&i| header[i].trim() == mapping.column)
                .collect();
            if exact.is_empty() {
                let wanted = fold(&mapping.column);
                (0..header.len()).filter(|&i| folded[i] == wanted).collect()
            } else {
                exact
            }
        }
        None => {
            let accepted: Vec<String> = field.accepted_names().iter().map(|a| fold(a)).collect();
            (0..header.len())
                .filter(|&i| accepted.contains(&folded[i]))
                .collect()
        }
    };
    match (candidates.as_slice(), mapped) {
        ([], Some(mapping)) => Err(Error::Mapping {
            spec: format!("{}={}", field.name(), mapping.column),
            reason: format!(
                "{}:{line} has no column `{}`; its columns are [{}]",
                path.display(),
                mapping.column,
                quoted_list(header)
            ),
        }),
        ([], None) => Ok(None),
        ([single], _) => Ok(Some(*single)),
        (several, _) => Err(Error::AmbiguousColumn {
            path: path.to_path_buf(),
            line,
            field: field.name().to_string(),
            columns: several
                .iter()
                .map(|&i| format!("`{}` (column {})", header[i], i + 1))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The error for a header without the `missing` fields, listing its columns and the names
/// each missing field accepts.
fn missing_columns(missing: &[Field], header: &[String], path: &Path, line: u64) -> Error {
    Error::MissingColumns {
        path: path.to_path_buf(),
        line,
        missing: missing
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", "),
        found: quoted_list(header),
        accepted: missing
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.accepted_names().join(" / ")))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The level column of a long header (see [`super::levels`]): the first column with a level
/// column's name.
fn level_column(folded: &[String]) -> Option<usize> {
    let accepted: Vec<String> = LEVEL_COLUMN_NAMES.iter().map(|a| fold(a)).collect();
    folded.iter().position(|name| accepted.contains(name))
}

/// `"a", "b"` for messages.
fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn danish_headers_match_case_and_accent_insensitively() {
        let h = header(&[
            "SOCIALTILSYN",
            "tilsynsbesog",
            "Indikator",
            "Bedømmelse",
            "Tilbudstype",
        ]);
        let r = resolve(&h, &[], Path::new("x.csv"), 1).expect("resolves");
        assert_eq!(r.layout, Layout::Long);
        assert_eq!(r.of(Field::Authority), Some(0));
        assert_eq!(r.of(Field::VisitId), Some(1));
        assert_eq!(r.of(Field::Score), Some(3));
        assert_eq!(r.of(Field::OfferType), Some(4));
        assert_eq!(r.of(Field::OfferId), None);
    }

    #[test]
    fn wide_layout_is_detected_from_indicator_headers() {
        let h = header(&["authority", "visit_id", "1.a", "1.b", "14.c", "comment"]);
        let r = resolve(&h, &[], Path::new("x.csv"), 1).expect("resolves");
        assert_eq!(r.layout, Layout::Wide);
        let ids: Vec<&str> = r
            .indicator_columns
            .iter()
            .map(|(_, h)| h.as_str())
            .collect();
        assert_eq!(ids, vec!["1.a", "1.b", "14.c"]);
    }

    #[test]
    fn missing_columns_list_found_and_accepted_names() {
        let h = header(&["authority", "visit", "what"]);
        let err = resolve(&h, &[], Path::new("x.csv"), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("indicator, score"), "{err}");
        assert!(err.contains("\"what\""), "{err}");
        assert!(err.contains("Bedømmelse"), "{err}");
    }

    #[test]
    fn mapping_overrides_and_ambiguity_is_refused() {
        let h = header(&["authority", "visit", "indicator", "Vurdering"]);
        let mapping = ColumnMapping::parse("score=Vurdering").expect("parses");
        let r = resolve(&h, &[mapping], Path::new("x.csv"), 1).expect("resolves");
        assert_eq!(r.of(Field::Score), Some(3));
        let h = header(&["authority", "visit", "indicator", "score", "Score"]);
        let err = resolve(&h, &[], Path::new("x.csv"), 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 4") && err.contains("column 5"),
            "{err}"
        );
        assert!(ColumnMapping::parse("nonsense=x").is_err());
        assert!(ColumnMapping::parse("score").is_err());
    }
}
