//! Asking for an upload: what the browser sends, and the ticket that lets it `PUT` one object
//! straight into the bucket with a presigned URL. The local server (`POST /api/uploads/{bucket}`)
//! and the upload function deployed on AWS answer alike, so the thumbnails panel speaks to both.
use serde::{Deserialize, Serialize};

/// Where uploads go: the prefix the thumbnail function is triggered by.
pub const UPLOAD_PREFIX: &str = "uploads/";
/// Where the thumbnail function writes, outside the prefix that triggers it.
pub const THUMBNAIL_PREFIX: &str = "thumbnails/";
/// How long a ticket's URL works.
pub const TICKET_LIFETIME_S: u64 = 300;

/// The local server's route for tickets into `bucket`.
pub fn upload_route(bucket: &str) -> String {
    format!("/api/uploads/{bucket}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The file's own name, for the key (made safe by [`upload_key`]).
    pub file_name: String,
    pub content_type: String,
    /// Bytes, checked against the bucket's limit before anything is sent.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    pub bucket: String,
    pub key: String,
    /// `PUT` the file's bytes here, with the request's `Content-Type`.
    pub url: String,
    pub expires_in_s: u64,
    pub max_bytes: u64,
    /// Presigned `GET`s for what the thumbnail function will write: they work once it has.
    pub results: ResultLinks,
}

/// Where to read the thumbnail function's work on one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLinks {
    /// The upload itself, as stored.
    pub upload: String,
    /// The [`ThumbnailReport`], written last: once it is there, so are the thumbnails.
    pub report: String,
    /// One per [`THUMBNAIL_WIDTHS`], in that order.
    pub thumbnails: Vec<String>,
}

/// The widths the thumbnail function writes, in pixels; the height keeps the aspect, and an
/// image narrower than a width keeps its own.
pub const THUMBNAIL_WIDTHS: [u32; 3] = [160, 480, 1080];

/// `thumbnails/<id>/<stem>-<width>.jpg` for the upload `uploads/<id>/<name>`; `None` for a key
/// outside the upload prefix. Thumbnails are JPEGs whatever the upload's type.
pub fn thumbnail_key(upload_key: &str, width: u32) -> Option<String> {
    let (folder, name) = upload_parts(upload_key)?;
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    Some(format!("{THUMBNAIL_PREFIX}{folder}{stem}-{width}.jpg"))
}

/// `thumbnails/<id>/<name>.json`: where the function writes its [`ThumbnailReport`].
pub fn report_key(upload_key: &str) -> Option<String> {
    let (folder, name) = upload_parts(upload_key)?;
    Some(format!("{THUMBNAIL_PREFIX}{folder}{name}.json"))
}

/// `("<id>/", "<name>")` of an upload key.
fn upload_parts(upload_key: &str) -> Option<(&str, &str)> {
    let rest = upload_key.strip_prefix(UPLOAD_PREFIX)?;
    let split = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (folder, name) = rest.split_at(split);
    (!name.is_empty()).then_some((folder, name))
}

/// What the thumbnail function did with one upload, written beside its thumbnails, so the
/// panel shows the same facts locally and on AWS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThumbnailReport {
    pub bucket: String,
    /// The upload's key, decoded.
    pub key: String,
    pub request_id: String,
    /// Whether this invocation started the function's instance.
    pub cold_start: bool,
    /// The instance's init, process start to ready.
    pub init_ms: f64,
    /// From the event's arrival to the last thumbnail written.
    pub duration_ms: f64,
    pub source: Picture,
    /// One per [`THUMBNAIL_WIDTHS`], in that order.
    pub thumbnails: Vec<Picture>,
    /// The S3 event record the function received, as JSON text.
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// Why a ticket is refused; the answer's body is a [`crate::error_body::Refusal`] saying this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadProblem {
    #[error("the file is {size} bytes; this bucket takes at most {max_bytes} bytes ({} MB)", max_bytes / (1024 * 1024))]
    TooLarge { size: u64, max_bytes: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("{content_type:?} is not an image: pick a JPEG, PNG, GIF or WebP file")]
    NotAnImage { content_type: String },
}

/// The image types the thumbnail function reads.
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

impl UploadRequest {
    pub fn check(&self, max_bytes: u64) -> Result<(), UploadProblem> {
        if !IMAGE_TYPES.contains(&self.content_type.as_str()) {
            return Err(UploadProblem::NotAnImage { content_type: self.content_type.clone() });
        }
        match self.size {
            0 => Err(UploadProblem::Empty),
            size if size > max_bytes => Err(UploadProblem::TooLarge { size, max_bytes }),
            _ => Ok(()),
        }
    }
}

/// `uploads/<id>/<name>`: `id` keeps two uploads of one name apart; the name keeps letters,
/// digits, `.`, `-` and `_` (others become `-`), at most 80 of them.
pub fn upload_key(id: &str, file_name: &str) -> String {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .take(80)
        .collect();
    let name = name.trim_start_matches('.');
    let name = if name.is_empty() { "image" } else { name };
    format!("{UPLOAD_PREFIX}{id}/{name}")
}

/// The image type of `file_name` by its extension, for a file the browser gave no type.
pub fn image_type_of(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.rsplit_once('.')?;
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// `Code: Message` of an S3 error answer (`<Error><Code>…</Code><Message>…</Message>`), with
/// XML's escapes undone; `None` for any other body.
pub fn s3_error(body: &str) -> Option<String> {
    let element = |name: &str| {
        let start = body.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + body[start..].find(&format!("</{name}>"))?;
        let text = body[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        Some(text)
    };
    let code = element("Code")?;
    Some(match element("Message") {
        Some(message) if !message.is_empty() => format!("{code}: {message}"),
        _ => code,
    })
}

/// A key as S3's event notifications write it (URL-encoded, spaces as `+`), decoded. Bytes that
/// do not decode to UTF-8 become U+FFFD.
pub fn decode_s3_key(encoded: &str) -> String {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = |at: usize| tail.get(at).and_then(|b| (*b as char).to_digit(16));
        match (byte, hex(0), hex(1)) {
            (b'%', Some(high), Some(low)) => {
                bytes.push((high * 16 + low) as u8);
                rest = &tail[2..];
                continue;
            }
            (b'+', ..) => bytes.push(b' '),
            _ => bytes.push(byte),
        }
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, size: u64) -> UploadRequest {
        UploadRequest { file_name: "cat.jpg".into(), content_type: content_type.into(), size }
    }

    #[test]
    fn images_within_the_limit_get_a_ticket() {
        assert_eq!(request("image/jpeg", 5_000_000).check(20 << 20), Ok(()));
        assert_eq!(
            request("image/png", 30 << 20).check(20 << 20),
            Err(UploadProblem::TooLarge { size: 30 << 20, max_bytes: 20 << 20 })
        );
        assert_eq!(
            request("image/png", 30 << 20).check(20 << 20).unwrap_err().to_string(),
            "the file is 31457280 bytes; this bucket takes at most 20971520 bytes (20 MB)"
        );
        assert_eq!(request("image/png", 0).check(1), Err(UploadProblem::Empty));
        assert!(matches!(request("text/html", 10).check(20), Err(UploadProblem::NotAnImage { .. })));
    }

    #[test]
    fn keys_keep_the_name_readable_and_inside_the_upload_prefix() {
        assert_eq!(upload_key("7f3a", "Cat photo (1).JPG"), "uploads/7f3a/Cat-photo--1-.JPG");
        assert_eq!(upload_key("7f3a", "../../etc/passwd"), "uploads/7f3a/passwd");
        assert_eq!(upload_key("7f3a", "C:\\Users\\me\\.hidden"), "uploads/7f3a/hidden");
        assert_eq!(upload_key("7f3a", "日本.png"), "uploads/7f3a/--.png");
        assert_eq!(upload_key("7f3a", ""), "uploads/7f3a/image");
        assert_eq!(upload_key("7f3a", &"a".repeat(500)).len(), "uploads/7f3a/".len() + 80);
    }

    #[test]
    fn results_live_outside_the_upload_prefix_beside_each_other() {
        let key = upload_key("7f3a", "Cat photo.png");
        assert_eq!(thumbnail_key(&key, 160).as_deref(), Some("thumbnails/7f3a/Cat-photo-160.jpg"));
        assert_eq!(report_key(&key).as_deref(), Some("thumbnails/7f3a/Cat-photo.png.json"));
        assert_eq!(thumbnail_key("uploads/noext", 480).as_deref(), Some("thumbnails/noext-480.jpg"));
        assert_eq!(thumbnail_key("elsewhere/a.jpg", 160), None);
        assert_eq!(report_key("uploads/7f3a/"), None);
        for width in THUMBNAIL_WIDTHS {
            assert!(!thumbnail_key(&key, width).unwrap().starts_with(UPLOAD_PREFIX));
        }
    }

    #[test]
    fn files_without_a_type_get_one_from_their_name() {
        assert_eq!(image_type_of("IMG_1234.JPG"), Some("image/jpeg"));
        assert_eq!(image_type_of("shot.webp"), Some("image/webp"));
        assert_eq!(image_type_of("notes.txt"), None);
        assert_eq!(image_type_of("jpeg"), None);
    }

    #[test]
    fn s3_errors_read_as_code_and_message() {
        let body = "<?xml version=\"1.0\"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum &amp; more</Message></Error>";
        assert_eq!(
            s3_error(body).as_deref(),
            Some("EntityTooLarge: Your proposed upload exceeds the maximum & more")
        );
        assert_eq!(s3_error("<Error><Code>AccessDenied</Code></Error>").as_deref(), Some("AccessDenied"));
        assert_eq!(s3_error("Bad Gateway"), None);
        assert_eq!(s3_error("<Code>unclosed"), None);
    }

    #[test]
    fn event_keys_are_decoded_as_s3_encodes_them() {
        assert_eq!(decode_s3_key("uploads/7f/My+cat%2B1%25.jpg"), "uploads/7f/My cat+1%.jpg");
        assert_eq!(decode_s3_key("uploads/7f/%E6%97%A5.png"), "uploads/7f/日.png");
        // A `%` that starts no escape stays as it is.
        assert_eq!(decode_s3_key("100%25%zz%4"), "100%%zz%4");
        assert_eq!(decode_s3_key("%FF"), "\u{FFFD}");
    }

    #[test]
    fn the_wire_format_is_snake_case_json() {
        let ticket = UploadTicket {
            bucket: "b".into(),
            key: "uploads/1/a.png".into(),
            url: "http://x/b/uploads/1/a.png?X-Amz-Signature=1".into(),
            expires_in_s: 300,
            max_bytes: 10,
            results: ResultLinks {
                upload: "http://x/u".into(),
                report: "http://x/r".into(),
                thumbnails: vec!["http://x/t".into()],
            },
        };
        let json = serde_json::to_value(&ticket).unwrap();
        assert_eq!(json["expires_in_s"], 300);
        assert_eq!(serde_json::from_value::<UploadTicket>(json).unwrap(), ticket);
    }

    #[test]
    fn the_request_and_the_report_read_back_as_written() {
        let request = UploadRequest {
            file_name: "lake at sunset.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 2_048_576,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(json, r#"{"file_name":"lake at sunset.jpg","content_type":"image/jpeg","size":2048576}"#);
        assert_eq!(serde_json::from_str::<UploadRequest>(&json).unwrap(), request);
        let picture = |key: &str, width, height| Picture { key: key.into(), width, height, bytes: 1234 };
        let report = ThumbnailReport {
            bucket: "deck-photos".into(),
            key: "uploads/0a1b/lake at sunset.jpg".into(),
            request_id: "r1".into(),
            cold_start: true,
            init_ms: 0.8,
            duration_ms: 41.5,
            source: picture("uploads/0a1b/lake at sunset.jpg", 1920, 1080),
            thumbnails: THUMBNAIL_WIDTHS
                .iter()
                .map(|&w| picture("thumbnails/x.jpg", w, w * 9 / 16))
                .collect(),
            event: r#"{"Records":[]}"#.into(),
        };
        let json = serde_json::to_string_pretty(&report).unwrap();
        assert!(json.contains(r#""cold_start": true"#) && json.contains(r#""duration_ms": 41.5"#), "{json}");
        assert_eq!(serde_json::from_str::<ThumbnailReport>(&json).unwrap(), report);
    }
}
