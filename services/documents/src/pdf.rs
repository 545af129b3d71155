//! The document as PDF, in the form of Appendix 2 of the Rules: the name of the recognition
//! center, the title, the serial number, "issued to" the holder, the profession and level (and
//! the skills recognised separately, Art. 20.3), the date of issue, the validity, the QR code
//! of its verification address, the head of the center and the place of the signature — in
//! Kazakh and Russian. The letters come from DejaVu Sans (an open licence,
//! `assets/fonts/LICENSE-DejaVu.txt`), embedded as a subset of the glyphs used, with a
//! `ToUnicode` map so that the text can be searched and copied. A cancelled document says so
//! in red: above the form, across the page, and with the day and the reason below it.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// A4, in points.
const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;

/// What the sheet shows.
pub struct Sheet<'a> {
    pub center_name: &'a str,
    pub serial: &'a str,
    pub holder_name: &'a str,
    pub profession: &'a str,
    pub nqf_level: i32,
    pub skills: &'a [String],
    pub issue_date: &'a str,
    pub valid_until: &'a str,
    pub head_of_center: &'a str,
    /// The verification address the QR code holds.
    pub verify_url: &'a str,
    /// The day and the reason, when cancelled.
    pub cancelled: Option<(&'a str, &'a str)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

/// One line of text placed on the page.
struct Run {
    face: Face,
    size: f32,
    x: f32,
    y: f32,
    text: String,
    /// Red, for the cancellation.
    red: bool,
    /// Rotation in degrees about (x, y).
    angle: f32,
}

/// A font and the glyphs the page uses of it.
struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
    name: &'static str,
    remapper: subsetter::GlyphRemapper,
    /// New glyph id -> the character it shows.
    chars: BTreeMap<u16, char>,
}

impl Font {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, String> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| format!("font {name}: {e}"))?;
        Ok(Self {
            face,
            data,
            name,
            remapper: subsetter::GlyphRemapper::new(),
            chars: BTreeMap::new(),
        })
    }

    fn units(&self) -> f32 {
        f32::from(self.face.units_per_em())
    }

    /// The width of `text` at `size`, in points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| {
                let gid = self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0))
            })
            .sum();
        units * size / self.units()
    }

    /// The two-byte codes of `text` in the subset, remembering each glyph's character.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let gid = self.face.glyph_index(c).map_or(0, |g| g.0);
            let new = self.remapper.remap(gid);
            self.chars.entry(new).or_insert(c);
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

/// Lays out lines: wrapped, left or centred.
struct Layout {
    runs: Vec<Run>,
    y: f32,
    regular: Font,
    bold: Font,
}

impl Layout {
    fn font(&self, face: Face) -> &Font {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// `text` wrapped to the width between the margins; each line `centred` or not.
    fn paragraph(&mut self, face: Face, size: f32, text: &str, centred: bool) {
        let room = WIDTH - 2.0 * MARGIN;
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.font(face).width(&candidate, size) > room {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        for line in lines {
            let x = if centred {
                (WIDTH - self.font(face).width(&line, size)) / 2.0
            } else {
                MARGIN
            };
            self.y -= size * 1.35;
            self.runs.push(Run {
                face,
                size,
                x,
                y: self.y,
                text: line,
                red: false,
                angle: 0.0,
            });
        }
    }

    /// A label in small letters, then its value on the next line.
    fn field(&mut self, label: &str, value: &str) {
        self.gap(6.0);
        self.paragraph(Face::Regular, 9.0, label, false);
        self.paragraph(Face::Bold, 12.5, value, false);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }
}

/// Dark modules of the QR code, as squares in a box `side` points wide at (x, y) bottom left.
fn qr_squares(url: &str, x: f32, y: f32, side: f32) -> Result<Vec<(f32, f32, f32)>, String> {
    let (modules, dark) = crate::qr::modules(url)?;
    let cell = side / modules as f32;
    Ok(dark
        .iter()
        .enumerate()
        .filter(|(_, d)| **d)
        .map(|(i, _)| {
            let (row, col) = (i / modules, i % modules);
            (
                x + col as f32 * cell,
                y + side - (row + 1) as f32 * cell,
                cell,
            )
        })
        .collect())
}

/// The PDF of `sheet`.
pub fn render(sheet: &Sheet<'_>) -> Result<Vec<u8>, String> {
    let mut layout = Layout {
        runs: Vec::new(),
        y: HEIGHT - MARGIN,
        regular: Font::load(REGULAR, "DejaVuSans")?,
        bold: Font::load(BOLD, "DejaVuSans-Bold")?,
    };
    let center = if sheet.center_name.trim().is_empty() {
        "—"
    } else {
        sheet.center_name
    };
    layout.paragraph(Face::Bold, 14.0, center, true);
    layout.paragraph(
        Face::Regular,
        8.0,
        "(кәсіптік біліктілікті тану орталығының атауы / наименование центра признания профессиональных квалификаций)",
        true,
    );
    layout.gap(22.0);
    layout.paragraph(
        Face::Bold,
        15.0,
        "КӘСІПТІК БІЛІКТІЛІКТІ ТАНУ ТУРАЛЫ ҚҰЖАТ",
        true,
    );
    layout.paragraph(
        Face::Bold,
        12.0,
        "ДОКУМЕНТ О ПРИЗНАНИИ ПРОФЕССИОНАЛЬНОЙ КВАЛИФИКАЦИИ",
        true,
    );
    layout.gap(8.0);
    layout.paragraph(
        Face::Regular,
        12.0,
        &format!("сериялық № / серийный № {}", sheet.serial),
        true,
    );
    layout.gap(14.0);
    layout.field("Берілді / Выдан", sheet.holder_name);
    layout.field(
        "және оның кәсіп бойынша кәсіптік біліктілігін таниды / и признает его профессиональную квалификацию по профессии",
        &format!(
            "{}, ҰБШ деңгейі / уровень НРК {}",
            sheet.profession, sheet.nqf_level
        ),
    );
    if !sheet.skills.is_empty() {
        layout.field(
            "Жеке танылған дағдылар / Отдельно признанные навыки (ст. 20)",
            &sheet.skills.join("; "),
        );
    }
    layout.field("Берілген күні / Дата выдачи", sheet.issue_date);
    layout.field("Қолданылу мерзімі / Срок действия", sheet.valid_until);
    layout.gap(18.0);
    let qr_side = 120.0;
    let qr_top = layout.y;
    let squares = qr_squares(sheet.verify_url, MARGIN, qr_top - qr_side, qr_side)?;
    layout.y = qr_top - qr_side;
    layout.paragraph(Face::Regular, 8.0, "e-Gov QR-коды / QR-код на e-Gov", false);
    layout.paragraph(Face::Regular, 7.0, sheet.verify_url, false);
    layout.gap(24.0);
    layout.paragraph(
        Face::Regular,
        10.0,
        "Тану орталығының басшысы / Руководитель центра признания:",
        false,
    );
    layout.paragraph(
        Face::Bold,
        12.0,
        &format!(
            "{}     Қолы / Подпись ____________________",
            sheet.head_of_center
        ),
        false,
    );
    if let Some((day, reason)) = sheet.cancelled {
        // Above everything, in the top margin, and across the page.
        let banner = "КҮШІ ЖОЙЫЛДЫ · АННУЛИРОВАН";
        layout.runs.push(Run {
            face: Face::Bold,
            size: 20.0,
            x: (WIDTH - layout.bold.width(banner, 20.0)) / 2.0,
            y: HEIGHT - 36.0,
            text: banner.into(),
            red: true,
            angle: 0.0,
        });
        layout.runs.push(Run {
            face: Face::Bold,
            size: 30.0,
            x: 80.0,
            y: 230.0,
            text: "КҮШІ ЖОЙЫЛДЫ · АННУЛИРОВАН".into(),
            red: true,
            angle: 40.0,
        });
        layout.y = MARGIN + 24.0;
        let note = format!("Күші жойылды / Аннулирован {day}: {reason}");
        let before = layout.runs.len();
        layout.paragraph(Face::Bold, 10.0, &note, false);
        for run in &mut layout.runs[before..] {
            run.red = true;
        }
    }
    write(layout, &squares, sheet.serial)
}

fn system_info() -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Writes the page, then each font as the subset of the glyphs it used.
fn write(mut layout: Layout, squares: &[(f32, f32, f32)], serial: &str) -> Result<Vec<u8>, String> {
    let mut content = Content::new();
    for (x, y, side) in squares {
        content.rect(*x, *y, *side, *side);
    }
    content.set_fill_gray(0.0);
    content.fill_nonzero();
    let runs = std::mem::take(&mut layout.runs);
    for run in &runs {
        let font = match run.face {
            Face::Regular => &mut layout.regular,
            Face::Bold => &mut layout.bold,
        };
        let codes = font.encode(&run.text);
        content.begin_text();
        if run.red {
            content.set_fill_rgb(0.75, 0.05, 0.1);
        } else {
            content.set_fill_gray(0.0);
        }
        content.set_font(
            Name(match run.face {
                Face::Regular => b"F1",
                Face::Bold => b"F2",
            }),
            run.size,
        );
        let (sin, cos) = run.angle.to_radians().sin_cos();
        content.set_text_matrix([cos, sin, -sin, cos, run.x, run.y]);
        content.show(Str(&codes));
        content.end_text();
    }
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        next += 1;
        Ref::new(next - 1)
    };
    let (catalog, pages, page, contents, info) = (id(), id(), id(), id(), id());
    let fonts: Vec<(Ref, Ref, Ref, Ref, Ref)> =
        (0..2).map(|_| (id(), id(), id(), id(), id())).collect();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(pages)
        .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
        .contents(contents);
    let mut resources = p.resources();
    let mut named = resources.fonts();
    named.pair(Name(b"F1"), fonts[0].0);
    named.pair(Name(b"F2"), fonts[1].0);
    named.finish();
    resources.finish();
    p.finish();
    let body = deflate(&content.finish());
    pdf.stream(contents, &body).filter(Filter::FlateDecode);
    let title = format!("Кәсіптік біліктілікті тану туралы құжат / Документ о признании профессиональной квалификации {serial}");
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("NSK Registry"));
    for (font, refs) in [&layout.regular, &layout.bold].into_iter().zip(&fonts) {
        embed(&mut pdf, font, *refs)?;
    }
    Ok(pdf.finish())
}

/// One font: Type0 over a CID font of the subset (CID = the subset's glyph id), its widths,
/// its descriptor, the subset itself and the map back to Unicode.
fn embed(pdf: &mut Pdf, font: &Font, refs: (Ref, Ref, Ref, Ref, Ref)) -> Result<(), String> {
    let (type0, cid, descriptor, file, cmap) = refs;
    // A subset's name carries a six-letter tag (ISO 32000-1, 9.6.4).
    let base = format!("NSKSUB+{}", font.name);
    let subset = subsetter::subset(font.data, 0, &font.remapper)
        .map_err(|e| format!("font {}: cannot subset: {e}", font.name))?;
    let scale = 1000.0 / font.units();
    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let widths: Vec<f32> = font
        .remapper
        .remapped_gids()
        .map(|old| {
            f32::from(
                font.face
                    .glyph_hor_advance(ttf_parser::GlyphId(old))
                    .unwrap_or(0),
            ) * scale
        })
        .collect();
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(Name(base.as_bytes()))
        .system_info(system_info())
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    c.widths().consecutive(0, widths);
    c.finish();
    let bbox = font.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(base.as_bytes()))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(font.face.ascender()) * scale)
        .descent(f32::from(font.face.descender()) * scale)
        .cap_height(f32::from(font.face.capital_height().unwrap_or(font.face.ascender())) * scale)
        .stem_v(80.0)
        .font_file2(file);
    let compressed = deflate(&subset);
    pdf.stream(file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );
    let mut unicode = UnicodeCmap::new(Name(b"NSK-UCS"), system_info());
    for (gid, c) in &font.chars {
        unicode.pair(*gid, *c);
    }
    pdf.cmap(cmap, &unicode.finish());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sheet(cancelled: Option<(&'static str, &'static str)>) -> Vec<u8> {
        let skills = vec!["Қолмен доғалық дәнекерлеу".to_string()];
        render(&Sheet {
            center_name: "«Дәнекерлеу біліктілігі орталығы» ЖШС",
            serial: "25110-72120051-3-061226-0001-00000001",
            holder_name: "Сейткали Айгерим Нурлановна",
            profession: "Сварщик",
            nqf_level: 3,
            skills: &skills,
            issue_date: "2026-12-06",
            valid_until: "2031-12-06",
            head_of_center: "D. Omarov",
            verify_url: "https://nsk.example.kz/v1/verify/25110-72120051-3-061226-0001-00000001",
            cancelled,
        })
        .unwrap()
    }

    #[test]
    fn a_sheet_is_a_small_pdf_with_its_fonts_subset() {
        let pdf = sheet(None);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        // Two fonts of ~700 KB each: the subsets are what is used.
        assert!(pdf.len() < 120_000, "{} bytes", pdf.len());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/ToUnicode") && text.contains("/FontFile2"));
        assert!(text.contains("NSKSUB+DejaVuSans-Bold"));
    }

    #[test]
    fn a_cancelled_sheet_is_not_the_valid_one() {
        let plain = sheet(None);
        let cancelled = sheet(Some(("2026-12-20", "the court found the procedure void")));
        assert_ne!(plain, cancelled);
    }
}
