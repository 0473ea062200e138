//! The same data as canonical CSV, Danish CSV (`;`, decimal comma, Windows-1252, Danish
//! headers), wide CSV and xlsx give identical results apart from the `input` block.

use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::common::{CONDITIONAL, UNIVERSAL, compare_json, losstat, without_input, write};

/// Authorities as the canonical file writes them, and as a Danish export might.
const NAMES: [(&str, &str); 5] = [
    ("Socialtilsyn Hovedstaden", "Hovedstaden"),
    ("Socialtilsyn Midt", "socialtilsyn midt"),
    ("Socialtilsyn Nord", "Nord"),
    ("Socialtilsyn Syd", "SYD"),
    ("Socialtilsyn Øst", "Øst"),
];
const OFFER_TYPES: [&str; 3] = [
    "§ 107 midlertidigt botilbud",
    "§ 66, stk. 1, nr. 5 opholdssted for børn og unge",
    "§ 110 forsorgshjem/herberg",
];

/// A score as each format writes it.
#[derive(Clone, Copy)]
enum Score {
    Valid(u8),
    /// Invalid: 3.5, 0, 6, or text.
    Half,
    Zero,
    Six,
    Text,
}

impl Score {
    fn point(self) -> String {
        match self {
            Score::Valid(s) => s.to_string(),
            Score::Half => "3.5".into(),
            Score::Zero => "0".into(),
            Score::Six => "6".into(),
            Score::Text => "x".into(),
        }
    }
    fn comma(self) -> String {
        match self {
            Score::Valid(s) => format!("{s},0"),
            Score::Half => "3,5".into(),
            other => other.point(),
        }
    }
}

struct Visit {
    authority: usize,
    id: String,
    offer_type: usize,
    ratings: Vec<(&'static str, Score)>,
}

fn data() -> Vec<Visit> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    (0..120)
        .map(|v| {
            let mut ratings = Vec::new();
            for id in UNIVERSAL.iter().chain(CONDITIONAL.iter()) {
                let conditional = CONDITIONAL.contains(id);
                if conditional && rng.random::<f64>() < 0.4 {
                    continue;
                }
                let score = match rng.random_range(0..100u32) {
                    0 => Score::Half,
                    1 => Score::Zero,
                    2 => Score::Six,
                    3 => Score::Text,
                    _ => {
                        Score::Valid(
                            rng.random_range(1..=5u8)
                                .max(if v % 9 == 0 { 1 } else { 2 }),
                        )
                    }
                };
                ratings.push((*id, score));
            }
            Visit {
                authority: rng.random_range(0..NAMES.len()),
                id: format!("B{}", 1000 + v),
                offer_type: rng.random_range(0..OFFER_TYPES.len()),
                ratings,
            }
        })
        .collect()
}

fn canonical(visits: &[Visit]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["authority", "visit_id", "offer_type", "indicator", "score"])
        .expect("header");
    for v in visits {
        for (id, score) in &v.ratings {
            w.write_record([
                NAMES[v.authority].0,
                &v.id,
                OFFER_TYPES[v.offer_type],
                id,
                &score.point(),
            ])
            .expect("row");
        }
    }
    w.into_inner().expect("bytes")
}

fn danish(visits: &[Visit]) -> Vec<u8> {
    let mut text = String::from("Socialtilsyn;Tilsynsbesøg;Tilbudstype;Indikator;Score\r\n");
    for v in visits {
        for (id, score) in &v.ratings {
            text.push_str(&format!(
                "{};{};{};{};{}\r\n",
                NAMES[v.authority].1,
                v.id,
                OFFER_TYPES[v.offer_type],
                id.replace('.', " ").to_uppercase(), // "1 A", as LOS writes "8 C"
                score.comma()
            ));
        }
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn wide(visits: &[Visit]) -> Vec<u8> {
    let ids: Vec<&str> = UNIVERSAL
        .iter()
        .chain(CONDITIONAL.iter())
        .copied()
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["Socialtilsyn", "Tilsynsbesøg", "Tilbudstype"];
    header.extend(&ids);
    w.write_record(&header).expect("header");
    for v in visits {
        let mut row = vec![
            NAMES[v.authority].0.to_string(),
            v.id.clone(),
            OFFER_TYPES[v.offer_type].to_string(),
        ];
        for id in &ids {
            let cell = v.ratings.iter().find(|(r, _)| r == id);
            row.push(cell.map(|(_, s)| s.point()).unwrap_or_default());
        }
        w.write_record(&row).expect("row");
    }
    w.into_inner().expect("bytes")
}

fn xlsx(visits: &[Visit], path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Forside")
        .expect("sheet name");
    let sheet = book.add_worksheet();
    sheet.set_name("Data").expect("sheet name");
    for (c, h) in [
        "Myndighed",
        "Tilsynsbesøg",
        "Tilbudstype",
        "Indikator",
        "Bedømmelse",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    let mut r = 1u32;
    for v in visits {
        for (id, score) in &v.ratings {
            sheet
                .write_string(r, 0, NAMES[v.authority].0)
                .expect("cell");
            sheet.write_string(r, 1, &v.id).expect("cell");
            sheet
                .write_string(r, 2, OFFER_TYPES[v.offer_type])
                .expect("cell");
            sheet.write_string(r, 3, *id).expect("cell");
            match score {
                Score::Valid(s) => sheet.write_number(r, 4, f64::from(*s)),
                Score::Half => sheet.write_number(r, 4, 3.5),
                Score::Zero => sheet.write_number(r, 4, 0.0),
                Score::Six => sheet.write_number(r, 4, 6.0),
                Score::Text => sheet.write_string(r, 4, "x"),
            }
            .expect("cell");
            r += 1;
        }
    }
    book.save(path).expect("xlsx saved");
}

#[test]
fn four_formats_give_identical_results() {
    let visits = data();
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = [
        write(dir.path(), "canonical.csv", canonical(&visits)),
        write(dir.path(), "danish.csv", danish(&visits)),
        write(dir.path(), "wide.csv", wide(&visits)),
    ];
    let xlsx_path = dir.path().join("export.xlsx");
    xlsx(&visits, &xlsx_path);

    let reference = compare_json(&paths[0], &[]);
    let excluded = reference["filter"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["rule"] == "invalid_score")
        .and_then(|r| r["ratings_dropped"].as_u64());
    assert!(
        excluded.is_some_and(|n| n > 0),
        "the data hold invalid scores"
    );
    assert_eq!(reference["input"]["layout"], "long");
    assert_eq!(reference["input"]["separator"], ",");

    let danish = compare_json(&paths[1], &[]);
    assert_eq!(danish["input"]["encoding"], "windows-1252");
    assert_eq!(danish["input"]["separator"], ";");
    let wide = compare_json(&paths[2], &[]);
    assert_eq!(wide["input"]["layout"], "wide");
    let book = compare_json(&xlsx_path, &["--sheet", "Data"]);
    assert_eq!(book["input"]["sheet"], "Data");

    let reference = without_input(reference);
    for (name, other) in [("danish", danish), ("wide", wide), ("xlsx", book)] {
        assert_eq!(
            without_input(other),
            reference,
            "{name} differs from canonical"
        );
    }
}

#[test]
fn several_inputs_are_concatenated() {
    let visits = data();
    let (first, second) = visits.split_at(60);
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = write(dir.path(), "whole.csv", canonical(&visits));
    let a = write(dir.path(), "a.csv", canonical(first));
    let b = write(dir.path(), "b.csv", danish(second));
    let output = losstat()
        .arg("compare")
        .args([&a, &b])
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let both: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(both["input"]["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        without_input(both),
        without_input(compare_json(&whole, &[]))
    );
}
