//! Fuzz target `load`: bytes → `load::load` → `filter::filter` → `rollup::rollup` →
//! `analysis::analyze` (descriptives, KDE, pairwise KS / rank tests, deviation table).
//!
//! Input layout: the first byte chooses the variant, the rest is the file body.
//! * `mode % 4` picks a header prepended to the body so the fuzzer reaches the filters and
//!   statistics quickly: 0 none (the body is the whole file, e.g. an `.xlsx` or a CSV with
//!   its own header), 1 Danish long header with `;`, 2 canonical long header with `,` and all
//!   optional columns, 3 a wide header (`Socialtilsyn;Tilsynsbesøg;` and every indicator id).
//! * `(mode >> 2) % 8` picks the encoding option (Auto most of the time, else a forced one)
//!   and `mode & 0x20` a forced `;` separator instead of sniffing.
//! * `mode & 0x40` runs the analysis at every level (theme and criterion comparisons too);
//!   `mode & 0x80` anonymises the authorities.
//!
//! Errors are fine (a broken file must be an `Err`, never a panic). Checked invariants:
//! the roll-up has one row per kept visit, overall scores lie in [1, 5], and every p-value the
//! API promises is a number in [0, 1].

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use losstat::analysis::{self, AnalysisOptions, Levels, StatsOptions};
use losstat::load::{self, EncodingChoice, LoadOptions};
use losstat::model::QualityModel;
use losstat::{filter, rollup};

fn model() -> &'static QualityModel {
    static MODEL: OnceLock<QualityModel> = OnceLock::new();
    MODEL.get_or_init(|| QualityModel::embedded().expect("embedded model"))
}

fn wide_header() -> &'static str {
    static HEADER: OnceLock<String> = OnceLock::new();
    HEADER.get_or_init(|| {
        let mut h = String::from("Socialtilsyn;Tilsynsbesøg");
        for ind in &model().indicators {
            h.push(';');
            h.push_str(&ind.id.to_string());
        }
        h.push('\n');
        h
    })
}

/// One scratch file per fuzzing process (libFuzzer forks with -jobs/-fork: keep them apart).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("losstat-fuzz-load-{}.dat", std::process::id()))
    })
}

fn in_unit(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let header: &[u8] = match mode % 4 {
        0 => b"",
        1 => "Socialtilsyn;Tilsynsbesøg;Indikator;Score\n".as_bytes(),
        2 => b"authority,visit_id,indicator,score,offer_id,offer_type,visit_date\n",
        _ => wide_header().as_bytes(),
    };
    let mut bytes = Vec::with_capacity(header.len() + body.len());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(body);
    let path = scratch();
    std::fs::write(path, &bytes).expect("write scratch file");

    let encoding = match (mode >> 2) % 8 {
        4 => EncodingChoice::Utf8,
        5 => EncodingChoice::Windows1252,
        6 => EncodingChoice::Utf16Le,
        7 => EncodingChoice::Utf16Be,
        _ => EncodingChoice::Auto,
    };
    let load_options = LoadOptions {
        encoding,
        separator: (mode & 0x20 != 0).then_some(b';'),
        ..LoadOptions::default()
    };
    let paths = [path.clone()];

    let Ok(loaded) = load::load(&paths, &load_options) else {
        return;
    };
    let filtered = filter::filter(&loaded, model()).expect("filter on a loaded table");
    assert!(filtered.summary.visits_kept <= filtered.summary.visits_read);
    assert!(filtered.summary.rows_kept <= filtered.summary.rows_read);
    let rolled = rollup::rollup(&filtered).expect("roll-up of filtered ratings");
    assert_eq!(rolled.visits.height() as u64, filtered.summary.visits_kept);
    let by_authority = rolled.overall_by_authority().expect("overall scores");
    for scores in by_authority.values() {
        for &x in scores {
            assert!((1.0..=5.0).contains(&x), "overall score {x} outside [1, 5]");
        }
    }
    if filtered.summary.visits_kept == 0 {
        return;
    }

    let options = AnalysisOptions {
        load: load_options,
        stats: StatsOptions {
            levels: if mode & 0x40 != 0 {
                Levels::All
            } else {
                Levels::Overall
            },
            ..StatsOptions::default()
        },
        anonymize: (mode & 0x80 != 0).then_some(7),
        // A fuzzed file may name any number of authorities; the guard is tested elsewhere.
        max_authorities: usize::MAX,
        ..AnalysisOptions::default()
    };
    let result = analysis::analyze(&paths, model().clone(), &options)
        .expect("analyze succeeds when the filters keep a visit");
    for family in &result.comparisons {
        for pair in &family.pairs {
            for (what, p) in [
                ("p_value", pair.p_value),
                ("p_value_ties", pair.p_value_ties),
                ("p_value_adjusted", pair.p_value_adjusted),
                ("p_value_scipy_adjusted", pair.p_value_scipy_adjusted),
                ("mann_whitney_p", pair.mann_whitney_p),
            ] {
                assert!(in_unit(p), "{what} = {p} for {} vs {}", pair.a, pair.b);
            }
            if let Some(p) = pair.brunner_munzel_p {
                assert!(in_unit(p), "brunner_munzel_p = {p}");
            }
            assert!((0.0..=1.0).contains(&pair.statistic));
            assert!((-1.0..=1.0).contains(&pair.cliffs_delta));
        }
    }
    for row in &result.deviation {
        if let Some(p) = row.cell.p_value {
            assert!(in_unit(p), "deviation p = {p} for {}", row.indicator);
        }
        if let Some(q) = row.q_value {
            assert!(in_unit(q), "deviation q = {q} for {}", row.indicator);
        }
        assert!(row.cell.deviation.is_finite());
    }
});
