//! Made-up input for the figure tests and the preview, plus SVG/PNG checks.
//!
//! The numbers are invented to look like the LOS data (share of 5s from about 50 % to
//! 81.5 %, mean overall score 4.3–4.7); they test drawing, not statistics.

use std::collections::BTreeSet;

use super::completeness::{CompletenessInput, completeness};
use super::distribution::{AuthorityDistribution, DistributionInput, Layout, overall_distribution};
use super::heatmap::{HeatCell, HeatmapInput, deviation_heatmap};
use super::ks_matrix::{KsMatrixInput, KsPairCell, ks_matrix};
use super::radar::{RadarInput, RadarSeries, SeriesRole, radar};
use super::score_shares::{ScoreSharesInput, score_shares};
use super::{Figure, Lang, PlotOptions, style};

/// The five authorities by name.
pub(crate) const NAMES: [&str; 5] = [
    "Socialtilsyn Nord",
    "Socialtilsyn Midt",
    "Socialtilsyn Syd",
    "Socialtilsyn Øst",
    "Socialtilsyn Hovedstaden",
];

/// The same, anonymised as in the LOS paper.
pub(crate) fn anonymous() -> Vec<String> {
    (1..=5).map(|i| format!("Socialtilsyn {i}")).collect()
}

pub(crate) fn names() -> Vec<String> {
    NAMES.iter().map(|s| (*s).to_owned()).collect()
}

/// Deterministic pseudo-random numbers in [0, 1) (a fixed LCG; no RNG crate needed).
pub(crate) fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub(crate) fn sample_shares(authorities: Vec<String>) -> ScoreSharesInput {
    ScoreSharesInput {
        authorities,
        shares: vec![
            [0.012, 0.031, 0.118, 0.319, 0.520],
            [0.010, 0.036, 0.121, 0.324, 0.509],
            [0.008, 0.022, 0.083, 0.260, 0.627],
            [0.006, 0.018, 0.071, 0.222, 0.683],
            [0.003, 0.009, 0.035, 0.138, 0.815],
        ],
    }
}

fn normal_pdf(x: f64, mean: f64, sd: f64) -> f64 {
    (-0.5 * ((x - mean) / sd).powi(2)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt())
}

pub(crate) fn sample_distribution(authorities: Vec<String>) -> DistributionInput {
    let grid: Vec<f64> = (0..512).map(|i| 1.0 + 4.0 * f64::from(i) / 511.0).collect();
    let edges: Vec<f64> = (0..=16).map(|i| 1.0 + 0.25 * f64::from(i)).collect();
    let params = [
        (4.31, 0.42),
        (4.35, 0.40),
        (4.48, 0.35),
        (4.55, 0.33),
        (4.72, 0.25),
    ];
    let authorities = authorities
        .into_iter()
        .zip(params)
        .enumerate()
        .map(|(i, (name, (mean, sd)))| {
            let mut next = noise(i as u64 + 7);
            let raw: Vec<f64> = edges
                .windows(2)
                .map(|w| normal_pdf((w[0] + w[1]) / 2.0, mean, sd) * (0.8 + 0.4 * next()))
                .collect();
            let area: f64 = raw.iter().sum::<f64>() * 0.25;
            let kde = grid
                .iter()
                .map(|&x| normal_pdf(x, mean, sd * 1.1))
                .collect();
            AuthorityDistribution {
                name,
                histogram_density: raw.iter().map(|d| d / area).collect(),
                kde: Some(kde),
                mean,
            }
        })
        .collect();
    DistributionInput {
        grid,
        edges,
        authorities,
    }
}

pub(crate) const INDICATORS: [&str; 31] = [
    "1.a", "1.b", "2.a", "2.b", "2.c", "2.d", "3.a", "3.b", "3.c", "4.a", "4.b", "5.a", "5.b",
    "5.c", "6.a", "6.b", "7.a", "8.a", "8.b", "8.c", "9.a", "9.b", "9.c", "10.a", "10.b", "14.a",
    "14.b", "14.c", "4.c", "7.b", "9.d",
];

pub(crate) fn sample_heatmap(authorities: Vec<String>) -> HeatmapInput {
    let indicators: Vec<String> = INDICATORS[..28].iter().map(|s| (*s).to_owned()).collect();
    let mut next = noise(3);
    let cells = indicators
        .iter()
        .map(|ind| {
            (0..authorities.len())
                .map(|a| {
                    if ind == "2.d" && a == 1 {
                        return None; // no ratings
                    }
                    let bias = (a as f64 - 2.0) * 0.08;
                    let deviation = bias + (next() - 0.5) * 0.5;
                    Some(HeatCell {
                        deviation,
                        significant: deviation.abs() > 0.12,
                    })
                })
                .collect()
        })
        .collect();
    HeatmapInput {
        indicators,
        authorities,
        cells,
        limit: None,
    }
}

pub(crate) fn sample_ks(authorities: Vec<String>) -> KsMatrixInput {
    let mut pairs = Vec::new();
    let mut next = noise(11);
    for a in 0..5 {
        for b in a + 1..5 {
            let not_significant = (a, b) == (0, 1) || (a, b) == (2, 3);
            let p_adjusted = if not_significant {
                0.2 + 0.6 * next()
            } else {
                0.04 * next() * next()
            };
            pairs.push(KsPairCell {
                a,
                b,
                statistic: 0.05 + 0.2 * next(),
                p_adjusted,
                significant: !not_significant,
            });
        }
    }
    KsMatrixInput {
        authorities,
        pairs,
        alpha: Some(0.05),
    }
}

pub(crate) const THEMES: [&str; 7] = [
    "Uddannelse og beskæftigelse",
    "Selvstændighed og relationer",
    "Målgruppe, metoder og resultater",
    "Sundhed og trivsel",
    "Organisation og ledelse",
    "Kompetencer",
    "Fysiske rammer",
];

pub(crate) fn themes() -> Vec<String> {
    THEMES.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn sample_radar(primary_label: &str, gap: bool) -> RadarInput {
    let visit = vec![
        Some(4.5),
        Some(3.75),
        if gap { None } else { Some(4.0) },
        Some(4.25),
        Some(2.5),
        Some(5.0),
        Some(4.67),
    ];
    RadarInput {
        title: "Tilsynsbesøg 1234 – Bostedet Ærø, temascorer".to_owned(),
        axes: themes(),
        series: vec![
            RadarSeries {
                label: primary_label.to_owned(),
                values: visit,
                role: SeriesRole::Primary,
                colour_index: 4,
            },
            RadarSeries {
                label: "Gennemsnit, Socialtilsyn Øst".to_owned(),
                values: vec![
                    Some(4.4),
                    Some(4.2),
                    Some(4.1),
                    Some(4.5),
                    Some(4.3),
                    Some(4.6),
                    Some(4.4),
                ],
                role: SeriesRole::Reference,
                colour_index: 3,
            },
            RadarSeries {
                label: "Landsgennemsnit".to_owned(),
                values: vec![
                    Some(4.3),
                    Some(4.1),
                    Some(4.2),
                    Some(4.4),
                    Some(4.2),
                    Some(4.5),
                    Some(4.5),
                ],
                role: SeriesRole::Reference,
                colour_index: 7,
            },
        ],
    }
}

pub(crate) fn sample_completeness(authorities: Vec<String>) -> CompletenessInput {
    let mut next = noise(5);
    let share = (0..authorities.len())
        .map(|_| (0..THEMES.len()).map(|_| 0.55 + 0.45 * next()).collect())
        .collect();
    CompletenessInput {
        authorities,
        themes: themes(),
        share,
    }
}

/// Every figure for `authorities` (5 names) in `lang` at `dpi`.
pub(crate) fn all_figures(authorities: &[String], lang: Lang, dpi: u32) -> Vec<Figure> {
    let options = PlotOptions { lang, dpi };
    let names = authorities.to_vec();
    let label = match lang {
        Lang::Da => "Dette besøg",
        Lang::En => "This visit",
    };
    vec![
        score_shares(&sample_shares(names.clone()), options).expect("fig1"),
        overall_distribution(
            &sample_distribution(names.clone()),
            Layout::SmallMultiples,
            options,
        )
        .expect("fig2"),
        overall_distribution(
            &sample_distribution(names.clone()),
            Layout::Overlay,
            options,
        )
        .expect("fig2 overlay"),
        deviation_heatmap(&sample_heatmap(names.clone()), options).expect("fig3"),
        ks_matrix(&sample_ks(names.clone()), options).expect("fig4"),
        radar(&sample_radar(label, true), options).expect("fig5"),
        completeness(&sample_completeness(names), options).expect("fig6"),
    ]
}

/// The SVG's text elements (trimmed), after checking it parses and every text uses the
/// embedded family.
pub(crate) fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("SVG parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(root.attribute("viewBox").is_some());
    let mut texts = Vec::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("text")) {
        assert_eq!(
            node.attribute("font-family"),
            Some(style::FONT_FAMILY),
            "{node:?}"
        );
        let t: String = node.descendants().filter_map(|d| d.text()).collect();
        texts.push(t.trim().to_owned());
    }
    texts
}

/// A decoded 8-bit RGB PNG.
pub(crate) struct Decoded {
    pub width: u32,
    pub height: u32,
    /// RGB pixels, row by row.
    pub rgb: Vec<u8>,
    /// The `pHYs` chunk, if any.
    pub pixel_dims: Option<png::PixelDimensions>,
}

/// Decodes a PNG, checking it is 8-bit RGB.
pub(crate) fn decode_png(png_bytes: &[u8]) -> Decoded {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let pixel_dims = reader.info().pixel_dims;
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    Decoded {
        width: info.width,
        height: info.height,
        rgb: buf,
        pixel_dims,
    }
}

/// Decodes a PNG: (width, height, number of distinct colours).
pub(crate) fn png_info(png_bytes: &[u8]) -> (u32, u32, usize) {
    let decoded = decode_png(png_bytes);
    // Distinct colours, counted up to 64 (enough to tell "not blank"; cheap in debug).
    let mut colours: BTreeSet<&[u8]> = BTreeSet::new();
    for px in decoded.rgb.chunks(3) {
        colours.insert(px);
        if colours.len() >= 64 {
            break;
        }
    }
    (decoded.width, decoded.height, colours.len())
}
