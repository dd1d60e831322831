//! Images to grey pages within the pixel budget.
//!
//! Each page is turned into 8-bit grey (colour by luma, transparency over white) and shrunk
//! by the smallest whole factor that brings it within [`Settings::max_pixels`], averaging
//! each factor × factor block: the text keeps its shape, and the factor maps Tesseract's
//! boxes back to the image's own pixels. A non-interlaced PNG streams row by row, so its size
//! does not matter; JPEG, TIFF and interlaced PNG are decoded whole, within
//! [`Settings::max_decode_pixels`] (else `limit_exceeded`/`pixel_limit`).

use std::io::BufReader;

use super::Settings;
use crate::extract::{ExtractError, Input, Limit};
use crate::read::sniff::Media;

/// TIFF pages read from one file, at most.
const MAX_PAGES: u32 = 10_000;

/// One page in 8-bit grey, as a PGM (header, then a byte per pixel).
pub(crate) struct Gray {
    // The PGM header says them to Tesseract; tests read them here.
    #[cfg_attr(not(test), allow(dead_code))]
    pub width: u32,
    #[cfg_attr(not(test), allow(dead_code))]
    pub height: u32,
    /// Source pixels per page pixel, in each direction.
    pub scale: u32,
    /// Every row of the image was there (a file cut short gives the rows it has).
    pub complete: bool,
    pgm: Vec<u8>,
}

impl Gray {
    /// The page as a binary PGM file.
    pub(crate) fn pgm(&self) -> &[u8] {
        &self.pgm
    }

    /// The pixels, row by row.
    #[cfg(test)]
    pub(crate) fn pixels(&self) -> &[u8] {
        &self.pgm[self.pgm.len() - (self.width * self.height) as usize..]
    }
}

/// Shrinks grey rows by a whole factor as they arrive.
pub(crate) struct Shrink {
    src_w: u32,
    src_h: u32,
    f: u32,
    out_w: u32,
    out_h: u32,
    acc: Vec<u32>,
    /// Source rows in the current block, and in all.
    rows: u32,
    seen: u32,
    /// Bytes of the PGM header at the front of `pgm`.
    header: usize,
    pgm: Vec<u8>,
}

impl Shrink {
    /// For a `src_w` × `src_h` image, to at most `max_pixels`.
    pub(crate) fn new(src_w: u32, src_h: u32, max_pixels: u64) -> Result<Shrink, ExtractError> {
        if src_w == 0 || src_h == 0 {
            return Err(ExtractError::Corrupt("an image of no pixels".into()));
        }
        let fits =
            |f: u32| u64::from(src_w.div_ceil(f)) * u64::from(src_h.div_ceil(f)) <= max_pixels;
        let mut f = 1;
        while !fits(f) {
            f += 1;
        }
        let (out_w, out_h) = (src_w.div_ceil(f), src_h.div_ceil(f));
        let mut pgm = format!("P5\n{out_w} {out_h}\n255\n").into_bytes();
        let header = pgm.len();
        pgm.reserve_exact((out_w * out_h) as usize);
        Ok(Shrink {
            src_w,
            src_h,
            f,
            out_w,
            out_h,
            acc: vec![0; out_w as usize],
            rows: 0,
            seen: 0,
            header,
            pgm,
        })
    }

    /// The next source row (`src_w` grey pixels); rows past the image's height are ignored.
    pub(crate) fn row(&mut self, gray: &[u8]) {
        if self.seen >= self.src_h {
            return;
        }
        let f = self.f as usize;
        for (i, &v) in gray.iter().take(self.src_w as usize).enumerate() {
            self.acc[i / f] += u32::from(v);
        }
        self.rows += 1;
        self.seen += 1;
        if self.rows == self.f || self.seen == self.src_h {
            self.emit();
        }
    }

    fn emit(&mut self) {
        let f = self.f;
        for (ox, sum) in self.acc.iter_mut().enumerate() {
            let cols = f.min(self.src_w - ox as u32 * f);
            self.pgm.push((*sum / (cols * self.rows)) as u8);
            *sum = 0;
        }
        self.rows = 0;
    }

    /// The page; rows a damaged image did not give are white.
    pub(crate) fn finish(mut self) -> Gray {
        if self.rows > 0 {
            self.emit();
        }
        self.pgm
            .resize(self.header + (self.out_w * self.out_h) as usize, 255);
        Gray {
            width: self.out_w,
            height: self.out_h,
            scale: self.f,
            complete: self.seen == self.src_h,
            pgm: self.pgm,
        }
    }
}

/// Grey from 8-bit samples: `channels` per pixel, the last one alpha when `alpha`.
fn gray_row(src: &[u8], channels: usize, alpha: bool, out: &mut Vec<u8>) {
    out.clear();
    for px in src.chunks_exact(channels) {
        let colours = if alpha { channels - 1 } else { channels };
        let y = match colours {
            1 | 2 => u32::from(px[0]),
            _ => (u32::from(px[0]) * 299 + u32::from(px[1]) * 587 + u32::from(px[2]) * 114) / 1000,
        };
        let y = if alpha {
            let a = u32::from(px[channels - 1]);
            (y * a + 255 * (255 - a)) / 255
        } else {
            y
        };
        out.push(y as u8);
    }
}

/// Decodes each page of an image and hands it to `each` (1-based page numbers); returns the
/// bytes the image file has. A page that fails is handed over as its error.
pub(crate) fn pages(
    input: &mut Input<'_>,
    media: Media,
    each: &mut dyn FnMut(u32, Result<Gray, ExtractError>) -> Result<(), ExtractError>,
) -> Result<u64, ExtractError> {
    let settings = input.limits.ocr.clone();
    let bytes = input.size.unwrap_or(0);
    let reader = BufReader::new(input.seekable()?);
    match media {
        Media::Png => each(1, png(reader, &settings)),
        Media::Jpeg => each(1, jpeg(reader, &settings)),
        Media::Tiff => tiff(reader, &settings, each),
        other => Err(ExtractError::Unsupported(format!(
            "{} images are not read",
            other.name()
        ))),
    }?;
    crate::read::BYTES_READ.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    Ok(bytes)
}

fn too_many(w: u32, h: u32, settings: &Settings) -> Option<ExtractError> {
    let px = u64::from(w) * u64::from(h);
    (px > settings.max_decode_pixels).then(|| {
        ExtractError::limit(
            Limit::Pixels,
            format!(
                "{w} × {h} pixels is over the {}-pixel decoding limit",
                settings.max_decode_pixels
            ),
        )
    })
}

type Source<'r> = BufReader<&'r mut dyn crate::extract::ReadSeek>;

fn png(reader: Source<'_>, settings: &Settings) -> Result<Gray, ExtractError> {
    let damaged = |e: png::DecodingError| match e {
        png::DecodingError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            ExtractError::from(e)
        }
        png::DecodingError::LimitsExceeded => {
            ExtractError::limit(Limit::Pixels, "the PNG needs more memory than allowed")
        }
        e => ExtractError::Corrupt(format!("damaged PNG: {e}")),
    };
    let limits = png::Limits {
        bytes: settings.max_decode_pixels as usize,
    };
    let mut dec = png::Decoder::new_with_limits(reader, limits);
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = dec.read_info().map_err(damaged)?;
    let (w, h, interlaced) = {
        let info = r.info();
        (info.width, info.height, info.interlaced)
    };
    let (colour, _) = r.output_color_type();
    let channels = colour.samples();
    let alpha = matches!(
        colour,
        png::ColorType::GrayscaleAlpha | png::ColorType::Rgba
    );
    let mut shrink = Shrink::new(w, h, settings.max_pixels)?;
    let mut grey = Vec::with_capacity(w as usize);
    if interlaced {
        if let Some(e) = too_many(w, h, settings) {
            return Err(e);
        }
        let mut buf = vec![
            0;
            r.output_buffer_size()
                .ok_or_else(|| damaged(png::DecodingError::LimitsExceeded))?
        ];
        let out = r.next_frame(&mut buf).map_err(damaged)?;
        for row in buf.chunks_exact(out.line_size).take(h as usize) {
            gray_row(row, channels, alpha, &mut grey);
            shrink.row(&grey);
        }
    } else {
        // A stream cut short keeps the rows it had (a white rest).
        while let Ok(Some(row)) = r.next_row() {
            gray_row(row.data(), channels, alpha, &mut grey);
            shrink.row(&grey);
        }
    }
    Ok(shrink.finish())
}

fn jpeg(reader: Source<'_>, settings: &Settings) -> Result<Gray, ExtractError> {
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(1 << 16)
        .set_max_height(1 << 16);
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(reader, options);
    let damaged = |e: zune_jpeg::errors::DecodeErrors| {
        ExtractError::Corrupt(format!("damaged JPEG: {e:?}").chars().take(200).collect())
    };
    dec.decode_headers().map_err(damaged)?;
    let info = dec
        .info()
        .ok_or_else(|| ExtractError::Corrupt("damaged JPEG: no frame".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if let Some(e) = too_many(w, h, settings) {
        return Err(e);
    }
    let pixels = dec.decode().map_err(damaged)?;
    let mut shrink = Shrink::new(w, h, settings.max_pixels)?;
    let channels = pixels.len() / (w as usize * h as usize).max(1);
    let mut grey = Vec::with_capacity(w as usize);
    for row in pixels.chunks_exact(w as usize * channels.max(1)) {
        gray_row(row, channels.max(1), false, &mut grey);
        shrink.row(&grey);
    }
    Ok(shrink.finish())
}

fn tiff(
    reader: Source<'_>,
    settings: &Settings,
    each: &mut dyn FnMut(u32, Result<Gray, ExtractError>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = settings.max_decode_pixels as usize;
    let mut dec = tiff::decoder::Decoder::new(reader)
        .map_err(tiff_error)?
        .with_limits(limits);
    let mut page = 1;
    loop {
        each(page, tiff_page(&mut dec, settings))?;
        if !dec.more_images() || page >= MAX_PAGES {
            return Ok(());
        }
        if let Err(e) = dec.next_image() {
            // The chain of pages is broken here: what came before stays read.
            return each(page + 1, Err(tiff_error(e)));
        }
        page += 1;
    }
}

fn tiff_error(e: tiff::TiffError) -> ExtractError {
    match e {
        tiff::TiffError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            ExtractError::from(e)
        }
        tiff::TiffError::LimitsExceeded => ExtractError::limit(
            Limit::Pixels,
            "the TIFF page needs more memory than allowed",
        ),
        tiff::TiffError::UnsupportedError(e) => {
            ExtractError::Unsupported(format!("TIFF: {e}").chars().take(200).collect())
        }
        e => ExtractError::Corrupt(format!("damaged TIFF: {e}").chars().take(200).collect()),
    }
}

fn tiff_page<R: std::io::Read + std::io::Seek>(
    dec: &mut tiff::decoder::Decoder<R>,
    settings: &Settings,
) -> Result<Gray, ExtractError> {
    use tiff::decoder::DecodingResult;
    use tiff::ColorType as C;
    let (w, h) = dec.dimensions().map_err(tiff_error)?;
    if let Some(e) = too_many(w, h, settings) {
        return Err(e);
    }
    let colour = dec.colortype().map_err(tiff_error)?;
    let (channels, alpha, bits) = match colour {
        C::Gray(b) => (1, false, b),
        C::GrayA(b) => (2, true, b),
        C::RGB(b) => (3, false, b),
        C::RGBA(b) => (4, true, b),
        C::CMYK(b) => (4, false, b),
        other => {
            return Err(ExtractError::Unsupported(format!(
                "TIFF pages of colour type {other:?} are not read"
            )))
        }
    };
    let cmyk = matches!(colour, C::CMYK(_));
    let samples: Vec<u8> = match dec.read_image().map_err(tiff_error)? {
        DecodingResult::U8(v) if bits == 8 => v,
        DecodingResult::U8(v) if bits < 8 && channels == 1 => unpack(&v, w, h, bits),
        DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => {
            return Err(ExtractError::Unsupported(format!(
                "TIFF pages of {bits}-bit samples are not read"
            )))
        }
    };
    let mut shrink = Shrink::new(w, h, settings.max_pixels)?;
    let mut grey = Vec::with_capacity(w as usize);
    let mut rgb = Vec::new();
    for row in samples.chunks_exact(w as usize * channels) {
        if cmyk {
            rgb.clear();
            for p in row.chunks_exact(4) {
                let k = 255 - u32::from(p[3]);
                rgb.extend(
                    p[..3]
                        .iter()
                        .map(|&c| ((255 - u32::from(c)) * k / 255) as u8),
                );
            }
            gray_row(&rgb, 3, false, &mut grey);
        } else {
            gray_row(row, channels, alpha, &mut grey);
        }
        shrink.row(&grey);
    }
    Ok(shrink.finish())
}

/// 1-, 2- and 4-bit grey, rows starting on whole bytes, as 8-bit grey.
fn unpack(packed: &[u8], w: u32, h: u32, bits: u8) -> Vec<u8> {
    let per_row = (w as usize * bits as usize).div_ceil(8);
    let max = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for row in packed.chunks(per_row).take(h as usize) {
        for x in 0..w as usize {
            let bit = x * bits as usize;
            let byte = row.get(bit / 8).copied().unwrap_or(0);
            let v = (u32::from(byte) >> (8 - bits as usize - bit % 8)) & max;
            out.push((v * 255 / max) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_blocks_and_keeps_the_budget() {
        let mut s = Shrink::new(5, 3, 6).unwrap();
        for r in 0..3u8 {
            s.row(&[0, 100, 200, 50, r * 10]);
        }
        let g = s.finish();
        assert_eq!((g.width, g.height, g.scale), (3, 2, 2));
        // Blocks: [0,100]x2 rows, [200,50]x2, [0,10]x2 (column 5 alone); last row alone.
        assert_eq!(g.pixels(), &[50, 125, 5, 50, 125, 20]);
        assert!(g.pgm().starts_with(b"P5\n3 2\n255\n"));
    }

    #[test]
    fn small_images_are_kept_as_they_are_and_missing_rows_are_white() {
        let mut s = Shrink::new(2, 2, 100).unwrap();
        s.row(&[7, 8]);
        let g = s.finish();
        assert_eq!(g.scale, 1);
        assert_eq!(g.pixels(), &[7, 8, 255, 255]);
    }

    #[test]
    fn colour_and_transparency_become_grey_over_white() {
        let mut out = Vec::new();
        gray_row(&[255, 0, 0, 0, 0, 255], 3, false, &mut out);
        assert_eq!(out, vec![76, 29]);
        gray_row(&[0, 0, 0, 255], 2, true, &mut out);
        assert_eq!(out, vec![255, 0]);
        assert_eq!(unpack(&[0b1010_0000], 3, 1, 1), vec![255, 0, 255]);
    }
}
