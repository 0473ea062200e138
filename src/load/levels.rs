//! Criterion, theme and overall scores in an export: recognised, and kept out of the ratings.
//!
//! Real exports carry the quality model's roll-up beside the indicator ratings (LOS:
//! "kvalitetsvurderinger af kvalitetsmodellens indikatorer, kriterier og temaer"). They are not
//! ratings: a criterion score among the ratings would be counted by the LOS rules (as an
//! unknown indicator, or worse, as a score). The load stage therefore sets them aside, as
//! [`LevelScore`]s in file order, for the check of losstat's own roll-up against the export's.
//!
//! They are recognised by their label ([`ExportLevel::parse`]):
//! - long layout: an indicator cell such as `Kriterium 3`, `Kriterie 3`, `Tema 4`,
//!   `Tema 4: Sundhed og trivsel`, `Samlet`, `Samlet score`, `Samlet vurdering`, or English
//!   `Criterion 3`, `Theme 4`, `Overall`; or a *level column* (header `Niveau`, `Level`,
//!   `Niveau/type` …, [`LEVEL_COLUMN_NAMES`]) whose value is `Indikator`, `Kriterium`, `Tema`
//!   or `Samlet`, the unit number then standing in the indicator cell (`3` or `Kriterium 3`);
//!   a row whose level is `Indikator` is an ordinary rating;
//! - wide layout: a column named the same way (`Kriterium 3`, `Tema 4: …`, `Samlet score`).
//!
//! Words are compared after [`fold`] (case and accents). A level score whose score cell is
//! blank is skipped, as a blank indicator cell of a wide row is. A level row whose unit
//! number cannot be read (`Kriterium` with an indicator cell `x`) stays a rating, so the filter
//! lists it as an unknown indicator instead of losing it silently.

use serde::Serialize;

use super::columns::fold;
use super::table::DictBuilder;

/// A level of the quality model above the indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportLevel {
    /// A criterion (kriterium), by its number.
    Criterion(u32),
    /// A theme (tema), by its number.
    Theme(u32),
    /// The overall score (samlet vurdering).
    Overall,
}

/// A criterion, theme or overall score as the export states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelScore {
    /// Index of the source file in [`super::Loaded::sources`].
    pub file: u32,
    /// Line (or Excel row) of the record.
    pub line: u64,
    /// The authority cell as written (empty when blank).
    pub authority: String,
    /// The visit cell as written (empty when blank).
    pub visit_id: String,
    /// The level and unit.
    pub level: ExportLevel,
    /// The indicator cell (long layout) or column header (wide layout) as written.
    pub label: String,
    /// The score as written, e.g. `4,33`.
    pub raw_score: String,
}

/// One [`LevelScore`] of a [`LevelScores`] table, its texts borrowed from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelScoreRef<'a> {
    /// Index of the source file in [`super::Loaded::sources`].
    pub file: u32,
    /// Line (or Excel row) of the record.
    pub line: u64,
    /// The authority cell as written (empty when blank).
    pub authority: &'a str,
    /// The visit cell as written (empty when blank).
    pub visit_id: &'a str,
    /// The level and unit.
    pub level: ExportLevel,
    /// The indicator cell (long layout) or column header (wide layout) as written.
    pub label: &'a str,
    /// The score as written, e.g. `4,33`.
    pub raw_score: &'a str,
}

impl LevelScoreRef<'_> {
    /// The score with its own texts.
    pub fn to_owned(&self) -> LevelScore {
        LevelScore {
            file: self.file,
            line: self.line,
            authority: self.authority.to_string(),
            visit_id: self.visit_id.to_string(),
            level: self.level,
            label: self.label.to_string(),
            raw_score: self.raw_score.to_string(),
        }
    }
}

/// One file's criterion, theme and overall scores in file order, as a compact table: the
/// line in 4 bytes, the level in 8, and each of the four texts (authority, visit, label,
/// score as written) as a code of 1, 2 or 4 bytes into that column's distinct values (the
/// load stage's dictionaries, as in [`super::RawRatings`]). About 20 bytes a score instead of about
/// 180 for a [`LevelScore`] with its four strings; an export of ten million ratings carries
/// about seven million such scores.
#[derive(Clone, Default)]
pub struct LevelScores {
    file: u32,
    lines: Vec<u32>,
    levels: Vec<ExportLevel>,
    /// Authority, visit, label and score as written.
    texts: [DictBuilder; 4],
}

/// The scores as a list (the dictionaries' hash tables are not what a table holds).
impl std::fmt::Debug for LevelScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl LevelScores {
    /// An empty table for the file with index `file`.
    pub fn new(file: u32) -> Self {
        Self {
            file,
            ..Self::default()
        }
    }

    /// Adds a score read on `line`.
    pub fn push(&mut self, line: u32, level: ExportLevel, texts: [&str; 4]) {
        self.lines.push(line);
        self.levels.push(level);
        for (column, text) in self.texts.iter_mut().zip(texts) {
            column.push(Some(text));
        }
    }

    /// Appends the scores of `other` (a later part of the same file), re-coding its texts.
    pub fn append(&mut self, other: LevelScores) {
        if self.is_empty() {
            *self = LevelScores {
                file: self.file,
                ..other
            };
            return;
        }
        self.lines.extend(other.lines);
        self.levels.extend(other.levels);
        for (column, part) in self.texts.iter_mut().zip(other.texts) {
            column.append(&part);
        }
    }

    /// Scores.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Score `row`, in file order.
    pub fn get(&self, row: usize) -> Option<LevelScoreRef<'_>> {
        let [authority, visit_id, label, raw_score] = &self.texts;
        Some(LevelScoreRef {
            file: self.file,
            line: u64::from(*self.lines.get(row)?),
            authority: authority.get(row).unwrap_or(""),
            visit_id: visit_id.get(row).unwrap_or(""),
            level: *self.levels.get(row)?,
            label: label.get(row).unwrap_or(""),
            raw_score: raw_score.get(row).unwrap_or(""),
        })
    }

    /// Every score, in file order.
    pub fn iter(&self) -> impl Iterator<Item = LevelScoreRef<'_>> {
        (0..self.len()).filter_map(|row| self.get(row))
    }
}

/// Header names of a level column (long layout), compared after [`fold`].
pub const LEVEL_COLUMN_NAMES: [&str; 7] = [
    "level",
    "Niveau",
    "Niveau/type",
    "Niveautype",
    "Vurderingsniveau",
    "Scoreniveau",
    "Level type",
];

/// Words that name a criterion, compared after [`fold`].
const CRITERION_WORDS: [&str; 4] = ["kriterium", "kriterie", "criterion", "criteria"];
/// Words that name a theme.
const THEME_WORDS: [&str; 2] = ["tema", "theme"];
/// Words that name the overall score.
const OVERALL_WORDS: [&str; 2] = ["samlet", "overall"];
/// What may follow an overall word (folded): `Samlet`, `Samlet score`, `Overall rating` …
const OVERALL_TAILS: [&str; 10] = [
    "",
    "score",
    "vurdering",
    "kvalitetsvurdering",
    "bedommelse",
    "gennemsnit",
    "karakter",
    "rating",
    "assessment",
    "kvalitetsscore",
];

/// What a level word (the value of a level column) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelKind {
    /// `Indikator`: an ordinary rating.
    Indicator,
    /// `Kriterium`.
    Criterion,
    /// `Tema`.
    Theme,
    /// `Samlet`.
    Overall,
}

impl LevelKind {
    /// The kind a level-column value names (`Indikator`, `Kriterium`, `Tema`, `Samlet`, or
    /// English), `None` for anything else.
    pub fn parse(value: &str) -> Option<LevelKind> {
        let folded = fold(value);
        if ["indikator", "indicator"].contains(&folded.as_str()) {
            Some(LevelKind::Indicator)
        } else if CRITERION_WORDS.contains(&folded.as_str()) {
            Some(LevelKind::Criterion)
        } else if THEME_WORDS.contains(&folded.as_str()) {
            Some(LevelKind::Theme)
        } else if is_overall(value) {
            Some(LevelKind::Overall)
        } else {
            None
        }
    }

    /// The level of a row whose level column says `self` and whose indicator cell is `cell`
    /// (`3` or `Kriterium 3`); `None` for a rating, or when no unit number can be read.
    pub fn level(self, cell: &str) -> Option<ExportLevel> {
        let number = || {
            let cell = cell.trim();
            cell.parse::<u32>().ok().or_else(|| {
                let (word, rest) = leading_word(cell);
                let folded = fold(word);
                let named = match self {
                    LevelKind::Criterion => CRITERION_WORDS.contains(&folded.as_str()),
                    _ => THEME_WORDS.contains(&folded.as_str()),
                };
                named.then(|| unit_number(rest)).flatten()
            })
        };
        match self {
            LevelKind::Indicator => None,
            LevelKind::Criterion => number().map(ExportLevel::Criterion),
            LevelKind::Theme => number().map(ExportLevel::Theme),
            LevelKind::Overall => Some(ExportLevel::Overall),
        }
    }
}

impl ExportLevel {
    /// Reads a level label: `Kriterium 3`, `Kriterie 3`, `Criterion 3`, `Tema 4`,
    /// `Tema 4: Sundhed og trivsel`, `Theme 4`, `Samlet`, `Samlet score`, `Samlet vurdering`,
    /// `Overall` (case and accents ignored). The unit number must end at the end of the text,
    /// whitespace, or one of `:` `-` `.` `)` `,`. `None` for anything else, an indicator id
    /// included.
    ///
    /// ```
    /// use losstat::load::ExportLevel;
    /// assert_eq!(ExportLevel::parse("Kriterium 3"), Some(ExportLevel::Criterion(3)));
    /// assert_eq!(ExportLevel::parse("TEMA 4: Sundhed og trivsel"), Some(ExportLevel::Theme(4)));
    /// assert_eq!(ExportLevel::parse("Samlet vurdering"), Some(ExportLevel::Overall));
    /// assert_eq!(ExportLevel::parse("Overall"), Some(ExportLevel::Overall));
    /// assert_eq!(ExportLevel::parse("1.a"), None);
    /// assert_eq!(ExportLevel::parse("Tema"), None);
    /// assert_eq!(ExportLevel::parse("Temadag 4"), None);
    /// ```
    pub fn parse(text: &str) -> Option<ExportLevel> {
        let text = text.trim();
        // Every label starts with a letter; indicator ids and scores start with a digit.
        if !text.chars().next().is_some_and(char::is_alphabetic) {
            return None;
        }
        let (word, rest) = leading_word(text);
        let folded = fold(word);
        if CRITERION_WORDS.contains(&folded.as_str()) {
            unit_number(rest).map(ExportLevel::Criterion)
        } else if THEME_WORDS.contains(&folded.as_str()) {
            unit_number(rest).map(ExportLevel::Theme)
        } else if is_overall(text) {
            Some(ExportLevel::Overall)
        } else {
            None
        }
    }
}

/// Whether `text` names the overall score: an overall word and an accepted tail.
fn is_overall(text: &str) -> bool {
    let (word, rest) = leading_word(text.trim());
    OVERALL_WORDS.contains(&fold(word).as_str()) && OVERALL_TAILS.contains(&fold(rest).as_str())
}

/// The leading run of letters of `text`, and the rest.
fn leading_word(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

/// The unit number at the start of `rest` (after spaces and an optional `:` or `.`), if it
/// ends at a boundary (see [`ExportLevel::parse`]).
fn unit_number(rest: &str) -> Option<u32> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix([':', '.']).map_or(rest, str::trim_start);
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if digits == 0 || digits > 3 {
        return None;
    }
    let boundary = rest[digits..]
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || [':', '-', '.', ')', ','].contains(&c));
    boundary.then(|| rest[..digits].parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_level_scores_gives_back_every_text_across_appended_parts() {
        // Two parts of one file, the second with texts the first has and new ones, a blank
        // authority and a repeated visit; read back in order, as written.
        let rows = [
            (
                3,
                "Nord",
                "v1",
                ExportLevel::Criterion(1),
                "Kriterium 1",
                "4,33",
            ),
            (4, "Nord", "v1", ExportLevel::Theme(2), "Tema 2", "4,5"),
            (9, "", "v2", ExportLevel::Overall, "Samlet", "4,33"),
            (
                10,
                "Syd",
                "v1",
                ExportLevel::Criterion(1),
                "Kriterium 1",
                "x",
            ),
        ];
        let mut first = LevelScores::new(2);
        let mut second = LevelScores::new(2);
        for (k, &(line, authority, visit, level, label, score)) in rows.iter().enumerate() {
            let part = if k < 2 { &mut first } else { &mut second };
            part.push(line, level, [authority, visit, label, score]);
        }
        first.append(second);
        let back: Vec<_> = first
            .iter()
            .map(|l| {
                (
                    l.line as u32,
                    l.authority,
                    l.visit_id,
                    l.level,
                    l.label,
                    l.raw_score,
                )
            })
            .collect();
        assert_eq!(back, rows);
        assert!(first.iter().all(|l| l.file == 2));
        let owned = first.get(2).expect("third").to_owned();
        assert_eq!((owned.visit_id.as_str(), owned.line), ("v2", 9));
        assert!(first.get(4).is_none());
    }

    #[test]
    fn labels_as_exports_write_them() {
        // The spellings of issue 12, item 6.
        for (text, level) in [
            ("Kriterium 3", Some(ExportLevel::Criterion(3))),
            ("Kriterie 3", Some(ExportLevel::Criterion(3))),
            ("kriterium 14.", Some(ExportLevel::Criterion(14))),
            ("Criterion 3", Some(ExportLevel::Criterion(3))),
            ("Tema 4", Some(ExportLevel::Theme(4))),
            ("Tema 4: Sundhed og trivsel", Some(ExportLevel::Theme(4))),
            ("Tema: 2", Some(ExportLevel::Theme(2))),
            ("Theme 7", Some(ExportLevel::Theme(7))),
            ("Samlet", Some(ExportLevel::Overall)),
            ("Samlet score", Some(ExportLevel::Overall)),
            ("SAMLET VURDERING", Some(ExportLevel::Overall)),
            ("Samlet bedømmelse", Some(ExportLevel::Overall)),
            ("Overall", Some(ExportLevel::Overall)),
            ("Overall score", Some(ExportLevel::Overall)),
            // Not levels.
            ("1.a", None),
            ("Indikator 3.a", None),
            ("Kriterium", None),
            ("Kriterium 3a", None),
            ("Tema 4x", None),
            ("Tema 1234", None),
            ("Samlet antal indikatorer", None),
            ("Tilsyn", None),
            ("", None),
        ] {
            assert_eq!(ExportLevel::parse(text), level, "{text:?}");
        }
    }

    #[test]
    fn level_column_values_and_unit_numbers() {
        assert_eq!(LevelKind::parse("Indikator"), Some(LevelKind::Indicator));
        assert_eq!(LevelKind::parse("kriterium"), Some(LevelKind::Criterion));
        assert_eq!(LevelKind::parse("Tema"), Some(LevelKind::Theme));
        assert_eq!(LevelKind::parse("Samlet"), Some(LevelKind::Overall));
        assert_eq!(LevelKind::parse("Underindikator"), None);
        assert_eq!(
            LevelKind::Criterion.level("3"),
            Some(ExportLevel::Criterion(3))
        );
        assert_eq!(
            LevelKind::Criterion.level("Kriterium 12"),
            Some(ExportLevel::Criterion(12))
        );
        assert_eq!(LevelKind::Theme.level(" 4 "), Some(ExportLevel::Theme(4)));
        assert_eq!(LevelKind::Theme.level("Kriterium 4"), None);
        assert_eq!(LevelKind::Criterion.level("x"), None);
        assert_eq!(LevelKind::Overall.level(""), Some(ExportLevel::Overall));
        assert_eq!(LevelKind::Indicator.level("1.a"), None);
    }
}
