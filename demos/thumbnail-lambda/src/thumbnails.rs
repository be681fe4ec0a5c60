//! The image work, apart from S3: bytes in, JPEG thumbnails out, or an error that says why.
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// The largest image read: 40 megapixels (a phone's photo is 12 to 48), 12 000 px a side.
pub const MAX_PIXELS: u64 = 40_000_000;
pub const MAX_SIDE: u32 = 12_000;
const JPEG_QUALITY: u8 = 80;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThumbnailError {
    #[error("not an image: the bytes are no JPEG, PNG, GIF or WebP")]
    NotAnImage,
    #[error("{format:?} images are not read; upload a JPEG, PNG, GIF or WebP")]
    Unsupported { format: ImageFormat },
    #[error("the {format:?} file is cut short (truncated): {detail}")]
    Truncated { format: ImageFormat, detail: String },
    #[error("the image is {width}×{height} px; at most {MAX_SIDE} px a side and {} megapixels are read", MAX_PIXELS / 1_000_000)]
    TooLarge { width: u32, height: u32 },
    #[error("the {format:?} file cannot be decoded: {detail}")]
    Corrupt { format: ImageFormat, detail: String },
}

/// A decoded upload.
pub struct Source {
    pub image: DynamicImage,
    pub format: ImageFormat,
}

/// One thumbnail, encoded.
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Decodes `bytes`, refusing what is not a whole, reasonably sized image of the four formats.
pub fn decode(bytes: &[u8]) -> Result<Source, ThumbnailError> {
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| ThumbnailError::NotAnImage)?;
    let format = reader.format().ok_or(ThumbnailError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP) {
        return Err(ThumbnailError::Unsupported { format });
    }
    // The JPEG decoder fills a cut-off scan with gray instead of failing: look for the end.
    if format == ImageFormat::Jpeg && !ends_like_a_jpeg(bytes) {
        return Err(ThumbnailError::Truncated { format, detail: "no end-of-image marker".into() });
    }
    let (width, height) = reader.into_dimensions().map_err(|error| classify(format, error))?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ThumbnailError::TooLarge { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let image = reader.decode().map_err(|error| classify(format, error))?;
    Ok(Source { image, format })
}

/// Thumbnails `widths` wide (never wider than the image), largest first from the source, each
/// smaller one from the one before: the same look, a fraction of the work.
pub fn thumbnails(source: &DynamicImage, widths: &[u32]) -> Vec<Thumbnail> {
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(widths[i]));
    let mut made: Vec<Option<Thumbnail>> = widths.iter().map(|_| None).collect();
    // JPEG has no alpha: transparent parts become white rather than black.
    let mut from = flatten(source);
    let (full_width, full_height) = (u64::from(source.width().max(1)), u64::from(source.height()));
    for i in order {
        let width = widths[i].min(source.width()).max(1);
        // From the source's own aspect, rounded, so every size is the one a single resize gives.
        let height = ((full_height * u64::from(width) * 2 + full_width) / (full_width * 2)).max(1) as u32;
        let resized = if (width, height) == (from.width(), from.height()) {
            from.clone()
        } else {
            from.resize_exact(width, height, FilterType::Triangle)
        };
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(&resized)
            .expect("an RGB image encodes to a Vec");
        made[i] = Some(Thumbnail { width: resized.width(), height: resized.height(), jpeg });
        from = resized;
    }
    made.into_iter().map(|t| t.expect("every width made")).collect()
}

fn flatten(image: &DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.to_rgb8());
    }
    let mut rgb = image::RgbImage::new(image.width(), image.height());
    for (out, px) in rgb.pixels_mut().zip(image.to_rgba8().pixels()) {
        let [r, g, b, a] = px.0.map(u32::from);
        let blend = |c: u32| ((c * a + 255 * (255 - a)) / 255) as u8;
        *out = image::Rgb([blend(r), blend(g), blend(b)]);
    }
    DynamicImage::ImageRgb8(rgb)
}

/// A JPEG ends with the EOI marker `FF D9`, perhaps followed by padding.
fn ends_like_a_jpeg(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}

fn classify(format: ImageFormat, error: image::ImageError) -> ThumbnailError {
    use image::error::{ImageError, LimitErrorKind};
    match error {
        ImageError::Limits(limit) if matches!(limit.kind(), LimitErrorKind::DimensionError) => {
            ThumbnailError::TooLarge { width: MAX_SIDE + 1, height: 0 }
        }
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ThumbnailError::Truncated { format, detail: io.to_string() }
        }
        error => {
            let detail = error.to_string();
            if detail.contains("end of file") || detail.contains("EOF") || detail.contains("unexpected end") {
                ThumbnailError::Truncated { format, detail }
            } else {
                ThumbnailError::Corrupt { format, detail }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    fn photo(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        }))
    }

    #[test]
    fn three_widths_keep_the_aspect_and_decode_as_jpegs() {
        let source = decode(&encoded(&photo(1600, 1200), ImageFormat::Jpeg)).unwrap();
        let made = thumbnails(&source.image, &[160, 480, 1080]);
        let sizes: Vec<(u32, u32)> = made.iter().map(|t| (t.width, t.height)).collect();
        assert_eq!(sizes, [(160, 120), (480, 360), (1080, 810)]);
        for thumbnail in &made {
            let back = image::load_from_memory_with_format(&thumbnail.jpeg, ImageFormat::Jpeg).unwrap();
            assert_eq!((back.width(), back.height()), (thumbnail.width, thumbnail.height));
        }
    }

    #[test]
    fn a_small_image_is_not_enlarged() {
        let source = decode(&encoded(&photo(300, 100), ImageFormat::Png)).unwrap();
        let sizes: Vec<(u32, u32)> =
            thumbnails(&source.image, &[160, 480, 1080]).iter().map(|t| (t.width, t.height)).collect();
        assert_eq!(sizes, [(160, 53), (300, 100), (300, 100)]);
    }

    #[test]
    fn transparency_becomes_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(20, 20, image::Rgba([0, 0, 0, 0])));
        let source = decode(&encoded(&clear, ImageFormat::Png)).unwrap();
        let jpeg = &thumbnails(&source.image, &[10])[0].jpeg;
        let back = image::load_from_memory(jpeg).unwrap().to_rgb8();
        assert!(back.pixels().all(|p| p.0.iter().all(|&c| c > 245)), "{:?}", back.get_pixel(0, 0));
    }

    #[test]
    fn every_format_an_upload_may_have_is_read() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP] {
            let source = decode(&encoded(&photo(64, 48), format)).unwrap();
            assert_eq!((source.format, source.image.width()), (format, 64));
        }
    }

    #[test]
    fn what_is_not_a_whole_image_is_refused_and_says_why() {
        assert_eq!(decode(b"hello, this is text").err(), Some(ThumbnailError::NotAnImage));
        let bmp = [b"BM".as_slice(), &[0; 60]].concat();
        assert_eq!(decode(&bmp).err(), Some(ThumbnailError::Unsupported { format: ImageFormat::Bmp }));
        for format in [ImageFormat::Jpeg, ImageFormat::Png] {
            let whole = encoded(&photo(400, 300), format);
            let error = decode(&whole[..whole.len() / 2]).err().unwrap();
            assert!(
                matches!(error, ThumbnailError::Truncated { .. } | ThumbnailError::Corrupt { .. }),
                "{format:?}: {error}"
            );
            assert!(error.to_string().contains(&format!("{format:?}")), "{error}");
        }
    }

    #[test]
    fn a_huge_image_is_refused_before_it_is_decoded() {
        // A 20 000 px wide PNG header: refused from its dimensions, nothing allocated.
        let wide = encoded(&photo(20_000, 1), ImageFormat::Png);
        let error = decode(&wide).err().unwrap();
        assert_eq!(error, ThumbnailError::TooLarge { width: 20_000, height: 1 });
        assert!(error.to_string().contains("at most 12000 px a side"), "{error}");
    }
}
