//! Stage 0: the quality model (kvalitetsmodel) that gives the ratings their structure.
//!
//! Input: a model CSV (the embedded default, `data/kvalitetsmodel.csv`, or a file the user
//! names with `--model`). Output: a validated [`QualityModel`].
//!
//! The model for *sociale tilbud* has 7 themes → criteria → indicators (bekendtgørelse om
//! socialtilsyn, bilag 1; LOS box 2). Theme 4 has criteria 4–7, theme 5 has 8–9, theme 7
//! has criterion 14; the economy criteria 11–13 are assessed outside the model and carry no
//! scores. An indicator id is `<criterion>.<letter>` (`1.a`, `8.c`, `14.b`). Some indicators
//! apply to every offer type (*universal*, e.g. `1.a`); a visit without a valid score for
//! one of them is dropped by the LOS filter `missing_universal`.
//!
//! The embedded default is the reconstruction in `shared/research/kvalitetsmodel.md`
//! (29 indicators, 22 universal): each row carries its evidence grade (`status`: V verified,
//! P partly verified, U unverified) and `source`. The least certain entries are theme 3's
//! wording and count, the letters of themes 2/4/6/7 (inferred from order), and `9.d`, which
//! the LOS paper cites (figure 3) but no public description of the model lists; it is kept
//! as a conditional (non-universal) indicator so that LOS-like exports load cleanly.
//!
//! Model file format (CSV, `,` or `;`): required columns `indicator, criterion, theme,
//! universal` (universal: yes/no, true/false, 1/0, ja/nej); optional `theme_name`,
//! `theme_name_en`, `criterion_name`, `indicator_name`, `applies_to`, `status`, `source`.
//! Rejected with the file and line: an unparseable id, an id whose number is not its
//! criterion, an indicator listed twice, a criterion placed under two themes.
//!
//! Glossary: *tema* = theme, *kriterium* = criterion, *indikator* = indicator,
//! *tilsynsbesøg* = visit, *tilbud* = offer, *tilbudstype* = offer type.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// The embedded default model, compiled in from `data/kvalitetsmodel.csv`.
pub const EMBEDDED_MODEL_CSV: &str = include_str!("../data/kvalitetsmodel.csv");

/// A canonical indicator id: criterion number and letter, written `8.c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IndicatorId {
    /// The criterion number (the part before the dot).
    pub criterion: u32,
    /// The letter, lower case.
    pub letter: char,
}

impl IndicatorId {
    /// Parses the spellings found in exports: `1.a`, `1a`, `1 A`, `8.C`, `Indikator 9.d`.
    /// Returns `None` for anything else (the filter then calls the id unknown).
    ///
    /// ```
    /// use losstat::model::IndicatorId;
    /// assert_eq!(IndicatorId::parse(" Indikator 8 C").map(|id| id.to_string()), Some("8.c".into()));
    /// assert_eq!(IndicatorId::parse("foo"), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_lowercase();
        let rest = ["indikator", "indicator", "ind."]
            .iter()
            .find_map(|prefix| lower.strip_prefix(prefix))
            .unwrap_or(&lower);
        let compact: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
        let digits_end = compact
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(compact.len());
        if digits_end == 0 || digits_end > 3 {
            return None;
        }
        let criterion: u32 = compact[..digits_end].parse().ok()?;
        let tail = compact[digits_end..]
            .strip_prefix('.')
            .unwrap_or(&compact[digits_end..]);
        let mut letters = tail.chars();
        match (letters.next(), letters.next()) {
            (Some(letter), None) if letter.is_ascii_lowercase() => Some(Self { criterion, letter }),
            _ => None,
        }
    }
}

impl fmt::Display for IndicatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.criterion, self.letter)
    }
}

/// One indicator of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Canonical id, e.g. `8.c`.
    pub id: IndicatorId,
    /// Theme number (1–7).
    pub theme: u32,
    /// Whether it applies to every offer type.
    pub universal: bool,
    /// Short Danish paraphrase, if known.
    pub name: Option<String>,
    /// Which offer types it applies to, in words.
    pub applies_to: Option<String>,
    /// Evidence grade of the reconstruction (V, P or U).
    pub status: Option<String>,
    /// Where the entry comes from.
    pub source: Option<String>,
}

/// One criterion of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    /// Criterion number.
    pub number: u32,
    /// Theme number it belongs to.
    pub theme: u32,
    /// Short Danish title, if known.
    pub name: Option<String>,
}

/// One theme of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// Theme number (1–7 in the standard model).
    pub number: u32,
    /// Danish name, if known.
    pub name: Option<String>,
    /// English name, if known.
    pub name_en: Option<String>,
}

/// A validated quality model: themes, criteria and indicators, in model order.
#[derive(Debug, Clone, Serialize)]
pub struct QualityModel {
    /// Where it came from: a path, or `embedded`.
    pub origin: String,
    /// Indicators sorted by criterion, then letter.
    pub indicators: Vec<Indicator>,
    /// Criteria by number.
    pub criteria: BTreeMap<u32, Criterion>,
    /// Themes by number.
    pub themes: BTreeMap<u32, Theme>,
    #[serde(skip)]
    index: HashMap<IndicatorId, usize>,
}

impl QualityModel {
    /// The embedded default model.
    pub fn embedded() -> Result<Self> {
        Self::from_csv_str(EMBEDDED_MODEL_CSV, "embedded")
    }

    /// Reads a model CSV from a file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Model {
            origin: path.display().to_string(),
            line: 0,
            message: format!(
                "the model file is not UTF-8 text (invalid byte at offset {}); save it as CSV UTF-8",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Self::from_csv_str(&text, &path.display().to_string())
    }

    /// Parses and validates a model CSV held in memory; `origin` names it in messages.
    pub fn from_csv_str(text: &str, origin: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first_line = text.lines().next().unwrap_or("");
        let separator = if first_line.matches(';').count() > first_line.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = ModelRows::new(origin, reader.headers())?;
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                rows.error(line, format!("cannot parse the row: {e}"))
            })?;
            if !record.iter().all(|f| f.trim().is_empty()) {
                rows.add(&record)?;
            }
        }
        rows.finish()
    }

    /// The indicator with this id, if the model has it.
    pub fn indicator(&self, id: IndicatorId) -> Option<&Indicator> {
        self.index.get(&id).map(|&i| &self.indicators[i])
    }

    /// The theme a criterion belongs to, if the model has the criterion.
    pub fn theme_of_criterion(&self, criterion: u32) -> Option<u32> {
        self.criteria.get(&criterion).map(|c| c.theme)
    }

    /// The universal indicators, in model order.
    pub fn universal(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(|i| i.universal)
    }

    /// The model as a model CSV (the format [`QualityModel::from_csv_str`] reads).
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let mut rows: Vec<Vec<String>> = vec![
            [
                "indicator",
                "criterion",
                "theme",
                "universal",
                "theme_name",
                "theme_name_en",
                "criterion_name",
                "indicator_name",
                "applies_to",
                "status",
                "source",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for i in &self.indicators {
            let theme = self.themes.get(&i.theme);
            let text = |s: Option<&String>| s.cloned().unwrap_or_default();
            rows.push(vec![
                i.id.to_string(),
                i.id.criterion.to_string(),
                i.theme.to_string(),
                if i.universal { "yes" } else { "no" }.to_string(),
                text(theme.and_then(|t| t.name.as_ref())),
                text(theme.and_then(|t| t.name_en.as_ref())),
                text(
                    self.criteria
                        .get(&i.id.criterion)
                        .and_then(|c| c.name.as_ref()),
                ),
                text(i.name.as_ref()),
                text(i.applies_to.as_ref()),
                text(i.status.as_ref()),
                text(i.source.as_ref()),
            ]);
        }
        for row in rows {
            // Writing to a Vec cannot fail.
            let _ = w.write_record(&row);
        }
        w.into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The theme's Danish name, or `Tema N`.
    pub fn theme_label(&self, theme: u32) -> String {
        self.themes
            .get(&theme)
            .and_then(|t| t.name.clone())
            .unwrap_or_else(|| format!("Tema {theme}"))
    }
}

/// Parses a yes/no flag as written in model files.
fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "ja" | "j" | "x" => Some(true),
        "no" | "n" | "false" | "0" | "nej" | "" => Some(false),
        _ => None,
    }
}

/// A model CSV being read: where its columns are, and the model built from the rows so far.
struct ModelRows {
    origin: String,
    /// Header names, trimmed and lower-case.
    header: Vec<String>,
    /// Positions of the required columns: indicator, criterion, theme, universal.
    required: [usize; 4],
    indicators: Vec<Indicator>,
    first_line_of: HashMap<IndicatorId, u64>,
    criteria: BTreeMap<u32, Criterion>,
    criterion_line: HashMap<u32, u64>,
    themes: BTreeMap<u32, Theme>,
}

impl ModelRows {
    /// Checks the header for the required columns.
    fn new(
        origin: &str,
        header: std::result::Result<&csv::StringRecord, csv::Error>,
    ) -> Result<Self> {
        let error = |message: String| Error::Model {
            origin: origin.to_string(),
            line: 1,
            message,
        };
        let header: Vec<String> = header
            .map_err(|e| error(format!("cannot read the header: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let names = ["indicator", "criterion", "theme", "universal"];
        let positions = names.map(|name| header.iter().position(|h| h == name));
        let missing: Vec<&str> = names
            .iter()
            .zip(positions)
            .filter(|(_, at)| at.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(error(format!(
                "missing column(s) {}; a model file needs the columns indicator, criterion, theme, universal \
                 (found: {})",
                missing.join(", "),
                header.join(", ")
            )));
        }
        Ok(Self {
            origin: origin.to_string(),
            header,
            required: positions.map(|at| at.unwrap_or(usize::MAX)),
            indicators: Vec::new(),
            first_line_of: HashMap::new(),
            criteria: BTreeMap::new(),
            criterion_line: HashMap::new(),
            themes: BTreeMap::new(),
        })
    }

    fn error(&self, line: u64, message: String) -> Error {
        Error::Model {
            origin: self.origin.clone(),
            line,
            message,
        }
    }

    /// An optional column's value in `record`, if it has one.
    fn optional(&self, record: &csv::StringRecord, name: &str) -> Option<String> {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The required fields of a row: indicator id, criterion, theme, universal.
    fn parse(
        &self,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<(IndicatorId, u32, u32, bool)> {
        let field = |i: usize| record.get(self.required[i]).map_or("", str::trim);
        let raw_id = field(0);
        let id = IndicatorId::parse(raw_id).ok_or_else(|| {
            self.error(
                line,
                format!(
                    "indicator `{raw_id}` is not an id like `1.a` (criterion number, dot, letter)"
                ),
            )
        })?;
        let number = |i: usize, what: &str| -> Result<u32> {
            field(i).parse().map_err(|_| {
                self.error(line, format!("{what} `{}` is not a whole number", field(i)))
            })
        };
        let (criterion, theme) = (number(1, "criterion")?, number(2, "theme")?);
        let universal = parse_flag(field(3)).ok_or_else(|| {
            self.error(
                line,
                format!(
                    "universal `{}` is not yes/no, true/false, 1/0 or ja/nej",
                    field(3)
                ),
            )
        })?;
        if id.criterion != criterion {
            return Err(self.error(
                line,
                format!(
                    "indicator {id} is placed in criterion {criterion}, but its number says criterion {}",
                    id.criterion
                ),
            ));
        }
        Ok((id, criterion, theme, universal))
    }

    /// Adds a row's indicator, and its criterion and theme if they are new.
    fn add(&mut self, record: &csv::StringRecord) -> Result<()> {
        let line = record.position().map_or(0, csv::Position::line);
        let (id, criterion, theme, universal) = self.parse(record, line)?;
        if let Some(previous) = self.first_line_of.insert(id, line) {
            return Err(self.error(
                line,
                format!("indicator {id} is listed twice (first on line {previous})"),
            ));
        }
        self.add_criterion(record, line, criterion, theme)?;
        let (name, name_en) = (
            self.optional(record, "theme_name"),
            self.optional(record, "theme_name_en"),
        );
        let entry = self.themes.entry(theme).or_insert_with(|| Theme {
            number: theme,
            name: None,
            name_en: None,
        });
        entry.name = entry.name.take().or(name);
        entry.name_en = entry.name_en.take().or(name_en);
        self.indicators.push(Indicator {
            id,
            theme,
            universal,
            name: self.optional(record, "indicator_name"),
            applies_to: self.optional(record, "applies_to"),
            status: self.optional(record, "status"),
            source: self.optional(record, "source"),
        });
        Ok(())
    }

    /// Records the criterion's theme; a criterion in two themes is an error.
    fn add_criterion(
        &mut self,
        record: &csv::StringRecord,
        line: u64,
        criterion: u32,
        theme: u32,
    ) -> Result<()> {
        match self.criteria.get(&criterion) {
            Some(existing) if existing.theme != theme => {
                let previous = self.criterion_line.get(&criterion).copied().unwrap_or(0);
                Err(self.error(
                    line,
                    format!(
                        "criterion {criterion} is placed in theme {theme} here but in theme {} on line {previous}; \
                         a criterion belongs to exactly one theme",
                        existing.theme
                    ),
                ))
            }
            Some(_) => Ok(()),
            None => {
                self.criterion_line.insert(criterion, line);
                let name = self.optional(record, "criterion_name");
                self.criteria.insert(
                    criterion,
                    Criterion {
                        number: criterion,
                        theme,
                        name,
                    },
                );
                Ok(())
            }
        }
    }

    /// The model, with its indicators in id order.
    fn finish(mut self) -> Result<QualityModel> {
        if self.indicators.is_empty() {
            return Err(self.error(
                0,
                "the model lists no indicators; expected one row per indicator below the header"
                    .to_string(),
            ));
        }
        self.indicators.sort_by_key(|i| i.id);
        let index = self
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.id, i))
            .collect();
        Ok(QualityModel {
            origin: self.origin,
            indicators: self.indicators,
            criteria: self.criteria,
            themes: self.themes,
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_matches_the_reconstruction() {
        let model = QualityModel::embedded().expect("embedded model parses");
        // Counts from research/kvalitetsmodel.md §4 (28 indicators, 22 universal) plus 9.d.
        assert_eq!(model.indicators.len(), 29);
        assert_eq!(model.universal().count(), 22);
        assert_eq!(model.themes.len(), 7);
        let criteria: Vec<u32> = model.criteria.keys().copied().collect();
        assert_eq!(criteria, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14]);
        // LOS box 2: theme 4 = criteria 4–7, theme 5 = 8–9, theme 7 = 14.
        for (criterion, theme) in [(4, 4), (7, 4), (8, 5), (9, 5), (10, 6), (14, 7)] {
            assert_eq!(model.theme_of_criterion(criterion), Some(theme));
        }
        let nine_d = IndicatorId::parse("9.d").and_then(|id| model.indicator(id));
        assert!(nine_d.is_some_and(|i| !i.universal));
    }

    #[test]
    fn csv_round_trip_keeps_the_model() {
        let model = QualityModel::embedded().expect("embedded model parses");
        let again = QualityModel::from_csv_str(&model.to_csv(), "again").expect("round trip");
        assert_eq!(again.indicators, model.indicators);
        assert_eq!(again.criteria, model.criteria);
        assert_eq!(again.themes, model.themes);
    }

    #[test]
    fn indicator_ids_parse_in_export_spellings() {
        for raw in [
            "8.c",
            "8c",
            "8 C",
            " 8.C ",
            "Indikator 8.c",
            "indicator 8 c",
        ] {
            assert_eq!(
                IndicatorId::parse(raw),
                Some(IndicatorId {
                    criterion: 8,
                    letter: 'c'
                }),
                "{raw}"
            );
        }
        for raw in ["", "c", "8", "8.", "8.cc", "x.1", "8.æ", "1234.a", "8..c"] {
            assert_eq!(IndicatorId::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn model_file_errors_name_the_line() {
        let two_criteria = "indicator,criterion,theme,universal\n1.a,1,1,yes\n1.a,1,1,no\n";
        let err = QualityModel::from_csv_str(two_criteria, "m.csv").unwrap_err();
        assert!(err.to_string().contains("m.csv:3"), "{err}");
        let two_themes = "indicator,criterion,theme,universal\n4.a,4,4,yes\n4.b,4,3,yes\n";
        let err = QualityModel::from_csv_str(two_themes, "m.csv").unwrap_err();
        assert!(
            err.to_string().contains("two themes") || err.to_string().contains("exactly one theme")
        );
        let wrong_number = "indicator;criterion;theme;universal\n4.a;5;4;ja\n";
        let err = QualityModel::from_csv_str(wrong_number, "m.csv").unwrap_err();
        assert!(err.to_string().contains("m.csv:2"), "{err}");
        let missing = "indicator,theme\n1.a,1\n";
        let err = QualityModel::from_csv_str(missing, "m.csv").unwrap_err();
        assert!(err.to_string().contains("criterion"), "{err}");
    }
}
