//! PNG figures: the figure's own SVG, rasterised with resvg and encoded with the `png` crate.
//!
//! Method: usvg parses the SVG that plotters' SVG backend wrote (before the font subset is
//! embedded: usvg ignores `@font-face`), laying its text out with harfrust, which shapes and
//! kerns with the font's `GSUB`/`GPOS`/`kern` tables; resvg then fills every path and glyph
//! outline with tiny-skia's anti-aliased (coverage-based) rasteriser, at `dpi / 96` device
//! pixels per logical pixel, onto the opaque background colour. So the PNG is the picture a
//! browser shows for the SVG, without the stair steps and glyph gaps of plotters' bitmap
//! backend (plotters-rs/plotters#350).
//!
//! Fonts come only from memory: the font database holds the embedded DejaVu Sans regular and
//! bold (the bytes the SVG subset is cut from, [`super::style::FONT_REGULAR`]), registered
//! under their own family name [`FONT_FAMILY`] (what the SVG asks for), and every generic
//! family (serif, sans-serif, …) points at it too. System fonts are never loaded, images
//! referenced by an SVG are never resolved, so the PNG depends only on the SVG.
//!
//! The PNG is 8-bit RGB without alpha (every pixel is opaque: the canvas is filled with
//! [`style::BACKGROUND`] first), `round(logical size × dpi / 96)` pixels, with the dpi in the
//! `pHYs` chunk (dots per metre); rows are Paeth-filtered and deflated at level 3.
//! Rasterising and encoding are single-threaded and use no randomness, so the same SVG and
//! dpi give the same bytes.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use super::style::{self, FONT_BOLD, FONT_FAMILY, FONT_REGULAR};

/// The resolution of the SVG's logical pixels.
const LOGICAL_DPI: u32 = 96;
/// Largest PNG rendered, in pixels (about 400 MB of RGBA canvas).
const MAX_PNG_PIXELS: u64 = 100_000_000;
/// zlib level of the PNG data. Measured on the `compare` figures (rows Paeth-filtered): all
/// figures take about 25 % less CPU than at level 6, for files about 3 % larger. (The
/// `png` crate's default adaptive filter costs about three times the Paeth filter here,
/// for files 1–2 % smaller.)
const DEFLATE_LEVEL: u8 = 3;

/// An encoded PNG and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Png {
    /// PNG file bytes.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The font database text is set from: the embedded DejaVu Sans, regular and bold, and
/// nothing else; built once per process.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for bytes in [FONT_REGULAR, FONT_BOLD] {
            db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
        }
        db.set_serif_family(FONT_FAMILY);
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        db.set_cursive_family(FONT_FAMILY);
        db.set_fantasy_family(FONT_FAMILY);
        Arc::new(db)
    }))
}

/// usvg options: text from `fonts`, default family [`FONT_FAMILY`], 96 dpi units, and no
/// image loading.
fn options(fonts: Arc<fontdb::Database>) -> usvg::Options<'static> {
    usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        fontdb: fonts,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}

/// Pixels along a side of `logical` length at `dpi`: `round(logical × dpi / 96)`, at least 1.
fn scaled(logical: u32, dpi: u32) -> u32 {
    // Integer arithmetic, rounding half up: logical and dpi are far below 2^32, so the
    // product fits u64, and the quotient is at most logical × 12.5 (dpi <= 1200).
    let pixels = (u64::from(logical) * u64::from(dpi) * 2 + u64::from(LOGICAL_DPI))
        / (2 * u64::from(LOGICAL_DPI));
    u32::try_from(pixels).unwrap_or(u32::MAX).max(1)
}

/// Rasterises `svg` (logical size `width` × `height`) at `dpi` and encodes it as PNG.
///
/// # Errors
/// A message if the PNG would exceed [`MAX_PNG_PIXELS`], or if the SVG cannot be parsed.
pub(crate) fn png(
    svg: &str,
    (width, height): (u32, u32),
    dpi: u32,
) -> std::result::Result<Png, String> {
    let (png_width, png_height) = (scaled(width, dpi), scaled(height, dpi));
    let rgb = rasterise(svg, (png_width, png_height), dpi, &options(fonts()))?;
    Ok(Png {
        bytes: encode_png(&rgb, png_width, png_height, dpi)?,
        width: png_width,
        height: png_height,
    })
}

/// Draws `svg` at `dpi / 96` pixels per logical pixel on a `width` × `height` canvas
/// filled with the background colour; returns the pixels as 8-bit RGB, row by row.
fn rasterise(
    svg: &str,
    (width, height): (u32, u32),
    dpi: u32,
    options: &usvg::Options<'_>,
) -> std::result::Result<Vec<u8>, String> {
    if u64::from(width) * u64::from(height) > MAX_PNG_PIXELS {
        return Err(format!(
            "the PNG would be {width} x {height} pixels; lower the dpi"
        ));
    }
    let tree = usvg::Tree::from_str(svg, options).map_err(|e| format!("SVG not read: {e}"))?;
    let mut pixmap = Pixmap::new(width, height)
        .ok_or_else(|| format!("no canvas of {width} x {height} pixels"))?;
    let bg = style::BACKGROUND;
    pixmap.fill(Color::from_rgba8(bg.0, bg.1, bg.2, 0xFF));
    // dpi <= 1200: the ratio is exact enough in f32.
    let scale = dpi as f32 / LOGICAL_DPI as f32;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    drop(tree);
    let mut data = pixmap.take();
    rgba_to_rgb(
        &mut data,
        usize::try_from(width).map_err(|e| e.to_string())?,
    );
    Ok(data)
}

/// Drops the alpha channel of the RGBA rows in `data`, in place. Every pixel is opaque
/// (an opaque background, then source-over drawing), so the premultiplied RGBA that
/// tiny-skia writes is plain RGB plus 255.
fn rgba_to_rgb(data: &mut Vec<u8>, width: usize) {
    let rows = data.len() / (4 * width).max(1);
    let mut row = vec![0u8; 4 * width];
    for y in 0..rows {
        // Row y's RGB lands at 3wy..3w(y+1), which ends before row y+1's RGBA at 4w(y+1);
        // the copy keeps row y's RGBA while its start is overwritten.
        row.copy_from_slice(&data[4 * width * y..4 * width * (y + 1)]);
        let out = &mut data[3 * width * y..3 * width * (y + 1)];
        for (rgb, rgba) in out.chunks_exact_mut(3).zip(row.chunks_exact(4)) {
            rgb.copy_from_slice(&rgba[..3]);
        }
    }
    data.truncate(3 * width * rows);
}

/// Encodes an RGB buffer as PNG, recording `dpi` in the pHYs chunk.
fn encode_png(
    rgb: &[u8],
    width: u32,
    height: u32,
    dpi: u32,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_filter(png::Filter::Paeth);
        encoder.set_deflate_compression(png::DeflateCompression::Level(DEFLATE_LEVEL));
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: dots_per_metre(dpi),
            yppu: dots_per_metre(dpi),
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Dots per inch as dots per metre, rounded (at most 47 244 for 1200 dpi).
fn dots_per_metre(dpi: u32) -> u32 {
    (f64::from(dpi) / 0.0254).round() as u32
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use plotters::coord::Shift;
    use plotters::prelude::{DrawingArea, DrawingBackend};
    use plotters::style::RGBColor;

    use super::super::canvas::Canvas;
    use super::super::distribution::{Layout, overall_distribution};
    use super::super::heatmap::deviation_heatmap;
    use super::super::style::Style;
    use super::super::test_support::{decode_png, names, sample_distribution, sample_heatmap};
    use super::super::{DrawResult, Drawing, Lang, PlotOptions, render};
    use super::*;

    /// A small test drawing: one diagonal line, nothing else.
    struct Diagonal;

    impl Drawing for Diagonal {
        fn name(&self) -> &str {
            "diagonal"
        }
        fn size(&self) -> (u32, u32) {
            (60, 40)
        }
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: Style) -> DrawResult {
            Canvas::new(root, s).line(&[(5.0, 5.0), (55.0, 35.0)], style::TEXT, 2.0)
        }
    }

    fn distinct(rgb: &[u8]) -> BTreeSet<[u8; 3]> {
        rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect()
    }

    /// The usvg options without anti-aliasing of shapes (`shape-rendering: crispEdges`),
    /// which is how plotters' bitmap backend drew: the control for the tests below.
    fn crisp() -> usvg::Options<'static> {
        usvg::Options {
            shape_rendering: usvg::ShapeRendering::CrispEdges,
            ..options(fonts())
        }
    }

    #[test]
    fn diagonal_line_is_anti_aliased() {
        let fig = render(
            &Diagonal,
            PlotOptions {
                lang: Lang::Da,
                dpi: 150,
            },
        )
        .expect("render");
        let png = decode_png(&fig.png);
        assert_eq!((png.width, png.height), (94, 63)); // 60 × 1.5625 = 93.75, 40 × 1.5625 = 62.5
        // Two colours are used (background, line); the edges add intermediate greys.
        let levels = distinct(&png.rgb);
        assert!(
            levels.len() >= 10,
            "{} colours: no anti-aliasing",
            levels.len()
        );
        for c in &levels {
            assert!(c[0] == c[1] && c[1] == c[2], "not a grey: {c:?}");
        }
        // The same SVG without anti-aliasing has only the two colours: the count above
        // tells the two apart.
        let hard = rasterise(&fig.svg, (94, 63), 150, &crisp()).expect("raster");
        assert_eq!(distinct(&hard).len(), 2);
    }

    /// The polyline of the longest curve drawn in `colour`, in logical coordinates.
    fn curve(svg: &str, colour: RGBColor) -> Vec<(f64, f64)> {
        let stroke = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        let doc = roxmltree::Document::parse(svg).expect("svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&stroke))
            .map(|n| {
                n.attribute("points")
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| p.split_once(','))
                    .map(|(x, y)| (x.parse().expect("x"), y.parse().expect("y")))
                    .collect::<Vec<(f64, f64)>>()
            })
            .max_by_key(Vec::len)
            .expect("a curve in that colour")
    }

    /// Distinct levels `t` (in 1/64) of colours `background + t (colour − background)`,
    /// 0 < t < 1, within 2 pixels of the curve through `points` (logical) at `dpi`.
    fn blend_levels(
        rgb: &[u8],
        width: u32,
        points: &[(f64, f64)],
        dpi: u32,
        colour: RGBColor,
    ) -> usize {
        let k = f64::from(dpi) / 96.0;
        let target = [colour.0, colour.1, colour.2].map(f64::from);
        let mut levels = BTreeSet::new();
        for w in points.windows(2) {
            let (x, y) = ((w[0].0 + w[1].0) / 2.0 * k, (w[0].1 + w[1].1) / 2.0 * k);
            for dy in -2..=2 {
                for dx in -2..=2 {
                    let (px, py) = (x.round() as i64 + dx, y.round() as i64 + dy);
                    let i = 3 * (py as usize * width as usize + px as usize);
                    let t: Vec<f64> = (0..3)
                        .filter(|&c| target[c] < 250.0)
                        .map(|c| (255.0 - f64::from(rgb[i + c])) / (255.0 - target[c]))
                        .collect();
                    let (lo, hi) = t
                        .iter()
                        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                    if hi - lo < 0.05 && lo > 0.05 && hi < 0.95 {
                        levels.insert((lo * 64.0).round() as i64);
                    }
                }
            }
        }
        levels.len()
    }

    #[test]
    fn kde_curve_of_figure_2_is_anti_aliased() {
        let dpi = 150;
        let options = PlotOptions {
            lang: Lang::Da,
            dpi,
        };
        let fig = overall_distribution(&sample_distribution(names()), Layout::Overlay, options)
            .expect("fig2");
        let colour = style::series_colour(0);
        let points = curve(&fig.svg, colour);
        assert!(points.len() > 100, "{} points", points.len());
        let png = decode_png(&fig.png);
        let smooth = blend_levels(&png.rgb, png.width, &points, dpi, colour);
        assert!(smooth >= 8, "{smooth} blend levels along the curve");
        let size = (png.width, png.height);
        let hard = rasterise(&fig.svg, size, dpi, &crisp()).expect("raster");
        assert_eq!(blend_levels(&hard, png.width, &points, dpi, colour), 0);
    }

    /// A text-only SVG: one line in the figures' family, `weight` "normal" or "bold".
    fn text_svg(text: &str, weight: &str) -> String {
        format!(
            "<svg width=\"200\" height=\"30\" viewBox=\"0 0 200 30\" \
             xmlns=\"http://www.w3.org/2000/svg\"><text x=\"4\" y=\"21\" \
             font-family=\"{FONT_FAMILY}\" font-size=\"16\" font-weight=\"{weight}\" \
             fill=\"#1A1A1A\">{text}</text></svg>"
        )
    }

    fn ink(rgb: &[u8]) -> usize {
        rgb.iter().filter(|&&v| v != 0xFF).count()
    }

    #[test]
    fn text_renders_from_the_embedded_font_only() {
        let svg = text_svg("Ærø æøå Øst", "normal");
        let with_font = rasterise(&svg, (200, 30), 96, &options(fonts())).expect("raster");
        assert!(ink(&with_font) > 300, "{} ink", ink(&with_font));
        // Without the embedded font nothing is drawn: no system font stands in.
        let no_fonts = Arc::new(fontdb::Database::new());
        let without = rasterise(&svg, (200, 30), 96, &options(no_fonts)).expect("raster");
        assert_eq!(ink(&without), 0);
    }

    /// (font id, glyph id, x position) of every glyph of every text in `svg`.
    fn glyphs(svg: &str) -> Vec<(fontdb::ID, u32, f32)> {
        fn walk(group: &usvg::Group, out: &mut Vec<(fontdb::ID, u32, f32)>) {
            for node in group.children() {
                match node {
                    usvg::Node::Group(g) => walk(g, out),
                    usvg::Node::Text(t) => {
                        for span in t.layouted() {
                            for g in &span.positioned_glyphs {
                                out.push((g.font, g.id.0, g.transform().tx));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let tree = usvg::Tree::from_str(svg, &options(fonts())).expect("svg");
        let mut out = Vec::new();
        walk(tree.root(), &mut out);
        out
    }

    #[test]
    fn family_and_weights_resolve_to_the_embedded_faces_with_every_glyph() {
        let db = fonts();
        for (weight, expected) in [("normal", 400), ("bold", 700)] {
            let text = "Æble, ørred og ål: Socialtilsyn Øst";
            let found = glyphs(&text_svg(text, weight));
            assert_eq!(found.len(), text.chars().count(), "{weight}");
            for (font, glyph, _) in found {
                let face = db.face(font).expect("face in the database");
                assert_eq!(face.families[0].0, FONT_FAMILY);
                assert_eq!(face.weight.0, expected);
                assert_ne!(glyph, 0, "{weight}: a character fell back to .notdef");
            }
        }
        // The same holds for every glyph of a real figure (Danish text, minus signs).
        let fig =
            deviation_heatmap(&sample_heatmap(names()), PlotOptions::default()).expect("fig3");
        let found = glyphs(&fig.svg);
        assert!(found.len() > 500, "{} glyphs", found.len());
        for (font, glyph, _) in found {
            let face = db.face(font).expect("face in the database");
            assert_eq!(face.families[0].0, FONT_FAMILY);
            assert_ne!(glyph, 0, "fig3: a character fell back to .notdef");
        }
    }

    #[test]
    fn text_is_kerned() {
        // DejaVu Sans kerns "AV" and "Te": the second glyph starts before the first one's
        // advance ends. "HH" has no kerning pair: there it starts exactly at the advance
        // (the control, showing the positions measured are the shaped ones).
        let face = ttf_parser::Face::parse(FONT_REGULAR, 0).expect("font");
        let scale = 16.0 / f32::from(face.units_per_em());
        for (pair, kerned) in [("AV", true), ("Te", true), ("HH", false)] {
            let found = glyphs(&text_svg(pair, "normal"));
            let first = pair
                .chars()
                .next()
                .and_then(|c| face.glyph_index(c))
                .expect("glyph");
            let advance = f32::from(face.glyph_hor_advance(first).expect("advance")) * scale;
            let gap = found[1].2 - found[0].2;
            if kerned {
                assert!(gap < advance - 0.5, "{pair}: {gap} vs advance {advance}");
            } else {
                assert!(
                    (gap - advance).abs() < 0.01,
                    "{pair}: {gap} vs advance {advance}"
                );
            }
        }
    }

    #[test]
    fn too_large_a_png_is_an_error() {
        let svg = text_svg("x", "normal");
        let err = rasterise(&svg, (20_000, 20_000), 96, &options(fonts())).expect_err("too big");
        assert!(err.contains("lower the dpi"), "{err}");
        assert!(rasterise("not svg", (10, 10), 96, &options(fonts())).is_err());
    }

    #[test]
    fn alpha_is_dropped_in_place_row_by_row() {
        for (width, rows) in [(1usize, 1usize), (3, 2), (5, 4)] {
            let rgba: Vec<u8> = (0..width * rows * 4).map(|i| (i % 251) as u8).collect();
            let expected: Vec<u8> = rgba.chunks(4).flat_map(|p| p[..3].to_vec()).collect();
            let mut data = rgba;
            rgba_to_rgb(&mut data, width);
            assert_eq!(data, expected, "{width} x {rows}");
        }
    }
}
