//! Visit dates: how the filter reads the `visit_date` field, and in which day/month order.
//!
//! Part of stage 2 (the filter). Input: the raw date texts of [`RawRatings`], as the loader
//! read them. Output: per distinct text, the date it means (read once, whatever the number of
//! rows); per input file, a [`DateReport`] saying in which order day and month numbers were
//! read and why. The kept visits carry their date as ISO `YYYY-MM-DD`
//! ([`super::visits::VISIT_DATE`]), so every output writes ISO dates.
//!
//! The forms read ([`parse_date`]; a one- or two-digit day and month, a four-digit year):
//!
//! | form | examples | notes |
//! |---|---|---|
//! | year first | `2023-05-12`, `2023/5/12`, `2023.05.12` | ISO and its look-alikes |
//! | day and month as numbers | `12-05-2023`, `12.05.2023`, `12/5/2023` | day first unless the file says otherwise (below) |
//! | Danish month names | `12. maj 2023`, `12 maj 2023`, `3. okt. 2023`, `1. februar 2024`, `12-maj-2023` | names and abbreviations, any case |
//! | date-times | `2023-05-12 10:30`, `2023-05-12T10:30:00`, `12-05-2023 10:30:00` | any of the forms above, then a valid time of day; the time is dropped |
//! | Excel serial numbers | `45229` (= 2023-10-30), `45229,0`, `45229.5` | days since 1899-12-30 (Excel's 1900 date system), 20000 to 80000 only (1954-10-03 to 2119-01-11) |
//!
//! Anything else (`32-13-2023`, `31-02-2023`, `12-05-23`, `maj 2023`, `x`) is not a date. A
//! blank date is no date, and no problem: the field is optional.
//!
//! **Day/month order.** Danish dates put the day first, so numeric dates are read day first by
//! default. Each input file is looked at on its own (an export is written by one program, in one
//! order): a date that can only be read day first (`25-05-2023`: no month 25) is evidence for
//! day first, one that can only be read month first (`05-25-2023`) evidence for month first.
//! A file with month-first evidence only is read month first, and [`DateReport`] says so; a
//! file with both is *ambiguous*: it is read day first, its month-first dates are then not
//! dates, and the report says that too. Each file's order applies to all its numeric dates.
//!
//! A kept rating whose date is not a date is flagged `invalid_date` (it is kept; see
//! [`super::rules`]).

use chrono::{Days, NaiveDate, NaiveTime};
use serde::Serialize;

use crate::load::{Field, MISSING, RawRatings, fold};

/// How a file's day-and-month-number dates (`12-05-2023`) are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Nothing to decide: no date of the file is written with day and month numbers alone
    /// (they are ISO, have month names or are Excel serials, or there are none). Such a date
    /// would be read day first, as [`DateOrder::DayFirst`].
    #[default]
    Iso,
    /// Day, month, year (Danish).
    DayFirst,
    /// Month, day, year.
    MonthFirst,
}

/// The dates of one input file: the order its day/month dates were read in, and the evidence.
///
/// Counts are of *distinct* date texts (a visit's date is usually repeated on each of its
/// rows), blanks not counted, and partition them:
/// `values = iso + other_forms + day_first + month_first + either + unreadable`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DateReport {
    /// Index of the file (into the load stage's sources).
    pub file: u32,
    /// The order the file's day/month dates were read in.
    pub order: DateOrder,
    /// Whether the file has dates that can only be read day first *and* dates that can only be
    /// read month first. It is read day first; its `month_first` dates are then not dates
    /// (their ratings are flagged `invalid_date`), and the `either` ones may be wrong.
    pub ambiguous: bool,
    /// Distinct non-blank date texts.
    pub values: u64,
    /// Written as ISO dates `YYYY-MM-DD` already (kept as written).
    pub iso: u64,
    /// Other forms with one reading: month names, date-times, Excel serials, year-first
    /// look-alikes of ISO (`2023/5/12`); rewritten as ISO.
    pub other_forms: u64,
    /// Day/month dates readable only day first (`25-05-2023`): evidence for day first.
    pub day_first: u64,
    /// Day/month dates readable only month first (`05-25-2023`): evidence for month first.
    pub month_first: u64,
    /// Day/month dates readable either way (`03-04-2023`): the file's order decides.
    pub either: u64,
    /// Not a date in any order (`32-13-2023`, `x`).
    pub unreadable: u64,
    /// The first date text that is evidence for day first, if any.
    pub day_first_example: Option<String>,
    /// The first date text that is evidence for month first, if any.
    pub month_first_example: Option<String>,
    /// The first date text that is not a date, if any.
    pub unreadable_example: Option<String>,
}

impl DateReport {
    /// Whether every date of the file was written as an ISO date already (or it has none):
    /// nothing was rewritten, nothing left unread.
    pub fn all_iso(&self) -> bool {
        self.values == self.iso
    }

    /// Whether the report says something an analyst should know: the file was read month
    /// first, its order is ambiguous, or it has dates that are not dates.
    pub fn worth_saying(&self) -> bool {
        self.order == DateOrder::MonthFirst || self.ambiguous || self.unreadable > 0
    }

    /// The distinct date texts of the file that the filter could not read in its order: the
    /// unreadable ones, and in an ambiguous file the month-first ones.
    pub fn not_read(&self) -> u64 {
        self.unreadable + if self.ambiguous { self.month_first } else { 0 }
    }
}

/// Reads a visit date (see the module docs for the forms) with day/month numbers in the
/// order `order`; `None` if the text is not a date (or blank).
///
/// ```
/// use chrono::NaiveDate;
/// use losstat::filter::{DateOrder, parse_date};
/// let may_12 = NaiveDate::from_ymd_opt(2023, 5, 12);
/// assert_eq!(parse_date("2023-05-12", DateOrder::Iso), may_12);
/// assert_eq!(parse_date("12-05-2023", DateOrder::DayFirst), may_12);
/// assert_eq!(parse_date("05/12/2023", DateOrder::MonthFirst), may_12);
/// assert_eq!(parse_date("12. MAJ 2023", DateOrder::DayFirst), may_12);
/// assert_eq!(parse_date("2023-05-12T10:30:00", DateOrder::DayFirst), may_12);
/// // Excel's serial number of 30 October 2023.
/// assert_eq!(parse_date("45229", DateOrder::DayFirst), NaiveDate::from_ymd_opt(2023, 10, 30));
/// assert_eq!(parse_date("32-13-2023", DateOrder::DayFirst), None);
/// ```
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    Reading::of(raw).date(order)
}

/// What one distinct date text means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Blank: no date.
    Blank,
    /// One reading whatever the order; `iso` if the text is that date written `YYYY-MM-DD`.
    Fixed { date: NaiveDate, iso: bool },
    /// Day and month numbers: the date read day first and read month first (at least one).
    DayMonth {
        day_first: Option<NaiveDate>,
        month_first: Option<NaiveDate>,
    },
    /// Not a date.
    Unreadable,
}

impl Reading {
    /// Reads `raw` (see the module docs).
    fn of(raw: &str) -> Self {
        let text = raw.trim();
        if text.is_empty() {
            return Reading::Blank;
        }
        if let Some(date) = excel_serial(text) {
            return Reading::Fixed { date, iso: false };
        }
        let Some((date, timed)) = without_time(text) else {
            return Reading::Unreadable;
        };
        let reading = numeric(date)
            .or_else(|| named(date))
            .unwrap_or(Reading::Unreadable);
        match reading {
            // `2023-05-12 10:30` is not written as an ISO date.
            Reading::Fixed { date, iso } => Reading::Fixed {
                date,
                iso: iso && !timed,
            },
            other => other,
        }
    }

    /// The date in `order`.
    fn date(self, order: DateOrder) -> Option<NaiveDate> {
        match self {
            Reading::Fixed { date, .. } => Some(date),
            Reading::DayMonth {
                day_first,
                month_first,
            } => match order {
                DateOrder::MonthFirst => month_first,
                DateOrder::Iso | DateOrder::DayFirst => day_first,
            },
            Reading::Blank | Reading::Unreadable => None,
        }
    }
}

/// An Excel serial date: digits, optionally a decimal part (a time of day), in the plausible
/// range 20000–80000.
fn excel_serial(text: &str) -> Option<NaiveDate> {
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || whole.len() > 5 {
        return None;
    }
    let days: u64 = whole.parse().ok()?;
    if !(20_000..=80_000).contains(&days) {
        return None;
    }
    // Day 0 of Excel's 1900 system, which counts a 29 February 1900 that never was, so that
    // serials after February 1900 (all plausible ones) count from 30 December 1899.
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

/// The date part of `text` and whether a time followed it; `None` if what follows the last
/// space or `T` looks like a time (has a colon) but is not a valid one.
fn without_time(text: &str) -> Option<(&str, bool)> {
    match text.rfind([' ', 'T']) {
        Some(at) if text[at + 1..].contains(':') => {
            time_of_day(&text[at + 1..]).map(|_| (text[..at].trim_end(), true))
        }
        _ => Some((text, false)),
    }
}

/// `H:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, if it is a valid time of day (seconds whole).
fn time_of_day(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':');
    let number = |s: Option<&str>, widths: &[usize]| -> Option<u32> {
        let s = s?;
        (widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let hour = number(parts.next(), &[1, 2])?;
    let minute = number(parts.next(), &[2])?;
    let second = match parts.next() {
        None => 0,
        Some(s) => {
            let (whole, fraction) = s.split_once(['.', ',']).unwrap_or((s, "0"));
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            number(Some(whole), &[2])?
        }
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// Three numbers with one separator (`-`, `/` or `.`): year first, or day and month then a
/// four-digit year. `None` if `text` is not of that shape.
fn numeric(text: &str) -> Option<Reading> {
    let separator = text.chars().find(|c| !c.is_ascii_digit())?;
    if !['-', '/', '.'].contains(&separator) {
        return None;
    }
    // At most four parts are split off, however long the text.
    let parts: Vec<&str> = text.splitn(4, separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if [a, b, c]
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|x| x.is_ascii_digit()))
    {
        return None;
    }
    let short = |p: &str| (1..=2).contains(&p.len());
    let (a_n, b_n, c_n): (u32, u32, u32) = (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?);
    let reading = if a.len() == 4 && short(b) && short(c) {
        match NaiveDate::from_ymd_opt(a_n as i32, b_n, c_n) {
            Some(date) => Reading::Fixed {
                date,
                iso: separator == '-' && b.len() == 2 && c.len() == 2,
            },
            None => Reading::Unreadable,
        }
    } else if short(a) && short(b) && c.len() == 4 {
        let day_first = NaiveDate::from_ymd_opt(c_n as i32, b_n, a_n);
        let month_first = NaiveDate::from_ymd_opt(c_n as i32, a_n, b_n);
        if day_first.is_none() && month_first.is_none() {
            Reading::Unreadable
        } else {
            Reading::DayMonth {
                day_first,
                month_first,
            }
        }
    } else {
        Reading::Unreadable
    };
    Some(reading)
}

/// Day, Danish month name or abbreviation, four-digit year (`12. maj 2023`, `3. okt. 2023`,
/// `12-maj-2023`). `None` if `text` is not of that shape or not a date.
fn named(text: &str) -> Option<Reading> {
    let words: Vec<&str> = text
        .split([' ', '.', '-', '/', ','])
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    let [day, month, year] = words.as_slice() else {
        return None;
    };
    let digits = |s: &str, widths: &[usize]| {
        widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(day, &[1, 2]) || !digits(year, &[4]) {
        return None;
    }
    let month = month_number(month)?;
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month, day.parse().ok()?)?;
    Some(Reading::Fixed { date, iso: false })
}

/// The month a Danish month name or abbreviation names (any case).
fn month_number(word: &str) -> Option<u32> {
    if word.len() > 20 {
        return None;
    }
    let month = match fold(word).as_str() {
        "januar" | "jan" => 1,
        "februar" | "feb" => 2,
        "marts" | "mar" | "mrt" => 3,
        "april" | "apr" => 4,
        "maj" => 5,
        "juni" | "jun" => 6,
        "juli" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sep" | "sept" => 9,
        "oktober" | "okt" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// What the date of one row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowDate {
    /// No date written.
    Blank,
    /// A date.
    Date(NaiveDate),
    /// Written, but not a date in the file's order.
    Unreadable,
}

/// The visit dates of a raw table: every distinct date text read once, and each file's
/// order (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Dates {
    /// Per dictionary code of the date field.
    readings: Vec<Reading>,
    /// Per dictionary code: the date as ISO text, read day first (or in its only reading) and
    /// read month first.
    iso: Vec<[Option<Box<str>>; 2]>,
    /// Per file: 1 if it is read month first, else 0 (the index into `iso`).
    month_first: Vec<u8>,
    /// Per file.
    reports: Vec<DateReport>,
    /// Whether some file has a date that is not read in its order.
    any_not_read: bool,
}

impl Dates {
    /// Reads the date field of `raw`, whose rows come from `files` input files (more if a
    /// row names a higher file index).
    pub fn read(raw: &RawRatings, files: usize) -> Self {
        let column = raw.column(Field::VisitDate);
        let readings: Vec<Reading> = column.values().iter().map(|v| Reading::of(v)).collect();
        let iso = readings
            .iter()
            .map(|r| {
                [DateOrder::DayFirst, DateOrder::MonthFirst]
                    .map(|order| r.date(order).map(|d| d.to_string().into_boxed_str()))
            })
            .collect();
        let (pairs, used) = file_codes(raw);
        let mut reports: Vec<DateReport> = (0..used.max(files))
            .map(|file| DateReport {
                file: file as u32,
                ..DateReport::default()
            })
            .collect();
        for (file, code) in pairs {
            let (Some(report), Some(&reading), Some(text)) = (
                reports.get_mut(file as usize),
                readings.get(code as usize),
                column.values().get(code as usize),
            ) else {
                continue;
            };
            tally(report, reading, text);
        }
        for report in &mut reports {
            decide(report);
        }
        Self {
            readings,
            iso,
            month_first: reports
                .iter()
                .map(|r| u8::from(r.order == DateOrder::MonthFirst))
                .collect(),
            any_not_read: reports.iter().any(|r| r.not_read() > 0),
            reports,
        }
    }

    /// One report per file.
    pub fn reports(&self) -> &[DateReport] {
        &self.reports
    }

    /// Whether any row can be [`RowDate::Unreadable`] (if not, no row need be looked at).
    pub fn any_not_read(&self) -> bool {
        self.any_not_read
    }

    /// The dictionary code of the date of `row` and the order of its file.
    fn code_and_order(&self, raw: &RawRatings, row: usize) -> (usize, DateOrder) {
        let code = raw.column(Field::VisitDate).code(row).unwrap_or(MISSING);
        let order = raw
            .file(row)
            .and_then(|f| self.reports.get(f as usize))
            .map_or(DateOrder::DayFirst, |r| r.order);
        (code as usize, order)
    }

    /// The date of `row` of `raw` (the table these dates were read from, or rows taken from it).
    pub fn of_row(&self, raw: &RawRatings, row: usize) -> RowDate {
        let (code, order) = self.code_and_order(raw, row);
        match self.readings.get(code) {
            Some(Reading::Blank) | None => RowDate::Blank,
            Some(reading) => reading
                .date(order)
                .map_or(RowDate::Unreadable, RowDate::Date),
        }
    }

    /// The date of `row`, if it has one.
    pub fn date(&self, raw: &RawRatings, row: usize) -> Option<NaiveDate> {
        match self.of_row(raw, row) {
            RowDate::Date(date) => Some(date),
            RowDate::Blank | RowDate::Unreadable => None,
        }
    }

    /// The date of `row` as ISO text `YYYY-MM-DD`, if it has one (made once per distinct text).
    pub fn iso(&self, raw: &RawRatings, row: usize) -> Option<&str> {
        let code = raw.column(Field::VisitDate).code(row)?;
        let file = raw.file(row)?;
        let order = *self.month_first.get(file as usize)?;
        self.iso.get(code as usize)?[usize::from(order)].as_deref()
    }

    /// Whether `row` has a date that is not a date in its file's order (the same as
    /// [`Dates::of_row`] saying [`RowDate::Unreadable`], in a few lookups: it runs per row).
    pub fn unreadable(&self, raw: &RawRatings, row: usize) -> bool {
        let code = raw.column(Field::VisitDate).code(row);
        let order = raw.file(row).and_then(|f| self.month_first.get(f as usize));
        match (code, order) {
            (Some(code), Some(&order)) => {
                self.iso
                    .get(code as usize)
                    .is_some_and(|iso| iso[usize::from(order)].is_none())
                    && self.readings.get(code as usize) != Some(&Reading::Blank)
            }
            _ => false,
        }
    }

    /// Why the date of `row`, written `text`, is not a date (for the `invalid_date` listing).
    pub fn unreadable_detail(&self, raw: &RawRatings, row: usize, text: &str) -> String {
        let report = raw.file(row).and_then(|f| self.reports.get(f as usize));
        let (order, ambiguous) =
            report.map_or((DateOrder::DayFirst, false), |r| (r.order, r.ambiguous));
        let how = match order {
            DateOrder::Iso | DateOrder::DayFirst => "day-month-year or year-month-day",
            DateOrder::MonthFirst => "month-day-year, as this file's other dates",
        };
        let mixed = if ambiguous {
            "; this file has dates in both orders, read day first"
        } else {
            ""
        };
        format!("`{text}` is not a date (read {how}{mixed})")
    }
}

/// The distinct (file, date code) pairs of `raw`, sorted, blanks left out; and how many files
/// its rows name (the highest file index + 1).
fn file_codes(raw: &RawRatings) -> (Vec<(u32, u32)>, usize) {
    let codes = raw.column(Field::VisitDate).codes();
    // Files are read one after the other and a visit's date repeats on its rows, so most
    // repeats are caught by remembering the file each code was last seen in.
    let mut seen_in: Vec<u32> = vec![u32::MAX; raw.column(Field::VisitDate).values().len()];
    let mut pairs = Vec::new();
    let mut files = 0;
    let mut last = (u32::MAX, u32::MAX);
    for (file, code) in raw.files().zip(codes) {
        // A visit's rows come together: skip the run quickly.
        if (file, code) == last {
            continue;
        }
        last = (file, code);
        files = files.max(file as usize + 1);
        let Some(seen) = seen_in.get_mut(code as usize) else {
            continue;
        };
        if *seen != file {
            *seen = file;
            pairs.push((file, code));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs, files)
}

/// Counts one distinct date text of a file.
fn tally(report: &mut DateReport, reading: Reading, text: &str) {
    let example = |slot: &mut Option<String>| {
        if slot.is_none() {
            *slot = Some(text.trim().chars().take(60).collect());
        }
    };
    match reading {
        Reading::Blank => return,
        Reading::Fixed { iso: true, .. } => report.iso += 1,
        Reading::Fixed { iso: false, .. } => report.other_forms += 1,
        Reading::DayMonth {
            day_first: Some(_),
            month_first: Some(_),
        } => report.either += 1,
        Reading::DayMonth {
            day_first: Some(_), ..
        } => {
            report.day_first += 1;
            example(&mut report.day_first_example);
        }
        Reading::DayMonth {
            month_first: Some(_),
            ..
        } => {
            report.month_first += 1;
            example(&mut report.month_first_example);
        }
        Reading::DayMonth { .. } | Reading::Unreadable => {
            report.unreadable += 1;
            example(&mut report.unreadable_example);
        }
    }
    report.values += 1;
}

/// The order of a counted file (see the module docs).
fn decide(report: &mut DateReport) {
    let numeric = report.day_first + report.month_first + report.either;
    (report.order, report.ambiguous) = match (report.day_first > 0, report.month_first > 0) {
        (true, true) => (DateOrder::DayFirst, true),
        (false, true) => (DateOrder::MonthFirst, false),
        _ if numeric > 0 => (DateOrder::DayFirst, false),
        _ => (DateOrder::Iso, false),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The date `y-m-d`, for expected values.
    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn every_form_reads_as_the_calendar_says() {
        use DateOrder::{DayFirst, MonthFirst};
        // Expected dates worked out by hand from the text (day, month name, year as written).
        for (raw, order, expected) in [
            ("2023-05-12", DayFirst, ymd(2023, 5, 12)),
            ("2023/5/12", MonthFirst, ymd(2023, 5, 12)),
            ("2023.05.12", DayFirst, ymd(2023, 5, 12)),
            ("12-05-2023", DayFirst, ymd(2023, 5, 12)),
            ("12.05.2023", DayFirst, ymd(2023, 5, 12)),
            ("12/5/2023", DayFirst, ymd(2023, 5, 12)),
            ("1/2/2024", DayFirst, ymd(2024, 2, 1)),
            ("1/2/2024", MonthFirst, ymd(2024, 1, 2)),
            ("05/12/2023", MonthFirst, ymd(2023, 5, 12)),
            ("29-02-2024", DayFirst, ymd(2024, 2, 29)),
            ("12. maj 2023", DayFirst, ymd(2023, 5, 12)),
            ("12 maj 2023", MonthFirst, ymd(2023, 5, 12)),
            ("3. okt. 2023", DayFirst, ymd(2023, 10, 3)),
            ("1. februar 2024", DayFirst, ymd(2024, 2, 1)),
            ("1. FEBRUAR 2024", DayFirst, ymd(2024, 2, 1)),
            ("24. December 2022", DayFirst, ymd(2022, 12, 24)),
            ("7. sept. 2021", DayFirst, ymd(2021, 9, 7)),
            ("12-maj-2023", DayFirst, ymd(2023, 5, 12)),
            ("31. marts 2023", DayFirst, ymd(2023, 3, 31)),
            ("2023-05-12 10:30", DayFirst, ymd(2023, 5, 12)),
            ("2023-05-12T10:30:00", DayFirst, ymd(2023, 5, 12)),
            ("2023-05-12T10:30:00.250", DayFirst, ymd(2023, 5, 12)),
            ("12-05-2023 10:30:00", DayFirst, ymd(2023, 5, 12)),
            ("12-05-2023 10:30:00", MonthFirst, ymd(2023, 12, 5)),
            ("12. maj 2023 8:05", DayFirst, ymd(2023, 5, 12)),
            ("  2023-05-12 ", DayFirst, ymd(2023, 5, 12)),
        ] {
            assert_eq!(parse_date(raw, order), expected, "{raw:?} {order:?}");
        }
    }

    #[test]
    fn excel_serials_count_from_30_december_1899() {
        // 44927 is 1 January 2023 in Excel; 45229 is 302 days later: 31+28+31+30+31+30+31+31+30
        // = 273 days to 1 October, so 30 October 2023.
        for (raw, expected) in [
            ("44927", ymd(2023, 1, 1)),
            ("45229", ymd(2023, 10, 30)),
            ("45229,0", ymd(2023, 10, 30)),
            ("45229.75", ymd(2023, 10, 30)),
            // 20000 and 80000, the ends of the plausible range (Python's
            // `date(1899, 12, 30) + timedelta(n)`).
            ("20000", ymd(1954, 10, 3)),
            ("80000", ymd(2119, 1, 11)),
            ("19999", None),
            ("80001", None),
            ("4", None),
            ("045229", None),
            ("45229,", None),
            ("-45229", None),
        ] {
            assert_eq!(parse_date(raw, DateOrder::DayFirst), expected, "{raw:?}");
        }
    }

    #[test]
    fn what_is_not_a_date_is_none() {
        for raw in [
            "",
            "   ",
            "32-13-2023",
            "31-02-2023",
            "29-02-2023",
            "12-05-23",
            "12-05/2023",
            "2023-13-01",
            "2023-05-12 25:00",
            "2023-05-12 10:3",
            "2023-05-12T",
            "12. mai 2023",
            "maj 2023",
            "12. maj 23",
            "x",
            "12.05.2023.",
            "2023-05-12-01",
            "+2023-05-12",
        ] {
            for order in [DateOrder::DayFirst, DateOrder::MonthFirst] {
                assert_eq!(parse_date(raw, order), None, "{raw:?} {order:?}");
            }
        }
        // A long text is cut short, not split into a million parts.
        for long in [
            "1-".repeat(500_000),
            "maj ".repeat(500_000),
            "a".repeat(1_000_000),
        ] {
            assert_eq!(parse_date(&long, DateOrder::DayFirst), None);
        }
        // Readable in one order only.
        assert_eq!(parse_date("25-05-2023", DateOrder::MonthFirst), None);
        assert_eq!(parse_date("05-25-2023", DateOrder::DayFirst), None);
    }

    /// The dates of a table of (file, date) rows.
    fn dates_of(rows: &[(u32, &str)]) -> (Dates, RawRatings) {
        let mut table = crate::load::TableBuilder::new();
        for (line, &(file, date)) in rows.iter().enumerate() {
            let date = (!date.is_empty()).then_some(date);
            table.push(
                file,
                line as u32 + 2,
                [None, None, None, None, None, None, date],
            );
        }
        let raw = table.finish();
        (Dates::read(&raw, 0), raw)
    }

    #[test]
    fn each_file_is_read_in_the_order_its_dates_prove() {
        let (dates, raw) = dates_of(&[
            // File 0: ISO only (repeated, counted once).
            (0, "2023-05-12"),
            (0, "2023-05-12"),
            (0, "2023-06-01"),
            // File 1: day first proven by 25-05-2023; 03-04-2023 could be either.
            (1, "25-05-2023"),
            (1, "03-04-2023"),
            // File 2: month first proven by 05-25-2023.
            (2, "05-25-2023"),
            (2, "03-04-2023"),
            (2, "12. maj 2023"),
            // File 3: both: ambiguous, read day first.
            (3, "25-05-2023"),
            (3, "05-25-2023"),
            (3, "03-04-2023"),
            (3, "32-13-2023"),
            (3, ""),
        ]);
        let r = dates.reports();
        assert_eq!(r.len(), 4);
        assert_eq!(
            (r[0].order, r[0].ambiguous, r[0].values, r[0].iso),
            (DateOrder::Iso, false, 2, 2)
        );
        assert!(r[0].all_iso() && !r[0].worth_saying());
        assert_eq!(
            (r[1].order, r[1].day_first, r[1].either),
            (DateOrder::DayFirst, 1, 1)
        );
        assert!(!r[1].all_iso() && !r[1].worth_saying());
        assert_eq!(
            (r[2].order, r[2].month_first, r[2].either, r[2].other_forms),
            (DateOrder::MonthFirst, 1, 1, 1)
        );
        assert_eq!(r[2].month_first_example.as_deref(), Some("05-25-2023"));
        assert!(r[2].worth_saying());
        let three = &r[3];
        assert_eq!((three.order, three.ambiguous), (DateOrder::DayFirst, true));
        assert_eq!(
            (
                three.values,
                three.day_first,
                three.month_first,
                three.either,
                three.unreadable
            ),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(three.not_read(), 2);
        assert_eq!(three.unreadable_example.as_deref(), Some("32-13-2023"));
        // 03-04-2023: 4 March in file 2 (month first), 3 April elsewhere.
        assert_eq!(dates.date(&raw, 4), ymd(2023, 4, 3));
        assert_eq!(dates.date(&raw, 6), ymd(2023, 3, 4));
        assert_eq!(dates.date(&raw, 10), ymd(2023, 4, 3));
        assert_eq!(dates.iso(&raw, 6), Some("2023-03-04"));
        assert_eq!(dates.iso(&raw, 7), Some("2023-05-12"));
        assert!(dates.any_not_read());
        for row in 0..raw.height() {
            let unreadable = dates.of_row(&raw, row) == RowDate::Unreadable;
            assert_eq!(dates.unreadable(&raw, row), unreadable, "row {row}");
        }
        // In the ambiguous file, the month-first date is not read.
        assert_eq!(dates.of_row(&raw, 9), RowDate::Unreadable);
        assert_eq!(dates.of_row(&raw, 11), RowDate::Unreadable);
        assert_eq!(dates.of_row(&raw, 12), RowDate::Blank);
        assert!(
            dates
                .unreadable_detail(&raw, 11, "32-13-2023")
                .contains("both orders")
        );
    }

    #[test]
    fn a_file_without_rows_still_has_a_report() {
        let (dates, _) = dates_of(&[(0, "2023-05-12")]);
        assert_eq!(dates.reports().len(), 1);
        let raw = RawRatings::default();
        let none = Dates::read(&raw, 2);
        assert_eq!(none.reports().len(), 2);
        assert_eq!(none.reports()[1].order, DateOrder::Iso);
        assert_eq!(none.of_row(&raw, 0), RowDate::Blank);
        assert!(!dates.any_not_read() && !none.any_not_read());
    }
}
