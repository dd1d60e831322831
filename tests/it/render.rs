//! Page images made at test time: text drawn with a real font (Debian's DejaVu and
//! Liberation fonts, through ab_glyph), optionally turned, and written as PNG, JPEG or TIFF.
//! Shared by the OCR tests and the OCR benchmark; nothing here is a stored fixture.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// A font file of Debian's fonts-dejavu-core or fonts-liberation.
pub const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
];

/// An 8-bit grey page, white to begin with.
pub struct Page {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Page {
    pub fn new(width: u32, height: u32) -> Page {
        Page {
            width,
            height,
            pixels: vec![255; (width * height) as usize],
        }
    }

    /// Lines of text in `font`, `px` pixels high, from the top left margin, one line every
    /// 1.5 × `px`.
    pub fn text(font: &str, px: f32, lines: &[String]) -> Page {
        let data = std::fs::read(font).unwrap_or_else(|e| panic!("font {font}: {e}"));
        let font = FontRef::try_from_slice(&data).expect("a TrueType font");
        let scaled = font.as_scaled(PxScale::from(px));
        let margin = px * 2.0;
        let width = lines
            .iter()
            .map(|l| {
                l.chars()
                    .map(|c| scaled.h_advance(font.glyph_id(c)))
                    .sum::<f32>()
            })
            .fold(0.0, f32::max)
            + 2.0 * margin;
        let height = lines.len() as f32 * px * 1.5 + 2.0 * margin;
        let mut page = Page::new(width.ceil() as u32, height.ceil() as u32);
        for (i, line) in lines.iter().enumerate() {
            let baseline = margin + px + i as f32 * px * 1.5;
            let mut x = margin;
            let mut last = None;
            for c in line.chars() {
                let id = font.glyph_id(c);
                if let Some(prev) = last {
                    x += scaled.kern(prev, id);
                }
                let glyph = id.with_scale_and_position(px, ab_glyph::point(x, baseline));
                if let Some(outline) = font.outline_glyph(glyph) {
                    let b = outline.px_bounds();
                    outline.draw(|gx, gy, cover| {
                        page.ink(
                            b.min.x as i64 + gx as i64,
                            b.min.y as i64 + gy as i64,
                            cover,
                        )
                    });
                }
                x += scaled.h_advance(id);
                last = Some(id);
            }
        }
        page
    }

    fn ink(&mut self, x: i64, y: i64, cover: f32) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let p = &mut self.pixels[(y as u32 * self.width + x as u32) as usize];
        *p = (*p).min((255.0 * (1.0 - cover.clamp(0.0, 1.0))) as u8);
    }

    /// The page turned by `degrees` about its centre (a skewed scan), white outside.
    pub fn turned(&self, degrees: f32) -> Page {
        let (s, c) = degrees.to_radians().sin_cos();
        let (cx, cy) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        let mut out = Page::new(self.width, self.height);
        for y in 0..self.height {
            for x in 0..self.width {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let sx = (c * dx + s * dy + cx).round();
                let sy = (-s * dx + c * dy + cy).round();
                if sx >= 0.0 && sy >= 0.0 && (sx as u32) < self.width && (sy as u32) < self.height {
                    out.pixels[(y * self.width + x) as usize] =
                        self.pixels[(sy as u32 * self.width + sx as u32) as usize];
                }
            }
        }
        out
    }

    pub fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&self.pixels).unwrap();
        w.finish().unwrap();
        out
    }

    pub fn jpeg(&self, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, quality);
        enc.encode(
            &self.pixels,
            self.width as u16,
            self.height as u16,
            jpeg_encoder::ColorType::Luma,
        )
        .unwrap();
        out
    }

    /// Pages as one multi-page TIFF (grey, LZW).
    pub fn tiff(pages: &[&Page]) -> Vec<u8> {
        use tiff::encoder::{colortype::Gray8, Compression, TiffEncoder};
        let mut out = std::io::Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut out)
            .unwrap()
            .with_compression(Compression::Lzw);
        for p in pages {
            enc.write_image::<Gray8>(p.width, p.height, &p.pixels)
                .unwrap();
        }
        out.into_inner()
    }
}

/// A one-page PDF that shows `jpeg` (a `width` × `height` scan) over the whole A4 page, with
/// no text layer: what a scanner writes.
pub fn scanned_pdf(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    typed_over_scan(jpeg, width, height, &[])
}

/// A scanned page, as [`scanned_pdf`], with lines of typed text (a text layer) over its top:
/// a stamped header over a scanned body, or, given enough lines, a searchable scan.
pub fn typed_over_scan(jpeg: &[u8], width: u32, height: u32, typed: &[String]) -> Vec<u8> {
    use kartlegg::extract::pdf::build::Builder;
    // The page is as wide as the image at 300 DPI.
    let (w, h) = (width as f32 * 72.0 / 300.0, height as f32 * 72.0 / 300.0);
    let mut content = format!("q {w} 0 0 {h} 0 0 cm /Im1 Do Q");
    for (i, line) in typed.iter().enumerate() {
        let y = h - 14.0 * (i as f32 + 1.0);
        content += &format!(" BT /F1 10 Tf 10 {y} Td ({line}) Tj ET");
    }
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .obj(
            3,
            format!(
                "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox [0 0 {w} {h}] \
                 /Resources << /XObject << /Im1 5 0 R >> /Font << /F1 6 0 R >> >> >>"
            ),
        )
        .stream(4, "", content.as_bytes())
        .stream(
            5,
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
            ),
            jpeg,
        )
        .obj(6, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    b.finish("")
}
