//! QR codes of documents: the verification URL as a PNG or SVG image.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module of the PNG, and the quiet zone around the code in modules.
const SCALE: usize = 8;
const QUIET_ZONE: usize = 4;

/// The image formats served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
}

/// The QR code of `url` (error correction M) in `format`.
pub fn render(url: &str, format: Format) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode {url:?} as a QR code: {e}"))?;
    match format {
        Format::Svg => Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build()
            .into_bytes()),
        Format::Png => png(&code),
    }
}

/// The code of `url` as its side in modules and whether each module (row by row) is dark,
/// for drawing it as vectors (the PDF).
pub fn modules(url: &str) -> Result<(usize, Vec<bool>), String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode {url:?} as a QR code: {e}"))?;
    let dark = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
    Ok((code.width(), dark))
}

/// An 8-bit grayscale PNG of the code with its quiet zone.
fn png(code: &QrCode) -> Result<Vec<u8>, String> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (row, col) = (i / modules + QUIET_ZONE, i % modules + QUIET_ZONE);
        for y in row * SCALE..(row + 1) * SCALE {
            pixels[y * side + col * SCALE..y * side + (col + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let side_u32 = u32::try_from(side).map_err(|_| "the QR image is too large".to_string())?;
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://nsk.example.kz/v1/verify/25110-72120001-4-201126-0042-00000017";

    #[test]
    fn a_png_is_a_square_grayscale_image_with_its_dark_modules() {
        let bytes = render(URL, Format::Png).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.width, info.height);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let code = QrCode::with_error_correction_level(URL.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(info.width as usize, (code.width() + 2 * QUIET_ZONE) * SCALE);
        // The top-left finder pattern: dark at its corner, light in the quiet zone before it.
        let side = info.width as usize;
        let at = |module_row: usize, module_col: usize| {
            pixels[(module_row * SCALE) * side + module_col * SCALE]
        };
        assert_eq!(at(QUIET_ZONE, QUIET_ZONE), 0);
        assert_eq!(at(0, 0), 255);
    }

    #[test]
    fn an_svg_is_an_svg_document() {
        let svg = String::from_utf8(render(URL, Format::Svg).unwrap()).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn formats_are_png_by_default_or_svg() {
        assert_eq!(Format::parse(""), Some(Format::Png));
        assert_eq!(Format::parse("SVG"), Some(Format::Svg));
        assert_eq!(Format::parse("gif"), None);
    }
}
