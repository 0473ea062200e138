//! The roll-up of a hand-made visit equals hand-computed criterion, theme and overall scores.

use losstat::{filter, load, model::QualityModel, rollup};
use polars::prelude::*;

use crate::common::write;

/// One visit, scored by hand. Expected values are exact rationals worked out below.
/// Theme 4 has criteria with 2, 3, 1 and 1 present indicators (6.b is absent), so the
/// criterion-then-theme mean (3.875) differs from a flat mean of its indicators (28/7 = 4).
/// 2.b, 2.d and 8.c (non-universal) are absent and must not count.
const VISIT: &[(&str, u8)] = &[
    ("1.a", 4),
    ("1.b", 5),
    ("2.a", 3),
    ("2.c", 5),
    ("3.a", 5),
    ("3.b", 4),
    ("3.c", 3),
    ("4.a", 5),
    ("4.b", 4),
    ("5.a", 3),
    ("5.b", 4),
    ("5.c", 5),
    ("6.a", 2),
    ("7.a", 5),
    ("8.a", 4),
    ("8.b", 5),
    ("9.a", 3),
    ("9.b", 3),
    ("9.c", 4),
    ("10.a", 5),
    ("10.b", 4),
    ("14.a", 4),
    ("14.b", 4),
    ("14.c", 5),
];

fn value(df: &DataFrame, filter_col: &str, key: u32, column: &str) -> f64 {
    let keys = df.column(filter_col).expect("column").u32().expect("u32");
    let values = df.column(column).expect("column").f64().expect("f64");
    keys.iter()
        .zip(values.iter())
        .find(|(k, _)| *k == Some(key))
        .and_then(|(_, v)| v)
        .unwrap_or_else(|| panic!("{filter_col} {key} not found"))
}

#[test]
fn criterion_theme_and_overall_means_are_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("authority,visit_id,indicator,score\n");
    for (id, score) in VISIT {
        csv.push_str(&format!("Socialtilsyn Midt,V1,{id},{score}\n"));
    }
    let path = write(dir.path(), "one.csv", csv);
    let model = QualityModel::embedded().expect("model");
    let loaded = load::load(&[path], &Default::default()).expect("load");
    let filtered = filter::filter(&loaded, &model).expect("filter");
    assert_eq!(filtered.summary.visits_kept, 1);
    let r = rollup::rollup(&filtered).expect("rollup");

    let close = |got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs(),
            "got {got}, want {want}"
        );
    };
    // Criteria: means of their indicators.
    for (criterion, want) in [
        (1, 4.5),
        (2, 4.0),
        (3, 4.0),
        (4, 4.5),
        (5, 4.0),
        (6, 2.0),
        (7, 5.0),
        (8, 4.5),
        (9, 10.0 / 3.0),
        (10, 4.5),
        (14, 13.0 / 3.0),
    ] {
        close(value(&r.criteria, "criterion", criterion, "score"), want);
    }
    // Themes: means of their criteria. Theme 4 = (4.5 + 4 + 2 + 5) / 4; theme 5 = (4.5 + 10/3) / 2.
    for (theme, want) in [
        (1, 4.5),
        (2, 4.0),
        (3, 4.0),
        (4, 15.5 / 4.0),
        (5, 47.0 / 12.0),
        (6, 4.5),
        (7, 13.0 / 3.0),
    ] {
        close(value(&r.themes, "theme", theme, "score"), want);
    }
    // Overall: mean of the 7 theme scores = (108 + 96 + 96 + 93 + 94 + 108 + 104) / 24 / 7 = 699/168.
    let overall = r
        .visits
        .column("overall")
        .expect("overall")
        .f64()
        .expect("f64");
    close(overall.get(0).expect("one visit"), 699.0 / 168.0);
    let themes = r
        .visits
        .column("themes")
        .expect("themes")
        .u32()
        .expect("u32");
    assert_eq!(themes.get(0), Some(7));
    // Each level row names its visit by its row in the visits table: the one visit, row 0.
    for level in [&r.criteria, &r.themes] {
        let visit = level.column("visit").expect("visit").u32().expect("u32");
        assert!(visit.into_no_null_iter().all(|v| v == 0));
        assert!(level.column("visit_id").is_err(), "no text per row");
    }
}
